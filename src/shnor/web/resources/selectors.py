"""Reads of the needs register: a school's needs, decisions and young specialists; the summaries per
municipality (the region's view) and per school (a municipality's view), all scoped."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from shnor.web.accounts.scope import User
from shnor.web.registry.models import Municipality, School
from shnor.web.resources.models import (
    DecisionExecution,
    DecisionStatus,
    EquipmentNeed,
    Specialist,
    StaffNeed,
    SupportDecision,
    YoungSpecialist,
)

ZERO = Decimal("0")


def years(*, user: User) -> list[int]:
    """The years with any record the user sees, newest first."""
    found: set[int] = set()
    for model in (StaffNeed, EquipmentNeed, SupportDecision, YoungSpecialist):
        found |= set(model.objects.visible_to(user).values_list("year", flat=True).distinct())
    return sorted(found, reverse=True)


def school_view(*, user: User, school: School, year: int) -> dict[str, Any]:
    """The school's needs, decisions (with executions) and young specialists of ``year`` the user sees."""
    decisions = list(
        SupportDecision.objects.visible_to(user)
        .filter(school=school, year=year)
        .prefetch_related("executions")
    )
    for d in decisions:
        d.spent = sum((e.spent for e in d.executions.all()), ZERO)
    staff = list(StaffNeed.objects.visible_to(user).filter(school=school, year=year))
    equipment = list(EquipmentNeed.objects.visible_to(user).filter(school=school, year=year))
    return {
        "staff": staff,
        "equipment": equipment,
        "decisions": decisions,
        "young": list(YoungSpecialist.objects.visible_to(user).filter(school=school, year=year)),
        "vacant_total": sum((n.rates_vacant for n in staff), ZERO),
        "equipment_total": sum((n.cost for n in equipment), ZERO),
    }


def decisions_visible(*, user: User, year: int | None = None) -> QuerySet[SupportDecision]:
    """The decisions ``user`` may see (of ``year`` when given), with their schools."""
    qs = SupportDecision.objects.visible_to(user).select_related("school", "school__municipality")
    return qs.filter(year=year) if year is not None else qs


def _blank() -> dict[str, Any]:
    return {
        "vacant": {c: ZERO for c in Specialist.values},
        "vacant_total": ZERO,
        "equipment_cost": ZERO,
        "equipment_items": 0,
        "decisions": {s: {"count": 0, "amount": ZERO} for s in DecisionStatus.values},
        "decided_amount": ZERO,
        "spent": ZERO,
        "young": 0,
    }


def summary(*, user: User, year: int, municipality: Municipality | None = None) -> dict[str, Any]:
    """Rows of the summary: per municipality (``municipality`` None) or per school of it, and a total.

    Each row: vacant rates by specialist and in all, equipment cost, decisions (count, amount) by status,
    the decided amount (not cancelled), spent, the executed share and young specialists placed."""
    schools = School.objects.visible_to(user)
    if municipality is not None:
        schools = schools.filter(municipality=municipality)
    by_school = municipality is not None
    key = "school_id" if by_school else "school__municipality_id"
    rows: dict[Any, dict[str, Any]] = defaultdict(_blank)
    staff = StaffNeed.objects.filter(school__in=schools, year=year)
    for k, spec, vac in staff.values_list(key, "specialist").annotate(v=Sum("rates_vacant")):
        rows[k]["vacant"][spec] += vac or ZERO
        rows[k]["vacant_total"] += vac or ZERO
    eq = EquipmentNeed.objects.filter(school__in=schools, year=year)
    for k, cost, n in eq.values_list(key).annotate(c=Sum("cost"), n=Sum("quantity")):
        rows[k]["equipment_cost"] += cost or ZERO
        rows[k]["equipment_items"] += n or 0
    dec = SupportDecision.objects.filter(school__in=schools, year=year)
    for k, status, amount in dec.values_list(key, "status", "amount"):
        rows[k]["decisions"][status]["count"] += 1
        rows[k]["decisions"][status]["amount"] += amount
        if status != DecisionStatus.CANCELLED:
            rows[k]["decided_amount"] += amount
    ex = DecisionExecution.objects.filter(decision__in=dec).exclude(decision__status=DecisionStatus.CANCELLED)
    for k, spent in ex.values_list(f"decision__{key}").annotate(s=Sum("spent")):
        rows[k]["spent"] += spent or ZERO
    for k, n in _young_counts(schools, year, key):
        rows[k]["young"] += n
    units = (
        {s.pk: s for s in schools.order_by("school_id")}
        if by_school
        else {m.pk: m for m in Municipality.objects.filter(schools__in=schools).distinct().order_by("name")}
    )
    out = []
    for pk, unit in units.items():
        if pk in rows:
            out.append({"unit": unit, **_finish(rows[pk])})
    total = _blank()
    for r in rows.values():
        _add(total, r)
    return {"rows": out, "total": _finish(total), "by_school": by_school}


def _young_counts(schools: QuerySet[School], year: int, key: str) -> list[tuple[Any, int]]:
    counts: dict[Any, int] = defaultdict(int)
    for k in YoungSpecialist.objects.filter(school__in=schools, year=year).values_list(key, flat=True):
        counts[k] += 1
    return list(counts.items())


def _add(total: dict[str, Any], r: dict[str, Any]) -> None:
    for c, v in r["vacant"].items():
        total["vacant"][c] += v
    for s, v in r["decisions"].items():
        total["decisions"][s]["count"] += v["count"]
        total["decisions"][s]["amount"] += v["amount"]
    for k in ("vacant_total", "equipment_cost", "equipment_items", "decided_amount", "spent", "young"):
        total[k] += r[k]


def _finish(r: dict[str, Any]) -> dict[str, Any]:
    share = (r["spent"] / r["decided_amount"]) if r["decided_amount"] else None
    return {**r, "executed_share": share}


def specialist_columns() -> list[tuple[str, str]]:
    """The specialists as ``(code, label)`` for the summary's columns."""
    return list(Specialist.choices)


def status_columns() -> list[tuple[str, str]]:
    """The decision statuses as ``(code, label)``."""
    return list(DecisionStatus.choices)
