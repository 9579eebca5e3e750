"""The method: a year's deficits with recommendations, persistence across years and evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.methods.deficits.evidence import _evidence_column
from shnor.core.methods.deficits.schemas import OUTPUT_SCHEMA, TABLE_SCHEMA
from shnor.core.methods.deficits.settings import _section
from shnor.core.methods.deficits.table import _table_parts
from shnor.core.methods.deficits.tracking import TRACKED, track
from shnor.core.recommendations import Library, attach, shipped_library
from shnor.core.store import schema


def deficits(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    clusters: pl.DataFrame | None = None,
    library: Library | None = None,
    table: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Deficit rows of one year with recommendations attached (no tracking, no evidence)."""
    sec = _section(config)
    lib = library or shipped_library()
    if table is not None:
        d = table.filter(pl.col("deficit"))
    else:
        y = inputs.year if year is None else int(year)
        parts = list(_table_parts(inputs, sec, y, clusters, only_deficits=True))
        d = pl.concat(parts) if parts else schema.empty(TABLE_SCHEMA)
    return attach(d, lib, max_entries=int(sec["recommendations"]["max_per_deficit"]))


def _previous(
    inputs: Inputs, sec: Mapping[str, Any], clusters: pl.DataFrame | None, library: Library
) -> pl.DataFrame:
    """Last year's school deficits, only the columns ``track`` reads.

    A school's verdict does not depend on its classes' rows (the comparison groups sum the schools),
    and ``track`` follows only schools, so the classes are left out of last year's table.
    """
    units = [u for u in sec["units"] if u == "school"]
    prev = deficits(inputs, {**sec, "units": units}, year=inputs.year - 1, clusters=clusters, library=library)
    return prev.select(TRACKED)


def run(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    clusters: pl.DataFrame | None = None,
    library: Library | None = None,
    table: pl.DataFrame | None = None,
    evidence: bool = True,
) -> pl.DataFrame:
    """Deficits of ``inputs.year`` (school and class × element), recommendations, persistence and evidence.

    Output columns: ``OUTPUT_SCHEMA``; one row per deficit, sorted by test, school, unit, element.
    ``evidence=False`` leaves the ``evidence`` column null (its columns are all in the row; a country
    year's texts are large and slow to write).
    """
    sec = _section(config)
    lib = library or shipped_library()
    cur = deficits(inputs, sec, clusters=clusters, library=lib, table=table)
    if bool(sec["tracking"].get("enabled", True)):
        cur = track(cur, _previous(inputs, sec, clusters, lib), lib)
    else:
        cur = cur.with_columns(
            pl.lit(None, dtype=pl.Boolean).alias("persists_grade"),
            pl.lit(None, dtype=pl.Boolean).alias("persists_cohort"),
        )
    if cur.height == 0:
        return schema.empty(OUTPUT_SCHEMA)
    if not evidence:
        return schema.conform(cur, OUTPUT_SCHEMA)
    # in slices: the Python strings of one slice at a time, not of every deficit row
    step = 100_000
    ev = pl.concat(
        [
            pl.Series("evidence", _evidence_column(cur.slice(i, step), sec), dtype=pl.String)
            for i in range(0, cur.height, step)
        ]
    )
    cur = cur.with_columns(ev)
    return schema.conform(cur, OUTPUT_SCHEMA)
