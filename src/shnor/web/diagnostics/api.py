"""API of people's development (django-ninja ``Router``; the lead engineer mounts it under /api/).

Read-only lists scoped exactly like the pages (``people_selectors``); dates as ISO in JSON.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from shnor.web.apipages import PageRows, Pages
from shnor.web.diagnostics import people_selectors as sel
from shnor.web.registry.models import School

router = Router(tags=["Развитие кадров и наставничество"])


class PersonOut(Schema):
    """A head, deputy, municipal specialist or methodist."""

    id: int
    full_name: str
    position: str
    position_label: str
    school_id: str | None
    municipality: str | None


class InternshipOut(Schema):
    """An internship or coaching practice."""

    id: int
    kind: str
    kind_label: str
    host_school_id: str
    topic: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    status_label: str
    outcome: str
    guests: list[PersonOut]


class MeetingOut(Schema):
    """An entry of a pair's meetings log."""

    held_on: dt.date
    note: str


class PairOut(Schema):
    """A mentoring pair."""

    id: int
    mentor: str
    mentor_school_id: str
    mentee: str
    mentee_school_id: str
    subject: str
    starts_on: dt.date
    ends_on: dt.date | None
    goals: str
    status: str
    status_label: str
    result: str
    meetings: list[MeetingOut]


class ReserveOut(Schema):
    """An entry of the reserve of heads."""

    id: int
    person: PersonOut
    position_aimed: str
    included_on: dt.date
    status: str
    status_label: str
    note: str


class EntryOut(Schema):
    """A competition entry with its result."""

    id: int
    competition: str
    year: int
    school_id: str
    programme: str
    place: int | None
    score: float | None
    decision: str


def _person(p) -> dict:
    return {
        "id": p.pk,
        "full_name": p.full_name,
        "position": p.position,
        "position_label": p.get_position_display(),
        "school_id": p.school.school_id if p.school_id else None,
        "municipality": p.municipality.name if p.municipality_id else None,
    }


def _internship(i) -> dict:
    return {
        "id": i.pk,
        "kind": i.kind,
        "kind_label": i.get_kind_display(),
        "host_school_id": i.host.school_id,
        "topic": i.topic,
        "starts_on": i.starts_on,
        "ends_on": i.ends_on,
        "status": i.status,
        "status_label": i.get_status_display(),
        "outcome": i.outcome,
        "guests": [_person(g) for g in i.guests.all()],
    }


def _pair(p) -> dict:
    return {
        "id": p.pk,
        "mentor": str(p.mentor),
        "mentor_school_id": p.mentor.school.school_id,
        "mentee": str(p.mentee),
        "mentee_school_id": p.mentee.school.school_id,
        "subject": p.subject,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "goals": p.goals,
        "status": p.status,
        "status_label": p.get_status_display(),
        "result": p.result,
        "meetings": [{"held_on": m.held_on, "note": m.note} for m in p.meetings.all()],
    }


def _reserve(r) -> dict:
    return {
        "id": r.pk,
        "person": _person(r.person),
        "position_aimed": r.position_aimed,
        "included_on": r.included_on,
        "status": r.status,
        "status_label": r.get_status_display(),
        "note": r.note,
    }


def _entry(e) -> dict:
    return {
        "id": e.pk,
        "competition": e.competition.title,
        "year": e.competition.year,
        "school_id": e.school.school_id,
        "programme": e.programme,
        "place": e.place,
        "score": e.score,
        "decision": e.decision,
    }


@router.get("/people/internships", response=list[InternshipOut], summary="Стажировки и коуч-практики")
@paginate(Pages)
def internships_list(request: HttpRequest) -> PageRows:
    """Internships the user sees (as on the page), newest first, a page at a time."""
    return PageRows(sel.internships_visible_to(user=request.user).order_by("-starts_on", "-id"), _internship)


@router.get("/people/mentoring", response=list[PairOut], summary="Наставнические пары")
@paginate(Pages)
def pairs_list(request: HttpRequest) -> PageRows:
    """Mentoring pairs the user sees, with their meetings log, newest first, a page at a time."""
    qs = sel.pairs_visible_to(user=request.user).prefetch_related("meetings").order_by("-starts_on", "-id")
    return PageRows(qs, _pair)


@router.get("/people/reserve", response=list[ReserveOut], summary="Кадровый резерв руководителей")
@paginate(Pages)
def reserve_list(request: HttpRequest) -> PageRows:
    """The reserve of heads within the user's scope, latest included first, a page at a time."""
    return PageRows(sel.reserve_visible_to(user=request.user).order_by("-included_on", "-id"), _reserve)


@router.get("/people/competition-entries", response=list[EntryOut], summary="Заявки на конкурсы программ")
@paginate(Pages)
def entries_list(request: HttpRequest) -> PageRows:
    """Competition entries of the schools the user sees, with results (by place), a page at a time."""
    return PageRows(sel.entries_visible_to(user=request.user).order_by("place", "-score", "id"), _entry)


class SchoolPeopleOut(Schema):
    """A school's «Развитие кадров» section."""

    school_id: str
    internships: list[InternshipOut]
    pairs: list[PairOut]
    reserve: list[ReserveOut]
    entries: list[EntryOut]


@router.get("/people/schools/{school_id}", response=SchoolPeopleOut, summary="Развитие кадров школы")
def school_people(request: HttpRequest, school_id: str) -> dict:
    """The school's internships, mentoring pairs, reserve and competition entries (404 outside scope)."""
    school = get_object_or_404(School.objects.visible_to(request.user), school_id=school_id[:64])
    d = sel.school_people(user=request.user, school=school)
    return {
        "school_id": school.school_id,
        "internships": [_internship(i) for i in d["internships"]],
        "pairs": [_pair(p) for p in d["pairs"]],
        "reserve": [_reserve(r) for r in d["reserve"]],
        "entries": [_entry(e) for e in d["entries"]],
    }
