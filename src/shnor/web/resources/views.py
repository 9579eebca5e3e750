"""Pages of the needs register: the summary (region: municipalities, drill-down to schools; municipality:
its schools), its XLSX, and a school's page (needs, support decisions, young specialists, forms by role).

Thin: every object comes through a scoped queryset (404 outside the user's scope); rights and rules are
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
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shnor.web import params
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import scope_of
from shnor.web.registry.models import Municipality, School
from shnor.web.resources import forms as f
from shnor.web.resources import selectors as sel
from shnor.web.resources import services
from shnor.web.resources.exports import summary_xlsx
from shnor.web.resources.imports import needs_import
from shnor.web.resources.models import DecisionExecution, EquipmentNeed, StaffNeed, SupportDecision


def _year(request: HttpRequest) -> int:
    known = sel.years(user=request.user)
    default = known[0] if known else timezone.localdate().year
    source = request.GET if request.method == "GET" else request.POST
    return params.year(source, default=default) or default


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for e in errs:
            messages.error(request, f"{label}: {e}" if label else e)


def _summary_scope(request: HttpRequest) -> tuple[Municipality | None, str]:
    """The municipality to show per school (None: the region's per-municipality view) and the title."""
    scope = scope_of(request.user)
    if scope.acts_as(Role.MUNICIPALITY):
        mun = get_object_or_404(Municipality.objects.visible_to(request.user), pk=scope.municipality_id)
        return mun, f"Потребности и адресная поддержка: {mun.name}"
    if not scope.region_wide:
        raise PermissionDenied(
            "свод потребностей доступен региону и муниципалитетам; школа видит свою страницу"
        )
    mid = params.identifier(request.GET, "municipality", label="муниципалитет")
    if mid is None:
        return None, "Потребности и адресная поддержка: регион"
    mun = get_object_or_404(Municipality.objects.visible_to(request.user), pk=mid)
    return mun, f"Потребности и адресная поддержка: {mun.name}"


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The summary: per municipality for the region, per school for a municipality (or drilled down)."""
    scope = scope_of(request.user)
    if scope.acts_as(Role.SCHOOL, Role.TEACHER) and scope.school_id:
        school = get_object_or_404(School.objects.visible_to(request.user), pk=scope.school_id)
        return redirect("resources:school", school_id=school.school_id)
    mun, title = _summary_scope(request)
    year = _year(request)
    data = sel.summary(user=request.user, year=year, municipality=mun)
    return render(
        request,
        "resources/index.html",
        {
            "title": title,
            "year": year,
            "years": sorted(set(sel.years(user=request.user)) | {year}, reverse=True),
            "mun": mun,
            "drilled": mun is not None and not scope.acts_as(Role.MUNICIPALITY),
            "data": data,
            "specialists": sel.specialist_columns(),
            "statuses": sel.status_columns(),
            "can_upload": scope.can_import or scope.acts_as(Role.MUNICIPALITY),
            "upload_form": f.NeedsUploadForm(),
        },
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The summary as XLSX (what the page shows, plus the decisions)."""
    mun, title = _summary_scope(request)
    year = _year(request)
    data = sel.summary(user=request.user, year=year, municipality=mun)
    decisions = sel.decisions_visible(user=request.user, year=year).prefetch_related("executions")
    if mun is not None:
        decisions = decisions.filter(school__municipality=mun)
    content = summary_xlsx(data=data, decisions=list(decisions), year=year, title=title)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    tail = f"_{mun.pk}" if mun is not None else ""
    response["Content-Disposition"] = f'attachment; filename="resources_{year}{tail}.xlsx"'
    return response


def _school(request: HttpRequest, school_id: str) -> School:
    return get_object_or_404(
        School.objects.visible_to(request.user).select_related("municipality"), school_id=school_id
    )


@login_required
def school(request: HttpRequest, school_id: str) -> HttpResponse:
    """A school's needs, support decisions with their execution, young specialists; forms by role."""
    s = _school(request, school_id)
    year = _year(request)
    return render(
        request,
        "resources/school.html",
        {
            "school": s,
            "year": year,
            "years": sorted(set(sel.years(user=request.user)) | {year}, reverse=True),
            **sel.school_view(user=request.user, school=s, year=year),
            "can_enter": services.can_enter_needs(request.user, s),
            "can_decide": services.can_decide(request.user, s),
            "can_place": services.can_place(request.user, s),
            "staff_form": f.StaffNeedForm(),
            "equipment_form": f.EquipmentNeedForm(),
            "decision_form": f.DecisionForm(),
            "execution_form": f.ExecutionForm(),
            "status_form": f.StatusForm(),
            "young_form": f.YoungSpecialistForm(),
        },
    )


def _back(s: School, year: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("resources:school", args=[s.school_id]) + f"?year={year}" + anchor)


def _run(request: HttpRequest, form: Any, action: Any, done: str) -> None:
    """Validate the form, call the service, report in Russian."""
    if not form.is_valid():
        _form_errors(request, form)
        return
    try:
        action(form.cleaned_data)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, done)


