"""Pages of objectivity cases: the region's page (signs table, cases, re-check upload, the sample) and
one case (signs in plain words, the re-check, controlled procedures, answers, decision, appeal, history).

Thin: every object comes through a scoped selector (404 outside the user's scope); rights and rules are
the services'."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shnor.web import params
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import scope_of
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.cases import forms as f
from shnor.web.cases import selectors as sel
from shnor.web.cases import services
from shnor.web.cases.dossier_job import DOSSIER_KIND, dossier_response
from shnor.web.cases.models import CaseAnswer, ControlledProcedure, ObjectivityCase
from shnor.web.identification.selectors import run_pick
from shnor.web.jobs.selectors import jobs_visible_to


def _store_upload(upload: Any) -> Path:
    """Keep the uploaded file under SHNOR_HOME/uploads (removed later by the periodic clean-up)."""
    name = Path(str(upload.name).replace("\\", "/")).name.replace("\x00", "") or "rechecks.csv"
    folder = Path(settings.HOME) / "uploads" / f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    target = folder / name
    with open(target, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return target


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def _year(request: HttpRequest) -> int:
    years = sel.case_years(user=request.user)
    run = run_pick()
    default = run.year if run is not None else (years[0] if years else None)
    y = params.year(request.GET if request.method == "GET" else request.POST, default=default)
    if y is None:
        raise Http404("нет ни расчётов, ни дел: год не определён")
    return y


def _may_see_index(request: HttpRequest) -> None:
    scope = scope_of(request.user)
    if not (scope.region_wide or scope.acts_as(Role.MUNICIPALITY)):
        raise PermissionDenied("страница дел доступна региону и муниципалитетам; школа видит своё дело")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The region's (or the municipality's) cases of a year: the signs table and the list."""
    _may_see_index(request)
    year = _year(request)
    scope = scope_of(request.user)
    cases = sel.cases_visible(user=request.user, year=year).order_by(
        "school__municipality__name", "school__school_id"
    )
    return render(
        request,
        "cases/index.html",
        {
            "year": year,
            "years": sorted(set(sel.case_years(user=request.user)) | {year}, reverse=True),
            "cases": cases,
            "signs": sel.sign_table(schools=schools_visible_to(user=request.user), year=year),
            "run": run_pick(year=year),
            "can_open": services.can_decide(request.user),
            "can_import": scope.can_import,
            "can_sample": scope.region_wide,
            "upload_form": f.RecheckUploadForm(),
            "sample_form": f.SampleForm(),
        },
    )


@login_required
@require_POST
def open_cases(request: HttpRequest) -> HttpResponse:
    """Open a case for every school of the year's objectivity list that has none."""
    year = _year(request)
    try:
        created = services.cases_open(actor=request.user, year=year, run=run_pick(year=year))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if created:
            messages.success(request, f"Открыто дел: {len(created)}.")
        else:
            messages.info(request, "Новых дел нет: у каждой школы списка дело уже открыто.")
    return redirect(f"{request.path.rsplit('open/', 1)[0]}?year={year}")


@login_required
@require_POST
def recheck_upload(request: HttpRequest) -> HttpResponse:
    """Import a re-check file; the outcome and its errors as messages."""
    if not scope_of(request.user).can_import:
        raise PermissionDenied("загружать результаты перепроверки может только региональный аналитик")
    form = f.RecheckUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
        return redirect("cases:index")
    upload = form.cleaned_data["file"]
    path = _store_upload(upload)
    outcome = services.rechecks_import(path=path, actor=request.user, name=path.name)
    if outcome.ok:
        messages.success(request, outcome.summary)
    else:
        messages.error(request, outcome.summary)
    for e in outcome.errors[:20]:
        messages.error(request, str(e))
    if len(outcome.errors) > 20:
        messages.error(request, f"… и ещё ошибок: {len(outcome.errors) - 20}")
    for w in outcome.warnings:
        messages.warning(request, w)
    return redirect("cases:index")


