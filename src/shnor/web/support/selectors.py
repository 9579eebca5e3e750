"""Reads for support work. Every queryset starts from ``Model.objects.visible_to(user)`` (roadmaps through
the unit of their level, activities through their roadmap, evidence through its activity), never wider."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from shnor.core.reports.roadmap_export import RoadmapDocument, RoadmapRow
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.registry.models import School
from shnor.web.support.models import (
    OVERDUE,
    Activity,
    Level,
    Notice,
    PartnerAssignment,
    Roadmap,
    Status,
)


@dataclass(frozen=True)
class Access:
    """What a user may do with a roadmap (and its activities)."""

    view: bool = False
    edit: bool = False  # status, evidence, activities, header
    comment: bool = False


def roadmap_access(*, user: User, roadmap: Roadmap) -> Access:
    """View / edit / comment rights of ``user`` on ``roadmap`` (view = it is in the visible set).

    Edit: region analysts (their region), municipal coordinators (their municipality's roadmap and
    its schools'), school users (their school's), curators (assigned schools'). Teachers comment;
    observers only read.
    """
    scope = scope_of(user)
    if not scope.sees(roadmap):
        return Access()
    if scope.superuser:
        return Access(True, True, True)
    edit = False
    if scope.role == Role.REGION:
        edit = True
    elif scope.role == Role.MUNICIPALITY:
        edit = roadmap.level in (Level.MUNICIPALITY, Level.SCHOOL)
    elif scope.role in (Role.SCHOOL, Role.CURATOR):
        edit = roadmap.level == Level.SCHOOL
    comment = edit or (scope.role == Role.TEACHER and roadmap.level == Level.SCHOOL)
    return Access(True, edit, comment)


def roadmap_progress(*, roadmap: Roadmap, today: dt.date) -> dict[str, Any]:
    """Counts per state and the execution share (done / all activities not cancelled)."""
    counts = {"planned": 0, "in_progress": 0, "done": 0, "cancelled": 0, OVERDUE: 0}
    for a in roadmap.activities.only("status", "due_date"):
        counts[a.state(today)] += 1
    total = sum(counts.values()) - counts["cancelled"]
    share = counts["done"] / total if total else 0.0
    return {**counts, "total": total, "share": share, "percent": round(100 * share)}


def activities_deadlines(
    *, user: User, today: dt.date, days: int = 14, only_editable: bool = False
) -> dict[str, list[Activity]]:
    """``upcoming`` (due within ``days``) and ``overdue`` activities of the visible roadmaps."""
    qs = (
        Activity.objects.visible_to(user)
        .select_related("roadmap__school", "roadmap__municipality", "roadmap__region")
        .exclude(status__in=[Status.DONE, Status.CANCELLED])
        .exclude(due_date=None)
    )
    if only_editable:
        visible = Roadmap.objects.visible_to(user).select_related("region", "municipality", "school")
        ids = [r.pk for r in visible if roadmap_access(user=user, roadmap=r).edit]
        qs = qs.filter(roadmap_id__in=ids)
    overdue = list(qs.filter(due_date__lt=today).order_by("due_date", "id")[:200])
    upcoming = list(
        qs.filter(due_date__gte=today, due_date__lte=today + dt.timedelta(days=days)).order_by(
            "due_date", "id"
        )[:200]
    )
    return {"upcoming": upcoming, "overdue": overdue}


def notices_for(*, user: User, unread_only: bool = False) -> QuerySet[Notice]:
    """The user's in-app notices (about activities still visible to the user)."""
    visible = Activity.objects.visible_to(user)
    qs = Notice.objects.filter(user=user).filter(Q(activity=None) | Q(activity__in=visible))
    return qs.filter(read_at=None) if unread_only else qs


def roadmap_sections(*, roadmap: Roadmap) -> list[tuple[str, list[Activity]]]:
    """Activities grouped by section in order."""
    sections: dict[str, list[Activity]] = {}
    for a in roadmap.activities.select_related("parent__roadmap").order_by("position", "id"):
        sections.setdefault(a.section, []).append(a)
    return list(sections.items())


def roadmap_document(
    *, roadmap: Roadmap, with_status: bool = False, today: dt.date | None = None
) -> RoadmapDocument:
    """The roadmap as an export document (official table layout)."""
    today = today or dt.date.today()
    sections = []
    for section, acts in roadmap_sections(roadmap=roadmap):
        rows = []
        for a in acts:
            if a.status == Status.CANCELLED and not with_status:
                continue
            status = ""
            if with_status:
                status = a.state_label(today)
                if a.status == Status.DONE and a.done_at:
                    status += f" ({a.done_at:%d.%m.%Y})"
            rows.append(
                RoadmapRow(
                    number=a.number,
                    title=a.title,
                    period=a.period_text,
                    executor=a.executor,
                    co_executors=a.co_executors,
                    expected_result=a.expected_result,
                    target_group=a.target_group,
                    output_document=a.output_document,
                    status=status,
                )
            )
        if rows:
            sections.append((section, rows))
    title = (
        roadmap.title
        if roadmap.title.lower().startswith(("дорожная карта", "план", "комплекс"))
        else f"Дорожная карта {roadmap.title}"
    )
    return RoadmapDocument(
        title=title,
        subject=roadmap.owner_name,
        authority=roadmap.order_authority,
        order_number=roadmap.order_number,
        order_date=roadmap.order_date,
        appendix=roadmap.appendix,
        year=roadmap.year,
        sections=sections,
        with_status=with_status,
    )


def school_support_summary(*, user: User, school: School, today: dt.date) -> dict[str, Any]:
    """For the school card: the school's roadmaps (visible), progress, confirmed leader, curators, mentors."""
    if not scope_of(user).sees(school):
        return {}
    roadmaps = list(
        Roadmap.objects.visible_to(user)
        .select_related("region", "municipality", "school")
        .filter(level=Level.SCHOOL, school=school)
        .order_by("-year")
    )
    for r in roadmaps:
        r.progress = roadmap_progress(roadmap=r, today=today)
    partner = (
        PartnerAssignment.objects.visible_to(user)
        .select_related("school", "leader", "proposed_leader")
        .filter(school=school)
        .order_by("-year")
        .first()
    )
    return {
        "roadmaps": roadmaps,
        "partner": partner,
        "curators": list(school.curators.select_related("user").filter(role=Role.CURATOR)),
        "mentors": list(school.mentors.all()[:20]),
    }
