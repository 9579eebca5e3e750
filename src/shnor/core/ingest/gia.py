"""ГИА results (gia.csv: ОГЭ and ЕГЭ per pupil) → RESULTS rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from shnor.core.ingest.columns import Column, Parsed, parse_table
from shnor.core.ingest.common import pseudonymise
from shnor.core.ingest.errors import RowError
from shnor.core.ingest.tables import read_tables
from shnor.core.store import schema

GIA_COLUMNS = [
    Column("year", "int", low=2000, high=2100),
    Column("exam", choices=("oge", "ege", "огэ", "егэ")),
    Column("school_id"),
    Column("subject"),
    Column("student_code"),
    Column("primary_score", "int", low=0, high=200),
    Column("test_score", "int", required=False, nullable=True, low=0, high=100),
    Column("mark", "int", required=False, nullable=True, low=2, high=5),
    Column("below_min", "bool", required=False, nullable=True),
]


def read_gia(path: Path, *, pseudonym_key: bytes) -> Parsed:
    """gia.csv → RESULTS frame (procedure oge/ege, grade 9/11); ЕГЭ needs test_score, ОГЭ needs mark."""
    name = Path(path).name
    parsed = parse_table(read_tables(Path(path))[0], GIA_COLUMNS)
    f = parsed.frame.with_columns(
        pl.col("exam").str.to_lowercase().replace({"огэ": "oge", "егэ": "ege"}).alias("procedure"),
        pl.col("subject").str.to_lowercase(),
    )
    bad_ege = f.filter((pl.col("procedure") == "ege") & pl.col("test_score").is_null())
    bad_oge = f.filter((pl.col("procedure") == "oge") & pl.col("mark").is_null())
    for r in bad_ege.iter_rows(named=True):
        parsed.errors.append(
            RowError(name, "", r["source_row"], "test_score", "у ЕГЭ должен быть тестовый балл")
        )
    for r in bad_oge.iter_rows(named=True):
        parsed.errors.append(RowError(name, "", r["source_row"], "mark", "у ОГЭ должна быть отметка"))
    dup = f.filter(pl.struct("year", "procedure", "subject", "school_id", "student_code").is_duplicated())
    first = dup.group_by("year", "procedure", "subject", "school_id", "student_code").agg(
        pl.col("source_row").min().alias("_f")
    )
    for r in (
        dup.join(first, on=["year", "procedure", "subject", "school_id", "student_code"])
        .filter(pl.col("source_row") != pl.col("_f"))
        .iter_rows(named=True)
    ):
        parsed.errors.append(
            RowError(
                name,
                "",
                r["source_row"],
                "student_code",
                f"повтор ученика (строка {r['_f']})",
                r["student_code"],
            )
        )
    rejected = {e.row for e in parsed.errors}
    f = f.filter(~pl.col("source_row").is_in(list(rejected)))
    f = f.with_columns(
        pl.when(pl.col("procedure") == "oge").then(9).otherwise(11).alias("grade"),
        pl.lit(False).alias("absent"),
        pl.coalesce(pl.col("below_min"), pl.col("mark") == 2).alias("below_min"),
        pseudonymise(pseudonym_key, f["school_id"].to_list(), f["student_code"].to_list()),
        pl.lit("").alias("batch_id"),
    )
    parsed.frame = schema.conform(f, schema.RESULTS)
    parsed.rows_total = parsed.rows_total
    return parsed
