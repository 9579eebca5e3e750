"""Reads for the registry as frames the methods use."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db.models import Count, Q, QuerySet

from shnor.core.store import schema
from shnor.web.params import db_int
from shnor.web.registry.models import Municipality, School, SchoolContext


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


def text_match(field: str, q: str) -> Q:
    """Case-insensitive ``field`` contains ``q``, Cyrillic too on SQLite (whose LIKE folds ASCII only)."""
    variants = {q, q.lower(), q.upper(), q.capitalize(), q.title()}
    cond = Q()
    for v in variants:
        cond |= Q(**{f"{field}__icontains": v})
    return cond


def schools_search(
    *,
    schools: QuerySet[School],
    q: str = "",
    municipality_id: Any = None,
    kind: str = "",
    locality: str = "",
) -> QuerySet[School]:
    """Narrow an already scoped queryset by a text query (login or name) and filters."""
    if q:
        schools = schools.filter(Q(school_id__icontains=q) | text_match("name", q))
    if municipality_id not in (None, ""):
        mid = db_int(municipality_id)
        if mid is None:
            return schools.none()
        schools = schools.filter(municipality_id=mid)
    if kind:
        schools = schools.filter(kind=kind)
    if locality:
        schools = schools.filter(locality=locality)
    return schools.order_by("municipality__name", "school_id")


def in_region(region_id: int | None) -> Q:
    """Schools of a region: its own (no municipality) and those of its municipalities. The municipalities
    are a subquery, not a join: both halves use their index (the join made every query scan the whole
    registry, ~5 ms a time on a country's 40,000 schools)."""
    return Q(region_id=region_id) | Q(
        municipality_id__in=Municipality.objects.filter(region_id=region_id).values("pk")
    )


def school_kinds(*, schools: QuerySet[School]) -> list[str]:
    """The distinct school kinds among ``schools`` (for the filter)."""
    # order_by(): the model's ordering (school_id) would make every school a distinct row — the filter
    # listed a kind once per school, 0.9 MB of options on a country's school list
    kinds = schools.exclude(kind="").order_by().values_list("kind", flat=True).distinct()
    return sorted(k for k in kinds if k)


def school_contexts(*, school: School) -> list[SchoolContext]:
    """The school's yearly context records, newest first."""
    return list(school.contexts.order_by("-year"))


def municipality_summary(*, schools: QuerySet[School]) -> list[dict]:
    """Per municipality among ``schools``: name, id and number of schools."""
    return list(
        schools.exclude(municipality=None)
        .values("municipality_id", "municipality__name")
        .annotate(n=Count("id"))
        .order_by("municipality__name")
    )
