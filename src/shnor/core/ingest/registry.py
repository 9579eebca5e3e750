"""The registry files: schools.csv and context.csv (FORMATS.md), parsed and checked."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from shnor.core.ingest.columns import Column, Parsed, parse_table, shares_to_unit
from shnor.core.ingest.tables import read_tables
from shnor.core.store import schema

SCHOOL_COLUMNS = [
    Column("school_id"),
    Column("name"),
    Column("municipality_id"),
    Column("municipality"),
    Column("region_id"),
    Column("region"),
    Column("kind", required=False, nullable=True),
    Column("locality", required=False, nullable=True, choices=("город", "село")),
    Column("pupils", "int", required=False, nullable=True, low=0),
    Column("is_small", "bool", required=False, nullable=True),
    Column("latitude", "float", required=False, nullable=True, low=-90, high=90),
    Column("longitude", "float", required=False, nullable=True, low=-180, high=180),
    Column("website", required=False, nullable=True),
]

CONTEXT_COLUMNS = [
    Column("year", "int", low=2000, high=2100),
    Column("school_id"),
    *[Column(c, "share", required=False, nullable=True, low=0, high=100) for c in schema.CONTEXT_SHARES],
    *[Column(c, "bool", required=False, nullable=True) for c in schema.CONTEXT_FLAGS],
]


def read_schools(path: Path) -> Parsed:
    """schools.csv → SCHOOLS frame (in_registry = True); a repeated school_id is an error."""
    parsed = parse_table(read_tables(Path(path))[0], SCHOOL_COLUMNS)
    f = parsed.frame.with_columns(pl.col("locality").str.to_lowercase(), pl.lit(True).alias("in_registry"))
    dup = f.filter(pl.col("school_id").is_duplicated())
    if dup.height:
        from shnor.core.ingest.errors import RowError

        first = f.group_by("school_id").agg(pl.col("source_row").min().alias("_first"))
        for r in (
            dup.join(first, on="school_id")
            .filter(pl.col("source_row") != pl.col("_first"))
            .iter_rows(named=True)
        ):
            parsed.errors.append(
                RowError(
                    Path(path).name,
                    "",
                    r["source_row"],
                    "school_id",
                    f"школа повторяется (первая запись в строке {r['_first']})",
                    r["school_id"],
                )
            )
        f = f.filter(pl.col("source_row").is_in(first["_first"].to_list()))
    parsed.frame = schema.conform(f, schema.SCHOOLS | {"source_row": pl.Int32()})
    return parsed


def read_context(path: Path) -> Parsed:
    """context.csv → CONTEXT frame; shares given in percent are converted to 0..1 per column."""
    parsed = parse_table(read_tables(Path(path))[0], CONTEXT_COLUMNS)
    frame, notes = shares_to_unit(parsed.frame, list(schema.CONTEXT_SHARES))
    parsed.warnings.extend(notes)
    parsed.frame = schema.conform(frame, schema.CONTEXT | {"source_row": pl.Int32()})
    return parsed
