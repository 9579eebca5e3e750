"""What a list page shows: its columns (each means one thing, named per list), its grouped reasons, the
years a school has been on *this* list, sorting and the rule of FIOKO's own layout.

Used by the list page, its XLSX export and the API, so the three show the same columns and counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from shnor.core.labels import PROCEDURE_LABELS, SIGN_LABELS, SUBJECT_LABELS
from shnor.web.identification import membership
from shnor.web.identification.models import MethodologyRun
from shnor.web.registry.models import School


@dataclass(frozen=True)
class Column:
    """A column of a list: the row key, its header, how the value is shown (``num``, ``int``, ``text``)."""

    key: str
    header: str
    shown: str = "text"
    numeric: bool = False
    sortable: bool = True


_COMMON_HEAD = [
    Column("school_id", "Логин ОО"),
    Column("name", "Школа"),
    Column("municipality", "Муниципалитет"),
]
_COMMON_TAIL = [
    Column("track_label", "Вариант сопровождения"),
    Column("details", "Основания", sortable=False),
]
_YEARS = Column("years_in_list", "Лет в списке подряд", "int", numeric=True)

#: The list-specific columns between the school and the track: one meaning per column, named.
KIND_COLUMNS: dict[str, list[Column]] = {
    "low_results": [
        _YEARS,
        Column("first_year", "Впервые в списке, год", "int", numeric=True),
        Column("category", "Категория"),
    ],
    "social_risk": [
        Column("value", "Индекс социального неблагополучия", "num", numeric=True),
        Column("rank", "Место в рейтинге", "int", numeric=True),
        _YEARS,
    ],
    "objectivity": [
        Column(
            "value",
            "q-значение по региону (для сравнения школ; флаг ставится по p школы)",
            "num",
            numeric=True,
        ),
        Column("n_signs", "Значимых признаков", "int", numeric=True),
        _YEARS,
    ],
    "fioko": [
        Column("value", "Маркеров ФИОКО", "int", numeric=True),
        Column("in_fioko_format", "В выгрузке в формате ФИОКО", "text"),
        _YEARS,
    ],
}


def columns_of(kind: str) -> list[Column]:
    """Every column of list ``kind`` in page order."""
    return [*_COMMON_HEAD, *KIND_COLUMNS[kind], *_COMMON_TAIL]


def sort_choices(kind: str) -> dict[str, str]:
    """``?sort=`` values of list ``kind`` (a column key, ``-`` before it for descending) with their names."""
    return sort_choices_of(columns_of(kind))


def sort_choices_of(columns: Iterable[Column]) -> dict[str, str]:
    """``?sort=`` values of ``columns`` (all but the reasons) with their names, for ``params.choice``."""
    out: dict[str, str] = {}
    for c in columns:
        if not c.sortable:
            continue
        out[c.key] = f"{c.header}, по возрастанию"
        out["-" + c.key] = f"{c.header}, по убыванию"
    return out


def headers(columns: Iterable[Column], sort: str) -> list[dict]:
    """Header cells with the ``?sort=`` of a click (ascending first, then descending) and ``aria-sort``
    (``includes`` template ``identification/_sort_head.html``)."""
    out = []
    for c in columns:
        state = aria_sort(sort, c.key)
        out.append(
            {
                "key": c.key,
                "header": c.header,
                "numeric": c.numeric,
                "sortable": c.sortable,
                "aria": state,
                "next": "-" + c.key if state == "ascending" else c.key,
                "shown": c.shown,
            }
        )
    return out


def rows_sorted(rows: list[dict], sort: str) -> list[dict]:
    """``rows`` ordered by ``sort`` (a validated choice of :func:`sort_choices`); empty values last."""
    if not sort:
        return rows
    key = sort.lstrip("-")
    reverse = sort.startswith("-")

    def value(row: dict) -> tuple[int, Any]:
        v = row.get(key)
        if v is None or v == "":
            return (1, 0)
        if isinstance(v, bool):
            return (0, int(v))
        if isinstance(v, int | float):
            return (0, v)
        return (0, str(v).casefold())

    present = [r for r in rows if value(r)[0] == 0]
    empty = [r for r in rows if value(r)[0] == 1]
    return sorted(present, key=value, reverse=reverse) + empty


def aria_sort(sort: str, key: str) -> str:
    """The ``aria-sort`` of a header: ascending, descending or none."""
    if sort == key:
        return "ascending"
    if sort == "-" + key:
        return "descending"
    return "none"


# ---------------------------------------------------------------------------------------------
# reasons


@dataclass(frozen=True)
class Reason:
    """One kind of sign or marker, once per school: how many procedures show it and where."""

    title: str
    n: int
    where: str

    def __str__(self) -> str:
        return f"{self.title} — {self.n}: {self.where}" if self.where else self.title


def reasons_grouped(items: Iterable[tuple[str, str, str, Any]]) -> list[Reason]:
    """``(kind, procedure, subject, grade)`` items grouped by kind: «Скопление у порога отметки — 3: ВПР,
    математика: 4, 5 кл.; ВПР, русский язык: 4 кл.», the kinds found most often first."""
    by_kind: dict[str, dict[tuple[str, str], set[str]]] = defaultdict(lambda: defaultdict(set))
    counts: dict[str, int] = defaultdict(int)
    for kind, procedure, subject, grade in items:
        counts[kind] += 1
        if procedure:
            by_kind[kind][(procedure, subject)].add(str(grade) if grade not in (None, "", 0) else "")
    out = []
    for kind in sorted(counts, key=lambda k: (-counts[k], SIGN_LABELS.get(k, k))):
        places = []
        for (proc, subj), grades in sorted(by_kind[kind].items()):
            where = PROCEDURE_LABELS.get(proc, proc.upper())
            if subj == "all":
                where += ", все предметы"
            elif subj:
                where += ", " + SUBJECT_LABELS.get(subj, subj)
            shown = sorted((g for g in grades if g), key=lambda g: (len(g), g))
            places.append(where + (": " + ", ".join(shown) + " кл." if shown else ""))
        out.append(Reason(SIGN_LABELS.get(kind, kind), counts[kind], "; ".join(places)))
    return out


def sign_items(sign_ids: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """Objectivity sign ids (``bunching:vpr:ma:4``) as ``(kind, procedure, subject, grade)``."""
    out = []
    for sid in sign_ids:
        parts = str(sid).split(":")
        parts += [""] * (4 - len(parts))
        out.append((parts[0], parts[1], parts[2], parts[3]))
    return out


def marker_items(markers: Iterable[Any]) -> list[tuple[str, str, str, Any]]:
    """FIOKO markers (``{"marker", "procedure", "subject", "grade"}`` or a bare code) as items."""
    out: list[tuple[str, str, str, Any]] = []
    for m in markers:
        if isinstance(m, Mapping):
            out.append(
                (
                    str(m.get("marker") or ""),
                    str(m.get("procedure") or ""),
                    str(m.get("subject") or ""),
                    m.get("grade"),
                )
            )
        elif m:
            out.append((str(m), "", "", None))
    return out


# ---------------------------------------------------------------------------------------------
# FIOKO's own layout


#: The procedure columns of FIOKO's published layout (``defaults/fioko.toml`` ``[published] columns``).
def fioko_columns() -> set[tuple[str, int]]:
    """``{(subject, grade)}`` of FIOKO's published layout, from the settings."""
    from shnor.core.config import load_config

    cols = load_config()["fioko"]["published"]["columns"]
    return {(c.split(":")[1], int(c.split(":")[0])) for c in cols}


