"""Reads of people's development (heads and specialists, internships, mentoring, the reserve, contests).

Every read narrows the scoped models by ``visible_to`` and then by role: a school's director sees the
school's own records, a teacher only the mentoring pairs they are part of; region, municipality,
curator and observer users see their scope. Host schools for internships are suggested from schools
not on the ШНОР list with the lowest share of «2» in their latest year (``membership`` decides the list).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from shnor.core.evidence.low_results import LowResultsEvidence
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import Scope, User, scope_of
from shnor.web.diagnostics.models import (
    Competition,
    CompetitionEntry,
    HeadReserve,
    Internship,
    MentoringPair,
    Person,
)
from shnor.web.identification import membership
from shnor.web.identification.history import run_latest
from shnor.web.identification.models import SchoolOutcome
from shnor.web.registry.models import School

#: Roles that record internships, persons, the reserve and competitions (within their scope).
RECORDERS = frozenset({Role.REGION, Role.MUNICIPALITY})


def can_record(user: User | Scope | None) -> bool:
    """Region analysts and municipality coordinators (and superusers) record people's development."""
    s = scope_of(user)
    if not s.sees_rows:
        return False
    if s.superuser:
        return True
    return (s.role == Role.REGION and s.region_id is not None) or (
        s.role == Role.MUNICIPALITY and s.municipality_id is not None
    )


def can_record_pairs(user: User | Scope | None) -> bool:
    """Mentoring pairs are recorded by the region, the municipality and the school's director."""
    s = scope_of(user)
    return can_record(s) or (s.sees_rows and s.role == Role.SCHOOL and s.school_id is not None)


def people_visible_to(*, user: User | Scope | None) -> QuerySet[Person]:
    """Heads and specialists the user sees (a school: its own staff; a teacher: none)."""
    s = scope_of(user)
    qs = Person.objects.visible_to(s).select_related("school", "municipality")
    if s.superuser:
        return qs
    if s.role == Role.SCHOOL:
        return qs.filter(school_id=s.school_id)
    if s.role == Role.TEACHER:
        return qs.none()
    return qs


def internships_visible_to(*, user: User | Scope | None) -> QuerySet[Internship]:
    """Internships hosted by or with guests from the user's scope (a school: hosted or its staff's)."""
    s = scope_of(user)
    qs = Internship.objects.visible_to(s).select_related("host").prefetch_related("guests__school")
    if s.superuser:
        return qs
    if s.role == Role.SCHOOL:
        own = Internship.objects.filter(Q(host_id=s.school_id) | Q(guests__school_id=s.school_id))
        return qs.filter(pk__in=own.values("pk"))
    if s.role == Role.TEACHER:
        return qs.none()
    return qs


def pairs_visible_to(*, user: User | Scope | None) -> QuerySet[MentoringPair]:
    """Mentoring pairs of the user's scope (a teacher: the pairs they are mentor or mentee in)."""
    s = scope_of(user)
    qs = MentoringPair.objects.visible_to(s).select_related("mentor__school", "mentee__school")
    if s.acts_as(Role.TEACHER):
        return qs.filter(Q(mentor__user_id=s.user_id) | Q(mentee__user_id=s.user_id))
    return qs.prefetch_related("meetings")


def reserve_visible_to(*, user: User | Scope | None) -> QuerySet[HeadReserve]:
    """The reserve of heads within the user's scope (a school: its own staff; a teacher: none)."""
    s = scope_of(user)
    qs = HeadReserve.objects.visible_to(s).select_related("person__school", "person__municipality")
    if s.superuser:
        return qs
    if s.role == Role.SCHOOL:
        return qs.filter(person__school_id=s.school_id)
    if s.role == Role.TEACHER:
        return qs.none()
    return qs


def competitions_visible_to(*, user: User | Scope | None) -> QuerySet[Competition]:
    """Competitions of the user's region and municipality."""
    return Competition.objects.visible_to(user).select_related("municipality")


def entries_visible_to(*, user: User | Scope | None) -> QuerySet[CompetitionEntry]:
    """Competition entries of the schools the user sees."""
    return CompetitionEntry.objects.visible_to(user).select_related("school", "competition")


def listed_school_ids() -> set[int]:
    """The schools of the current ШНОР list (the approved list, else the latest finished run)."""
    run = run_latest()
    if run is None:
        return set()
    return set(membership.members(membership.basis_of(kind="low_results", run=run)))


@dataclass(frozen=True)
class HostSuggestion:
    """A school off the ШНОР list with good results: the share of «2» in its latest year."""

    school: School
    share_fails: float
    year: int


def host_suggestions(*, user: User | Scope | None, limit: int = 10) -> list[HostSuggestion]:
    """Schools the user sees, not on the ШНОР list, with the lowest mean share of «2» in their latest year."""
    run = run_latest()
    if run is None:
        return []
    listed = listed_school_ids()
    rows = (
        SchoolOutcome.objects.filter(
            run=run, method=SchoolOutcome.LOW_RESULTS, school__in=School.objects.visible_to(user)
        )
        .exclude(school_id__in=listed)
        .select_related("school")
    )
    out = []
    for o in rows:
        units = [u for u in LowResultsEvidence.parse(o.data).risk_units if u.share is not None and u.year]
        if not units:
            continue
        last = max(u.year for u in units if u.year)
        shares = [float(u.share) for u in units if u.year == last and u.share is not None]
        out.append(HostSuggestion(o.school, sum(shares) / len(shares), last))
    out.sort(key=lambda h: (h.share_fails, h.school.school_id))
    return out[:limit]


def school_people(*, user: User | Scope | None, school: School) -> dict:
    """What the school's «Развитие кадров» section shows: its staff's internships, pairs, reserve, entries."""
    return {
        "internships": internships_visible_to(user=user)
        .filter(Q(host=school) | Q(guests__school=school))
        .distinct(),
        "pairs": pairs_visible_to(user=user).filter(Q(mentee__school=school) | Q(mentor__school=school)),
        "reserve": reserve_visible_to(user=user).filter(person__school=school),
        "entries": entries_visible_to(user=user).filter(school=school),
    }
