"""A case's life: opened for the schools on the objectivity list, the school's answer (with a file), the
region's decision with its reason, one appeal by the school and the decision that closes it.

Every step checks the actor's right through ``accounts.scope.Scope``, writes a ``CaseEvent`` and an
audit entry. A refused action raises ``PermissionDenied``, a bad input ``ValidationError`` (in Russian).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shnor.core.evidence import ObjectivityEvidence
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.cases.models import CaseAnswer, CaseEvent, CaseStatus, ObjectivityCase, Verdict
from shnor.web.identification.membership import basis_of, members
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.registry.models import School
from shnor.web.uploads import DOCUMENTS, upload_check

#: Allowed answer files: extension → the bytes such a file starts with (empty: a text file).
ANSWER_EXTENSIONS = DOCUMENTS


def answer_max_bytes() -> int:
    """Largest answer file (``SUPPORT_EVIDENCE_MAX_MB`` setting, as support's evidence; default 20 MB)."""
    return int(getattr(settings, "SUPPORT_EVIDENCE_MAX_MB", 20)) * 1024 * 1024


def _event(case: ObjectivityCase, actor: User, action: str, comment: str = "", **changes: Any) -> None:
    CaseEvent.objects.create(
        case=case, actor=actor if getattr(actor, "pk", None) else None, action=action, comment=comment
    )
    audit_record(
        action=f"дело о необъективности: {action}",
        object_type="дело о необъективности",
        object_id=str(case.pk),
        object_repr=str(case),
        changes=changes or None,
        user=actor,
    )


def _visible(actor: User, case: ObjectivityCase) -> None:
    if not ObjectivityCase.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise PermissionDenied("дело не найдено среди доступных вам школ")


def can_decide(actor: User) -> bool:
    """Region analysts (and superusers) decide; observers, municipalities and schools never."""
    scope = scope_of(actor)
    return scope.superuser or (scope.acts_as(Role.REGION) and scope.region_id is not None)


def can_answer(actor: User, case: ObjectivityCase) -> bool:
    """The school itself or its municipality answers, before the decision."""
    scope = scope_of(actor)
    if not scope.sees_rows:
        return False
    own = scope.acts_as(Role.SCHOOL) and scope.school_id == case.school_id
    mun = scope.acts_as(Role.MUNICIPALITY) and scope.municipality_id == case.school.municipality_id
    return scope.superuser or own or mun


def can_appeal(actor: User, case: ObjectivityCase) -> bool:
    """Only the school itself appeals, once, after a decision."""
    scope = scope_of(actor)
    own = scope.acts_as(Role.SCHOOL) and scope.school_id == case.school_id
    return (scope.superuser or own) and case.status == CaseStatus.DECIDED


def _signs_of(run: MethodologyRun | None, school_id: int) -> list[str]:
    if run is None:
        return []
    outcome = SchoolOutcome.objects.filter(
        run=run, school_id=school_id, method=SchoolOutcome.OBJECTIVITY
    ).first()
    if outcome is None:
        return []
    ev = ObjectivityEvidence.parse(outcome.data)
    return list(ev.significant or ev.sign_ids)


def cases_open(*, actor: User, year: int, run: MethodologyRun | None) -> list[ObjectivityCase]:
    """One case for every school on the objectivity list of ``year`` (the approved version, else ``run``'s
    computation) that has none yet, within the actor's scope; the signs come from the run's evidence."""
    if not can_decide(actor):
        raise PermissionDenied("открывать дела может только региональный аналитик")
    if run is not None and run.year != year:
        raise ValidationError(f"расчёт № {run.pk} сделан за {run.year} г., а не за {year} г.")
    basis = basis_of(kind="objectivity", run=run, year=year)
    schools = School.objects.visible_to(actor)
    pks = set(members(basis, schools))
    have = set(
        ObjectivityCase.objects.filter(year=year, school_id__in=pks).values_list("school_id", flat=True)
    )
    created = []
    with transaction.atomic():
        for school in School.objects.filter(pk__in=pks - have).order_by("school_id"):
            case = ObjectivityCase.objects.create(
                school=school, year=year, run=run, signs=_signs_of(run, school.pk)
            )
            _event(case, actor, "дело открыто", basis.caption, signs=case.signs)
            created.append(case)
    return created


def _check_file(upload: Any) -> tuple[str, int]:
    return upload_check(upload, max_bytes=answer_max_bytes(), allowed=ANSWER_EXTENSIONS)


def case_answer(*, actor: User, case: ObjectivityCase, text: str, file: Any = None) -> CaseAnswer:
    """The school's (or its municipality's) explanation, with an optional file; before the decision."""
    _visible(actor, case)
    if not can_answer(actor, case):
        raise PermissionDenied("ответ по делу даёт сама школа или её муниципалитет")
    if case.status not in (CaseStatus.OPEN, CaseStatus.ANSWERED):
        raise ValidationError(
            "решение по делу уже принято: ответ больше не принимается, школа может его обжаловать"
        )
    body = (text or "").strip()
    if not body:
        raise ValidationError("напишите текст ответа: чем школа объясняет признаки")
    with transaction.atomic():
        answer = CaseAnswer(case=case, author=actor, text=body)
        if file is not None:
            name, size = _check_file(file)
            answer.original_name, answer.size = name[:255], size
            answer.file.save(re.sub(r"[^0-9A-Za-z._-]+", "_", name)[-100:] or "file", file, save=False)
        answer.save()
        case.status = CaseStatus.ANSWERED
        case.save(update_fields=["status"])
        _event(case, actor, "получен ответ школы", body[:500], file=answer.original_name)
    return answer


def case_decide(*, actor: User, case: ObjectivityCase, verdict: str, reason: str) -> ObjectivityCase:
    """The region's decision with its reason; a decision on an appealed case closes it."""
    _visible(actor, case)
    if not can_decide(actor):
        raise PermissionDenied("решение по делу принимает только региональный аналитик")
    if verdict not in Verdict.values:
        raise ValidationError(f"неизвестное решение «{verdict}»: выберите одно из предложенных")
    why = (reason or "").strip()
    if not why:
        raise ValidationError("укажите основание решения: на чём оно основано")
    if case.status in (CaseStatus.DECIDED, CaseStatus.CLOSED):
        raise ValidationError("решение уже принято; новое решение возможно только после обжалования")
    appealed = case.status == CaseStatus.APPEALED
    with transaction.atomic():
        case.verdict, case.verdict_reason = verdict, why
        case.decided_by, case.decided_at = actor, timezone.now()
        case.status = CaseStatus.CLOSED if appealed else CaseStatus.DECIDED
        case.save()
        label = Verdict(verdict).label
        action = f"решение по обжалованию: {label}" if appealed else f"решение: {label}"
        _event(case, actor, action, why, verdict=verdict, status=case.status)
    return case


def case_appeal(*, actor: User, case: ObjectivityCase, text: str) -> ObjectivityCase:
    """The school appeals the decision once; the region's next decision closes the case."""
    _visible(actor, case)
    scope = scope_of(actor)
    if not (scope.superuser or (scope.acts_as(Role.SCHOOL) and scope.school_id == case.school_id)):
        raise PermissionDenied("обжаловать решение может только сама школа")
    if case.status != CaseStatus.DECIDED:
        raise ValidationError(
            "обжаловать можно только принятое решение, и только один раз"
            if case.status in (CaseStatus.APPEALED, CaseStatus.CLOSED)
            else "решение по делу ещё не принято"
        )
    body = (text or "").strip()
    if not body:
        raise ValidationError("напишите, с чем школа не согласна и почему")
    with transaction.atomic():
        case.status = CaseStatus.APPEALED
        case.save(update_fields=["status"])
        _event(case, actor, "решение обжаловано школой", body[:2000])
    return case
