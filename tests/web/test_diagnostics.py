"""Teacher diagnostics: import with Russian row errors, deficits, routes (ИОМ), enrolments, role scoping."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from shnor.web.accounts.models import AuditEntry, Role
from shnor.web.accounts.services import user_create
from shnor.web.diagnostics import services
from shnor.web.diagnostics.models import CompetenceResult, Course, Enrolment, Teacher
from tests.web.world import PASSWORD

ROLES = ["region", "municipality", "school", "teacher", "curator", "observer"]
HEADER = "Логин ОО;Код учителя;ФИО;Предмет;Область компетенций;Балл;Максимум;Дата"
ROWS = [
    "sch0001;T-1;Иванова А.А.;Математика;Предметные знания;8;20;15.03.2024",  # deficit (40 %)
    "sch0001;T-1;Иванова А.А.;Математика;Методика преподавания;11;12;15.03.2024",
    "sch0001;T-2;;Математика;Предметные знания;18;20;2024-03-15",
    "sch0002;T-3;;Русский язык;Предметные знания;5;20;16.03.2024",
    "sch0001;T-4;;Математика;Предметные знания;abc;20;15.03.2024",  # row 6: score not a number
    "sch0001;T-4;;Математика;Предметные знания;25;20;15.03.2024",  # row 7: score above max
    "sch0001;T-4;;Математика;Предметные знания;5;20;32.13.2024",  # row 8: bad date
    "sch0009;T-9;;Математика;Предметные знания;5;20;15.03.2024",  # row 9: other region
]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def write(tmp_path: Path, rows: list[str], name: str = "competence.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def diag(world, tmp_path):
    """World + results of sch0001 (T-1, T-2) and sch0002 (T-3), a course catalogue, T-1 as u_teacher."""
    outcome = services.competence_file_import(path=write(tmp_path, ROWS[:4]), user=world.users["region"])
    assert outcome.rows_loaded == 4
    services.course_create(
        title="Решение задач повышенной сложности",
        provider="ИРО",
        hours=36,
        areas=["Предметные знания"],
        subject="Математика",
        user=None,
    )
    services.course_create(
        title="Работа с детьми группы риска",
        provider="ЦНППМ",
        hours=24,
        areas=["Методика преподавания"],
        at_risk_pupils=True,
        user=None,
    )
    t1 = Teacher.objects.get(code="T-1")
    services.teacher_link_user(teacher=t1, account=world.users["teacher"], user=None)
    return {"t1": t1, "t2": Teacher.objects.get(code="T-2"), "t3": Teacher.objects.get(code="T-3")}


def test_import_reports_russian_row_errors_and_loads_good_rows(world, tmp_path) -> None:
    outcome = services.competence_file_import(
        path=write(tmp_path, ROWS), user=world.users["region"], original_name="диагностика.csv"
    )
    assert outcome.rows_total == 8
    assert outcome.rows_loaded == 4
    assert outcome.teachers_created == 3
    errors = {(e.row, e.column): e.message for e in outcome.errors}
    assert errors[(6, "Балл")] == "ожидается число"
    assert errors[(7, "Балл")] == "балл больше максимального"
    assert errors[(8, "Дата")].startswith("ожидается дата")
    assert "вне вашей области" in errors[(9, "Логин ОО")]
    assert all(e.file == "диагностика.csv" for e in outcome.errors)
    assert Teacher.objects.get(code="T-1").full_name == "Иванова А.А."
    assert AuditEntry.objects.filter(action="import", object_type="diagnostics.competenceimport").exists()
    # a municipality user importing cannot reach other municipalities' schools (scope decides, not the file)
    user = user_create(
        username="mun_import", password=PASSWORD, role=Role.MUNICIPALITY, municipality=world.mun2
    )
    other = services.competence_file_import(path=write(tmp_path, ROWS[:1], "again.csv"), user=user)
    assert other.rows_loaded == 0
    assert "вне вашей области" in other.errors[0].message


def test_import_page_validates_uploads_and_missing_columns(world, tmp_path) -> None:
    client = login(world.users["region"])
    url = reverse("diagnostics:import")
    assert client.get(url).status_code == 200
    with write(tmp_path, ROWS).open("rb") as fh:
        page = client.post(url, {"file": fh})
    assert page.status_code == 200
    assert "балл больше максимального" in page.content.decode()
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"not a zip")
    with bad.open("rb") as fh:
        assert "повреждён" in client.post(url, {"file": fh}).content.decode()
    exe = tmp_path / "x.exe"
    exe.write_bytes(b"MZ")
    with exe.open("rb") as fh:
        assert "Ожидается файл .csv или .xlsx" in client.post(url, {"file": fh}).content.decode()
    partial = tmp_path / "partial.csv"
    partial.write_text("Логин ОО;Код учителя\nsch0001;T-1\n", encoding="utf-8")
    with partial.open("rb") as fh:
        assert "нет обязательных столбцов" in client.post(url, {"file": fh}).content.decode()
    for role in ("municipality", "school", "teacher", "observer"):
        assert login(world.users[role]).get(url).status_code == 403
    assert CompetenceResult.objects.count() == 4


def test_route_from_deficits_enrolment_and_completion(world, diag) -> None:
    director = login(world.users["school"])
    page = director.get(reverse("diagnostics:teacher", args=[diag["t1"].pk]))
    assert page.status_code == 200
    assert "дефицит" in page.content.decode()
    assert (
        director.post(reverse("diagnostics:route_new", args=[diag["t1"].pk]), {"year": 2024}).status_code
        == 302
    )
    enrolment = Enrolment.objects.get(route__teacher=diag["t1"])
    assert enrolment.course.title == "Решение задач повышенной сложности"
    assert enrolment.area == "Предметные знания"
    # the teacher sees the route and marks the course completed
    teacher = login(world.users["teacher"])
    assert teacher.get(reverse("diagnostics:index")).url == reverse(
        "diagnostics:teacher", args=[diag["t1"].pk]
    )
    assert (
        "Решение задач повышенной сложности"
        in teacher.get(reverse("diagnostics:teacher", args=[diag["t1"].pk])).content.decode()
    )
    assert (
        teacher.post(
            reverse("diagnostics:enrolment_status", args=[enrolment.pk]), {"status": "completed"}
        ).status_code
        == 302
    )
    enrolment.refresh_from_db()
    assert enrolment.status == "completed"
    assert enrolment.completed_on is not None
    # the teacher cannot build routes, and the director adds a course by hand
    assert (
        teacher.post(reverse("diagnostics:route_new", args=[diag["t1"].pk]), {"year": 2025}).status_code
        == 403
    )
    extra = Course.objects.get(at_risk_pupils=True)
    director.post(
        reverse("diagnostics:enrolment_new", args=[enrolment.route.pk]), {"course": extra.pk, "area": ""}
    )
    assert enrolment.route.enrolments.count() == 2


def test_aggregates_for_region_and_no_individual_rows(world, diag) -> None:
    page = login(world.users["region"]).get(reverse("diagnostics:index")).content.decode()
    assert 'id="n-teachers">3<' in page
    assert "Иванова" not in page
    mun = login(world.users["municipality"]).get(reverse("diagnostics:index")).content.decode()
    assert 'id="n-teachers">3<' in mun  # sch0001 and sch0002 are both in «Город Первый»
    director = login(world.users["school"]).get(reverse("diagnostics:index")).content.decode()
    assert "Иванова" in director
    assert "T-3" not in director  # the neighbour school's teacher


@pytest.mark.parametrize("role", ROLES)
def test_teacher_detail_urls_are_scoped_per_role(world, diag, role) -> None:
    client = login(world.users[role])
    route = services.route_create(teacher=diag["t1"], year=2024, user=None)
    route3 = services.route_create(teacher=diag["t3"], year=2024, user=None)
    services.enrolment_add(route=route3, course=Course.objects.first(), user=None)
    visible = {"school": {"t1", "t2"}, "teacher": {"t1"}}.get(role, set())
    for name in ("t1", "t2", "t3"):
        t = diag[name]
        expected = 200 if name in visible else 404
        assert client.get(reverse("diagnostics:teacher", args=[t.pk])).status_code == expected, (role, name)
        if name not in visible:
            assert (
                client.post(reverse("diagnostics:route_new", args=[t.pk]), {"year": 2024}).status_code == 404
            )
            assert (
                client.post(reverse("diagnostics:teacher_link", args=[t.pk]), {"account": ""}).status_code
                == 404
            )
    foreign_enrolment = route3.enrolments.first()
    assert (
        client.post(
            reverse("diagnostics:enrolment_status", args=[foreign_enrolment.pk]), {"status": "completed"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("diagnostics:enrolment_new", args=[route3.pk]), {"course": Course.objects.first().pk}
        ).status_code
        == 404
    )
    if "t1" not in visible:
        assert client.post(
            reverse("diagnostics:enrolment_new", args=[route.pk]), {"course": Course.objects.first().pk}
        ).status_code in (403, 404)


def test_link_account_rules_and_csrf(world, diag) -> None:
    director = login(world.users["school"])
    wrong = director.post(
        reverse("diagnostics:teacher_link", args=[diag["t2"].pk]),
        {"account": world.users["school"].pk},
        follow=True,
    )
    assert "роль «Учитель»" in wrong.content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["school"])
    assert (
        strict.post(reverse("diagnostics:route_new", args=[diag["t1"].pk]), {"year": 2024}).status_code == 403
    )
    assert (
        director.post(reverse("diagnostics:teacher_add"), {"code": "T-NEW", "full_name": ""}).status_code
        == 302
    )
    assert Teacher.objects.filter(code="T-NEW", school=world.school).exists()
    assert (
        login(world.users["municipality"]).post(reverse("diagnostics:teacher_add"), {"code": "X"}).status_code
        == 403
    )


def test_course_catalogue_is_kept_by_region(world) -> None:
    data = {
        "title": "ФГОС ООО",
        "provider": "ИРО",
        "hours": 72,
        "areas": "Методика преподавания; Оценивание",
        "subject": "",
    }
    assert login(world.users["school"]).post(reverse("diagnostics:courses"), data).status_code == 403
    assert login(world.users["region"]).post(reverse("diagnostics:courses"), data).status_code == 302
    assert Course.objects.get(title="ФГОС ООО").areas == ["Методика преподавания", "Оценивание"]
    assert "ФГОС ООО" in login(world.users["teacher"]).get(reverse("diagnostics:courses")).content.decode()
    assert (
        login(world.users["region"])
        .get(reverse("diagnostics:template"))
        .content.startswith("\ufeff".encode())
    )
