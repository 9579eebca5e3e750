"""The deficit report's PDF as a background job: WeasyPrint takes seconds for a large school, so the request
only starts a job and shows its progress; the finished file is kept per (school, run, data version) and
later requests for the same report download it at once.

The data version is a hash of what the report reads: the live result files (their versions), the run
and its settings, and the reference tables (tasks, scales, schools, context). A replaced file or a new
run gives a new version, hence a new file.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.jobs.kept import kept_folder, kept_open, write_whole
from shnor.web.jobs.kinds import Stage
from shnor.web.jobs.models import Job
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.jobs.services import job_enqueue

#: the job kind (shown as is on the jobs page, like other apps' Russian kinds)
DEFICIT_PDF_KIND = "Отчёт о дефицитах (PDF)"


def _folder() -> Path:
    return Path(settings.HOME) / "reports" / "deficits"


def _frame_hash(frame: pl.DataFrame) -> str:
    return str(frame.hash_rows().sum()) + f":{frame.height}:{','.join(frame.columns)}"


def _inputs(run: Any) -> Any:
    from shnor.core.methods.base import Inputs
    from shnor.web.assessments.selectors import results_scan, scales_frame, tasks_frame
    from shnor.web.registry.selectors import context_frame, schools_frame

    return Inputs(
        year=run.year,
        results=results_scan(),
        tasks=tasks_frame(),
        scales=scales_frame(),
        schools=schools_frame(),
        context=context_frame(),
    )


def report_key(*, school_id: str, run: Any, inputs: Any) -> str:
    """The cache key of one school's report for ``run`` on the current data (see the module's text)."""
    from shnor.web.assessments.selectors import batches_live

    h = hashlib.sha256()
    h.update(json.dumps([school_id, run.pk, run.config], sort_keys=True, default=str).encode())
    h.update(json.dumps([(b.batch_id, b.sha256) for b in batches_live()]).encode())
    for frame in (inputs.tasks, inputs.scales, inputs.schools, inputs.context):
        h.update(_frame_hash(frame).encode())
    return h.hexdigest()[:32]


def _file_of(key: str) -> Path:
    return _folder() / f"{key}.pdf"


# the PDFs nobody downloaded for SHNOR_REPORT_KEEP_DAYS are removed (``jobs.cleanup.kept_cleanup``)
kept_folder("deficits", re.compile(r"^[0-9a-f]{32}$"), ("pdf",))


def deficit_pdf_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Render one school's PDF as the user who asked (their scope), into the cache; the result names it."""
    from django.contrib.auth import get_user_model

    from shnor.core.config import load_config
    from shnor.core.reports.deficit_report import build_report, render_pdf
    from shnor.web.identification.models import MethodologyRun

    user = get_user_model().objects.filter(pk=params.get("user_id")).first()
    if user is None or not user.is_active:
        raise ValueError("пользователь, заказавший отчёт, не найден или отключён")
    school = schools_visible_to(user=user).filter(school_id=params.get("school_id")).first()
    run = MethodologyRun.objects.filter(pk=params.get("run_id")).first()
    if school is None or run is None:
        raise ValueError("школа или расчёт недоступны")
    stage("чтение результатов школы")
    inputs = _inputs(run)
    key = report_key(school_id=school.school_id, run=run, inputs=inputs)
    target = _file_of(key)
    if not target.exists():
        stage("расчёт дефицитов и подбор рекомендаций")
        config = run.config.get("deficits") if isinstance(run.config, dict) else None
        data = build_report(inputs, school.school_id, config or load_config()["deficits"], year=run.year)
        stage("вёрстка PDF")
        body = render_pdf(data)
        write_whole(target, body)
    return {"key": key, "school_id": school.school_id, "run_id": run.pk, "size": target.stat().st_size}


def _download(handle: BinaryIO, *, school_id: str, year: int, run_pk: int) -> FileResponse:
    name = f"deficits_{school_id}_{year}.pdf"
    audit_record(
        action="выгрузка отчёта",
        object_type="дефициты умений",
        object_id=school_id,
        object_repr=name,
        changes={"run": run_pk, "format": "pdf"},
    )
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def deficit_pdf(request: HttpRequest, *, school: Any, run: Any) -> HttpResponse:
    """The PDF at once when it is ready for the current data, else a job (one per user and key) and its
    progress page."""
    inputs = _inputs(run)
    key = report_key(school_id=school.school_id, run=run, inputs=inputs)
    handle = kept_open(_file_of(key))  # a download refreshes the file's age (``kept_cleanup``)
    if handle is not None:
        return _download(handle, school_id=school.school_id, year=run.year, run_pk=run.pk)
    user: User = request.user
    running = (
        jobs_visible_to(user=user)
        .filter(kind=DEFICIT_PDF_KIND, created_by_id=user.pk, status__in=[Job.QUEUED, Job.RUNNING])
        .filter(params__school_id=school.school_id, params__run_id=run.pk)
        .first()
    )
    job = running or job_enqueue(
        kind=DEFICIT_PDF_KIND,
        label=f"{school.name}, {run.year} г.",
        params={"school_id": school.school_id, "run_id": run.pk, "user_id": user.pk},
        user=user,
    )
    return redirect("identification:deficit_pdf_job", school_id=school.school_id, pk=job.pk)


@login_required
def deficit_pdf_job_page(request: HttpRequest, school_id: str, pk: int) -> HttpResponse:
    """The report's progress (the page polls the job), then the button that downloads it."""
    school = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    job = get_object_or_404(
        jobs_visible_to(user=request.user).filter(kind=DEFICIT_PDF_KIND, params__school_id=school.school_id),
        pk=pk,
    )
    download = None
    if job.status == Job.DONE:
        download = (
            reverse("identification:deficit_report", kwargs={"school_id": school.school_id, "fmt": "pdf"})
            + f"?run={job.params.get('run_id')}"
        )
    return render(
        request, "identification/deficit_pdf_job.html", {"job": job, "school": school, "download": download}
    )