def in_fioko_format(markers: Iterable[Any], columns: set[tuple[str, int]]) -> bool:
    """True when a school has a ВПР marker in a column of FIOKO's layout (4–5 кл., русский язык,
    математика): only those schools are rows of the export in FIOKO's format."""
    for kind, procedure, subject, grade in marker_items(markers):
        if kind and procedure == "vpr" and grade not in (None, "") and (subject, int(grade)) in columns:
            return True
    return False


#: The rule shown on FIOKO's list page and on the reports page.
FIOKO_FORMAT_RULE = (
    "В формате ФИОКО есть столбцы только для ВПР 4–5 классов по русскому языку и математике, поэтому "
    "школы, у которых маркеры только по ОГЭ или по другим классам, в эту выгрузку не входят; в списке и "
    "в его XLSX они есть."
)


# ---------------------------------------------------------------------------------------------
# years in the list


def years_on_list(
    *, kind: str, run: MethodologyRun, schools: QuerySet[School], runs: list[MethodologyRun]
) -> dict[int, int]:
    """``{school pk: consecutive years on list kind up to run's year}``, by the list as each year shows
    it (approved, else that year's latest run; ``run`` itself for its year). ``runs``: the latest done
    run of every year."""
    by_year = {r.year: r for r in runs if r.year < run.year}
    by_year[run.year] = run
    on: dict[int, set[int]] = {
        y: set(membership.members(membership.basis_of(kind=kind, run=r), schools)) for y, r in by_year.items()
    }
    out: dict[int, int] = {}
    for sid in on[run.year]:
        n, y = 0, run.year
        while y in on and sid in on[y]:
            n += 1
            y -= 1
        out[sid] = n
    return out
