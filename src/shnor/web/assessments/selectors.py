"""Reads for assessments: reference frames and lazy scans of the live warehouse batches."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
from django.conf import settings

from shnor.core.methods.indicators import FACTS_SCHEMA
from shnor.core.store import schema
from shnor.core.store.warehouse import Warehouse
from shnor.web.assessments.models import ImportBatch, Scale, TaskSpec


def scales_frame() -> pl.DataFrame:
    """All mark scales in the database (SCALES schema)."""
    rows = list(
        Scale.objects.values("procedure", "year", "subject", "grade", "max_score", "min_3", "min_4", "min_5")
    )
    return schema.conform(pl.DataFrame(rows), schema.SCALES) if rows else schema.empty(schema.SCALES)


def tasks_frame() -> pl.DataFrame:
    """All task specifications in the database (TASKS schema)."""
    rows = list(
        TaskSpec.objects.values(
            "procedure",
            "year",
            "subject",
            "grade",
            "task_no",
            "task_label",
            "max_points",
            "level",
            "skill",
            "kes",
            "kt",
        )
    )
    if not rows:
        return schema.empty(schema.TASKS)
    frame = pl.DataFrame(rows).with_columns(pl.col("level", "skill", "kes", "kt").replace("", None))
    return schema.conform(frame, schema.TASKS)


def batches_live() -> list[ImportBatch]:
    """The batches whose rows are current (not replaced)."""
    return list(ImportBatch.objects.filter(status=ImportBatch.ACTIVE).order_by("id"))


def results_scan() -> pl.LazyFrame:
    """A lazy frame over every live batch (RESULTS schema)."""
    return Warehouse(settings.HOME / "warehouse").scan(b.path for b in batches_live())


def rdr_fail_facts(*, school_ids: Iterable[str], year: int) -> pl.DataFrame:
    """Facts of the indicator ``rdr_fail`` (``FACTS_SCHEMA``): per school, pupils with «2» in the year's live
    РДР (numerator) of the pupils who wrote them with a mark (denominator)."""
    paths = [
        b.path
        for b in ImportBatch.objects.filter(status=ImportBatch.ACTIVE, procedure="rdr", year=year).order_by(
            "id"
        )
    ]
    ids = sorted(set(school_ids))
    if not paths or not ids:
        return schema.conform(pl.DataFrame(), FACTS_SCHEMA)
    frame = (
        Warehouse(settings.HOME / "warehouse")
        .scan(paths)
        .filter(
            (pl.col("procedure") == "rdr")
            & (pl.col("year") == year)
            & ~pl.col("absent").fill_null(False)
            & pl.col("mark").is_not_null()
            & pl.col("school_id").is_in(ids)
        )
        .group_by("school_id")
        .agg((pl.col("mark") == 2).sum().alias("numerator"), pl.len().alias("denominator"))
        .with_columns(pl.lit("rdr_fail").alias("indicator"))
        .collect()
    )
    return schema.conform(frame, FACTS_SCHEMA)


def rdr_school_results(*, school_id: str) -> list[dict[str, object]]:
    """The school's live РДР per year, subject and grade: pupils who wrote, with «2», share of «2», mean mark
    (newest year first)."""
    batches = list(ImportBatch.objects.filter(status=ImportBatch.ACTIVE, procedure="rdr").order_by("id"))
    if not batches:
        return []
    frame = (
        Warehouse(settings.HOME / "warehouse")
        .scan(b.path for b in batches)
        .filter(
            (pl.col("school_id") == school_id)
            & (pl.col("procedure") == "rdr")
            & ~pl.col("absent").fill_null(False)
            & pl.col("mark").is_not_null()
        )
        .group_by("year", "subject", "grade")
        .agg(
            pl.len().alias("wrote"),
            (pl.col("mark") == 2).sum().alias("fails"),
            pl.col("mark").cast(pl.Float64).mean().alias("mean_mark"),
        )
        .sort(["year", "subject", "grade"], descending=[True, False, False])
        .collect()
    )
    return [
        r
        | {
            "subject_name": schema.SUBJECTS.get(r["subject"], r["subject"]),
            "share": r["fails"] / r["wrote"],
            "mean_mark": round(r["mean_mark"], 2),
        }
        for r in frame.iter_rows(named=True)
    ]
