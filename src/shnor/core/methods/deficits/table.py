"""The deficit table: every school and class × element of a year with its comparison and verdict."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.methods.deficits.block_table import _block_table
from shnor.core.methods.deficits.blocks import _blocks
from shnor.core.methods.deficits.elements import element_info, element_map
from shnor.core.methods.deficits.schemas import KEYS, TABLE_SCHEMA
from shnor.core.methods.deficits.settings import _section
from shnor.core.store import schema


def deficit_table(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    clusters: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every school and class × element of the year with success, interval, comparison and verdict.

    ``status``: ``deficit`` (by the configured rule), ``possible`` (below the comparison by at least
    the minimum gap but not significantly, or absolute "borderline"), ``ok``, ``insufficient`` (fewer
    than ``min_pupils``), ``no_comparison`` (relative rule with no comparison group large enough).
    Columns: ``TABLE_SCHEMA``.
    """
    sec = _section(config)
    year = inputs.year if year is None else int(year)
    parts = list(_table_parts(inputs, sec, year, clusters, only_deficits=False))
    if not parts:
        return schema.empty(TABLE_SCHEMA)
    return pl.concat(parts)


def _table_parts(
    inputs: Inputs, sec: Mapping[str, Any], year: int, clusters: pl.DataFrame | None, *, only_deficits: bool
) -> Iterator[pl.DataFrame]:
    """``deficit_table`` one test at a time (comparison groups never cross tests), in the table's order.

    The verdict is computed on slim numeric rows; the element texts are joined afterwards, and with
    ``only_deficits`` only onto the deficit rows (what ``run`` needs).
    """
    dims = list(sec["deficit_dimensions"])
    info_all = element_info(element_map(inputs.tasks, dims), sec)
    blocks = _blocks(
        inputs.results,
        inputs.tasks,
        year=year,
        dimensions=dims,
        procedures=sec["procedures"],
        school_ids=None,
        columns=("school_id", "class_name"),
    )
    done = []
    for b in blocks:
        info = info_all.filter(*(pl.col(k) == v for k, v in zip(KEYS, b.key, strict=True)))
        table = _block_table(b, info, inputs, sec, clusters, only_deficits=only_deficits)
        # sorted after the filter: only the rows kept are sorted
        table = table.with_columns(
            pl.col("unit").replace_strict({"school": 0, "class": 1}, return_dtype=pl.Int8).alias("_u")
        ).sort(
            [*KEYS, "school_id", "_u", "class_name", "dimension", "element_order", "element"], nulls_last=True
        )
        done.append((b.key, schema.conform(table, TABLE_SCHEMA)))
    # tests in the table's sort order (the rows inside a test are sorted already)
    for _, t in sorted(done, key=lambda kt: tuple((v is None, v) for v in kt[0])):
        yield t
