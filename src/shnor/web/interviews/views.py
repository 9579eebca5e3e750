"""Pages of interviews: the list, a new interview of a school, one interview with its corrections (propose,
accept, discuss, revise, withdraw, comment) and a school's interviews.

Thin: every object comes through a scoped selector (404 outside the user's scope); rights and rules are
the services'."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shnor.web import params
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.interviews import forms as f
from shnor.web.interviews import selectors as sel
from shnor.web.interviews import services
from shnor.web.interviews.models import Correction, CorrectionStatus, Interview

ACTIONS = ("accept", "discuss", "comment", "withdraw")


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def _interview(request: HttpRequest, pk: int) -> Interview:
    return get_object_or_404(sel.interviews_visible(user=request.user), pk=pk)


def _correction(request: HttpRequest, pk: int) -> Correction:
    return get_object_or_404(sel.corrections_visible(user=request.user), pk=pk)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Interviews of the user's scope; those who hold them start a new one from here."""
    rows = sel.interviews_visible(user=request.user).order_by("-held_on", "-id")
    waiting = sel.corrections_visible(user=request.user).filter(status__in=sel.OPEN).count()
    return render(
        request,
        "interviews/index.html",
        {"rows": rows[:500], "waiting": waiting, "may_conduct": sel.can_conduct_any(user=request.user)},
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """A new interview of one school (``?school=<логин ФИС ОКО>``)."""
    school_id = params.text(request.GET, "school", label="школа", required=True)
    school = get_object_or_404(schools_visible_to(user=request.user), school_id=(school_id or "").strip())
    if not sel.can_conduct(user=request.user, school=school):
        raise PermissionDenied("проводить собеседования может региональный аналитик или муниципалитет школы")
    today = dt.date.today()
    form = f.InterviewForm(
        request.POST or None,
        factors=sel.risk_factors(),
        initial={"held_on": today, "year": today.year},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            interview = services.interview_create(
                actor=request.user,
                school=school,
                held_on=d["held_on"],
                year=d["year"],
                format=d["format"],
                participants=f.participants_parse(d["participants"]),
                interviewers=d["interviewers"],
                findings=form.findings(),
                summary=d["summary"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(
                request, "Собеседование сохранено: добавьте согласованные изменения дорожной карты."
            )
            return redirect("interviews:detail", pk=interview.pk)
    return render(request, "interviews/new.html", {"school": school, "form": form})


def _activities(interview: Interview):
    return sel.roadmap_activities(school=interview.school, year=interview.year)


@login_required
def detail(request: HttpRequest, pk: int, form: f.CorrectionForm | None = None) -> HttpResponse:
    """One interview: participants, findings, the corrections with their discussion and the forms."""
    interview = _interview(request, pk)
    user = request.user
    conduct = sel.can_conduct(user=user, school=interview.school)
    if form is None and conduct:
        form = f.CorrectionForm(activities=_activities(interview))
    corrections = list(
        interview.corrections.select_related("activity", "roadmap").prefetch_related("comments__author")
    )
    return render(
        request,
        "interviews/detail.html",
        {
            "interview": interview,
            "corrections": corrections,
            "form": form if conduct else None,
            "conduct": conduct,
            "answer": sel.can_answer(user=user, interview=interview),
            "comment": sel.can_comment(user=user, interview=interview),
            "open": sel.OPEN,
            "roadmap": sel.school_roadmap(school=interview.school, year=interview.year),
            "text_form": f.TextForm(),
        },
    )


@login_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an agreed change as a correction proposed to the school."""
    interview = _interview(request, pk)
    form = f.CorrectionForm(request.POST, activities=_activities(interview))
    if not form.is_valid():
        messages.error(request, "Изменение заполнено с ошибками: проверьте отмеченные поля.")
        return detail(request, pk, form=form)
    d = form.cleaned_data
    try:
        services.correction_propose(
            actor=request.user,
            interview=interview,
            kind=d["kind"],
            activity=d["activity"],
            title=d["title"],
            period_text=d["period_text"],
            due_date=d["due_date"],
            executor=d["executor"],
            reason=d["reason"],
        )
    except ValidationError as exc:
        _errors(request, exc)
        return detail(request, pk, form=form)
    messages.success(request, "Корректировка предложена школе.")
    return redirect("interviews:detail", pk=interview.pk)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The school accepts or discusses; anyone in the discussion comments; the municipality withdraws."""
    if action not in ACTIONS:
        raise Http404("нет такого действия с корректировкой")
    correction = _correction(request, pk)
    form = f.TextForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    try:
        if action == "accept":
            services.correction_accept(actor=request.user, correction=correction)
            messages.success(request, "Корректировка принята и внесена в дорожную карту.")
        elif action == "discuss":
            services.correction_discuss(actor=request.user, correction=correction, text=text)
            messages.success(request, "Корректировка отправлена на обсуждение.")
        elif action == "comment":
            services.correction_comment(actor=request.user, correction=correction, text=text)
            messages.success(request, "Комментарий добавлен.")
        else:
            services.correction_withdraw(actor=request.user, correction=correction, comment=text)
            messages.success(request, "Корректировка отозвана.")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect(
        reverse("interviews:detail", args=[correction.interview_id]) + f"#correction-{correction.pk}"
    )


@login_required
def revise(request: HttpRequest, pk: int) -> HttpResponse:
    """The municipality revises a correction under discussion (it is proposed again)."""
    correction = _correction(request, pk)
    interview = correction.interview
    if not sel.can_conduct(user=request.user, school=interview.school):
        raise PermissionDenied("изменять корректировку может тот, кто проводит собеседования со школой")
    if correction.status not in sel.OPEN:
        messages.error(request, "Корректировка уже принята или отозвана: изменить её нельзя.")
        return redirect("interviews:detail", pk=interview.pk)
    initial = {
        "kind": correction.kind,
        "activity": correction.activity_id,
        "title": correction.title,
        "period_text": correction.period_text,
        "due_date": correction.due_date,
        "executor": correction.executor,
        "reason": correction.reason,
    }
    form = f.CorrectionForm(request.POST or None, activities=_activities(interview), initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.correction_revise(
                actor=request.user,
                correction=correction,
                activity=d["activity"],
                title=d["title"],
                period_text=d["period_text"],
                due_date=d["due_date"],
                executor=d["executor"],
                reason=d["reason"],
                comment=d["comment"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Корректировка изменена и снова предложена школе.")
            return redirect("interviews:detail", pk=interview.pk)
    form.fields["kind"].disabled = True
    return render(
        request, "interviews/revise.html", {"correction": correction, "interview": interview, "form": form}
    )


@login_required
def school(request: HttpRequest, school_id: str) -> HttpResponse:
    """A school's interviews and the corrections waiting for its answer."""
    obj = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    rows = sel.interviews_visible(user=request.user).filter(school=obj)
    return render(
        request,
        "interviews/school.html",
        {
            "school": obj,
            "rows": rows,
            "may_conduct": sel.can_conduct(user=request.user, school=obj),
            "statuses": CorrectionStatus,
        },
    )
