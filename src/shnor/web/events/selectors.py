"""Reads of events: the visible events with filters, rights, an event's target vs attended schools, a
school's events, the summary for the quarterly report and the facts of the participation indicator.

Everything is scoped by ``visible_to``: an event is seen through its target schools, attendance through
its school. Figures count only what the user may see."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shnor.core.methods.indicators import FACTS_SCHEMA
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import Scope, User, scope_of
from shnor.web.events.labels import INDICATOR_CODE, Kind
from shnor.web.events.models import Event, Participant, SchoolAttendance
from shnor.web.registry.models import School

#: Roles that create events and mark any target school's attendance (within their scope).
ORGANISER_ROLES = (Role.REGION, Role.MUNICIPALITY)


def events_visible(*, user: User | Scope) -> QuerySet[Event]:
    """Events aimed at a school the user sees."""
    return Event.objects.visible_to(user).select_related("municipality", "region")


def events_filtered(
    *,
    user: User,
    kind: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    municipality_id: int | None = None,
) -> QuerySet[Event]:
    """The visible events of ``kind`` held within ``start``–``end`` for schools of ``municipality_id``."""
    qs = events_visible(user=user)
    if kind:
        qs = qs.filter(kind=kind)
    if start is not None:
        qs = qs.filter(starts_at__date__gte=start)
    if end is not None:
        qs = qs.filter(starts_at__date__lte=end)
    if municipality_id is not None:
        qs = qs.filter(target_schools__municipality_id=municipality_id).distinct()
    return qs


def can_create(*, user: User) -> bool:
    """Region analysts, municipality coordinators and superusers create events."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return False
    if scope.superuser:
        return True
    if scope.role == Role.REGION:
        return scope.can_import
    return scope.role == Role.MUNICIPALITY and scope.municipality_id is not None


def can_edit(*, user: User, event: Event) -> bool:
    """Who created the event edits it, the region analyst of its schools too; municipalities their own."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return False
    if scope.superuser:
        return True
    if scope.role == Role.REGION and scope.can_import:
        return True
    return (
        scope.role == Role.MUNICIPALITY
        and event.municipality_id is not None
        and event.municipality_id == scope.municipality_id
    )


def schools_markable(*, user: User, event: Event) -> QuerySet[School]:
    """The target schools whose attendance ``user`` marks: organisers all they see; a school only itself."""
    scope = scope_of(user)
    targets = event.target_schools.all()
    visible = School.objects.visible_to(user)
    if not scope.sees_rows:
        return School.objects.none()
    if scope.superuser or scope.role in ORGANISER_ROLES and (scope.role != Role.REGION or scope.can_import):
        return targets.filter(pk__in=visible.values("pk")).order_by("name", "school_id")
    if scope.role == Role.SCHOOL:
        return targets.filter(pk=scope.school_id)
    return School.objects.none()


def can_import(*, user: User, event: Event) -> bool:
    """Organisers load a platform's participants export for their event."""
    return can_edit(user=user, event=event)


@dataclass(frozen=True)
class SchoolRow:
    """One target school of an event and whether it came (and with how many people)."""

    school: School
    attended: bool
    people: int


def event_rows(*, user: User, event: Event) -> list[SchoolRow]:
    """The target schools the user sees, each with its attendance."""
    targets = School.objects.visible_to(user).filter(events_targeted=event).select_related("municipality")
    came = set(
        SchoolAttendance.objects.visible_to(user).filter(event=event).values_list("school_id", flat=True)
    )
    people = Counter(
        Participant.objects.visible_to(user).filter(event=event).values_list("school_id", flat=True)
    )
    return [
        SchoolRow(s, s.pk in came, people.get(s.pk, 0))
        for s in targets.order_by("municipality__name", "name")
    ]


def event_stats(rows: list[SchoolRow]) -> dict[str, Any]:
    """Targets, attended, missed, people and the attendance share (0..1, None without targets)."""
    total = len(rows)
    came = sum(1 for r in rows if r.attended)
    return {
        "targets": total,
        "attended": came,
        "missed": total - came,
        "people": sum(r.people for r in rows),
        "share": came / total if total else None,
    }


