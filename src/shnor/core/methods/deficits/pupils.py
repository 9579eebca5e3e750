"""Pupil rows: the present pupils of the results with a full task-score list, and the class key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from shnor.core.methods.deficits.schemas import KEYS
from shnor.core.store import schema


def _lazy(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def _parse_unit(text: str) -> tuple[str, str, int]:
    procedure, subject, grade = text.split(":")
    return procedure, subject, int(grade)


def class_key() -> pl.Expr:
    """Class name as a grouping key: trimmed, upper-case; empty / «нет» → null."""
    c = pl.col("class_name").str.strip_chars().str.to_uppercase()
    return (
        pl.when(c.is_null() | c.is_in(["", "НЕТ", "-", "—", "0"])).then(None).otherwise(c).alias("class_name")
    )


def _present(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None,
    procedures: Sequence[str] = (),
    school_ids: Sequence[str] | None = None,
    test: Sequence[Any] | None = None,
    extra: Sequence[str] = (),
) -> pl.LazyFrame:
    """Present pupils with a full task-score list of a test whose structure is known.

    ``test`` (procedure, year, subject, grade) restricts the scan to one test (pushed down to the
    Parquet scan); ``extra`` replaces the default columns after the keys (task_scores always last).
    """
    lf = _lazy(results)
    cond = ~pl.col("absent").fill_null(False) & pl.col("task_scores").is_not_null()
    if test is not None:
        for k, v in zip(KEYS, test, strict=True):
            cond &= pl.col(k) == v
    if year is not None:
        years = [year] if isinstance(year, int) else list(year)
        cond &= pl.col("year").is_in(years)
    if procedures:
        unit_cond = pl.lit(False)
        for text in procedures:
            p, s, g = _parse_unit(text)
            unit_cond |= (pl.col("procedure") == p) & (pl.col("subject") == s) & (pl.col("grade") == g)
        cond &= unit_cond
    if school_ids is not None:
        cond &= pl.col("school_id").is_in(list(school_ids))
    n_tasks = (
        schema.conform(tasks, schema.TASKS)
        .group_by(KEYS)
        .agg(pl.col("task_no").max().cast(pl.UInt32).alias("_n_tasks"))
    )
    cols = extra or ("school_id", "class_name", "pupil_key", "primary_score", "mark")
    pupils = (
        lf.filter(cond)
        .select(*KEYS, *(class_key() if c == "class_name" else pl.col(c) for c in cols), "task_scores")
        .with_columns(*(pl.col(k).cast(schema.RESULTS[k]) for k in KEYS))
    )
    if test is not None:  # one test: its task count is a number (a join on the keys per test was slow)
        n = n_tasks.filter(*(pl.col(k) == v for k, v in zip(KEYS, test, strict=True)))["_n_tasks"]
        if n.len() == 0:
            return pupils.head(0)
        return pupils.filter(pl.col("task_scores").list.len() == int(n[0]))
    return (
        pupils.join(n_tasks.lazy(), on=KEYS, how="inner")
        .filter(pl.col("task_scores").list.len() == pl.col("_n_tasks"))
        .drop("_n_tasks")
    )
