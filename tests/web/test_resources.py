"""The needs register and targeted support: vacancies and equipment entered by role, the staff shortage
of the social index re-derived from key vacancies (the context row created when missing, audited), the
atomic file import with row errors, support decisions and their execution, the summaries and their XLSX,
scoping of pages and API."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from shnor.web.accounts.models import AuditEntry
from shnor.web.registry.models import SchoolContext
from shnor.web.resources import selectors as sel
from shnor.web.resources import services
from shnor.web.resources.imports import needs_import
from shnor.web.resources.models import EquipmentNeed, StaffNeed, SupportDecision


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def vacancy(world, user_key="school", school=None, year=2025, **kw):
    fields = {"specialist": "psychologist", "rates_needed": "1.5", "rates_vacant": "1"} | kw
    return services.staff_need_save(
        actor=world.users[user_key], school=school or world.school, year=year, **fields
    )


def test_school_enters_a_key_vacancy_and_the_staff_shortage_follows(world) -> None:
    assert not SchoolContext.objects.filter(school=world.school, year=2025).exists()
    need = vacancy(world)
    ctx = SchoolContext.objects.get(school=world.school, year=2025)  # created when missing
    assert ctx.staff_shortage is True
    assert AuditEntry.objects.filter(action="кадровый дефицит обновлён по реестру потребностей").count() == 1
    services.need_delete(actor=world.users["school"], need=need)
    ctx.refresh_from_db()
    assert ctx.staff_shortage is False
    vacancy(world, specialist="tutor", rates_vacant="2", rates_needed="2")  # not a key specialist
    ctx.refresh_from_db()
    assert ctx.staff_shortage is False


def test_rights_on_needs_decisions_and_young_specialists(world) -> None:
    vacancy(world, "municipality", school=world.neighbour)
    vacancy(world, "region", school=world.far)
    for key in ("observer", "teacher", "curator"):
        with pytest.raises(PermissionDenied):
            vacancy(world, key)
    with pytest.raises(PermissionDenied):
        vacancy(world, "school", school=world.neighbour)  # another school
    with pytest.raises(PermissionDenied):
        vacancy(world, "municipality", school=world.far)  # another municipality
    with pytest.raises(PermissionDenied):
        services.decision_create(
            actor=world.users["municipality"],
            school=world.school,
            purpose="x",
            amount=1,
            source="region",
            decided_on=date(2025, 3, 1),
        )
    with pytest.raises(PermissionDenied):
        services.young_specialist_add(
            actor=world.users["school"],
            school=world.school,
            specialist="psychologist",
            placed_on=date(2025, 9, 1),
        )
    y = services.young_specialist_add(
        actor=world.users["municipality"],
        school=world.school,
        specialist="subject_teacher",
        subject="математика",
        placed_on=date(2025, 9, 1),
        programme="Земский учитель",
    )
    assert y.year == 2025


def test_staff_need_rules_say_what_is_wrong(world) -> None:
    with pytest.raises(ValidationError, match="укажите предмет"):
        vacancy(world, specialist="subject_teacher")
    with pytest.raises(ValidationError, match="больше, чем требуется"):
        vacancy(world, rates_needed="1", rates_vacant="2")
    with pytest.raises(ValidationError, match="укажите, кто нужен"):
        vacancy(world, specialist="other")
    vacancy(world, rates_vacant="0.5")
    vacancy(world, rates_vacant="1")  # the same specialist again updates the row
    assert StaffNeed.objects.get(school=world.school, year=2025).rates_vacant == Decimal("1.00")


def needs_csv(tmp_path, rows: list[str], name="needs.csv"):
    path = tmp_path / name
    path.write_text(
        "\n".join(["year,school_id,kind,specialist|item,subject,quantity,cost,note", *rows]) + "\n"
    )
    return path


def test_import_is_atomic_with_row_errors_and_idempotent(world, tmp_path) -> None:
    bad = needs_csv(
        tmp_path,
        [
            "2025,sch0001,staff,педагог-психолог,,1,,",
            "2025,sch0001,staff,астролог,,1,,",
            "2025,sch0009,equipment,Интерактивная панель,,2,300000,",
            "2025,sch0001,equipment,Ноутбук,,два,50000,",
        ],
    )
    out = needs_import(path=bad, actor=world.users["region"])
    assert out.status == "rejected"
    text = [str(e) for e in out.errors]
    assert text[0].startswith(
        "needs.csv, строка 3, столбец «specialist|item»: специалист «астролог» не распознан"
    )
    assert "строка 4, столбец «school_id»: школа «sch0009» не найдена" in text[1]
    assert "строка 5, столбец «quantity»" in text[2]
    assert not StaffNeed.objects.exists()
    assert not EquipmentNeed.objects.exists()

    good = needs_csv(
        tmp_path,
        [
            "2025,sch0001,staff,учитель-предметник,математика,2,,",
            "2025,sch0001,staff,другое: инструктор по ФК,,1,,",
            '2025,sch0003,equipment,Интерактивная панель,,2,"300000,50",кабинет математики',
        ],
        name="good.csv",
    )
    assert needs_import(path=good, actor=world.users["region"]).status == "stored"
    assert needs_import(path=good, actor=world.users["region"]).status == "stored"
    assert StaffNeed.objects.count() == 2
    assert EquipmentNeed.objects.count() == 1
    assert EquipmentNeed.objects.get().cost == Decimal("300000.50")
    assert SchoolContext.objects.get(school=world.school, year=2025).staff_shortage is True
    other = StaffNeed.objects.get(specialist="other")
    assert other.title == "другой специалист: инструктор по ФК"
    # a municipality may not load another municipality's school
    out = needs_import(path=good, actor=world.users["municipality"])
    assert out.status == "rejected"
    assert "sch0003" in str(out.errors[0])


def test_decision_execution_and_summaries(world) -> None:
    region = world.users["region"]
    vacancy(world, rates_vacant="1")
    services.equipment_need_save(
        actor=world.users["school"],
        school=world.school,
        year=2025,
        item="Интерактивная панель",
        quantity=2,
        cost="600000",
        purpose="кабинет математики",
    )
    d = services.decision_create(
        actor=region,
        school=world.school,
        purpose="Оснащение кабинета",
        amount="500000",
        source="region",
        decided_on=date(2025, 4, 10),
        document="№ 12-р",
    )
    gone = services.decision_create(
        actor=region,
        school=world.neighbour,
        purpose="Отменённое",
        amount="100000",
        source="federal",
        decided_on=date(2025, 4, 11),
        status="cancelled",
    )
    services.execution_add(actor=region, decision=d, on=date(2025, 6, 1), spent="200000", note="первый этап")
    d.refresh_from_db()
    assert d.status == "executing"
    with pytest.raises(ValidationError, match="отменено"):
        services.execution_add(actor=region, decision=gone, on=date(2025, 6, 1), spent="1")
    with pytest.raises(PermissionDenied):
        services.execution_add(actor=world.users["school"], decision=d, on=date(2025, 6, 1), spent="1")

    data = sel.summary(user=region, year=2025)
    assert [r["unit"].name for r in data["rows"]] == ["Город Первый"]
    row = data["rows"][0]
    assert row["vacant"]["psychologist"] == Decimal("1")
    assert row["equipment_cost"] == Decimal("600000")
    assert row["decisions"]["executing"] == {"count": 1, "amount": Decimal("500000")}
    assert row["decisions"]["cancelled"]["count"] == 1
    assert row["decided_amount"] == Decimal("500000")
    assert row["spent"] == Decimal("200000")
    assert row["executed_share"] == Decimal("0.4")
    by_school = sel.summary(user=world.users["municipality"], year=2025, municipality=world.mun)
    assert [r["unit"].school_id for r in by_school["rows"]] == ["sch0001", "sch0002"]
    # the other region sees nothing
    assert SupportDecision.objects.visible_to(world.users["school"]).count() == 1

    page = client_for(world.users["municipality"]).get("/resources/?year=2025").content.decode()
    assert "600\u00a0000,00\u00a0₽" in page
    assert "40,0\u00a0%" in page
    resp = client_for(region).get("/resources/export.xlsx?year=2025")
    book = openpyxl.load_workbook(io.BytesIO(resp.content))
    sheet = book["Свод"]
    assert sheet.cell(3, 1).value == "Муниципалитет"
    assert sheet.cell(4, 1).value == "Город Первый"
    assert book["Решения"].cell(2, 4).value in ("Оснащение кабинета", "Отменённое")


def test_pages_and_api_are_scoped(world) -> None:
    vacancy(world)
    school_c = client_for(world.users["school"])
    assert school_c.get("/resources/").status_code == 302  # the school goes to its own page
    assert school_c.get("/resources/schools/sch0002/").status_code == 404
    assert client_for(world.users["teacher"]).get("/resources/schools/sch0001/?year=2025").status_code == 200
    assert (
        client_for(world.users["observer"])
        .post(
            "/resources/schools/sch0001/staff/",
            {"year": 2025, "specialist": "tutor", "rates_needed": 1, "rates_vacant": 1},
        )
        .status_code
        == 403
    )
    # the router's endpoints (mounted by the lead engineer), called as ninja calls them
    from django.http import Http404
    from django.test import RequestFactory

    from shnor.web.resources import api

    request = RequestFactory().get("/")
    request.user = world.users["municipality"]
    data = api.needs(request, school_id="sch0001", year=2025)
    assert data["staff"][0]["specialist_label"] == "педагог-психолог"
    with pytest.raises(Http404):
        api.needs(request, school_id="sch0003", year=2025)
    services.decision_create(
        actor=world.users["region"],
        school=world.far,
        purpose="Кабинет",
        amount=10,
        source="region",
        decided_on=date(2025, 2, 1),
    )
    page = api.decisions(request, year=2025, municipality=None, school_id=None)  # a page: items, count
    assert (page["items"], page["count"]) == ([], 0)
    request.user = world.users["region"]
    page = api.decisions(request, year=2025, municipality=None, school_id=None)
    assert [d["school_id"] for d in page["items"]] == ["sch0003"]
