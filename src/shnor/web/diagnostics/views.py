"""Teacher diagnostics pages: results and routes (teacher, director), aggregates, import, course catalogue."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shnor.core.ingest.errors import IngestError
from shnor.web import params
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import scope_of
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.diagnostics import forms as f
from shnor.web.diagnostics import services
from shnor.web.diagnostics.models import Course, DevelopmentRoute, Enrolment
from shnor.web.diagnostics.selectors import competence_summary, teacher_areas, teachers_visible_to
from shnor.web.registry.models import School


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """A teacher goes to their own page; a director sees the school's teachers; others see aggregates."""
    scope = scope_of(request.user)
    if scope.acts_as(Role.TEACHER):
        own = teachers_visible_to(user=request.user).first()
        if own is not None:
            return redirect("diagnostics:teacher", pk=own.pk)
        return render(request, "diagnostics/index.html", {"no_record": True})
    schools = schools_visible_to(user=request.user)
    summary = competence_summary(schools=schools)
    teachers = teachers_visible_to(user=request.user).order_by("school__school_id", "code")
    director = scope.role == Role.SCHOOL
    return render(
        request,
        "diagnostics/index.html",
        {
            "summary": summary,
            "teachers": teachers,
            "individual": scope.superuser or director,
            "director": director,
            "can_import": scope.can_import,
            "teacher_form": f.TeacherForm() if director else None,
        },
    )


@login_required
def teacher_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One teacher: results by area with deficits, the routes and their courses."""
    teacher = get_object_or_404(teachers_visible_to(user=request.user), pk=pk)
    manage = scope_of(request.user).can_manage_teachers(teacher.school)
    own = teacher.user_id == request.user.pk
    accounts = []
    if manage:
        accounts = (
            get_user_model()
            .objects.filter(profile__role=Role.TEACHER, profile__school=teacher.school)
            .order_by("username")
        )
    return render(
        request,
        "diagnostics/teacher.html",
        {
            "teacher": teacher,
            "areas": teacher_areas(teacher=teacher),
            "routes": teacher.routes.prefetch_related("enrolments__course"),
            "manage": manage,
            "own": own,
            "route_form": f.RouteForm(initial={"year": dt.date.today().year}),
            "add_form": f.EnrolmentAddForm(),
            "status_form": f.EnrolmentStatusForm(),
            "accounts": accounts,
            "results": teacher.results.all()[:200],
        },
    )


def _managed_teacher(request: HttpRequest, pk: int):
    teacher = get_object_or_404(teachers_visible_to(user=request.user), pk=pk)
    if not scope_of(request.user).can_manage_teachers(teacher.school):
        raise PermissionDenied("Маршруты составляет руководитель школы.")
    return teacher


@login_required
@require_POST
def route_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Create the teacher's route for a year with courses for the diagnosed deficits."""
    teacher = _managed_teacher(request, pk)
    form = f.RouteForm(request.POST)
    if form.is_valid():
        route = services.route_create(teacher=teacher, year=form.cleaned_data["year"], user=request.user)
        messages.success(request, f"Маршрут на {route.year} год: курсов {route.enrolments.count()}.")
    else:
        messages.error(request, "Укажите год маршрута.")
    return redirect("diagnostics:teacher", pk=teacher.pk)


