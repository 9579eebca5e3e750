"""Reads of interviews: the visible interviews and corrections, rights, the risk factors in force, the
school's roadmap of a year and its activities (what a correction may point at)."""

from __future__ import annotations

from django.db.models import QuerySet

from shnor.core.roadmaps import risk as risk_core
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.interviews.models import Correction, CorrectionStatus, Interview
from shnor.web.registry.models import School
from shnor.web.support.models import Activity, Level, Roadmap

#: Who holds interviews and proposes corrections (within their scope).
CONDUCTORS = (Role.REGION, Role.MUNICIPALITY)
OPEN = (CorrectionStatus.PROPOSED, CorrectionStatus.DISCUSSED)


def risk_factors() -> list[tuple[str, str]]:
    """(code, title) of the risk factors of the questionnaire in force."""
    return [(f.code, f.title) for f in risk_core.questionnaire_default().factors]


def interviews_visible(*, user: User) -> QuerySet[Interview]:
    """Interviews of the schools the user sees."""
    return Interview.objects.visible_to(user).select_related("school", "school__municipality")


def corrections_visible(*, user: User) -> QuerySet[Correction]:
    """Corrections of the interviews the user sees."""
    return Correction.objects.visible_to(user).select_related(
        "interview", "interview__school", "activity", "roadmap"
    )


def can_conduct(*, user: User, school: School) -> bool:
    """Region analysts and the school's municipality hold interviews and propose, revise or withdraw
    corrections; observers only read."""
    scope = scope_of(user)
    if not scope.sees_rows or not scope.sees(school):
        return False
    return (
        scope.superuser or (scope.role == Role.REGION and scope.can_import) or scope.role == Role.MUNICIPALITY
    )


def can_conduct_any(*, user: User) -> bool:
    """Whether the user holds interviews at all."""
    scope = scope_of(user)
    return scope.sees_rows and (
        scope.superuser or (scope.role == Role.REGION and scope.can_import) or scope.role == Role.MUNICIPALITY
    )


def can_answer(*, user: User, interview: Interview) -> bool:
    """The school itself (its director's account) accepts or discusses the corrections."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return False
    return scope.superuser or (scope.role == Role.SCHOOL and scope.school_id == interview.school_id)


def can_comment(*, user: User, interview: Interview) -> bool:
    """The school and those who held the interview write in the discussion."""
    return can_answer(user=user, interview=interview) or can_conduct(user=user, school=interview.school)


def school_roadmap(*, school: School, year: int) -> Roadmap | None:
    """The school's roadmap of ``year`` (None when it has none yet)."""
    return Roadmap.objects.filter(level=Level.SCHOOL, school=school, year=year).first()


def roadmap_activities(*, school: School, year: int) -> QuerySet[Activity]:
    """The activities of the school's roadmap of ``year`` (none without a roadmap)."""
    roadmap = school_roadmap(school=school, year=year)
    if roadmap is None:
        return Activity.objects.none()
    return roadmap.activities.order_by("position", "id")


def open_corrections(*, user: User, school: School) -> QuerySet[Correction]:
    """The school's corrections still waiting for an answer (proposed or under discussion)."""
    return corrections_visible(user=user).filter(interview__school=school, status__in=OPEN)


def roadmap_corrections(*, user: User, roadmap: Roadmap) -> list[Correction]:
    """Corrections of a school roadmap: of the interviews of its school and year, newest first."""
    if roadmap.level != Level.SCHOOL or roadmap.school_id is None:
        return []
    return list(
        corrections_visible(user=user)
        .filter(interview__school_id=roadmap.school_id, interview__year=roadmap.year)
        .exclude(status=CorrectionStatus.WITHDRAWN)
        .order_by("-interview__held_on", "position", "id")
    )
