"""Reads for teacher diagnostics, all scoped through ``School.objects.visible_to``.

Individual teachers are personal data: a teacher sees only their own record, a school's director
(role ``school``) the teachers of the school, a superuser everyone. Municipality, region, curator
and observer users get aggregates per school and competence area only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from shnor.core.methods.indicators import teacher_threshold
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import Scope, User, scope_of
from shnor.web.diagnostics.models import CompetenceResult, Course, Enrolment, Teacher
from shnor.web.registry.models import School


def teachers_visible_to(*, user: User | Scope | None) -> QuerySet[Teacher]:
    """Teacher records the user may open one by one (own record; the director's school; superuser all).

    Not ``Teacher.objects.visible_to``: the records are personal data, so the role ladder of schools is
    narrowed further; other roles get aggregates over ``School.objects.visible_to`` only.
    """
    scope = scope_of(user)
    qs = Teacher.objects.select_related("school", "user")
    if scope.sees_all:
        return qs.all()
    if scope.role == Role.TEACHER:
        return qs.filter(user_id=scope.user_id, school__in=School.objects.visible_to(scope))
    if scope.role == Role.SCHOOL:
        return qs.filter(school__in=School.objects.visible_to(scope))
    return qs.none()


@dataclass(frozen=True)
class AreaResult:
    """A teacher's latest result in one subject × area with the deficit verdict."""

    subject: str
    area: str
    score: float
    max_score: float
    share: float
    threshold: float
    deficit: bool
    assessed_on: Any


def teacher_areas(*, teacher: Teacher, config: Mapping[str, Any] | None = None) -> list[AreaResult]:
    """The latest result per subject and area with its deficit flag (share below the area's threshold)."""
    latest: dict[tuple[str, str], CompetenceResult] = {}
    for r in teacher.results.order_by("assessed_on", "id"):
        latest[(r.subject, r.area)] = r
    out = []
    for (subject, area), r in sorted(latest.items()):
        thr = teacher_threshold(config, area)
        out.append(
            AreaResult(subject, area, r.score, r.max_score, r.share, thr, r.share < thr, r.assessed_on)
        )
    return out


def teacher_deficit_areas(*, teacher: Teacher, config: Mapping[str, Any] | None = None) -> list[AreaResult]:
    """Only the areas in deficit."""
    return [a for a in teacher_areas(teacher=teacher, config=config) if a.deficit]


def courses_for_area(*, area: str, subject: str = "") -> QuerySet[Course]:
    """Active catalogue courses covering ``area`` (case-insensitive), for the subject or any subject."""
    wanted = area.strip().lower()
    ids = [
        c.pk
        for c in Course.objects.filter(active=True)
        if wanted in {str(a).strip().lower() for a in c.areas}
        and (not c.subject or not subject or c.subject.lower() == subject.lower())
    ]
    return Course.objects.filter(pk__in=ids)


def competence_summary(
    *, schools: QuerySet[School], year: int | None = None, config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Aggregates over ``schools``, per school (teachers, diagnosed, with deficits, courses) and per area."""
    teachers = list(
        Teacher.objects.filter(school__in=schools).select_related("school").prefetch_related("results")
    )
    per_school: dict[int, dict[str, Any]] = {}
    areas: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "n_deficit": 0})
    completed = set(
        Enrolment.objects.filter(route__teacher__in=teachers, status=Enrolment.COMPLETED)
        .filter(**({"route__year": year} if year else {}))
        .values_list("route__teacher_id", flat=True)
    )
    n_diag = n_def = 0
    for t in teachers:
        row = per_school.setdefault(
            t.school_id,
            {"school": t.school, "teachers": 0, "diagnosed": 0, "with_deficits": 0, "completed": 0},
        )
        row["teachers"] += 1
        results = [r for r in t.results.all() if year is None or r.assessed_on.year == year]
        if results:
            row["diagnosed"] += 1
            n_diag += 1
            latest: dict[tuple[str, str], CompetenceResult] = {}
            for r in sorted(results, key=lambda r: (r.assessed_on, r.pk)):
                latest[(r.subject, r.area)] = r
            has_def = False
            for (_s, area), r in latest.items():
                areas[area]["n"] += 1
                if r.share < teacher_threshold(config, area):
                    areas[area]["n_deficit"] += 1
                    has_def = True
            if has_def:
                row["with_deficits"] += 1
                n_def += 1
        if t.pk in completed:
            row["completed"] += 1
    return {
        "n_teachers": len(teachers),
        "n_diagnosed": n_diag,
        "n_with_deficits": n_def,
        "n_completed": len(completed),
        "schools": sorted(per_school.values(), key=lambda r: r["school"].school_id),
        "areas": [{"area": a, **v} for a, v in sorted(areas.items(), key=lambda kv: -kv[1]["n_deficit"])],
    }


def teacher_facts(
    *, schools: QuerySet[School], year: int
) -> tuple[list[tuple[int, str]], set[int], list[dict[str, Any]]]:
    """For indicators: (teacher id, school login) pairs, ids diagnosed and courses completed in ``year``."""
    teachers = list(Teacher.objects.filter(school__in=schools).values_list("pk", "school__school_id"))
    diagnosed = set(
        CompetenceResult.objects.filter(teacher__school__in=schools, assessed_on__year=year).values_list(
            "teacher_id", flat=True
        )
    )
    completions = [
        {"teacher_id": e.route.teacher_id, "on_request": e.on_request, "at_risk": e.course.at_risk_pupils}
        for e in Enrolment.objects.filter(
            route__teacher__school__in=schools, status=Enrolment.COMPLETED
        ).select_related("route", "course")
        if (e.completed_on.year if e.completed_on else e.route.year) == year
    ]
    return teachers, diagnosed, completions
