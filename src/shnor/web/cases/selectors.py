"""Reads for objectivity cases: the cases a user sees, the table of signs (raised, reviewed, confirmed),
a case's signs in plain sentences, the years that have cases."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import QuerySet

from shnor.core.evidence import ObjectivityEvidence
from shnor.core.evidence.plain import PlainSign, plain_signs
from shnor.core.labels import SIGN_LABELS
from shnor.web.accounts.scope import User
from shnor.web.cases.models import CaseStatus, ObjectivityCase, Verdict
from shnor.web.identification.models import SchoolOutcome
from shnor.web.identification.selectors import outcome_data_resolved
from shnor.web.registry.models import School

#: Statuses with a decision taken (the case was reviewed).
DECIDED = (CaseStatus.DECIDED, CaseStatus.APPEALED, CaseStatus.CLOSED)


def cases_visible(*, user: User, year: int | None = None) -> QuerySet[ObjectivityCase]:
    """The cases ``user`` may see (of ``year`` when given), with their schools."""
    qs = ObjectivityCase.objects.visible_to(user).select_related("school", "school__municipality")
    return qs.filter(year=year) if year is not None else qs


def case_years(*, user: User) -> list[int]:
    """The years with cases the user sees, newest first."""
    return sorted(set(cases_visible(user=user).values_list("year", flat=True)), reverse=True)


def sign_code(sign_id: str) -> str:
    """The sign of a sign id: ``bunching`` of ``bunching:vpr:ma:4``."""
    return str(sign_id).split(":")[0]


def sign_table(*, schools: QuerySet[School], year: int) -> list[dict[str, Any]]:
    """Per sign: in how many cases of ``year`` among ``schools`` it was raised, how many of them were
    reviewed (a decision taken) and in how many the signs were confirmed; most raised first."""
    raised: Counter[str] = Counter()
    reviewed: Counter[str] = Counter()
    confirmed: Counter[str] = Counter()
    cases = ObjectivityCase.objects.filter(year=year, school__in=schools).values_list(
        "signs", "status", "verdict"
    )
    for signs, status, verdict in cases:
        for code in {sign_code(s) for s in signs or ()}:
            raised[code] += 1
            reviewed[code] += status in DECIDED
            confirmed[code] += status in DECIDED and verdict == Verdict.CONFIRMED
    return [
        {
            "code": code,
            "label": SIGN_LABELS.get(code, code),
            "raised": n,
            "reviewed": reviewed[code],
            "confirmed": confirmed[code],
            "share_confirmed": confirmed[code] / reviewed[code] if reviewed[code] else None,
        }
        for code, n in sorted(raised.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def case_outcome(case: ObjectivityCase) -> SchoolOutcome | None:
    """The objectivity outcome of the case's run for its school (None without a run or a row)."""
    if case.run_id is None:
        return None
    return SchoolOutcome.objects.filter(
        run_id=case.run_id, school_id=case.school_id, method=SchoolOutcome.OBJECTIVITY
    ).first()


def case_signs(case: ObjectivityCase) -> list[PlainSign]:
    """The case's signs in plain sentences (``plain_signs`` of the run's evidence), significant first."""
    outcome = case_outcome(case)
    if outcome is None:
        return []
    data = outcome_data_resolved(outcome=outcome)
    raw = data.get("evidence")
    return plain_signs(ObjectivityEvidence.parse(data), raw=raw)


def school_case(*, user: User, school: School, year: int | None = None) -> ObjectivityCase | None:
    """The school's latest case the user sees (of ``year`` when given)."""
    qs = cases_visible(user=user).filter(school=school).order_by("-year")
    if year is not None:
        qs = qs.filter(year=year)
    return qs.first()
