"""Reads of external evaluation: the criteria in force, visible evaluations, rights, the experts one may
assign, the scores by section and a school's latest conclusion."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from shnor.core.evaluation import CriteriaSet, SectionScore, criteria_load, section_scores
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.evaluation.models import Evaluation, EvaluationStatus, Review
from shnor.web.registry.models import School

#: Roles that may be assigned as experts (observers only read; schools never judge themselves).
EXPERT_ROLES = (Role.REGION, Role.MUNICIPALITY, Role.CURATOR)


def criteria_set() -> CriteriaSet:
    """The shipped criteria with the region's file merged over them: the setting
    ``SHNOR_EVALUATION_CRITERIA`` (or the environment variable of that name) names the file."""
    path = getattr(settings, "SHNOR_EVALUATION_CRITERIA", None) or os.environ.get("SHNOR_EVALUATION_CRITERIA")
    return criteria_load(Path(path) if path else None)


def evaluations_visible(*, user: User) -> QuerySet[Evaluation]:
    """Evaluations of the schools the user sees."""
    return Evaluation.objects.visible_to(user).select_related("school", "school__municipality", "lead_expert")


def can_assign(*, user: User, school: School) -> bool:
    """Region analysts (and superusers) assign evaluations of the schools of their scope."""
    scope = scope_of(user)
    return scope.sees_rows and (scope.superuser or scope.can_import) and scope.sees(school)


def can_assign_any(*, user: User) -> bool:
    """Whether the user assigns evaluations at all (region analysts and superusers)."""
    scope = scope_of(user)
    return scope.sees_rows and (scope.superuser or scope.can_import)


def is_expert(*, user: User, evaluation: Evaluation) -> bool:
    """True when ``user`` is one of the evaluation's experts."""
    return bool(getattr(user, "pk", None)) and evaluation.experts.filter(pk=user.pk).exists()


def can_review(*, user: User, evaluation: Evaluation) -> bool:
    """An assigned expert fills the criteria form until the conclusion is made."""
    return evaluation.status != EvaluationStatus.DONE and is_expert(user=user, evaluation=evaluation)


def can_conclude(*, user: User, evaluation: Evaluation) -> bool:
    """The lead expert or the region (who assigned it) makes the final conclusion."""
    if evaluation.status == EvaluationStatus.DONE:
        return False
    lead = evaluation.lead_expert_id is not None and evaluation.lead_expert_id == getattr(user, "pk", None)
    return lead or can_assign(user=user, school=evaluation.school)


def can_feed_roadmap(*, user: User, evaluation: Evaluation) -> bool:
    """After the conclusion, the region or the lead expert puts its recommendations into the roadmap."""
    if evaluation.status != EvaluationStatus.DONE or not evaluation.recommendations:
        return False
    lead = evaluation.lead_expert_id is not None and evaluation.lead_expert_id == getattr(user, "pk", None)
    return lead or can_assign(user=user, school=evaluation.school)


def sees_reviews(*, user: User, evaluation: Evaluation) -> bool:
    """The experts' own forms are read by the region, the municipality and the experts; the school sees
    the final conclusion only."""
    scope = scope_of(user)
    return (
        scope.superuser
        or scope.region_wide
        or scope.role == Role.MUNICIPALITY
        or is_expert(user=user, evaluation=evaluation)
    )


def expert_candidates(*, school: School) -> QuerySet[Any]:
    """Active users who may be assigned to evaluate ``school``: region analysts of its region, the
    coordinators of its municipality and its curators."""
    users = get_user_model().objects.filter(is_active=True, profile__role__in=EXPERT_ROLES)
    region_id = school.region_id or (school.municipality.region_id if school.municipality_id else None)
    return (
        users.filter(
            Q(profile__role=Role.REGION, profile__region_id=region_id)
            | Q(profile__role=Role.MUNICIPALITY, profile__municipality_id=school.municipality_id)
            | Q(profile__role=Role.CURATOR, profile__curated_schools=school)
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def user_label(user: Any) -> str:
    """A user as a methodologist reads it: full name, else login."""
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def reviews_submitted(evaluation: Evaluation) -> list[Review]:
    """The experts' forms marked filled."""
    return list(evaluation.reviews.filter(submitted=True).select_related("expert"))


def evaluation_scores(evaluation: Evaluation) -> list[SectionScore]:
    """Scores by section: the mean of the submitted forms per criterion, summed per section."""
    return section_scores(evaluation.form, [r.scores for r in reviews_submitted(evaluation)])


@dataclass(frozen=True)
class CriterionRow:
    """A criterion with each submitted expert's score label and comment (for the page and the exports)."""

    section: str
    code: str
    text: str
    scale: str
    guidance: str
    marks: list[tuple[str, str, str]]  # (expert, score label, comment)


def criterion_rows(evaluation: Evaluation) -> list[CriterionRow]:
    """Every criterion with what each expert gave."""
    form, reviews = evaluation.form, reviews_submitted(evaluation)
    rows = []
    for s in form.sections:
        for c in s.criteria:
            marks = [
                (user_label(r.expert), c.label_of(r.scores.get(c.code)), str(r.comments.get(c.code, "")))
                for r in reviews
            ]
            rows.append(CriterionRow(s.title, c.code, c.text, c.scale_label, c.guidance, marks))
    return rows


def school_latest_conclusion(*, user: User, school: School) -> Evaluation | None:
    """The school's latest finished evaluation the user sees."""
    return (
        evaluations_visible(user=user)
        .filter(school=school, status=EvaluationStatus.DONE)
        .order_by("-concluded_at", "-id")
        .first()
    )
