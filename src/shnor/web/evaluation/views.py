"""Pages of external evaluation: the list (and the region's assignment), one evaluation (the expert's
criteria form, the experts' forms, the conclusion, recommendations into the roadmap), exports, and a
school's evaluations with the block the school card shows.

Thin: every object comes through a scoped selector (404 outside the user's scope); rights and rules are
the services'."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shnor.core.evaluation import CriteriaError
from shnor.web import params
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.evaluation import forms as f
from shnor.web.evaluation import selectors as sel
from shnor.web.evaluation import services
from shnor.web.evaluation.exports import conclusion_docx, conclusion_xlsx
from shnor.web.evaluation.models import Evaluation, EvaluationStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def _evaluation(request: HttpRequest, pk: int) -> Evaluation:
    return get_object_or_404(sel.evaluations_visible(user=request.user), pk=pk)


def _criteria(request: HttpRequest):
    try:
        return sel.criteria_set()
    except CriteriaError as exc:
        messages.error(request, f"Критерии оценки не загружены: {exc}")
        return None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Evaluations of the user's scope, by status; the region assigns a new one from here."""
    status = params.choice(request.GET, "status", dict(EvaluationStatus.choices), label="статус")
    rows = sel.evaluations_visible(user=request.user).order_by("-created_at", "-id")
    if status:
        rows = rows.filter(status=status)
    return render(
        request,
        "evaluation/index.html",
        {
            "rows": rows[:500],
            "status": status,
            "statuses": EvaluationStatus.choices,
            "may_assign": sel.can_assign_any(user=request.user),
        },
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Assign an evaluation of one school (``?school=<логин ФИС ОКО>``): the form, experts, dates."""
    school_id = params.text(request.GET, "school", label="школа", required=True)
    school = get_object_or_404(schools_visible_to(user=request.user), school_id=(school_id or "").strip())
    if not sel.can_assign(user=request.user, school=school):
        raise PermissionDenied("назначать внешнюю оценку школы может региональный аналитик своего региона")
    criteria = _criteria(request)
    if criteria is None:
        return redirect("evaluation:index")
    candidates = sel.expert_candidates(school=school)
    form = f.EvaluationCreateForm(
        request.POST or None,
        criteria=criteria,
        candidates=candidates,
        initial={"year": dt.date.today().year},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            ev = services.evaluation_create(
                actor=request.user,
                school=school,
                form_code=d["form_code"],
                year=d["year"],
                experts=list(d["experts"]),
                lead_expert=d["lead_expert"],
                subject=d["subject"],
                subject_url=d["subject_url"],
                start_date=d["start_date"],
                due_date=d["due_date"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Назначена оценка: {ev.form_title}")
            return redirect("evaluation:detail", pk=ev.pk)
    return render(request, "evaluation/new.html", {"school": school, "form": form})


def _review_initial(ev: Evaluation, user) -> dict:
    review = ev.reviews.filter(expert=user).first() if getattr(user, "pk", None) else None
    if review is None:
        return {}
    initial = {"conclusion": review.conclusion, "recommendations": review.recommendations}
    for code, score in review.scores.items():
        initial[f.score_field(code)] = str(score)
    for code, text in review.comments.items():
        initial[f.comment_field(code)] = text
    return initial


@login_required
def detail(request: HttpRequest, pk: int, review_form: f.ReviewForm | None = None) -> HttpResponse:
    """One evaluation: the criteria form for an assigned expert, the experts' forms, the conclusion."""
    ev = _evaluation(request, pk)
    user = request.user
    can_review = sel.can_review(user=user, evaluation=ev)
    can_conclude = sel.can_conclude(user=user, evaluation=ev)
    if review_form is None and can_review:
        review_form = f.ReviewForm(initial=_review_initial(ev, user), form=ev.form)
    conclusion_form = None
    if can_conclude:
        conclusion_form = f.ConclusionForm(
            initial={"recommendations": "\n".join(services.recommendations_proposed(ev))}
        )
    sees_reviews = sel.sees_reviews(user=user, evaluation=ev)
    return render(
        request,
        "evaluation/detail.html",
        {
            "ev": ev,
            "experts": [sel.user_label(u) for u in ev.experts.all()],
            "review_form": review_form,
            "conclusion_form": conclusion_form,
            "sees_reviews": sees_reviews,
            "reviews": ev.reviews.select_related("expert") if sees_reviews else [],
            "rows": sel.criterion_rows(ev) if sees_reviews else [],
            "scores": sel.evaluation_scores(ev),
            "can_feed": sel.can_feed_roadmap(user=user, evaluation=ev),
            "fed": {item.get("text") for item in ev.roadmap_activities},
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the expert's form (a draft, or «заполнено» with the button «Отправить»)."""
    ev = _evaluation(request, pk)
    form = f.ReviewForm(request.POST, form=ev.form)
    if not form.is_valid():
        messages.error(request, "Форма заполнена с ошибками: проверьте отмеченные поля.")
        return detail(request, pk, review_form=form)
    submit = "submit" in request.POST
    try:
        services.review_save(
            actor=request.user,
            evaluation=ev,
            scores=form.scores(),
            comments=form.comments(),
            conclusion=form.cleaned_data["conclusion"],
            recommendations=form.cleaned_data["recommendations"],
            submit=submit,
        )
    except ValidationError as exc:
        _errors(request, exc)
        return detail(request, pk, review_form=form)
    messages.success(
        request, "Экспертный лист отправлен." if submit else "Черновик экспертного листа сохранён."
    )
    return redirect("evaluation:detail", pk=ev.pk)


@login_required
@require_POST
def conclude(request: HttpRequest, pk: int) -> HttpResponse:
    """The final conclusion with its recommendations."""
    ev = _evaluation(request, pk)
    form = f.ConclusionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Не заполнено итоговое заключение.")
        return redirect("evaluation:detail", pk=ev.pk)
    try:
        services.evaluation_conclude(
            actor=request.user,
            evaluation=ev,
            conclusion=form.cleaned_data["conclusion"],
            recommendations=form.recommendation_list(),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Итоговое заключение сохранено, оценка завершена.")
    return redirect("evaluation:detail", pk=ev.pk)


@login_required
@require_POST
def to_roadmap(request: HttpRequest, pk: int) -> HttpResponse:
    """«Внести рекомендации в дорожную карту»: each recommendation becomes an activity."""
    ev = _evaluation(request, pk)
    try:
        added = services.recommendations_to_roadmap(actor=request.user, evaluation=ev)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if added:
            messages.success(
                request, f"В дорожную карту школы на {ev.year} год добавлено мероприятий: {len(added)}."
            )
        else:
            messages.info(request, "Все рекомендации уже внесены в дорожную карту.")
    return redirect("evaluation:detail", pk=ev.pk)


@login_required
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The conclusion as XLSX or DOCX."""
    if fmt not in ("xlsx", "docx"):
        raise Http404("заключение выгружается в XLSX или DOCX")
    ev = _evaluation(request, pk)
    if fmt == "xlsx":
        content, ctype = conclusion_xlsx(ev), XLSX
    else:
        content, ctype = conclusion_docx(ev), DOCX
    name = f"Заключение {ev.school.school_id} {ev.form_title}.{fmt}"
    resp = HttpResponse(content, content_type=ctype)
    resp["Content-Disposition"] = content_disposition_header(True, name)
    return resp


@login_required
def school(request: HttpRequest, school_id: str) -> HttpResponse:
    """A school's evaluations, with the block the school card shows."""
    obj = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    rows = sel.evaluations_visible(user=request.user).filter(school=obj)
    return render(
        request,
        "evaluation/school.html",
        {"school": obj, "rows": rows, "may_assign": sel.can_assign(user=request.user, school=obj)},
    )
