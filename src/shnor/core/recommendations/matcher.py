"""Matching library entries to deficits: КЭС codes, skill keywords, level; fallbacks by level.

Score of an entry for one deficit (entries of another subject or grade never match; an entry with
``levels`` matches only when one of the deficit's task levels is among them):

* +2 when one of the deficit's КЭС codes (as "grade:code") is listed in the entry's ``kes``;
* +2 for every distinct keyword found in the deficit's wording (skill text of its tasks, else its
  label), lower-cased with ё → е;
* +1 when the entry names levels and the deficit's level is among them.

The best-scoring non-fallback entry with a positive keyword/КЭС score is attached, followed by
further entries (at most ``max_entries`` in all, ties in file order) whose score is at least
``SECOND_SHARE`` (75 %) of the best — so a weak side match does not dilute a precise one. When none
has, the best *fallback* entry of the subject and level is attached instead, so every deficit gets
at least one recommendation when the library has a fallback for its subject.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import polars as pl

from shnor.core.recommendations.library import Entry, Library, shipped_library

SECOND_SHARE = 0.75


def _norm(text: str | None) -> str:
    return (text or "").lower().replace("ё", "е")


def _score(
    entry: Entry, *, kes: Sequence[str], levels: Sequence[str], text: str, grade: int
) -> tuple[float, float]:
    """(specific score from КЭС and keywords, level bonus)."""
    specific = 0.0
    if entry.kes and any(f"{grade}:{k}" in entry.kes for k in kes):
        specific += 2
    specific += 2 * sum(1 for kw in entry.keywords if kw and kw in text)
    bonus = 1.0 if entry.levels and any(lv in entry.levels for lv in levels) else 0.0
    return specific, bonus


def match(
    *,
    subject: str,
    grade: int,
    levels: Iterable[str] = (),
    text: str | None = None,
    kes: Iterable[str] = (),
    library: Library | None = None,
    max_entries: int = 2,
) -> list[Entry]:
    """The library entries that fit one deficit, best first (see the module docstring for the score)."""
    lib = library or shipped_library()
    levels = [lv for lv in levels if lv]
    kes = [k.strip() for k in kes if k and k.strip()]
    norm = _norm(text)
    specific: list[tuple[float, int, Entry]] = []
    fallback: list[tuple[float, int, Entry]] = []
    for order, e in enumerate(lib.entries):
        if e.subject != subject or grade not in e.grades:
            continue
        if e.levels and levels and not any(lv in e.levels for lv in levels):
            continue
        s, bonus = _score(e, kes=kes, levels=levels, text=norm, grade=grade)
        if e.fallback:
            fallback.append((bonus, order, e))
        elif s > 0:
            specific.append((s + bonus, order, e))
    if specific:
        specific.sort(key=lambda t: (-t[0], t[1]))
        best = specific[0][0]
        return [e for s, _, e in specific[: max(1, max_entries)] if s >= SECOND_SHARE * best]
    fallback.sort(key=lambda t: (-t[0], t[1]))
    return [e for _, _, e in fallback[:1]]


def school_entries(library: Library | None = None) -> list[Entry]:
    """The school-wide entries (subject "*"): for the management part of a report."""
    lib = library or shipped_library()
    return [e for e in lib.entries if e.subject == "*"]


def attach(frame: pl.DataFrame, library: Library | None = None, *, max_entries: int = 2) -> pl.DataFrame:
    """Add ``topic``, ``recommendation_ids`` (";"-joined) and ``recommendations`` (JSON list) to deficits.

    ``frame`` needs ``subject``, ``grade``, ``levels`` ("Б/П"), ``skills`` (" | "-joined skill texts or
    null), ``kes_codes`` (";"-joined or null) and ``element_label``. Matching is done once per distinct
    combination, so the cost does not grow with the number of schools.
    """
    lib = library or shipped_library()
    keys = ["subject", "grade", "levels", "skills", "kes_codes", "element_label"]
    out_schema = {
        "topic": pl.String(),
        "recommendation_ids": pl.String(),
        "recommendations": pl.String(),
    }
    if frame.height == 0:
        return frame.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in out_schema.items()])
    combos = frame.select(keys).unique(maintain_order=True)
    rows = []
    for subject, grade, levels, skills, kes_codes, label in combos.iter_rows():
        text = skills if skills else label
        found = match(
            subject=subject,
            grade=int(grade),
            levels=(levels or "").split("/"),
            text=text,
            kes=(kes_codes or "").split(";"),
            library=lib,
            max_entries=max_entries,
        )
        rows.append(
            {
                "subject": subject,
                "grade": grade,
                "levels": levels,
                "skills": skills,
                "kes_codes": kes_codes,
                "element_label": label,
                "topic": found[0].topic if found else None,
                "recommendation_ids": ";".join(e.id for e in found) or None,
                "recommendations": json.dumps([e.as_dict() for e in found], ensure_ascii=False),
            }
        )
    table = pl.DataFrame(
        rows, schema={**dict(zip(keys, [frame.schema[k] for k in keys], strict=True)), **out_schema}
    )
    drop = [c for c in out_schema if c in frame.columns]
    return frame.drop(drop).join(table, on=keys, how="left", nulls_equal=True)
