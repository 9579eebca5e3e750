"""Reads for report requests. Every queryset starts from ``Model.objects.visible_to(user)`` (a part
through its school or municipality, a request through its parts), narrowed for school-level roles to
schools' parts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet

from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.registry.models import Municipality, School
from shnor.web.submissions.models import (
    DELIVERED,
    LATE_LABEL,
    ReportRequest,
    Status,
    Submission,
    SubmissionNotice,
)

#: roles that act for schools: they see schools' parts only, never their municipality's
SCHOOL_LEVEL = (Role.SCHOOL, Role.TEACHER, Role.CURATOR)
#: the board's columns in order
BOARD_STATES = [
    ("new", Status.NEW.label),
    ("draft", Status.DRAFT.label),
    ("submitted", Status.SUBMITTED.label),
    ("returned", Status.RETURNED.label),
    ("accepted", Status.ACCEPTED.label),
    ("late", LATE_LABEL),
]


def can_request(*, user: User) -> bool:
    """Region analysts and municipality coordinators ask for reports (superusers too)."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return False
    return scope.superuser or (
        (scope.role == Role.REGION and scope.region_id is not None)
        or (scope.role == Role.MUNICIPALITY and scope.municipality_id is not None)
    )


def can_manage(*, user: User, request: ReportRequest) -> bool:
    """The requester side: the region's analysts for the region's requests, the municipality's coordinators
    for the municipality's."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return False
    if scope.superuser:
        return True
    if request.municipality_id is None:
        return scope.role == Role.REGION and scope.region_id == request.region_id
    return scope.role == Role.MUNICIPALITY and scope.municipality_id == request.municipality_id


def can_fill(*, user: User, submission: Submission) -> bool:
    """The recipient side: the school's users and curators for a school's part, the municipality's
    coordinators for a municipality's part (never observers, teachers or the requester)."""
    scope = scope_of(user)
    if not scope.sees_rows or scope.superuser:
        return False
    if submission.school_id:
        return (scope.role == Role.SCHOOL and scope.school_id == submission.school_id) or (
            scope.role == Role.CURATOR and submission.school_id in scope.curated_ids
        )
    return scope.role == Role.MUNICIPALITY and scope.municipality_id == submission.municipality_id


def parts_visible_to(*, user: User) -> QuerySet[Submission]:
    """Parts the user may see (school-level roles: only schools' parts; teachers none — reports are the
    administration's)."""
    qs = Submission.objects.visible_to(user)
    role = scope_of(user).role
    if role == Role.TEACHER and not scope_of(user).superuser:
        return qs.none()
    if role in SCHOOL_LEVEL:
        qs = qs.filter(school__isnull=False)
    return qs


def requests_visible_to(*, user: User) -> QuerySet[ReportRequest]:
    """Requests with a part the user may see."""
    parts = parts_visible_to(user=user)
    return ReportRequest.objects.visible_to(user).filter(pk__in=parts.values("request_id"))


def inbox(*, user: User, today: dt.date) -> list[Submission]:
    """The parts this user fills in (newest deadline first)."""
    parts = (
        parts_visible_to(user=user)
        .select_related("request__region", "request__municipality", "school", "municipality")
        .order_by("request__deadline", "id")
    )
    return [p for p in parts if can_fill(user=user, submission=p)]


def board(*, user: User, request: ReportRequest, today: dt.date) -> dict[str, Any]:
    """The status board: every visible part with its status (late when due and not delivered), dates and
    counts per state."""
    parts = list(
        parts_visible_to(user=user)
        .filter(request=request)
        .select_related("school", "municipality", "request")
        .order_by("school__name", "municipality__name", "id")
    )
    counts: Counter[str] = Counter(p.status_code(today) for p in parts)
    return {
        "parts": parts,
        "counts": [(code, label, counts.get(code, 0)) for code, label in BOARD_STATES],
        "total": len(parts),
        "late": counts.get("late", 0),
        "accepted": counts.get("accepted", 0),
    }


