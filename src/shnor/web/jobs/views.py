"""Job pages: a job's progress and result, the list of recent jobs, and starting a methodology run."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import scope_of
from shnor.web.jobs.models import Job
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.jobs.services import job_enqueue


class RunForm(forms.Form):
    """A methodology run: the year and, optionally, the region's settings file."""

    year = forms.IntegerField(label="Год", min_value=2015, max_value=2100)
    label = forms.CharField(label="Название расчёта", required=False, max_length=200)
    config = forms.FileField(label="Файл настроек методики (необязательно)", required=False)

    def clean_config(self):
        """A small .toml file that parses."""
        f = self.cleaned_data.get("config")
        if not f:
            return None
        if Path(f.name).suffix.lower() != ".toml" or f.size > 512 * 1024:
            raise forms.ValidationError("Ожидается файл .toml не больше 512 КБ.")
        import tomllib

        try:
            tomllib.loads(f.read().decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise forms.ValidationError(f"Файл настроек не читается: {exc}") from exc
        f.seek(0)
        return f


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One job: its stage while it runs, its result or error when finished."""
    job = get_object_or_404(jobs_visible_to(user=request.user), pk=pk)
    return render(request, "jobs/detail.html", {"job": job})


@login_required
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The job's state for the page's polling."""
    job = get_object_or_404(jobs_visible_to(user=request.user), pk=pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "stage": job.stage,
            "finished": job.finished,
        }
    )


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    """Recent jobs the user may see."""
    jobs = jobs_visible_to(user=request.user).select_related("created_by")[:100]
    return render(request, "jobs/list.html", {"jobs": jobs, "can_start": scope_of(request.user).can_import})


@login_required
def run_start(request: HttpRequest) -> HttpResponse:
    """Start a methodology run in the background (region analysts)."""
    if not scope_of(request.user).can_import:
        raise PermissionDenied("Запускать расчёт может аналитик региона.")
    form = RunForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        params: dict[str, object] = {"year": form.cleaned_data["year"], "label": form.cleaned_data["label"]}
        upload = form.cleaned_data["config"]
        if upload:
            folder = (
                Path(settings.HOME) / "uploads" / f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
            )
            folder.mkdir(parents=True)
            target = folder / "config.toml"
            target.write_bytes(upload.read())
            params["config_path"] = str(target)
        job = job_enqueue(
            kind=Job.IDENTIFY, label=f"Расчёт за {params['year']}", params=params, user=request.user
        )
        audit_record(
            action="запуск расчёта",
            object_type="фоновая задача",
            object_id=str(job.pk),
            object_repr=job.label,
            changes=params,
        )
        return redirect(reverse("jobs:detail", kwargs={"pk": job.pk}))
    return render(request, "jobs/run_start.html", {"form": form})