@login_required
@require_POST
def staff_add(request: HttpRequest, school_id: str) -> HttpResponse:
    """Record a vacancy of the school."""
    s, year = _school(request, school_id), _year(request)
    _run(
        request,
        f.StaffNeedForm(request.POST),
        lambda d: services.staff_need_save(actor=request.user, school=s, year=year, **d),
        "Потребность в кадрах записана.",
    )
    return _back(s, year, "#staff")


@login_required
@require_POST
def equipment_add(request: HttpRequest, school_id: str) -> HttpResponse:
    """Record an equipment need of the school."""
    s, year = _school(request, school_id), _year(request)
    _run(
        request,
        f.EquipmentNeedForm(request.POST),
        lambda d: services.equipment_need_save(actor=request.user, school=s, year=year, **d),
        "Потребность в оборудовании записана.",
    )
    return _back(s, year, "#equipment")


@login_required
@require_POST
def need_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Remove a staff (``kind`` = staff) or equipment need."""
    model = {"staff": StaffNeed, "equipment": EquipmentNeed}.get(kind)
    if model is None:
        raise Http404("нет такого вида потребности")
    need = get_object_or_404(model.objects.visible_to(request.user).select_related("school"), pk=pk)
    services.need_delete(actor=request.user, need=need)
    messages.success(request, "Потребность удалена.")
    return _back(need.school, need.year, f"#{kind}")


@login_required
@require_POST
def decision_add(request: HttpRequest, school_id: str) -> HttpResponse:
    """The region records a support decision for the school."""
    s, year = _school(request, school_id), _year(request)
    _run(
        request,
        f.DecisionForm(request.POST),
        lambda d: services.decision_create(actor=request.user, school=s, year=year, **d),
        "Решение об адресной поддержке записано.",
    )
    return _back(s, year, "#decisions")


def _decision(request: HttpRequest, pk: int) -> SupportDecision:
    return get_object_or_404(SupportDecision.objects.visible_to(request.user).select_related("school"), pk=pk)


@login_required
@require_POST
def decision_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a decision's status."""
    d = _decision(request, pk)
    _run(
        request,
        f.StatusForm(request.POST),
        lambda c: services.decision_status_set(actor=request.user, decision=d, status=c["status"]),
        "Статус решения изменён.",
    )
    return _back(d.school, d.year, "#decisions")


@login_required
@require_POST
def execution_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an execution of a decision (with an optional file)."""
    d = _decision(request, pk)
    _run(
        request,
        f.ExecutionForm(request.POST, request.FILES),
        lambda c: services.execution_add(
            actor=request.user, decision=d, on=c["date"], spent=c["spent"], note=c["note"], file=c["file"]
        ),
        "Исполнение решения записано.",
    )
    return _back(d.school, d.year, "#decisions")


@login_required
def execution_file(request: HttpRequest, pk: int) -> FileResponse:
    """The file of an execution record, to whoever sees the decision."""
    ex = get_object_or_404(DecisionExecution.objects.visible_to(request.user), pk=pk)
    if not ex.file:
        raise Http404("у записи нет файла")
    return FileResponse(ex.file.open("rb"), as_attachment=True, filename=Path(ex.file.name).name)


@login_required
@require_POST
def young_add(request: HttpRequest, school_id: str) -> HttpResponse:
    """Record a young specialist placed in the school."""
    s, year = _school(request, school_id), _year(request)
    _run(
        request,
        f.YoungSpecialistForm(request.POST),
        lambda d: services.young_specialist_add(actor=request.user, school=s, **d),
        "Молодой специалист отмечен.",
    )
    return _back(s, year, "#young")


def _store_upload(upload: Any) -> Path:
    """Keep the uploaded file under SHNOR_HOME/uploads (removed later by the periodic clean-up)."""
    name = Path(str(upload.name).replace("\\", "/")).name.replace("\x00", "") or "needs.csv"
    folder = Path(settings.HOME) / "uploads" / f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    target = folder / name
    with open(target, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return target


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Import a needs file; the outcome and its errors as messages."""
    back = request.POST.get("next") or reverse("resources:index")
    if not back.startswith("/resources/"):
        back = reverse("resources:index")
    form = f.NeedsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    path = _store_upload(form.cleaned_data["file"])
    outcome = needs_import(path=path, actor=request.user, name=path.name)
    (messages.success if outcome.ok else messages.error)(request, outcome.summary)
    for e in outcome.errors[:20]:
        messages.error(request, str(e))
    if len(outcome.errors) > 20:
        messages.error(request, f"… и ещё ошибок: {len(outcome.errors) - 20}")
    return redirect(back)