def board_counts(*, user: User, requests: list[ReportRequest], today: dt.date) -> dict[int, dict[str, int]]:
    """The board's counts of several requests in one query: per request id, the visible parts
    (``total``), the accepted and the late ones (as ``Submission.late``: the deadline passed and not
    delivered)."""
    late = Q(request__deadline__lt=today) & ~Q(status__in=DELIVERED)
    rows = (
        parts_visible_to(user=user)
        .filter(request__in=[r.pk for r in requests])
        .order_by()
        .values("request_id")
        .annotate(
            n_total=Count("pk"),
            n_accepted=Count("pk", filter=Q(status=Status.ACCEPTED)),
            n_late=Count("pk", filter=late),
        )
    )
    counts = {r.pk: {"total": 0, "accepted": 0, "late": 0} for r in requests}
    for row in rows:
        counts[row["request_id"]] = {
            "total": row["n_total"],
            "accepted": row["n_accepted"],
            "late": row["n_late"],
        }
    return counts


def recipient_choices(*, user: User) -> dict[str, QuerySet[Any]]:
    """Schools and municipalities the user may ask (a municipality: its schools, no municipalities)."""
    scope = scope_of(user)
    schools = (
        School.objects.visible_to(user).select_related("municipality").order_by("municipality__name", "name")
    )
    muns = Municipality.objects.visible_to(user).order_by("name")
    if scope.role == Role.MUNICIPALITY:
        schools = schools.filter(municipality_id=scope.municipality_id)
        muns = muns.none()
    return {"schools": schools, "municipalities": muns}


def listed_schools(*, user: User, year: int | None) -> QuerySet[School]:
    """The visible schools on the ШНОР list of ``year`` (the approved list, else the latest run's)."""
    from shnor.web.identification import membership
    from shnor.web.identification.models import MethodologyRun

    runs = MethodologyRun.objects.filter(status=MethodologyRun.DONE)
    if year:
        runs = runs.filter(year=year)
    run = runs.order_by("-year", "-finished_at", "-pk").first()
    schools = recipient_choices(user=user)["schools"]
    if run is None and year is None:
        return schools.none()
    basis = membership.basis_of(kind="low_results", run=run, year=year)
    return schools.filter(pk__in=membership.members(basis, schools))


def notices_for(*, user: User, unread_only: bool = True) -> QuerySet[SubmissionNotice]:
    """The user's reminders about parts still visible to them."""
    qs = SubmissionNotice.objects.filter(
        user=user, submission__in=parts_visible_to(user=user)
    ).select_related("submission__request")
    return qs.filter(read_at=None) if unread_only else qs


def pending_count(*, user: User, today: dt.date) -> int:
    """Parts this user still has to send (for the badge)."""
    return sum(
        1 for p in inbox(user=user, today=today) if p.status not in (Status.SUBMITTED, Status.ACCEPTED)
    )


def combined_data(*, user: User, request: ReportRequest, today: dt.date) -> dict[str, Any]:
    """Plain data of the combined document: the request, every visible part with status, the accepted parts
    with their text, figures and files."""
    b = board(user=user, request=request, today=today)
    rows = [
        {
            "recipient": p.recipient_name,
            "status": p.status_label(today),
            "submitted": f"{p.submitted_at:%d.%m.%Y}" if p.submitted_at else "—",
        }
        for p in b["parts"]
    ]
    accepted = [
        {
            "recipient": p.recipient_name,
            "text": p.text,
            "file_name": p.file_name,
            "summary": p.summary,
            "report_attached": bool(p.report),
        }
        for p in b["parts"]
        if p.status == Status.ACCEPTED
    ]
    return {
        "title": request.title,
        "kind": request.get_kind_display(),
        "requester": request.requester_name,
        "deadline": request.deadline,
        "instruction": request.instruction,
        "year": request.year,
        "rows": rows,
        "accepted": accepted,
        "generated": today,
    }
