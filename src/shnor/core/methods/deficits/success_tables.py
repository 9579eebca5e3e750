"""Success tables: share of maximum points per class, school, municipality and region, by element."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from shnor.core.methods.deficits.elements import element_info, element_map
from shnor.core.methods.deficits.intervals import _moments, _with_interval
from shnor.core.methods.deficits.membership import _membership
from shnor.core.methods.deficits.schemas import DIMENSIONS, KEYS, NO_CLASS, SUCCESS_SCHEMA, UNITS
from shnor.core.methods.deficits.settings import _section
from shnor.core.methods.deficits.shares import class_sums
from shnor.core.store import schema

#: Grouping columns of every unit.
_LEVELS = {
    "class": ["region", "municipality_id", "school_id", "class_name"],
    "school": ["region", "municipality_id", "school_id"],
    "municipality": ["region", "municipality_id"],
    "region": ["region"],
}


def success(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    schools: pl.DataFrame | None = None,
    *,
    year: int | Sequence[int] | None = None,
    units: Sequence[str] = UNITS,
    dimensions: Sequence[str] = DIMENSIONS,
    procedures: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
    clusters: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Success (share of maximum points) per class, school, municipality and region, by every dimension.

    One row per unit × test × element (see ``SUCCESS_SCHEMA``); ``n_pupils`` counts present pupils
    with scores, ``sd`` is the SD of their shares, ``lower``/``upper`` the interval of the config.
    Municipality rows exist only for schools with a municipality in the registry.
    """
    sec = _section(config)
    bad = [u for u in units if u not in UNITS]
    if bad:
        raise ValueError(f"неизвестная единица {bad[0]!r}; допустимы {', '.join(UNITS)}")
    sums = class_sums(results, tasks, year=year, dimensions=dimensions, procedures=procedures)
    return _success_of_sums(
        sums, tasks, schools, units=units, dimensions=dimensions, sec=sec, clusters=clusters
    )


def _success_of_sums(
    sums: pl.DataFrame,
    tasks: pl.DataFrame,
    schools: pl.DataFrame | None,
    *,
    units: Sequence[str],
    dimensions: Sequence[str],
    sec: Mapping[str, Any],
    clusters: pl.DataFrame | None,
) -> pl.DataFrame:
    """``success`` from the per-class sums (``class_sums``) of its pupils."""
    info = element_info(element_map(tasks, dimensions), sec).drop(
        "skills", "kes_codes", "threshold_target", "threshold_min"
    )
    member = _membership(
        sums["school_id"], schools if schools is not None else schema.empty(schema.SCHOOLS), sec, clusters
    )
    sums = sums.join(member, on="school_id", how="left")
    el = [*KEYS, "dimension", "element"]
    agg = [
        pl.col("n").sum(),
        pl.col("s1").sum(),
        pl.col("s2").sum(),
        pl.col("school_id").n_unique().cast(pl.Int64).alias("n_schools"),
    ]
    parts = []
    for unit in units:
        by = _LEVELS[unit]
        frame = sums if unit != "municipality" else sums.filter(pl.col("municipality_id").is_not_null())
        g = frame.group_by([*el, *by]).agg(agg).with_columns(pl.lit(unit).alias("unit"))
        parts.append(g)
    out = pl.concat(parts, how="diagonal_relaxed")
    for col in ("municipality_id", "school_id", "class_name"):
        if col not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    mean, sd = _moments(pl.col("n").cast(pl.Float64), pl.col("s1"), pl.col("s2"))
    out = (
        out.with_columns(mean.alias("success"), sd.alias("sd"), pl.col("n").alias("n_pupils"))
        .join(info, on=el, how="left")
        .with_columns(
            pl.col("class_name").fill_null(pl.when(pl.col("unit") == "class").then(pl.lit(NO_CLASS)))
        )
    )
    out = _with_interval(out, sec)
    order = {u: i for i, u in enumerate(UNITS)}
    out = out.with_columns(pl.col("unit").replace_strict(order, return_dtype=pl.Int8).alias("_u"))
    out = out.sort(
        [
            *KEYS,
            "_u",
            "region",
            "municipality_id",
            "school_id",
            "class_name",
            "dimension",
            "element_order",
            "element",
        ],
        nulls_last=True,
    )
    return schema.conform(out, SUCCESS_SCHEMA)
