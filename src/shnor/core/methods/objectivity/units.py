"""One procedure's pupils as the signs read them (``build_unit``), and the procedures of a year."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.signs.base import Unit


def _scale(inputs: Inputs, procedure: str, year: int, subject: str, grade: int) -> dict[str, int]:
    sc = inputs.scales.filter(
        (pl.col("procedure") == procedure)
        & (pl.col("year") == year)
        & (pl.col("subject") == subject)
        & (pl.col("grade") == grade)
    )
    if not sc.height:
        return {}
    row = sc.row(0, named=True)
    return {k: int(row[k]) for k in ("max_score", "min_3", "min_4", "min_5") if row[k] is not None}


#: A result the signs count: a present pupil with a score and a school.
_COUNTED = (
    ~pl.col("absent").fill_null(False)
    & pl.col("primary_score").is_not_null()
    & pl.col("school_id").is_not_null()
)


def _present(inputs: Inputs, procedure: str, year: int, subject: str, grade: int) -> pl.LazyFrame:
    """The present pupils with a score and a school of one procedure."""
    return inputs.results.filter(
        (pl.col("procedure") == procedure)
        & (pl.col("year") == year)
        & (pl.col("subject") == subject)
        & (pl.col("grade") == grade)
        & _COUNTED
    )


def _unit_frame(
    inputs: Inputs, procedure: str, year: int, subject: str, grade: int, with_tasks: bool = True
) -> pl.DataFrame:
    """One procedure's present pupils, school by school. Within a school they stay in the order they
    come: every sum over pupils the signs make is of whole numbers (exact in any order) or of a
    school's own values, so the order does not change any result (tested: the rows shuffled give
    the same output, to the bit); sorting on every column as well was slow."""
    cols = ["school_id", "primary_score", "mark", "journal_mark"] + (["task_scores"] if with_tasks else [])
    return (
        _present(inputs, procedure, year, subject, grade)
        .select(cols)
        .sort("school_id", maintain_order=True)
        .collect()
    )


def build_unit(
    inputs: Inputs, procedure: str, year: int, subject: str, grade: int, with_tasks: bool = True
) -> Unit | None:
    """Arrays of one procedure's present pupils, with the scale and the task structure where known
    (``with_tasks=False``: totals, marks and journal marks only — enough for ``bunching``)."""
    df = _unit_frame(inputs, procedure, year, subject, grade, with_tasks)
    if df.height == 0:
        return None
    scale = _scale(inputs, procedure, year, subject, grade)
    tk = inputs.tasks.filter(
        (pl.col("procedure") == procedure)
        & (pl.col("year") == year)
        & (pl.col("subject") == subject)
        & (pl.col("grade") == grade)
    ).sort("task_no")
    total = df["primary_score"].cast(pl.Int64).to_numpy()
    total = np.clip(total, 0, None)
    max_score = int(
        scale.get("max_score") or (tk["max_points"].cast(pl.Int64).sum() if tk.height else total.max())
    )
    total = np.minimum(total, max_score)
    # the frame is sorted by school: a school's index counts the changes of id (np.unique of a
    # procedure's million Python strings was slow)
    sid = df["school_id"]
    first = (sid != sid.shift(1)).fill_null(True)
    school = first.cast(pl.Int64).cum_sum().to_numpy() - 1
    school_ids = sid.filter(first).to_list()
    cuts = {k: v for k, v in scale.items() if k.startswith("min_")}
    mark = df["mark"].cast(pl.Int64).fill_null(0).to_numpy()
    if cuts and (mark == 0).any():
        computed = 2 + sum((total >= cuts[k]).astype(int) for k in ("min_3", "min_4", "min_5") if k in cuts)
        mark = np.where(mark == 0, computed, mark)
    journal = df["journal_mark"].cast(pl.Int64).fill_null(0).to_numpy()
    journal = np.where((journal >= 2) & (journal <= 5), journal, 0)
    tasks = max_points = levels = None
    lens = df["task_scores"].list.len() if with_tasks else pl.Series([None], dtype=pl.UInt32)
    if lens.null_count() == 0 and lens.n_unique() == 1:
        n_tasks = int(lens[0])
        # a fixed-width array read by numpy: no Python lists, no exploded copy (a missing task score
        # comes out as NaN, so the sums below disagree and the task matrix is not used). Kept in the
        # warehouse's small integers and column-major: the signs read it task by task, and a row-major
        # int64 matrix made every column read the whole of it
        mat = np.asfortranarray(
            df["task_scores"].list.to_array(n_tasks).to_numpy().reshape(df.height, n_tasks)
        )
        if tk.height == n_tasks:
            max_points = tk["max_points"].cast(pl.Int64).to_numpy()
            levels = tk["level"].to_list()
        else:
            max_points = mat.max(0)
        if mat.size and ((mat < 0).any() or (mat > max_points[None, :]).any()):
            mat = np.asfortranarray(np.clip(mat, 0, max_points[None, :]))
        if (mat.sum(1) == total).all() and (max_points > 0).all():
            tasks = mat
        else:
            max_points = levels = None
    return Unit(
        procedure=procedure,
        year=year,
        subject=subject,
        grade=grade,
        school_ids=[str(s) for s in school_ids],
        school=school.astype(np.int64),
        total=total.astype(np.int64),
        max_score=max_score,
        cuts=cuts,
        mark=mark.astype(np.int64),
        journal=journal.astype(np.int64),
        tasks=tasks,
        max_points=max_points,
        levels=levels,
    )


def _units(inputs: Inputs, config: Mapping[str, Any], year: int | None = None) -> list[tuple[str, str, int]]:
    keys = (
        inputs.results.filter(pl.col("year") == (inputs.year if year is None else year))
        .filter(pl.col("procedure").is_in(list(config["procedures"])))
        .select("procedure", "subject", "grade")
        .unique()
        .collect()
        .sort("procedure", "subject", "grade")
    )
    return [(p, s, int(g)) for p, s, g in keys.iter_rows()]
