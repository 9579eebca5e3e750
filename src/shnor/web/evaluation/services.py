"""Writes of external evaluation: assign an inspection or a programme review, an expert's criteria form,
the final conclusion, and its recommendations put into the school's roadmap as activities.

Every service takes the acting user and checks the right (``selectors``); a refused action raises
``PermissionDenied``, a bad input ``ValidationError`` (in Russian); every write is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shnor.core.evaluation import CriteriaError, form_to_dict
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User
from shnor.web.evaluation import selectors as sel
from shnor.web.evaluation.models import Evaluation, EvaluationStatus, Review
from shnor.web.registry.models import School
from shnor.web.support.models import Activity, Level, Roadmap
from shnor.web.support.services import activity_add

#: The roadmap section the recommendations go to.
ROADMAP_SECTION = "Рекомендации по итогам внешней оценки"


def _audit(action: str, evaluation: Evaluation, changes: dict[str, Any], actor: User) -> None:
    audit_record(
        action=action,
        object_type="внешняя оценка",
        object_id=str(evaluation.pk),
        object_repr=str(evaluation)[:200],
        changes=changes,
        user=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def evaluation_create(
    *,
    actor: User,
    school: School,
    form_code: str,
    year: int,
    experts: Sequence[Any],
    lead_expert: Any | None = None,
    subject: str = "",
    subject_url: str = "",
    start_date: dt.date | None = None,
    due_date: dt.date | None = None,
) -> Evaluation:
    """Assign an evaluation of ``school`` by the form ``form_code`` to ``experts`` (the lead among them);
    the form's criteria are stored with it as they are now."""
    if not sel.can_assign(user=actor, school=school):
        raise PermissionDenied("назначать внешнюю оценку школы может региональный аналитик своего региона")
    try:
        form = sel.criteria_set().form(form_code)
    except CriteriaError as exc:
        raise ValidationError(str(exc)) from None
    if form.subject_required and not subject.strip():
        raise ValidationError(f"для формы «{form.title}» укажите документ, который проходит экспертизу")
    if not experts:
        raise ValidationError("не назначен ни один эксперт")
    allowed = set(sel.expert_candidates(school=school).values_list("pk", flat=True))
    strangers = [sel.user_label(e) for e in experts if e.pk not in allowed]
    if strangers:
        raise ValidationError(
            f"эксперт не может оценивать эту школу (нет доступа к её данным): {', '.join(strangers)}"
        )
    if lead_expert is not None and lead_expert.pk not in {e.pk for e in experts}:
        raise ValidationError("ведущий эксперт должен быть среди назначенных экспертов")
    if start_date and due_date and due_date < start_date:
        raise ValidationError(f"срок завершения {due_date:%d.%m.%Y} раньше начала {start_date:%d.%m.%Y}")
    evaluation = Evaluation.objects.create(
        school=school,
        year=year,
        form_code=form.code,
        form_title=form.title,
        criteria_version=form.version,
        criteria=form_to_dict(form),
        subject=subject.strip(),
        subject_url=subject_url.strip(),
        lead_expert=lead_expert,
        start_date=start_date,
        due_date=due_date,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    evaluation.experts.set(experts)
    _audit(
        "назначение внешней оценки",
        evaluation,
        {"форма": form.title, "версия": form.version, "эксперты": [sel.user_label(e) for e in experts]},
        actor,
    )
    return evaluation


def _scores_checked(evaluation: Evaluation, scores: Mapping[str, Any], submit: bool) -> dict[str, int]:
    form = evaluation.form
    out: dict[str, int] = {}
    for code, value in scores.items():
        if value is None or value == "":
            continue
        try:
            criterion = form.criterion(code)
        except KeyError:
            raise ValidationError(f"в форме «{form.title}» нет критерия {code}") from None
        allowed = dict(criterion.options)
        try:
            score = int(value)
        except (TypeError, ValueError):
            score = -1
        if score not in allowed:
            raise ValidationError(
                f"критерий {code}: оценка «{value}» не по шкале {criterion.scale_label} "
                f"(допустимо: {', '.join(allowed.values())})"
            )
        out[code] = score
    missing = [c.code for c in form.criteria if c.code not in out]
    if submit and missing:
        raise ValidationError(f"не оценены критерии: {', '.join(missing)}")
    return out


@transaction.atomic
def review_save(
    *,
    actor: User,
    evaluation: Evaluation,
    scores: Mapping[str, Any],
    comments: Mapping[str, str],
    conclusion: str = "",
    recommendations: str = "",
    submit: bool = False,
) -> Review:
    """Save the expert's criteria form (a draft, or filled when ``submit``: every criterion scored and a
    conclusion written). The first save moves the evaluation to «проводится»."""
    if not sel.can_review(user=actor, evaluation=evaluation):
        raise PermissionDenied("заполнять экспертный лист может назначенный эксперт до итогового заключения")
    checked = _scores_checked(evaluation, scores, submit)
    if submit and not conclusion.strip():
        raise ValidationError("не заполнено заключение эксперта")
    codes = {c.code for c in evaluation.form.criteria}
    notes = {k: v.strip() for k, v in comments.items() if k in codes and v and v.strip()}
    review, _ = Review.objects.update_or_create(
        evaluation=evaluation,
        expert=actor,
        defaults={
            "scores": checked,
            "comments": notes,
            "conclusion": conclusion.strip(),
            "recommendations": recommendations.strip(),
            "submitted": submit,
        },
    )
    if evaluation.status == EvaluationStatus.ASSIGNED:
        evaluation.status = EvaluationStatus.IN_PROGRESS
        evaluation.save(update_fields=["status"])
    _audit(
        "экспертный лист заполнен" if submit else "экспертный лист сохранён (черновик)",
        evaluation,
        {"эксперт": sel.user_label(actor), "оценено критериев": len(checked)},
        actor,
    )
    return review


def recommendations_proposed(evaluation: Evaluation) -> list[str]:
    """The experts' recommendations, one a line, without repeats (the conclusion form starts with them)."""
    seen: list[str] = []
    for r in sel.reviews_submitted(evaluation):
        for line in r.recommendations.splitlines():
            text = line.strip().lstrip("-•—").strip()
            if text and text not in seen:
                seen.append(text)
    return seen


@transaction.atomic
def evaluation_conclude(
    *, actor: User, evaluation: Evaluation, conclusion: str, recommendations: Sequence[str]
) -> Evaluation:
    """The final conclusion with its recommendations; the evaluation is then «завершена» and the
    experts' forms are closed."""
    if not sel.can_conclude(user=actor, evaluation=evaluation):
        raise PermissionDenied("итоговое заключение делает ведущий эксперт или региональный аналитик")
    if not sel.reviews_submitted(evaluation):
        raise ValidationError("ни один эксперт ещё не заполнил экспертный лист: заключение делать рано")
    if not conclusion.strip():
        raise ValidationError("не заполнено итоговое заключение")
    recs = [r.strip() for r in recommendations if r and r.strip()]
    long = [r[:60] for r in recs if len(r) > 1000]
    if long:
        raise ValidationError(f"рекомендация длиннее 1000 знаков: «{long[0]}…»")
    evaluation.conclusion = conclusion.strip()
    evaluation.recommendations = recs
    evaluation.status = EvaluationStatus.DONE
    evaluation.concluded_by = actor if getattr(actor, "pk", None) else None
    evaluation.concluded_at = timezone.now()
    evaluation.save()
    _audit("итоговое заключение внешней оценки", evaluation, {"рекомендаций": len(recs)}, actor)
    return evaluation


@transaction.atomic
def recommendations_to_roadmap(*, actor: User, evaluation: Evaluation) -> list[Activity]:
    """Add each recommendation not yet added as an activity of the school's roadmap of the evaluation's
    year (section «Рекомендации по итогам внешней оценки»). Returns the activities added."""
    if not sel.can_feed_roadmap(user=actor, evaluation=evaluation):
        raise PermissionDenied(
            "внести рекомендации в дорожную карту можно после итогового заключения "
            "(региональный аналитик или ведущий эксперт)"
        )
    roadmap = Roadmap.objects.filter(
        level=Level.SCHOOL, school=evaluation.school, year=evaluation.year
    ).first()
    if roadmap is None:
        raise ValidationError(
            f"у школы «{evaluation.school.name or evaluation.school.school_id}» нет дорожной карты на "
            f"{evaluation.year} год: создайте её в разделе «Сопровождение», затем внесите рекомендации"
        )
    done = {str(item.get("text")) for item in evaluation.roadmap_activities}
    when = evaluation.concluded_at or timezone.now()
    added = []
    for text in evaluation.recommendations:
        if text in done:
            continue
        activity = activity_add(
            actor=actor,
            roadmap=roadmap,
            title=text,
            period_text="В течение года",
            executor="Администрация школы",
            expected_result=f"Выполнена рекомендация: {evaluation.form_title} от {when:%d.%m.%Y}",
            section=ROADMAP_SECTION,
        )
        added.append(activity)
        evaluation.roadmap_activities.append({"text": text, "activity": activity.pk, "roadmap": roadmap.pk})
    evaluation.save(update_fields=["roadmap_activities"])
    _audit(
        "рекомендации внешней оценки внесены в дорожную карту",
        evaluation,
        {"дорожная карта": roadmap.pk, "мероприятий": len(added)},
        actor,
    )
    return added
