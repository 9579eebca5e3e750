"""Pupil shares per element and their additive per-class sums, built block by block."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from shnor.core.methods.deficits.blocks import _block_class_sums, _block_shares, _blocks
from shnor.core.methods.deficits.schemas import DIMENSIONS, KEYS
from shnor.core.store import schema


def pupil_shares(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    procedures: Sequence[str] = (),
    school_ids: Sequence[str] | None = None,
    keep_pupil: bool = False,
) -> pl.LazyFrame:
    """Lazy (pupil × element) shares: points, max_points, school_id, class_name, [pupil_key], KEYS,
    dimension, element, share.

    A pupil's share of an element = the points of the element's tasks / their maximum. Absent pupils
    and rows whose list length differs from the task structure are left out.
    """
    cols = ("school_id", "class_name", "pupil_key") if keep_pupil else ("school_id", "class_name")
    parts = [
        _block_shares(b)
        for b in _blocks(
            results,
            tasks,
            year=year,
            dimensions=dimensions,
            procedures=procedures,
            school_ids=school_ids,
            columns=cols,
        )
    ]
    out_cols = ["points", "max_points", *cols, *KEYS, "dimension", "element", "share"]
    if not parts:
        return pl.LazyFrame(
            schema={
                "points": pl.Int32(),
                "max_points": pl.Int32(),
                **{c: pl.String() for c in cols},
                **{k: schema.RESULTS[k] for k in KEYS},
                "dimension": pl.String(),
                "element": pl.String(),
                "share": pl.Float64(),
            }
        )
    return pl.concat([p.select(out_cols) for p in parts]).lazy()


def class_sums(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    procedures: Sequence[str] = (),
) -> pl.DataFrame:
    """Additive per-class sums of pupil shares: KEYS, school_id, class_name, dimension, element, n, s1, s2."""
    parts = [
        _block_class_sums(b)
        for b in _blocks(
            results,
            tasks,
            year=year,
            dimensions=dimensions,
            procedures=procedures,
            school_ids=None,
            columns=("school_id", "class_name"),
        )
    ]
    if not parts:
        return pl.DataFrame(
            schema={
                **{k: schema.RESULTS[k] for k in KEYS},
                "school_id": pl.String(),
                "class_name": pl.String(),
                "dimension": pl.String(),
                "element": pl.String(),
                "n": pl.Int64(),
                "s1": pl.Float64(),
                "s2": pl.Float64(),
            }
        )
    return pl.concat(parts).sort(*KEYS, "school_id", "class_name", "dimension", "element", nulls_last=True)