@login_required
@require_POST
def teacher_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link (or unlink) a teacher-role account to the record."""
    teacher = _managed_teacher(request, pk)
    account_id = params.identifier(request.POST, "account", label="учётная запись учителя")
    account = None
    if account_id is not None:
        account = get_user_model().objects.filter(pk=account_id).first()
        if account is None:
            raise Http404("учётная запись не найдена")
    try:
        services.teacher_link_user(teacher=teacher, account=account, user=request.user)
        messages.success(request, "Учётная запись привязана." if account else "Привязка снята.")
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("diagnostics:teacher", pk=teacher.pk)


@login_required
@require_POST
def enrolment_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a catalogue course to a route."""
    route = get_object_or_404(
        DevelopmentRoute.objects.filter(teacher__in=teachers_visible_to(user=request.user)), pk=pk
    )
    if not scope_of(request.user).can_manage_teachers(route.teacher.school):
        raise PermissionDenied("Маршруты составляет руководитель школы.")
    form = f.EnrolmentAddForm(request.POST)
    if form.is_valid():
        services.enrolment_add(
            route=route, course=form.cleaned_data["course"], area=form.cleaned_data["area"], user=request.user
        )
        messages.success(request, "Курс добавлен в маршрут.")
    else:
        messages.error(request, "Выберите курс из каталога.")
    return redirect("diagnostics:teacher", pk=route.teacher_id)


@login_required
@require_POST
def enrolment_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an enrolment's status (the director, or the teacher for their own route)."""
    enrolment = get_object_or_404(
        Enrolment.objects.filter(route__teacher__in=teachers_visible_to(user=request.user)).select_related(
            "route__teacher__school"
        ),
        pk=pk,
    )
    teacher = enrolment.route.teacher
    if not (scope_of(request.user).can_manage_teachers(teacher.school) or teacher.user_id == request.user.pk):
        raise PermissionDenied
    form = f.EnrolmentStatusForm(request.POST)
    if form.is_valid():
        services.enrolment_set_status(
            enrolment=enrolment, status=form.cleaned_data["status"], user=request.user
        )
        messages.success(request, "Статус курса изменён.")
    return redirect("diagnostics:teacher", pk=teacher.pk)


@login_required
@require_POST
def teacher_add(request: HttpRequest) -> HttpResponse:
    """A director adds a teacher to the school's register."""
    scope = scope_of(request.user)
    if scope.role != Role.SCHOOL or scope.school_id is None:
        raise PermissionDenied("Учителей вносит руководитель школы.")
    form = f.TeacherForm(request.POST)
    if form.is_valid():
        school = School.objects.get(pk=scope.school_id)
        t = services.teacher_create(
            school=school,
            code=form.cleaned_data["code"],
            full_name=form.cleaned_data["full_name"],
            user=request.user,
        )
        messages.success(request, f"Учитель {t} внесён в реестр.")
    return redirect("diagnostics:index")


@login_required
def competence_import(request: HttpRequest) -> HttpResponse:
    """Upload a file of competence results (region analysts)."""
    if not scope_of(request.user).can_import:
        raise PermissionDenied("Загружать результаты диагностики может аналитик региона.")
    outcome = None
    form = f.CompetenceUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                outcome = services.competence_file_import(
                    path=path, user=request.user, original_name=Path(upload.name).name
                )
            except IngestError as exc:
                form.add_error("file", str(exc))
    return render(
        request, "diagnostics/import.html", {"form": form, "outcome": outcome, "columns": services.COLUMNS}
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    """An example file in the import format (CSV, UTF-8 with BOM for Excel)."""
    body = services.template_frame().write_csv(separator=";")
    response = HttpResponse(("\ufeff" + body).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="teacher_competence_template.csv"'
    return response


@login_required
def courses(request: HttpRequest) -> HttpResponse:
    """The course catalogue (ДПП); region analysts add courses."""
    can_edit = scope_of(request.user).can_import
    form = f.CourseForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Каталог ведёт аналитик региона.")
        assert form is not None
        if form.is_valid():
            d = form.cleaned_data
            services.course_create(
                title=d["title"],
                provider=d["provider"],
                hours=d["hours"],
                areas=form.area_list(),
                subject=d["subject"],
                at_risk_pupils=d["at_risk_pupils"],
                user=request.user,
            )
            messages.success(request, "Курс добавлен в каталог.")
            return redirect("diagnostics:courses")
    return render(
        request, "diagnostics/courses.html", {"courses": Course.objects.filter(active=True), "form": form}
    )