@login_required
def sample(request: HttpRequest) -> HttpResponse:
    """The proposed sample of works to re-check: the form, a preview and its XLSX."""
    if not scope_of(request.user).region_wide:
        raise PermissionDenied("выборку для перепроверки предлагает регион")
    year = _year(request)
    form = f.SampleForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.sample_propose(
                actor=request.user, year=year, run=run_pick(year=year), **form.cleaned_data
            )
        except ValidationError as exc:
            _errors(request, exc)
        if result is not None and "xlsx" in request.POST:
            resp = HttpResponse(
                services.sample_xlsx(result, year=year),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            resp["Content-Disposition"] = f"attachment; filename=recheck-sample-{year}.xlsx"
            return resp
    rows = list(result.schools.iter_rows(named=True)) if result is not None else []
    return render(request, "cases/sample.html", {"form": form, "year": year, "result": result, "rows": rows})


def _case(request: HttpRequest, pk: int) -> ObjectivityCase:
    return get_object_or_404(sel.cases_visible(user=request.user), pk=pk)


@login_required
def case(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: signs in plain words, the re-check, controlled procedures, answers, decision, history."""
    c = _case(request, pk)
    scope = scope_of(request.user)
    signs = sel.case_signs(c)
    ctx: dict[str, Any] = {
        "case": c,
        "signs": signs,
        "significant": [s for s in signs if s.significant],
        "recheck": services.recheck_evidence(school=c.school, year=c.year),
        "controlled": ControlledProcedure.objects.filter(school=c.school, year=c.year),
        "compare": services.controlled_compare(school=c.school, year=c.year),
        "answers": c.answers.select_related("author"),
        "events": c.events.select_related("actor"),
        "can_answer": services.can_answer(request.user, c) and c.status in ("open", "answered"),
        "can_decide": services.can_decide(request.user) and c.status in ("open", "answered", "appealed"),
        "can_appeal": services.can_appeal(request.user, c),
        "can_control": scope.can_manage_school(c.school) and not scope.acts_as(Role.OBSERVER),
        "answer_form": f.AnswerForm(),
        "decide_form": f.DecideForm(),
        "appeal_form": f.AppealForm(),
        "controlled_form": f.ControlledForm(),
    }
    return render(request, "cases/case.html", ctx)


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The school's answer with an optional file."""
    c = _case(request, pk)
    try:
        services.case_answer(
            actor=request.user, case=c, text=request.POST.get("text", ""), file=request.FILES.get("file")
        )
        messages.success(request, "Ответ школы сохранён.")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("cases:case", pk=c.pk)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The region's decision."""
    c = _case(request, pk)
    try:
        services.case_decide(
            actor=request.user,
            case=c,
            verdict=request.POST.get("verdict", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, "Решение сохранено.")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("cases:case", pk=c.pk)


@login_required
@require_POST
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """The school's appeal."""
    c = _case(request, pk)
    try:
        services.case_appeal(actor=request.user, case=c, text=request.POST.get("text", ""))
        messages.success(request, "Обжалование подано: региону предстоит новое решение.")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("cases:case", pk=c.pk)


@login_required
@require_POST
def controlled(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a controlled procedure of the case's school."""
    c = _case(request, pk)
    form = f.ControlledForm(request.POST)
    if not form.is_valid():
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
        return redirect("cases:case", pk=c.pk)
    try:
        services.controlled_record(actor=request.user, school=c.school, year=c.year, **form.cleaned_data)
        messages.success(request, "Контролируемая процедура отмечена.")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("cases:case", pk=c.pk)


@login_required
def answer_file(request: HttpRequest, pk: int) -> HttpResponse:
    """An answer's file, only for users who see its case."""
    a = get_object_or_404(CaseAnswer.objects.visible_to(request.user), pk=pk)
    if not a.file:
        raise Http404("к ответу не приложен файл")
    return FileResponse(a.file.open("rb"), as_attachment=True, filename=a.original_name or "file")


@login_required
def dossier(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The case's dossier as DOCX or PDF: at once when kept for the current data, else made in the background
    (``dossier_job.py``)."""
    if fmt not in ("docx", "pdf"):
        raise Http404("досье выгружается в DOCX или PDF")
    return dossier_response(request, case=_case(request, pk), fmt=fmt)


@login_required
def dossier_job(request: HttpRequest, pk: int, job: int) -> HttpResponse:
    """The dossier's progress (the page polls the job), then the button that downloads it."""
    c = _case(request, pk)
    found = get_object_or_404(
        jobs_visible_to(user=request.user).filter(kind=DOSSIER_KIND, params__case_id=c.pk), pk=job
    )
    fmt = str(found.params.get("format"))
    return render(request, "cases/dossier_job.html", {"job": found, "case": c, "fmt": fmt})
