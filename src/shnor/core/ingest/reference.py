"""Mark scales (scales.csv) and task specifications (tasks.csv or the ФИС ОКО specification XLSX)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from shnor.core.ingest.columns import Column, Parsed, parse_table
from shnor.core.ingest.common import find_column, hints_from_name, number
from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import read_tables
from shnor.core.store import schema

PROCEDURE = Column("procedure", choices=("vpr", "oge", "ege", "rdr"))
SCALE_COLUMNS = [
    Column("year", "int", low=2000, high=2100),
    PROCEDURE,
    Column("subject"),
    Column("grade", "int", low=1, high=11),
    Column("max_score", "int", low=1),
    Column("min_3", "int", low=0),
    Column("min_4", "int", low=0),
    Column("min_5", "int", low=0),
]
TASK_COLUMNS = [
    Column("year", "int", low=2000, high=2100),
    PROCEDURE,
    Column("subject"),
    Column("grade", "int", low=1, high=11),
    Column("task"),  # the label printed on the test: "1", "5.1", "9(2)"
    Column("max_points", "int", low=0, high=100),
    Column("level", nullable=True, required=False, choices=("Б", "П", "В")),
    Column("task_no", "int", required=False, nullable=True, low=1),  # position; file order when absent
    Column("skill", nullable=True, required=False),
    Column("kes", nullable=True, required=False),
    Column("kt", nullable=True, required=False),
]


def read_scales(path: Path) -> Parsed:
    """scales.csv → SCALES frame; a scale whose bounds are not increasing is rejected."""
    parsed = parse_table(read_tables(Path(path))[0], SCALE_COLUMNS)
    f = parsed.frame
    bad = f.filter(
        ~(
            (pl.col("min_3") <= pl.col("min_4"))
            & (pl.col("min_4") <= pl.col("min_5"))
            & (pl.col("min_5") <= pl.col("max_score"))
        )
    )
    for row in bad.iter_rows(named=True):
        parsed.errors.append(
            RowError(
                Path(path).name,
                "",
                row["source_row"],
                "min_3",
                "границы отметок должны расти: min_3 ≤ min_4 ≤ min_5 ≤ max_score",
            )
        )
    parsed.frame = schema.conform(
        f.filter(~pl.col("source_row").is_in(bad["source_row"].to_list())), schema.SCALES
    )
    return parsed


def read_tasks(
    path: Path, *, year: int | None = None, subject: str | None = None, grade: int | None = None
) -> Parsed:
    """tasks.csv, or the ФИС ОКО task specification XLSX (№ КИМ | № | … | Уровень сложности | КЭС | КТ |
    Максимальный балл)."""
    path = Path(path)
    sheet = read_tables(path)[0]
    if find_column(sheet, "максимальный балл", prefix=True) is not None:
        return _read_spec(path, sheet, year=year, subject=subject, grade=grade)
    parsed = parse_table(sheet, TASK_COLUMNS)
    key = ["procedure", "year", "subject", "grade"]
    f = parsed.frame.with_columns(
        pl.col("task").alias("task_label"),
        pl.coalesce(pl.col("task_no"), pl.int_range(1, pl.len() + 1).over(key)).alias("task_no"),
    )
    dup = f.filter(pl.struct(*key, "task_no").is_duplicated())
    for r in dup.iter_rows(named=True):
        parsed.errors.append(
            RowError(
                path.name,
                sheet.name,
                r["source_row"],
                "task_no",
                "номер позиции задания повторяется",
                str(r["task_no"]),
            )
        )
    parsed.frame = schema.conform(f.sort(*key, "task_no"), schema.TASKS)
    return parsed


def _read_spec(path: Path, sheet, *, year: int | None, subject: str | None, grade: int | None) -> Parsed:  # type: ignore[no-untyped-def]
    hints = hints_from_name(path.name)
    y = year or hints.get("year")
    s = subject or hints.get("subject")
    g = grade or hints.get("grade")
    if y is None or s is None or g is None:
        missing = [n for n, v in (("--year", y), ("--subject", s), ("--grade", g)) if v is None]
        raise IngestError(
            f"{path.name}: спецификация не называет год, предмет и класс; укажите {', '.join(missing)}"
        )
    c_label = find_column(sheet, "№ КИМ", "номер ким")
    c_pos = find_column(sheet, "№", "номер")
    c_max = find_column(sheet, "максимальный балл", prefix=True)
    c_level = find_column(sheet, "уровень сложности", prefix=True)
    c_skill = find_column(sheet, "умения", prefix=True)
    c_kes = find_column(sheet, "код кэс", "кэс")
    c_kt = find_column(sheet, "код кт", "кт")
    if c_pos is None or c_max is None:
        raise IngestError(f"{path.name}: в спецификации нет столбцов «№» и «Максимальный балл»")

    def col(c: str | None) -> pl.Expr:
        return pl.col(c).str.strip_chars() if c else pl.lit(None, dtype=pl.String)

    raw = sheet.data.with_row_index("_idx").select(
        (pl.col("_idx") + 2).alias("source_row"),
        number(pl.col(c_pos)).alias("pos"),
        number(pl.col(c_max)).alias("max_points"),
        col(c_label).alias("task_label"),
        col(c_level).str.to_uppercase().alias("level"),
        col(c_skill).str.replace_all(r"\s+", " ").alias("skill"),
        col(c_kes).alias("kes"),
        col(c_kt).alias("kt"),
    )
    errors = [
        RowError(
            path.name,
            sheet.name,
            r["source_row"],
            "№ / Максимальный балл",
            "номер задания или максимальный балл не число",
        )
        for r in raw.filter(pl.col("pos").is_null() | pl.col("max_points").is_null()).iter_rows(named=True)
    ]
    ok = raw.filter(pl.col("pos").is_not_null() & pl.col("max_points").is_not_null())
    grouped = (
        ok.group_by("pos", maintain_order=True)
        .agg(
            pl.col("task_label").first(),
            pl.col("max_points").first(),
            pl.col("max_points").n_unique().alias("_nmax"),
            pl.col("level").first(),
            pl.col("skill").first(),
            pl.col("kes").drop_nulls().unique(maintain_order=True).str.join("; "),
            pl.col("kt").drop_nulls().unique(maintain_order=True).str.join("; "),
            pl.col("source_row").first(),
        )
        .sort("pos")
    )
    for r in grouped.filter(pl.col("_nmax") > 1).iter_rows(named=True):
        errors.append(
            RowError(
                path.name,
                sheet.name,
                r["source_row"],
                "Максимальный балл",
                "у задания разные максимальные баллы в разных строках",
            )
        )
    frame = grouped.select(
        pl.lit("vpr").alias("procedure"),
        pl.lit(int(y)).alias("year"),
        pl.lit(str(s)).alias("subject"),
        pl.lit(int(g)).alias("grade"),
        pl.col("pos").cast(pl.Int16).alias("task_no"),
        pl.col("task_label"),
        pl.col("max_points").cast(pl.Int8),
        pl.col("level"),
        pl.col("skill"),
        pl.col("kes").replace("", None),
        pl.col("kt").replace("", None),
    )
    return Parsed(
        frame=schema.conform(frame, schema.TASKS), errors=errors, warnings=[], rows_total=sheet.data.height
    )
