"""API of the needs register (a django-ninja ``Router`` the lead engineer mounts, e.g. at
``/api/resources/``): a school's needs and the support decisions, scoped exactly like the pages."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema
from ninja.pagination import paginate

from shnor.web.apipages import PageRows, Pages
from shnor.web.registry.models import School
from shnor.web.resources import selectors as sel

router = Router(tags=["Потребности и адресная поддержка"])

ID = {"ge": 1, "le": 2**63 - 1}
YEAR = {"ge": 2000, "le": 2100}
TEXT = {"max_length": 200, "pattern": r"^[^\x00]*$"}


class StaffNeedOut(Schema):
    """A vacancy: the specialist (code and name), subject, rates needed and vacant."""

    specialist: str
    specialist_label: str
    subject: str
    other: str
    rates_needed: float
    rates_vacant: float
    note: str


class EquipmentNeedOut(Schema):
    """An equipment need."""

    item: str
    quantity: int
    cost: float
    purpose: str


class NeedsOut(Schema):
    """A school's needs of a year."""

    school_id: str
    year: int
    staff: list[StaffNeedOut]
    equipment: list[EquipmentNeedOut]
    vacant_total: float
    equipment_total: float


class ExecutionOut(Schema):
    """An execution record."""

    date: date
    spent: float
    note: str


class DecisionOut(Schema):
    """A support decision with its execution."""

    id: int
    school_id: str
    year: int
    purpose: str
    amount: float
    source: str
    decided_on: date
    document: str
    status: str
    status_label: str
    spent: float
    executions: list[ExecutionOut]


@router.get("/needs/{school_id}", response=NeedsOut, summary="Потребности школы за год")
def needs(request: HttpRequest, school_id: str = Path(..., **TEXT), year: int = Query(..., **YEAR)) -> dict:
    """The visible school's staff and equipment needs of ``year`` (404 for other schools)."""
    school = get_object_or_404(School.objects.visible_to(request.user), school_id=school_id)
    view = sel.school_view(user=request.user, school=school, year=year)
    return {
        "school_id": school.school_id,
        "year": year,
        "staff": [
            {
                "specialist": n.specialist,
                "specialist_label": n.get_specialist_display(),
                "subject": n.subject,
                "other": n.other,
                "rates_needed": float(n.rates_needed),
                "rates_vacant": float(n.rates_vacant),
                "note": n.note,
            }
            for n in view["staff"]
        ],
        "equipment": [
            {"item": n.item, "quantity": n.quantity, "cost": float(n.cost), "purpose": n.purpose}
            for n in view["equipment"]
        ],
        "vacant_total": float(view["vacant_total"]),
        "equipment_total": float(view["equipment_total"]),
    }


@router.get("/decisions", response=list[DecisionOut], summary="Решения об адресной поддержке")
@paginate(Pages)
def decisions(
    request: HttpRequest,
    year: int | None = Query(None, **YEAR),
    municipality: int | None = Query(None, **ID),
    school_id: str | None = Query(None, **TEXT),
) -> PageRows:
    """The decisions the user sees (of a year, a municipality or a school when given), newest first, a page
    at a time (the executions of the page's decisions only)."""
    qs = sel.decisions_visible(user=request.user, year=year).order_by("-decided_on", "-id")
    if municipality is not None:
        qs = qs.filter(school__municipality_id=municipality)
    if school_id:
        qs = qs.filter(school__school_id=school_id)
    return PageRows(qs.prefetch_related("executions"), _decision_out)


def _decision_out(d) -> dict:
    ex = list(d.executions.all())
    return {
        "id": d.pk,
        "school_id": d.school.school_id,
        "year": d.year,
        "purpose": d.purpose,
        "amount": float(d.amount),
        "source": d.source,
        "decided_on": d.decided_on,
        "document": d.document,
        "status": d.status,
        "status_label": d.get_status_display(),
        "spent": float(sum(e.spent for e in ex)),
        "executions": [{"date": e.date, "spent": float(e.spent), "note": e.note} for e in ex],
    }