def event_chart(*, rows: list[SchoolRow]) -> dict[str, Any]:
    """The attendance by municipality as a stacked bar (Plotly JSON for the page's static script)."""
    by_mun: dict[str, list[int]] = {}
    for r in rows:
        name = r.school.municipality.name if r.school.municipality_id else "без муниципалитета"
        pair = by_mun.setdefault(name, [0, 0])
        pair[0 if r.attended else 1] += 1
    names = sorted(by_mun)
    return {
        "data": [
            {"type": "bar", "name": "приняли участие", "x": names, "y": [by_mun[n][0] for n in names]},
            {"type": "bar", "name": "не приняли участие", "x": names, "y": [by_mun[n][1] for n in names]},
        ],
        "layout": {
            "barmode": "stack",
            "yaxis": {"title": {"text": "школ"}},
            "margin": {"t": 20},
            "separators": ", ",
        },
    }


def participants_of(*, user: User, event: Event) -> QuerySet[Participant]:
    """The people from schools the user sees."""
    return (
        Participant.objects.visible_to(user)
        .filter(event=event)
        .select_related("school")
        .order_by("school__name", "full_name")
    )


def school_events(*, user: User, school: School, year: int | None = None) -> dict[str, Any]:
    """A school's events the user sees: attended, missed (held, not attended) and upcoming."""
    qs = events_visible(user=user).filter(target_schools=school)
    if year is not None:
        qs = qs.filter(starts_at__year=year)
    came = set(
        SchoolAttendance.objects.visible_to(user).filter(school=school).values_list("event_id", flat=True)
    )
    now = timezone.now()
    attended, missed, upcoming = [], [], []
    for ev in qs.order_by("-starts_at"):
        if ev.pk in came:
            attended.append(ev)
        elif ev.starts_at > now:
            upcoming.append(ev)
        else:
            missed.append(ev)
    return {
        "attended": attended,
        "missed": missed,
        "upcoming": upcoming,
        "total": len(attended) + len(missed),
    }


def activity_events(*, user: User, activity: Any) -> list[dict[str, Any]]:
    """The visible events implementing a roadmap activity, with their attendance figures."""
    out = []
    for ev in events_visible(user=user).filter(activities=activity).order_by("starts_at"):
        out.append({"event": ev, **event_stats(event_rows(user=user, event=ev))})
    return out


def events_summary(*, user: User, start: dt.date, end: dt.date) -> dict[str, Any]:
    """For the quarterly report: events held within ``start``–``end`` (inclusive) the user sees, by kind
    (Russian label → count), the schools targeted and attended, the people who took part."""
    events = events_filtered(user=user, start=start, end=end)
    ids = list(events.values_list("pk", flat=True))
    counts = dict(events.order_by().values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    by_kind = {label: counts[value] for value, label in Kind.choices if counts.get(value)}
    schools = School.objects.visible_to(user)
    targeted = schools.filter(events_targeted__in=ids).distinct().count()
    attended = (
        SchoolAttendance.objects.visible_to(user)
        .filter(event_id__in=ids)
        .values("school_id")
        .distinct()
        .count()
    )
    people = Participant.objects.visible_to(user).filter(event_id__in=ids).count()
    return {
        "events": len(ids),
        "by_kind": by_kind,
        "schools_targeted": targeted,
        "schools_attended": attended,
        "people": people,
    }


def events_facts(*, schools: QuerySet[School], year: int) -> pl.DataFrame:
    """Facts of «Доля школ из списков, принявших участие в мероприятиях»: each school counts 1 in the
    denominator and 1 in the numerator when it attended at least one event held in ``year`` (the
    indicator's population restricts it to the year's ШНОР/ШНСУ)."""
    ids = list(schools.values_list("pk", "school_id"))
    came = set(
        SchoolAttendance.objects.filter(
            school_id__in=[pk for pk, _ in ids], event__starts_at__year=year
        ).values_list("school_id", flat=True)
    )
    rows = [(INDICATOR_CODE, sid, float(pk in came), 1.0) for pk, sid in ids]
    if not rows:
        return pl.DataFrame(schema=FACTS_SCHEMA)
    return pl.DataFrame(rows, schema=FACTS_SCHEMA, orient="row")


def municipalities_of(*, user: User) -> list[tuple[int, str]]:
    """The municipalities of the user's schools (the list's filter)."""
    rows = (
        School.objects.visible_to(user)
        .filter(municipality__isnull=False)
        .values_list("municipality_id", "municipality__name")
        .distinct()
        .order_by("municipality__name")
    )
    return list(rows)


def visible_q(user: User) -> Q:
    """The events of the user as a filter (for joins from other models)."""
    return Q(pk__in=events_visible(user=user).values("pk"))
