"""Reads for assessments: reference frames and lazy scans of the live warehouse batches."""

from __future__ import annotations

import polars as pl
from django.conf import settings

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
