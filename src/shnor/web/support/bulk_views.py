"""Roadmaps for every school of a list at once: the form, the preview of what will be created, the
confirmation that starts the background job, and the job's progress and result.

Region analysts and municipality coordinators only (others get 403); the plan and the job act within
the user's scope (``services/bulk.py``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import scope_of
from shnor.web.accounts.selectors import municipalities_visible_to
from shnor.web.identification.membership import LISTS
from shnor.web.jobs.models import Job
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.jobs.services import job_enqueue
from shnor.web.support.forms import template_choices
from shnor.web.support.models import Level, Roadmap
from shnor.web.support.services import bulk
from shnor.web.support.services.roadmaps import default_templates as rm_default_templates


class BulkForm(forms.Form):
    """Which roadmaps to create: the year, the list, the municipality (optional) and the templates."""

    year = forms.IntegerField(label="Год дорожных карт", min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label="Список")
    municipality = forms.ModelChoiceField(
        label="Муниципалитет",
        queryset=None,
        required=False,
        empty_label="все доступные муниципалитеты",
    )
    list_year = forms.IntegerField(
        label="Год списка (необязательно)",
        min_value=2000,
        max_value=2100,
        required=False,
        help_text="Пусто — список года дорожных карт, а если его ещё нет — последний утверждённый или "
        "рассчитанный список до этого года.",
    )
    templates = forms.MultipleChoiceField(label="Шаблоны", widget=forms.CheckboxSelectMultiple, choices=())
    schools = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, LISTS[k].title) for k in bulk.BULK_KINDS]
        self.fields["municipality"].queryset = municipalities_visible_to(user=user).order_by("name")
        self.fields["templates"].choices = template_choices(Level.SCHOOL, user)

    def clean_schools(self) -> list[int] | None:
        """The explicit selection of schools (record numbers, comma-separated), None for the whole list."""
        raw = (self.cleaned_data.get("schools") or "").strip()
        if not raw:
            return None
        try:
            ids = [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError(
                "Выбор школ: ожидаются номера записей через запятую (откройте страницу из списка заново)."
            ) from None
        if any(i <= 0 or i > 2**63 - 1 for i in ids):
            raise forms.ValidationError("Выбор школ: номер записи должен быть целым положительным числом.")
        return ids


def _allowed(request: HttpRequest) -> None:
    scope = scope_of(request.user)
    if not (scope.superuser or scope.acts_as(Role.REGION, Role.MUNICIPALITY)):
        raise PermissionDenied(
            "Создавать дорожные карты для всех школ списка может аналитик региона или координатор "
            "муниципалитета."
        )


def _plan(request: HttpRequest, form: BulkForm) -> bulk.BulkPlan:
    d = form.cleaned_data
    return bulk.bulk_plan(
        actor=request.user,
        year=d["year"],
        kind=d["kind"],
        municipality=d["municipality"],
        school_ids=d["schools"],
        templates=d["templates"],
        today=timezone.localdate(),
        list_year=d["list_year"],
    )


@login_required
def roadmaps_bulk(request: HttpRequest) -> HttpResponse:
    """GET: the form, and with «Показать» the plan; POST: start the job and go to its progress."""
    _allowed(request)
    today = timezone.localdate()
    default_templates = rm_default_templates(level=Level.SCHOOL, user=request.user)
    initial = {
        "year": bulk.year_default(templates=default_templates, level=Level.SCHOOL, today=today),
        "kind": request.GET.get("kind") or "low_results",
        "templates": default_templates,
        "schools": request.GET.get("schools", ""),
        "municipality": request.GET.get("municipality") or None,
        "list_year": request.GET.get("list_year") or None,
    }
    data = request.POST if request.method == "POST" else (request.GET if "preview" in request.GET else None)
    form = BulkForm(data, user=request.user, initial=initial)
    plan = None
    if data is not None and form.is_valid():
        try:
            plan = _plan(request, form)
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
    if request.method == "POST" and plan is not None:
        if not plan.to_create and not plan.municipalities:
            form.add_error(
                None, "Создавать нечего: у всех школ выбранного списка дорожные карты этого года уже есть."
            )
        else:
            params = {**plan.params(), "user_id": request.user.pk}
            where = plan.municipality_name or "все доступные муниципалитеты"
            job = job_enqueue(
                kind=Job.ROADMAPS_BULK,
                label=f"{LISTS[plan.kind].short}, {plan.year} г.: {where} ({len(plan.to_create)} школ)",
                params=params,
                user=request.user,
            )
            return redirect("support:roadmaps_bulk_job", pk=job.pk)
    return render(request, "support/roadmaps_bulk.html", {"form": form, "plan": plan, "today": today})


@login_required
def roadmaps_bulk_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress («Создано N из M») while it runs, what it created when finished."""
    job = get_object_or_404(jobs_visible_to(user=request.user).filter(kind=Job.ROADMAPS_BULK), pk=pk)
    made: list[Roadmap] = []
    if job.status == Job.DONE and isinstance(job.result, dict):
        ids = [*job.result.get("municipal_ids", []), *job.result.get("roadmap_ids", [])]
        made = list(
            Roadmap.objects.visible_to(request.user)
            .filter(pk__in=ids)
            .select_related("school", "municipality", "region")
            .order_by("level", "municipality__name", "school__school_id")
        )
    return render(request, "support/roadmaps_bulk_job.html", {"job": job, "made": made})
