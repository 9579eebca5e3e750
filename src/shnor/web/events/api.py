"""API of events (django-ninja ``Router``, mounted by ``web.api`` at ``/api/events/``): the events the user
sees with their attendance figures, one event's schools, the period summary. Scoped exactly as the pages."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema

from shnor.web.apipages import PageRows, paged
from shnor.web.events import selectors as sel
from shnor.web.events.labels import Kind

router = Router(tags=["Мероприятия"])


class EventOut(Schema):
    """One event with its attendance among the schools the user sees."""

    id: int
    kind: str
    kind_label: str
    title: str
    starts_at: str
    organiser: str
    organiser_level: str
    schools_targeted: int
    schools_attended: int
    people: int
    share: float | None


class SchoolAttendanceOut(Schema):
    """A target school of the event and whether it attended."""

    school_id: str
    name: str
    municipality: str
    attended: bool
    people: int


class EventDetailOut(EventOut):
    """An event with its schools."""

    schools: list[SchoolAttendanceOut]


class SummaryOut(Schema):
    """Events of a period: how many, by kind, schools targeted and attended, people."""

    events: int
    by_kind: dict[str, int]
    schools_targeted: int
    schools_attended: int
    people: int


def _out(request: HttpRequest, ev) -> tuple[dict, list]:
    rows = sel.event_rows(user=request.user, event=ev)
    stats = sel.event_stats(rows)
    return {
        "id": ev.pk,
        "kind": ev.kind,
        "kind_label": ev.get_kind_display(),
        "title": ev.title,
        "starts_at": ev.starts_at.isoformat(),
        "organiser": ev.organiser_name,
        "organiser_level": ev.organiser_level,
        "schools_targeted": stats["targets"],
        "schools_attended": stats["attended"],
        "people": stats["people"],
        "share": stats["share"],
    }, rows


@router.get("/", response=list[EventOut], summary="Мероприятия")
@paged
def events_list(
    request: HttpRequest,
    kind: Kind | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> PageRows:
    """The visible events (newest first), optionally of a kind and within a period, a page at a time (the
    schools' attendance counted for the page's events only; the list was cut at 500 events unsaid)."""
    qs = sel.events_filtered(user=request.user, kind=kind.value if kind else "", start=start, end=end)
    return PageRows(qs.order_by("-starts_at", "-id"), lambda ev: _out(request, ev)[0])


@router.get("/summary", response=SummaryOut, summary="Сводка мероприятий за период")
def events_summary(request: HttpRequest, start: dt.date, end: dt.date) -> dict:
    """What the quarterly report shows: events of the period, by kind, schools and people."""
    return sel.events_summary(user=request.user, start=start, end=end)


@router.get("/{event_id}", response=EventDetailOut, summary="Мероприятие и участие школ")
def event_detail(request: HttpRequest, event_id: int = Path(..., ge=1, le=2**63 - 1)) -> dict:
    """One visible event (404 for others) with its schools the user sees."""
    ev = get_object_or_404(sel.events_visible(user=request.user), pk=event_id)
    out, rows = _out(request, ev)
    out["schools"] = [
        {
            "school_id": r.school.school_id,
            "name": r.school.name,
            "municipality": r.school.municipality.name if r.school.municipality_id else "",
            "attended": r.attended,
            "people": r.people,
        }
        for r in rows
    ]
    return out
