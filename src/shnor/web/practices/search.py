"""Russian full-text search of the bank that understands word forms («дефициты чтения» finds «дефицита
чтения»), on both databases the project runs on.

- PostgreSQL: ``django.contrib.postgres.search`` used directly (no ``django.contrib.postgres`` app needed:
  the vector's ``exact`` lookup is registered when the module is imported): ``SearchVector`` over the title
  (weight A) and ``Practice.search_text`` (B) with ``config="russian"``, ``SearchQuery`` and ``SearchRank``.
- SQLite: FTS5 has no Russian stemmer, so the words are stemmed here with Snowball (``snowballstemmer``)
  and the stemmed text is kept in the FTS5 table ``practices_fts`` (created by migration 0002 on SQLite
  only), rowid = the practice's id; ``index_put``/``index_drop`` keep it in step (the services call them
  on every save, publication and deletion). Ranked by ``bm25``.

``search(qs, query, any_word=False)`` narrows a queryset of practices and returns them ranked, each with a
``rank`` attribute (higher is better). All words must match, unless ``any_word`` (the links from a
deficit's labels, which are long and need only share some words); the matches are narrowed to ``qs``
before the cut. ``ranked(qs, query, fields)`` gives every match, best first, as light rows (id, rank,
fields) with no cut: the bank's search counts them and reads a page of practices at a time.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from shnor.core.labels import SUBJECT_NAMES
from shnor.core.roadmaps.risk import questionnaire_default

FTS_TABLE = "practices_fts"
_WORD = re.compile(r"[0-9a-zа-яё]+", re.IGNORECASE)
#: words that say nothing about the content (prepositions, conjunctions, the commonest filler)
STOP_WORDS = frozenset(
    [
        "и",
        "в",
        "во",
        "на",
        "с",
        "со",
        "по",
        "к",
        "ко",
        "о",
        "об",
        "от",
        "до",
        "из",
        "за",
        "для",
        "при",
        "без",
        "над",
        "под",
        "про",
        "у",
        "а",
        "но",
        "или",
        "ли",
        "не",
        "ни",
        "же",
        "бы",
        "что",
        "как",
        "это",
        "так",
        "то",
        "все",
        "всё",
        "его",
        "её",
        "их",
        "он",
        "она",
        "они",
        "мы",
        "вы",
        "я",
    ]
)


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("russian")


def words(text: str) -> list[str]:
    """The meaningful words of ``text`` in lower case (ё as е), stop words and one-letter words dropped."""
    out = []
    for w in _WORD.findall(text.lower().replace("ё", "е")):
        if len(w) > 1 and w not in STOP_WORDS:
            out.append(w)
    return out


def stems(text: str) -> list[str]:
    """The Snowball (Russian) stems of the meaningful words of ``text``."""
    return [s for s in _stemmer().stemWords(words(text)) if s]


def factor_titles() -> dict[str, str]:
    """Risk factor code → its title, from the shipped risk-profile questionnaire."""
    return {f.code: f.title for f in questionnaire_default().factors}


def search_text(practice) -> str:
    """Everything the search reads of a practice: title, description, subject, tags and risk factors."""
    titles = factor_titles()
    parts = [
        practice.title,
        practice.description,
        SUBJECT_NAMES.get(practice.subject, ""),
        " ".join(str(s) for s in practice.skills or []),
        " ".join(titles.get(c, c) for c in practice.risk_factors or []),
        practice.organisation,
    ]
    return "\n".join(p for p in parts if p)


# --- the SQLite index ---------------------------------------------------------------------------------


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


def index_put(practice) -> None:
    """Put the practice's stemmed text into the FTS5 table (SQLite only; PostgreSQL needs nothing)."""
    if not _sqlite():
        return
    body = " ".join(stems(f"{practice.title}\n{practice.search_text}"))
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [practice.pk])
        cur.execute(f"INSERT INTO {FTS_TABLE} (rowid, body) VALUES (%s, %s)", [practice.pk, body])


def index_drop(practice_id: int) -> None:
    """Remove a deleted practice from the FTS5 table (SQLite only)."""
    if not _sqlite():
        return
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [practice_id])


# --- the query ----------------------------------------------------------------------------------------


def search(qs: QuerySet, query: str, *, any_word: bool = False, limit: int = 200) -> list:
    """The practices of ``qs`` matching ``query`` (all its words, or any with ``any_word``), best first,
    each with ``rank`` (higher is better). An empty query (or one of stop words only) finds nothing."""
    if not words(query):
        return []
    if _sqlite():
        return _search_sqlite(qs, query, any_word=any_word, limit=limit)
    return _search_postgres(qs, query, any_word=any_word, limit=limit)


def ranked(qs: QuerySet, query: str, fields: tuple[str, ...] = (), *, any_word: bool = False) -> list[tuple]:
    """Every practice of ``qs`` matching all the words of ``query`` (any with ``any_word``), best first
    (ties: newest id first), as light rows ``(pk, rank, *fields)`` — no cut, so that a caller can count the
    matches and read any stretch of them in the same order. An empty query (or one of stop words only)
    finds nothing."""
    if not words(query):
        return []
    if _sqlite():
        match = _fts_match(query, any_word=any_word)
        if match is None:
            return []
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT rowid, -bm25({FTS_TABLE}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match]
            )
            ranks = {int(pk): float(r) for pk, r in cur.fetchall()}
        if not ranks:
            return []
        inside = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])
        rows = [(pk, ranks[pk], *rest) for pk, *rest in qs.filter(pk__in=inside).values_list("pk", *fields)]
        rows.sort(key=lambda r: (-r[1], -r[0]))
        return rows
    found = _postgres_found(qs, query, any_word=any_word)
    return [(pk, float(rank), *rest) for pk, rank, *rest in found.values_list("pk", "rank", *fields)]


def _fts_match(query: str, *, any_word: bool) -> str | None:
    """The FTS5 ``MATCH`` expression of the query's stems (None when it has none)."""
    terms = sorted(set(stems(query)))
    if not terms:
        return None
    return (" OR " if any_word else " AND ").join(f'"{t}"' for t in terms)


def _search_sqlite(qs: QuerySet, query: str, *, any_word: bool, limit: int) -> list:
    # ``qs`` first, then the cut: the FTS5 table holds every practice (drafts, other subjects and regions),
    # so a cut of its matches before ``qs`` could leave out the practices of ``qs``
    rows = ranked(qs, query, any_word=any_word)[:limit]
    found = qs.in_bulk([pk for pk, _ in rows])
    for pk, rank in rows:
        found[pk].rank = rank
    return [found[pk] for pk, _ in rows]


def _postgres_found(qs: QuerySet, query: str, *, any_word: bool) -> QuerySet:
    """The practices of ``qs`` matching ``query``, each with its ``rank``, best first (ties: newest id
    first): the search vector of a practice (title A, text B) and the query in the Russian configuration."""
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    vector = SearchVector("title", weight="A", config="russian") + SearchVector(
        "search_text", weight="B", config="russian"
    )
    if any_word:
        parts = [SearchQuery(w, config="russian", search_type="plain") for w in sorted(set(words(query)))]
        q = parts[0]
        for part in parts[1:]:
            q |= part
    else:
        q = SearchQuery(" ".join(words(query)), config="russian", search_type="plain")
    return qs.annotate(fts=vector, rank=SearchRank(vector, q)).filter(fts=q).order_by("-rank", "-pk")


def _search_postgres(qs: QuerySet, query: str, *, any_word: bool, limit: int) -> list:
    return list(_postgres_found(qs, query, any_word=any_word)[:limit])
