"""Reads for the registry as frames the methods use."""

from __future__ import annotations

import polars as pl

from shnor.core.store import schema
from shnor.web.registry.models import School, SchoolContext


def schools_frame() -> pl.DataFrame:
    """Every school with its municipality and region (SCHOOLS schema)."""
    rows = [
        {
            "school_id": s.school_id,
            "name": s.name,
            "municipality_id": s.municipality.code if s.municipality else None,
            "municipality": s.municipality.name if s.municipality else None,
            "region_id": s.region.code if s.region else None,
            "region": s.region.name if s.region else None,
            "kind": s.kind or None,
            "locality": s.locality or None,
            "pupils": s.pupils,
            "is_small": s.is_small,
            "latitude": s.latitude,
            "longitude": s.longitude,
            "website": s.website or None,
            "in_registry": s.in_registry,
        }
        for s in School.objects.select_related("municipality", "region")
    ]
    return (
        schema.conform(pl.DataFrame(rows, infer_schema_length=None), schema.SCHOOLS)
        if rows
        else schema.empty(schema.SCHOOLS)
    )


def context_frame() -> pl.DataFrame:
    """Every yearly context record (CONTEXT schema)."""
    fields = list(schema.CONTEXT_SHARES) + list(schema.CONTEXT_FLAGS)
    rows = list(SchoolContext.objects.values("year", "school__school_id", *fields))
    if not rows:
        return schema.empty(schema.CONTEXT)
    frame = pl.DataFrame(rows, infer_schema_length=None).rename({"school__school_id": "school_id"})
    return schema.conform(frame, schema.CONTEXT)
