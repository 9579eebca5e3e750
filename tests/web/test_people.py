"""People's development: heads and specialists, internships at high-results schools, teacher mentoring,
the reserve of heads, competitions; scoping by role, audit, the school's section, XLSX and API."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from ninja.testing import TestClient
from openpyxl import load_workbook

from shnor.web.accounts.models import AuditEntry
from shnor.web.diagnostics import people_selectors as sel
from shnor.web.diagnostics import people_services as svc
from shnor.web.diagnostics.api import router
from shnor.web.diagnostics.models import Internship, MentoringPair, Person

D = dt.date


def _client(world, role: str) -> Client:
    c = Client()
    c.force_login(world.users[role])
    return c


@pytest.fixture
def head(world) -> Person:
    return svc.person_create(
        full_name="Иванова  Анна Петровна",
        position=Person.HEAD,
        school=world.school,
        user=world.users["municipality"],
    )


@pytest.fixture
def internship(world, head) -> Internship:
    return svc.internship_create(
        kind=Internship.INTERNSHIP,
        host=world.neighbour,
        guests=[head],
        topic="Управление качеством образования",
        starts_on=D(2024, 10, 7),
        ends_on=D(2024, 10, 11),
        user=world.users["municipality"],
    )


@pytest.fixture
def pair(world) -> MentoringPair:
    return svc.mentoring_pair_create(
        mentor_school=world.neighbour,
        mentor_code="M-01",
        mentor_name="Петров Олег Ильич",
        mentee_school=world.school,
        mentee_code="T-07",
        mentee_name="Сидорова Мария",
        subject="Математика",
        starts_on=D(2024, 9, 1),
        goals="Снять дефицит в работе с текстовыми задачами",
        user=world.users["school"],
    )


def test_hosts_are_schools_off_the_list_in_scope(world) -> None:
    region_hosts = [h.school.school_id for h in sel.host_suggestions(user=world.users["region"], limit=50)]
    assert "sch0002" in region_hosts
    assert {"sch0001", "sch0003"}.isdisjoint(region_hosts)  # on the 2024 ШНОР list
    assert "sch0009" not in region_hosts  # another region
    mun_hosts = [h.school.school_id for h in sel.host_suggestions(user=world.users["municipality"])]
    assert mun_hosts == ["sch0002"]
    best = sel.host_suggestions(user=world.users["municipality"])[0]
    assert best.year == 2024
    assert best.share_fails == pytest.approx((0.36 / 3 + 0.05) / 2)


def test_person_rules(world) -> None:
    with pytest.raises(ValueError, match="со школой"):
        svc.person_create(
            full_name="А Б", position=Person.HEAD, municipality=world.mun, user=world.users["region"]
        )
    with pytest.raises(PermissionDenied):
        svc.person_create(
            full_name="А Б", position=Person.HEAD, school=world.far, user=world.users["municipality"]
        )
    with pytest.raises(PermissionDenied):
        svc.person_create(
            full_name="А Б", position=Person.HEAD, school=world.school, user=world.users["observer"]
        )
    spec = svc.person_create(
        full_name="Кузнецов Игорь",
        position=Person.MUNICIPAL,
        municipality=world.mun,
        user=world.users["municipality"],
    )
    assert spec.place == "Город Первый"
    assert list(sel.people_visible_to(user=world.users["school"])) == []  # not the school's staff


def test_internship_recorded_scoped_and_audited(world, head, internship) -> None:
    assert head.full_name == "Иванова Анна Петровна"
    assert AuditEntry.objects.filter(object_type="diagnostics.internship", action="create").count() == 1
    assert list(sel.internships_visible_to(user=world.users["school"])) == [internship]
    assert list(sel.internships_visible_to(user=world.users["observer"])) == [internship]
    assert list(sel.internships_visible_to(user=world.users["teacher"])) == []
    with pytest.raises(ValueError, match="в списке ШНОР"):
        svc.internship_create(
            kind=Internship.COACHING,
            host=world.school,
            guests=[head],
            topic="Коучинг",
            starts_on=D(2024, 10, 1),
            ends_on=D(2024, 10, 2),
            user=world.users["region"],
        )
    with pytest.raises(ValueError, match="раньше даты начала"):
        svc.internship_create(
            kind=Internship.COACHING,
            host=world.neighbour,
            guests=[head],
            topic="Коучинг",
            starts_on=D(2024, 10, 5),
            ends_on=D(2024, 10, 2),
            user=world.users["region"],
        )
    svc.internship_update(
        internship=internship, status=Internship.DONE, outcome="План изменений", user=world.users["region"]
    )
    internship.refresh_from_db()
    assert internship.status == Internship.DONE
    assert internship.outcome == "План изменений"


def test_mentoring_pair_rules(world, pair) -> None:
    assert pair.mentor.school == world.neighbour
    assert pair.mentee.full_name == "Сидорова Мария"
    with pytest.raises(ValueError, match="не в списке ШНОР"):
        svc.mentoring_pair_create(
            mentor_school=world.school,
            mentor_code="M-02",
            mentee_school=world.neighbour,
            mentee_code="T-08",
            subject="Русский язык",
            starts_on=D(2024, 9, 1),
            goals="Цели",
            user=world.users["municipality"],
        )
    with pytest.raises(PermissionDenied):  # a school records pairs of its own teachers only
        svc.mentoring_pair_create(
            mentor_school=world.school,
            mentor_code="M-02",
            mentee_school=world.far,
            mentee_code="T-08",
            subject="Русский язык",
            starts_on=D(2024, 9, 1),
            goals="Цели",
            user=world.users["school"],
        )
    with pytest.raises(ValueError, match="раньше начала"):
        svc.meeting_add(pair=pair, held_on=D(2024, 8, 1), note="Знакомство", user=world.users["school"])
    svc.meeting_add(pair=pair, held_on=D(2024, 9, 5), note="Посещение урока", user=world.users["school"])
    with pytest.raises(PermissionDenied):
        svc.meeting_add(pair=pair, held_on=D(2024, 9, 6), note="Разбор", user=world.users["observer"])
    svc.pair_update(
        pair=pair, status=MentoringPair.FINISHED, result="Дефицит снят", user=world.users["school"]
    )
    pair.refresh_from_db()
    assert pair.ends_on == dt.date.today()
    assert pair.meetings.count() == 1
    assert list(sel.pairs_visible_to(user=world.users["teacher"])) == []  # not the teacher's pair
    assert list(sel.pairs_visible_to(user=world.users["curator"])) == [pair]


def test_reserve_and_competition(world, head) -> None:
    entry = svc.reserve_add(
        person=head, position_aimed="директор", included_on=D(2024, 5, 20), user=world.users["municipality"]
    )
    svc.reserve_set_status(entry=entry, status="appointed", user=world.users["region"])
    assert sel.reserve_visible_to(user=world.users["school"]).get().status == "appointed"
    comp = svc.competition_create(
        title="Программа развития — 2024", year=2024, user=world.users["municipality"]
    )
    assert comp.municipality == world.mun
    assert comp.region == world.region
    with pytest.raises(ValueError, match="ожидается"):
        svc.entry_add(
            competition=comp,
            school=world.school,
            programme="Школа роста",
            upload=SimpleUploadedFile("p.exe", b"MZ"),
            user=world.users["municipality"],
        )
    e = svc.entry_add(
        competition=comp,
        school=world.school,
        programme="Школа роста",
        upload=SimpleUploadedFile("программа.pdf", b"%PDF-1.4 test"),
        user=world.users["municipality"],
    )
    svc.entry_result(entry=e, place=1, score=87.5, decision="победитель", user=world.users["municipality"])
    with pytest.raises(PermissionDenied):
        svc.entry_result(entry=e, place=2, user=world.users["school"])
    c = _client(world, "school")
    r = c.get(f"/diagnostics/people/entries/{e.pk}/file/")
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == b"%PDF-1.4 test"
    assert "программа.pdf" in r["Content-Disposition"] or "filename*" in r["Content-Disposition"]
    assert list(sel.competitions_visible_to(user=world.users["region"])) == [comp]


def test_pages_by_role(world, head, internship, pair) -> None:
    mun = _client(world, "municipality")
    page = mun.get("/diagnostics/people/internships/").content.decode()
    assert "Управление качеством образования" in page
    assert "07.10.2024 — 11.10.2024" in page
    assert 'id="internship-form"' in page
    observer = _client(world, "observer")
    assert 'id="internship-form"' not in observer.get("/diagnostics/people/internships/").content.decode()
    r = observer.post("/diagnostics/people/reserve/", {"person": head.pk, "position_aimed": "директор"})
    assert r.status_code == 403
    school = _client(world, "school")
    page = school.get("/diagnostics/people/mentoring/").content.decode()
    assert "Сидорова Мария" in page
    assert 'id="pair-form"' in page
    r = school.post(
        f"/diagnostics/people/mentoring/{pair.pk}/meeting/",
        {"held_on": "2024-09-12", "note": "Открытый урок"},
    )
    assert r.status_code == 302
    assert "12.09.2024" in school.get(f"/diagnostics/people/mentoring/{pair.pk}/").content.decode()
    section = school.get("/diagnostics/people/schools/sch0001/").content.decode()
    assert "Развитие кадров" in section
    assert "Управление качеством образования" in section
    assert "Петров Олег Ильич → Сидорова Мария" in section
    assert _client(world, "school").get("/diagnostics/people/schools/sch0003/").status_code == 404
    bad = mun.post(
        "/diagnostics/people/internships/",
        {
            "kind": "internship",
            "host": world.neighbour.pk,
            "guests": [head.pk],
            "topic": "Т",
            "starts_on": "x",
        },
    )
    assert bad.status_code == 200
    assert "«Начало»" in bad.content.decode()


def test_export_and_api(world, head, internship, pair) -> None:
    body = _client(world, "region").get("/diagnostics/people/export.xlsx").content
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Стажировки", "Наставничество", "Кадровый резерв", "Конкурсы"]
    rows = list(book["Стажировки"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Вид", "Базовая школа", "Тема")
    assert rows[1][2] == "Управление качеством образования"
    assert rows[1][4] == "07.10.2024"
    client = TestClient(router)
    data = client.get("/people/schools/sch0001", user=world.users["school"]).json()
    assert [i["topic"] for i in data["internships"]] == ["Управление качеством образования"]
    assert data["pairs"][0]["mentee_school_id"] == "sch0001"
    assert client.get("/people/schools/sch0009", user=world.users["region"]).status_code == 404
    listed = client.get("/people/mentoring", user=world.users["teacher"]).json()
    assert listed["count"] == 0
