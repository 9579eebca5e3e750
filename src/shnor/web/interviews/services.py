"""Writes of interviews: hold an interview (participants, findings by risk factor, summary), propose its
agreed changes as corrections of the school's roadmap, and the school's answer — accept (the change is
applied through the support services: ``activity_add`` / ``activity_update``) or discuss; the
municipality or the region revises or withdraws a correction.

Every service takes the acting user and checks the right (``selectors``); a refused action raises
``PermissionDenied``, a bad input ``ValidationError`` (in Russian); every write is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User
from shnor.web.interviews import selectors as sel
from shnor.web.interviews.models import (
    Correction,
    CorrectionComment,
    CorrectionKind,
    CorrectionStatus,
    FindingLevel,
    Interview,
    InterviewFormat,
)
from shnor.web.registry.models import School
from shnor.web.support.models import Activity, Status
from shnor.web.support.services import activity_add, activity_update

#: The roadmap section the added activities go to.
ROADMAP_SECTION = "Корректировка по итогам собеседования с управленческой командой"


def _audit(action: str, obj: Interview | Correction, changes: dict[str, Any], actor: User) -> None:
    audit_record(
        action=action,
        object_type="собеседование" if isinstance(obj, Interview) else "корректировка дорожной карты",
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes,
        user=actor if getattr(actor, "pk", None) else None,
    )


def _actor(actor: User) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _participants(rows: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    out = []
    for name, position in rows:
        if not name.strip():
            continue
        if len(name) > 300 or len(position) > 300:
            raise ValidationError(f"участник «{name[:40]}…»: имя и должность не длиннее 300 знаков")
        out.append({"name": name.strip(), "position": position.strip()})
    return out


def _findings(findings: Mapping[str, tuple[str, str]]) -> list[dict[str, str]]:
    factors = dict(sel.risk_factors())
    unknown = [c for c in findings if c not in factors]
    if unknown:
        raise ValidationError(f"в анкете нет факторов риска: {', '.join(unknown)}")
    out = []
    for code, title in factors.items():
        level, comment = findings.get(code, (FindingLevel.NONE, ""))
        if level not in FindingLevel.values:
            raise ValidationError(f"фактор «{title}»: недопустимый уровень «{level}»")
        out.append({"code": code, "title": title, "level": level, "comment": comment.strip()[:2000]})
    return out


@transaction.atomic
def interview_create(
    *,
    actor: User,
    school: School,
    held_on: dt.date,
    interviewers: str,
    participants: Sequence[tuple[str, str]],
    findings: Mapping[str, tuple[str, str]],
    summary: str = "",
    year: int | None = None,
    format: str = InterviewFormat.IN_PERSON,
) -> Interview:
    """Record an interview with ``school``'s management team. ``findings``: factor code → (level,
    comment) for the factors of the questionnaire in force (the missing ones are «не выявлен»);
    ``year``: the roadmap year its corrections go to (the year of the date by default)."""
    if not sel.can_conduct(user=actor, school=school):
        raise PermissionDenied("проводить собеседования может региональный аналитик или муниципалитет школы")
    if format not in InterviewFormat.values:
        raise ValidationError(f"недопустимый формат собеседования «{format}»")
    team = _participants(participants)
    if not team:
        raise ValidationError("не указан ни один участник от управленческой команды школы")
    if not interviewers.strip():
        raise ValidationError("не указано, кто проводил собеседование")
    interview = Interview.objects.create(
        school=school,
        year=year or held_on.year,
        held_on=held_on,
        format=format,
        participants=team,
        interviewers=interviewers.strip()[:1000],
        findings=_findings(findings),
        summary=summary.strip(),
        created_by=_actor(actor),
    )
    high = [f["title"] for f in interview.findings if f["level"] in (FindingLevel.HIGH, FindingLevel.MEDIUM)]
    _audit(
        "собеседование с управленческой командой",
        interview,
        {"дата": f"{held_on:%d.%m.%Y}", "участников": len(team), "выявленные факторы риска": high},
        actor,
    )
    return interview


def _checked(
    interview: Interview,
    *,
    kind: str,
    activity: Activity | None,
    title: str,
    period_text: str,
    due_date: dt.date | None,
    executor: str,
    reason: str,
) -> None:
    if kind not in CorrectionKind.values:
        raise ValidationError(f"недопустимый вид изменения «{kind}»")
    if not reason.strip():
        raise ValidationError("не указано обоснование изменения")
    if kind == CorrectionKind.ADD:
        if not title.strip():
            raise ValidationError("для нового мероприятия укажите его наименование")
        return
    if activity is None:
        raise ValidationError(f"«{CorrectionKind(kind).label}»: выберите мероприятие дорожной карты")
    roadmap = sel.school_roadmap(school=interview.school, year=interview.year)
    if roadmap is None or activity.roadmap_id != roadmap.pk:
        raise ValidationError(
            f"мероприятие «{activity.title[:60]}» не из дорожной карты школы на {interview.year} год"
        )
    if kind == CorrectionKind.DEADLINE and due_date is None and not period_text.strip():
        raise ValidationError("для изменения срока укажите новый срок исполнения или сроки")
    if kind == CorrectionKind.EXECUTOR and not executor.strip():
        raise ValidationError("для смены ответственного укажите нового ответственного исполнителя")


@transaction.atomic
def correction_propose(
    *,
    actor: User,
    interview: Interview,
    kind: str,
    reason: str,
    activity: Activity | None = None,
    title: str = "",
    period_text: str = "",
    due_date: dt.date | None = None,
    executor: str = "",
) -> Correction:
    """An agreed change of the interview as a correction proposed to the school."""
    if not sel.can_conduct(user=actor, school=interview.school):
        raise PermissionDenied("предлагать корректировки может тот, кто проводит собеседования со школой")
    _checked(
        interview,
        kind=kind,
        activity=activity,
        title=title,
        period_text=period_text,
        due_date=due_date,
        executor=executor,
        reason=reason,
    )
    last = interview.corrections.order_by("-position").first()
    correction = Correction.objects.create(
        interview=interview,
        position=(last.position + 1) if last else 1,
        kind=kind,
        activity=activity if kind != CorrectionKind.ADD else None,
        roadmap=sel.school_roadmap(school=interview.school, year=interview.year),
        title=title.strip(),
        period_text=period_text.strip()[:200],
        due_date=due_date,
        executor=executor.strip()[:500],
        reason=reason.strip(),
    )
    _audit(
        "корректировка дорожной карты предложена школе",
        correction,
        {"собеседование": interview.pk, "изменение": correction.get_kind_display()},
        actor,
    )
    return correction


@transaction.atomic
def correction_revise(
    *,
    actor: User,
    correction: Correction,
    reason: str,
    comment: str = "",
    activity: Activity | None = None,
    title: str = "",
    period_text: str = "",
    due_date: dt.date | None = None,
    executor: str = "",
) -> Correction:
    """The municipality (or region) revises a correction under discussion: it is proposed again."""
    interview = correction.interview
    if not sel.can_conduct(user=actor, school=interview.school):
        raise PermissionDenied("изменять корректировку может тот, кто проводит собеседования со школой")
    if correction.status not in sel.OPEN:
        raise ValidationError("корректировка уже принята или отозвана: изменить её нельзя")
    _checked(
        interview,
        kind=correction.kind,
        activity=activity,
        title=title,
        period_text=period_text,
        due_date=due_date,
        executor=executor,
        reason=reason,
    )
    correction.activity = activity if correction.kind != CorrectionKind.ADD else None
    correction.title, correction.period_text = title.strip(), period_text.strip()[:200]
    correction.due_date, correction.executor = due_date, executor.strip()[:500]
    correction.reason = reason.strip()
    correction.status = CorrectionStatus.PROPOSED
    correction.save()
    text = "Корректировка изменена" + (f": {comment.strip()}" if comment.strip() else "")
    CorrectionComment.objects.create(correction=correction, author=_actor(actor), text=text)
    _audit("корректировка дорожной карты изменена", correction, {"комментарий": comment.strip()}, actor)
    return correction


@transaction.atomic
def correction_withdraw(*, actor: User, correction: Correction, comment: str = "") -> Correction:
    """The municipality (or region) withdraws a correction not yet accepted."""
    if not sel.can_conduct(user=actor, school=correction.interview.school):
        raise PermissionDenied("отозвать корректировку может тот, кто проводит собеседования со школой")
    if correction.status not in sel.OPEN:
        raise ValidationError("корректировка уже принята или отозвана")
    correction.status = CorrectionStatus.WITHDRAWN
    correction.decided_by, correction.decided_at = _actor(actor), timezone.now()
    correction.save()
    text = "Корректировка отозвана" + (f": {comment.strip()}" if comment.strip() else "")
    CorrectionComment.objects.create(correction=correction, author=_actor(actor), text=text)
    _audit("корректировка дорожной карты отозвана", correction, {"комментарий": comment.strip()}, actor)
    return correction


def correction_comment(*, actor: User, correction: Correction, text: str) -> CorrectionComment:
    """A remark in the discussion of a correction."""
    if not sel.can_comment(user=actor, interview=correction.interview):
        raise PermissionDenied("писать в обсуждении может школа и те, кто проводил собеседование")
    if not text.strip():
        raise ValidationError("пустой комментарий")
    note = CorrectionComment.objects.create(
        correction=correction, author=_actor(actor), text=text.strip()[:5000]
    )
    _audit("комментарий к корректировке", correction, {"текст": text.strip()[:200]}, actor)
    return note


@transaction.atomic
def correction_discuss(*, actor: User, correction: Correction, text: str) -> Correction:
    """The school does not accept the correction as it is and says why: it goes to discussion."""
    if not sel.can_answer(user=actor, interview=correction.interview):
        raise PermissionDenied("отвечать на корректировку может только школа")
    if correction.status not in sel.OPEN:
        raise ValidationError("корректировка уже принята или отозвана")
    if not text.strip():
        raise ValidationError("напишите, что школа предлагает обсудить")
    correction.status = CorrectionStatus.DISCUSSED
    correction.save(update_fields=["status"])
    CorrectionComment.objects.create(correction=correction, author=_actor(actor), text=text.strip()[:5000])
    _audit("корректировка отправлена на обсуждение", correction, {"текст": text.strip()[:200]}, actor)
    return correction


def _note(correction: Correction) -> str:
    return f"По итогам собеседования от {correction.interview.held_on:%d.%m.%Y}: {correction.reason}"


@transaction.atomic
def correction_accept(*, actor: User, correction: Correction) -> Correction:
    """The school accepts: the change is applied to its roadmap of the interview's year through the
    support services (added / new deadline / new executor / cancelled with the reason as a comment) and
    the correction is linked to the activity."""
    interview = correction.interview
    if not sel.can_answer(user=actor, interview=interview):
        raise PermissionDenied("принять корректировку может только школа")
    if correction.status not in sel.OPEN:
        raise ValidationError("корректировка уже принята или отозвана")
    roadmap = sel.school_roadmap(school=interview.school, year=interview.year)
    if roadmap is None:
        raise ValidationError(
            f"у школы нет дорожной карты на {interview.year} год: создайте её в разделе «Сопровождение», "
            "затем примите корректировку"
        )
    kind = correction.kind
    if kind == CorrectionKind.ADD:
        activity = activity_add(
            actor=actor,
            roadmap=roadmap,
            title=correction.title,
            period_text=correction.period_text,
            due_date=correction.due_date,
            executor=correction.executor,
            expected_result=correction.reason,
            section=ROADMAP_SECTION,
        )
    else:
        activity = correction.activity
        if activity is None or activity.roadmap_id != roadmap.pk:
            raise ValidationError(
                "мероприятие, к которому относится корректировка, удалено из дорожной карты"
            )
        changes: dict[str, Any] = {"comment": _note(correction)}
        if kind == CorrectionKind.DEADLINE:
            changes["due_date"] = correction.due_date
            if correction.period_text:
                changes["period_text"] = correction.period_text
        elif kind == CorrectionKind.EXECUTOR:
            changes["executor"] = correction.executor
        else:
            changes["status"] = Status.CANCELLED
        activity = activity_update(actor=actor, activity=activity, **changes)
    correction.activity, correction.roadmap = activity, roadmap
    correction.status = CorrectionStatus.ACCEPTED
    correction.decided_by, correction.decided_at = _actor(actor), timezone.now()
    correction.save()
    _audit(
        "корректировка принята школой и внесена в дорожную карту",
        correction,
        {
            "дорожная карта": roadmap.pk,
            "мероприятие": activity.pk,
            "изменение": correction.get_kind_display(),
        },
        actor,
    )
    return correction
