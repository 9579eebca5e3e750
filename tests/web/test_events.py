"""Events and attendance: services (create, targets, ticks, participants, the import of a platform's
export), selectors (summary, indicator facts), rights per role, the pages and the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shnor.web.accounts.models import AuditEntry
from shnor.web.events import imports, selectors, services
from shnor.web.events.models import Event, Participant, SchoolAttendance
from shnor.web.monitoring import selectors as mon
from shnor.web.registry.models import School
from tests.web.world import ROLES

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "attendance_example.csv"
WHEN = timezone.make_aware(dt.datetime(2024, 3, 12, 10, 0))


def _event(world, schools, *, actor=None, kind="webinar", when=WHEN, **kw) -> Event:
    return services.event_create(
        actor=actor or world.users["region"],
        kind=kind,
        title=kw.pop("title", "Вебинар для школ с низкими результатами"),
        starts_at=when,
        organiser_level="region",
        organiser_name="Институт развития образования",
        schools=schools,
        **kw,
    )


def _lists_2024(world):
    return list(services.targets_choose(actor=world.users["region"], rule="lists", year=2024))


def test_targets_from_the_lists_of_a_year(world) -> None:
    got = {s.school_id for s in _lists_2024(world)}
    assert got == {"sch0001", "sch0003", "sch0100", "sch0101"}  # ШНОР or ШНСУ in the 2024 run
    low = services.targets_choose(actor=world.users["region"], rule="low_results", year=2024)
    assert {s.school_id for s in low} == {"sch0001", "sch0003"}
    mun = services.targets_choose(
        actor=world.users["municipality"], rule="municipality", municipality=world.mun
    )
    assert {s.school_id for s in mun} == {"sch0001", "sch0002"}
    with pytest.raises(ValidationError):
        services.targets_choose(actor=world.users["region"], rule="lists", year=2019)


def test_create_is_audited_and_refused_to_others(world) -> None:
    ev = _event(world, _lists_2024(world))
    assert ev.target_schools.count() == 4
    assert ev.region == world.region
    assert AuditEntry.objects.filter(action="создание мероприятия", object_id=str(ev.pk)).exists()
    for role in ("school", "teacher", "curator", "observer"):
        with pytest.raises(PermissionDenied):
            _event(world, [world.school], actor=world.users[role])
    with pytest.raises(PermissionDenied):  # a municipality cannot invite another municipality's school
        _event(world, [world.far], actor=world.users["municipality"])
    with pytest.raises(ValidationError):
        _event(world, [])
    own = _event(world, [world.school, world.neighbour], actor=world.users["municipality"])
    assert own.municipality == world.mun


@pytest.mark.parametrize("role", ROLES)
def test_visibility_per_role(world, role) -> None:
    both = _event(world, [world.school, world.far], title="для двух муниципалитетов")
    neighbour = _event(world, [world.neighbour], title="для лицея")
    far = _event(world, [world.far], title="для сельской школы")
    foreign = _event(world, [world.foreign], actor=_superuser(), title="для другого региона")
    seen = set(selectors.events_visible(user=world.users[role]).values_list("pk", flat=True))
    expected = {
        "region": {both.pk, neighbour.pk, far.pk},
        "observer": {both.pk, neighbour.pk, far.pk},
        "municipality": {both.pk, neighbour.pk},
        "school": {both.pk},
        "teacher": {both.pk},
        "curator": {both.pk, far.pk},
    }[role]
    assert seen == expected
    assert foreign.pk not in seen
    client = Client()
    client.force_login(world.users[role])
    assert client.get(reverse("events:index")).status_code == 200
    for ev in (both, neighbour, far, foreign):
        code = client.get(reverse("events:detail", args=[ev.pk])).status_code
        assert code == (200 if ev.pk in expected else 404), (role, ev.title)


def _superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root_events", "r@example.org", "x")


def test_ticks_per_role(world) -> None:
    ev = _event(world, [world.school, world.neighbour, world.far])
    director = world.users["school"]
    assert {s.pk for s in selectors.schools_markable(user=director, event=ev)} == {world.school.pk}
    assert services.attendance_set(actor=director, event=ev, attended=[world.school.pk]) == {
        "added": 1,
        "removed": 0,
    }
    with pytest.raises(PermissionDenied):
        services.attendance_set(actor=director, event=ev, attended=[world.far.pk])
    for role in ("teacher", "observer", "curator"):
        with pytest.raises(PermissionDenied):
            services.attendance_set(actor=world.users[role], event=ev, attended=[world.school.pk])
    mun = world.users["municipality"]
    # the municipality ticks its two schools; the far school is not its to mark
    services.attendance_set(actor=mun, event=ev, attended=[world.neighbour.pk])
    assert set(ev.attendance.values_list("school_id", flat=True)) == {world.neighbour.pk}
    with pytest.raises(PermissionDenied):
        services.attendance_set(actor=mun, event=ev, attended=[world.far.pk])
    # through the page: the school ticks itself (CSRF-protected form posted by the test client)
    c = Client()
    c.force_login(director)
    c.post(reverse("events:attendance", args=[ev.pk]), {"school": [world.school.pk]})
    assert set(ev.attendance.values_list("school_id", flat=True)) == {world.neighbour.pk, world.school.pk}
    assert AuditEntry.objects.filter(action="отметка участия школ в мероприятии").count() >= 3


def test_participants_by_hand(world) -> None:
    ev = _event(world, [world.school, world.far])
    p = services.participant_add(
        actor=world.users["school"],
        event=ev,
        school=world.school,
        full_name="  Орлова  Ирина ",
        position="учитель",
    )
    assert p.full_name == "Орлова Ирина"
    assert SchoolAttendance.objects.filter(event=ev, school=world.school).exists()
    services.participant_add(
        actor=world.users["school"], event=ev, school=world.school, full_name="Орлова Ирина"
    )
    assert Participant.objects.filter(event=ev).count() == 1
    with pytest.raises(PermissionDenied):
        services.participant_add(actor=world.users["school"], event=ev, school=world.far, full_name="Кто-то")
    services.participant_remove(actor=world.users["region"], participant=p)
    assert not Participant.objects.filter(event=ev).exists()


def test_import_of_the_example_export(world) -> None:
    region = world.users["region"]
    ev = _event(world, _lists_2024(world))
    plan = imports.plan_read(path=EXAMPLE, user=region, event=ev)
    assert not plan.errors
    assert len(plan.rows) == 5
    matched = {r.name: s.school_id for r, s in plan.rows if s is not None}
    # by login, by name with quotes and «№ 1», by name without a login
    assert matched["Иванова Мария Петровна"] == "sch0001"
    assert matched["Петров Сергей Иванович"] == "sch0001"
    assert matched["Сидорова Анна Викторовна"] == "sch0003"
    assert [org for _k, org, _n in plan.unmatched] == ["Комитет по образованию г. Первый"]
    # an unresolved organisation: refused, nothing stored
    out = imports.attendance_import(path=EXAMPLE, actor=region, event=ev)
    assert out.status == "refused"
    assert "Комитет по образованию" in out.summary
    assert not Participant.objects.filter(event=ev).exists()
    key = plan.unmatched[0][0]
    out = imports.attendance_import(path=EXAMPLE, actor=region, event=ev, mapping={key: imports.SKIP})
    assert out.status == "stored", out.summary
    people = {p.full_name: p for p in Participant.objects.filter(event=ev)}
    assert set(people) == {"Иванова Мария Петровна", "Петров Сергей Иванович", "Сидорова Анна Викторовна"}
    merged = people["Сидорова Анна Викторовна"]  # two connections: the earliest time, durations summed
    assert merged.duration_minutes == 41 + 38  # 00:41:18 and 00:38:05, each rounded to minutes
    assert timezone.localtime(merged.joined_at).strftime("%H:%M") == "10:07"
    assert set(ev.attendance.values_list("school__school_id", flat=True)) == {"sch0001", "sch0003"}
    before = AuditEntry.objects.count()
    again = imports.attendance_import(path=EXAMPLE, actor=region, event=ev, mapping={key: imports.SKIP})
    assert again.status == "unchanged"
    assert Participant.objects.filter(event=ev).count() == 3
    assert AuditEntry.objects.count() == before
    # assigning the committee to a school instead adds that person there
    out = imports.attendance_import(path=EXAMPLE, actor=region, event=ev, mapping={key: str(world.school.pk)})
    assert out.status == "stored"
    assert Participant.objects.filter(event=ev, school=world.school).count() == 3


def test_import_rejects_bad_rows_atomically(world, tmp_path) -> None:
    ev = _event(world, [world.school, world.far])
    bad = tmp_path / "участники.csv"
    bad.write_text(
        "ФИО;Логин ОО;Время подключения;Длительность\n"
        "Иванова Мария;sch0001;12.03.2024 10:01;45\n"
        ";sch0001;12.03.2024 10:02;30\n"
        "Петров Сергей;sch0003;вчера;30\n"
        "Сидорова Анна;sch0003;10:05;много\n",
        encoding="utf-8",
    )
    out = imports.attendance_import(path=bad, actor=world.users["region"], event=ev)
    assert out.status == "rejected"
    where = [(e.row, e.column) for e in out.errors]
    assert where == [(3, "ФИО"), (4, "Время подключения"), (5, "Длительность")]
    assert "строка 4" in str(out.errors[1])
    assert "участники.csv" in str(out.errors[1])
    assert not Participant.objects.filter(event=ev).exists()
    assert not ev.attendance.exists()
    nocol = tmp_path / "без школы.csv"
    nocol.write_text("ФИО;Длительность\nИванова;5\n", encoding="utf-8")
    out = imports.attendance_import(path=nocol, actor=world.users["region"], event=ev)
    assert out.status == "rejected"
    assert "нет столбца школы" in out.summary
    with pytest.raises(PermissionDenied):
        imports.attendance_import(path=EXAMPLE, actor=world.users["school"], event=ev)


def test_time_and_duration_formats() -> None:
    day = dt.date(2024, 3, 12)
    assert imports.parse_minutes("01:28:40") == 89
    assert imports.parse_minutes("45 мин") == 45
    assert imports.parse_minutes("45,6") == 46
    assert imports.parse_time("10:07", day).strftime("%d.%m.%Y %H:%M") == "12.03.2024 10:07"
    assert imports.parse_time("2024-03-12 09:30", day).hour == 9
    for bad in ("много", "-5"):
        with pytest.raises(ValueError, match=r"\S"):
            imports.parse_minutes(bad)


def test_summary_and_indicator(world) -> None:
    region, mun = world.users["region"], world.users["municipality"]
    ev = _event(world, _lists_2024(world))
    _event(world, [world.neighbour], kind="landing", when=WHEN + dt.timedelta(days=3), title="Десант в лицей")
    _event(world, [world.school], kind="seminar", when=WHEN + dt.timedelta(days=400), title="В другом году")
    key = imports.plan_read(path=EXAMPLE, user=region, event=ev).unmatched[0][0]
    imports.attendance_import(path=EXAMPLE, actor=region, event=ev, mapping={key: imports.SKIP})
    start, end = dt.date(2024, 1, 1), dt.date(2024, 3, 31)
    s = selectors.events_summary(user=region, start=start, end=end)
    assert s == {
        "events": 2,
        "by_kind": {"вебинар": 1, "методический десант": 1},
        "schools_targeted": 5,
        "schools_attended": 2,
        "people": 3,
    }
    m = selectors.events_summary(user=mun, start=start, end=end)  # only its schools: sch0001, sch0002
    assert (m["events"], m["schools_targeted"], m["schools_attended"], m["people"]) == (2, 2, 1, 2)
    assert selectors.events_summary(user=world.users["school"], start=start, end=end)["events"] == 1
    # the indicator: 2 of the 4 listed schools of 2024 took part
    rows = {
        r["code"]: r for r in mon.indicator_table(user=region, level="region", unit=world.region, year=2024)
    }
    row = rows["events_participation"]
    assert (row["numerator"], row["denominator"], row["value"]) == (2.0, 4.0, 50.0)
    rows = {
        r["code"]: r for r in mon.indicator_table(user=mun, level="municipality", unit=world.mun, year=2024)
    }
    assert rows["events_participation"]["value"] == 100.0  # its only listed school (sch0001) came
    facts = selectors.events_facts(schools=School.objects.all(), year=2023)
    assert facts["numerator"].sum() == 0  # nothing attended in 2023


def test_cards_activity_and_api(world) -> None:
    from shnor.web.support import services as support

    roadmap = support.roadmap_create(
        actor=world.users["municipality"], level="school", year=2024, school=world.school, run=world.run
    )
    activity = roadmap.activities.first()
    ev = _event(world, [world.school, world.neighbour], activities=[activity])
    services.attendance_set(actor=world.users["region"], event=ev, attended=[world.school.pk])
    c = Client()
    c.force_login(world.users["municipality"])
    card = c.get(reverse("identification:school", args=["sch0001"])).content.decode()
    assert 'id="events-block"' in card
    assert "приняла участие" in card
    other = c.get(reverse("identification:school", args=["sch0002"])).content.decode()
    assert "не приняла участие" in other
    page = c.get(reverse("support:activity", args=[activity.pk])).content.decode()
    assert 'id="activity-events"' in page
    assert "50,0" in page
    detail = c.get(reverse("events:detail", args=[ev.pk]))
    assert detail.context["stats"]["attended"] == 1
    assert detail.context["stats"]["targets"] == 2
    listing = c.get(
        reverse("events:index"), {"kind": "webinar", "municipality": world.mun.pk, "start": "2024-01-01"}
    )
    assert [r["event"].pk for r in listing.context["events"]] == [ev.pk]
    assert c.get(reverse("events:index"), {"kind": "seminar"}).context["events"] == []
    assert c.get(reverse("events:index"), {"kind": "неизвестно"}).status_code == 400
    api = c.get(f"/api/events/{ev.pk}").json()
    assert api["schools_attended"] == 1
    assert {s["school_id"] for s in api["schools"]} == {"sch0001", "sch0002"}
    page = c.get("/api/events/", {"kind": "webinar"}).json()
    assert ([e["id"] for e in page["items"]], page["count"]) == ([ev.pk], 1)
    summary = c.get("/api/events/summary", {"start": "2024-01-01", "end": "2024-12-31"}).json()
    assert summary["events"] == 1
    assert summary["schools_attended"] == 1
    school_c = Client()
    school_c.force_login(world.users["school"])
    assert school_c.get(f"/api/events/{ev.pk}").json()["schools_targeted"] == 1  # only itself


def test_create_and_import_through_the_pages(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    resp = c.post(
        reverse("events:new"),
        {
            "kind": "webinar",
            "title": "Работа с дефицитами",
            "day": "2024-03-12",
            "time": "10:00",
            "organiser_level": "region",
            "organiser_name": "Институт развития образования",
            "target_rule": "lists",
            "year": "2024",
        },
    )
    ev = Event.objects.get(title="Работа с дефицитами")
    assert resp.status_code == 302
    assert ev.target_schools.count() == 4
    with open(EXAMPLE, "rb") as fh:
        resp = c.post(reverse("events:import", args=[ev.pk]), {"file": fh})
    assert resp.status_code == 302
    assert "/import/" in resp["Location"]
    assert not Participant.objects.filter(event=ev).exists()  # nothing before the choice
    preview = c.get(resp["Location"])
    assert "Комитет по образованию г. Первый" in preview.content.decode()
    done = c.post(resp["Location"], {"org-0": imports.SKIP})
    assert done.status_code == 302
    assert Participant.objects.filter(event=ev).count() == 3
    with open(EXAMPLE, "rb") as fh:  # the same file again: the preview, then nothing changes
        again = c.post(reverse("events:import", args=[ev.pk]), {"file": fh})
    c.post(again["Location"], {"org-0": imports.SKIP})
    assert Participant.objects.filter(event=ev).count() == 3
    fake = c.post(
        reverse("events:import", args=[ev.pk]), {"file": _named(b"%PDF-1.4", "выгрузка.pdf")}, follow=True
    )
    assert "недопустимый тип" in fake.content.decode()


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_materials_and_edit(world) -> None:
    ev = _event(world, [world.school, world.neighbour])
    with pytest.raises(PermissionDenied):
        services.material_add(actor=world.users["school"], event=ev, url="https://example.org/")
    with pytest.raises(ValidationError, match="недопустимый тип"):
        services.material_add(actor=world.users["region"], event=ev, upload=_named(b"MZ", "программа.exe"))
    m = services.material_add(
        actor=world.users["region"], event=ev, title="Слайды", upload=_named(b"%PDF-1.4 x", "слайды.pdf")
    )
    for role, code in (("school", 200), ("municipality", 200), ("curator", 200)):
        c = Client()
        c.force_login(world.users[role])
        resp = c.get(reverse("events:material", args=[m.pk]))
        assert resp.status_code == code, role
    far_only = _event(world, [world.far])
    m2 = services.material_add(actor=world.users["region"], event=far_only, url="https://example.org/")
    c = Client()
    c.force_login(world.users["school"])
    assert c.get(reverse("events:material", args=[m2.pk])).status_code == 404
    assert c.get(reverse("events:edit", args=[ev.pk])).status_code == 403
    mun = Client()
    mun.force_login(world.users["municipality"])
    assert mun.get(reverse("events:edit", args=[ev.pk])).status_code == 403  # the region's event
    region = Client()
    region.force_login(world.users["region"])
    data = {
        "kind": "seminar",
        "title": "Семинар для двух школ",
        "day": "2024-04-02",
        "time": "14:30",
        "organiser_level": "municipality",
        "organiser_name": "Комитет по образованию",
        "target_rule": "picked",
        "schools": [world.school.pk],
    }
    services.attendance_set(actor=world.users["region"], event=ev, attended=[world.neighbour.pk])
    assert region.post(reverse("events:edit", args=[ev.pk]), data).status_code == 302
    ev.refresh_from_db()
    assert ev.kind == "seminar"
    assert timezone.localtime(ev.starts_at).strftime("%d.%m.%Y %H:%M") == "02.04.2024 14:30"
    assert list(ev.target_schools.values_list("school_id", flat=True)) == ["sch0001"]
    assert not ev.attendance.exists()  # the removed school's mark went with it
    assert AuditEntry.objects.filter(action="изменение мероприятия", object_id=str(ev.pk)).exists()


def test_import_of_an_xlsx_export(world, tmp_path) -> None:
    from openpyxl import Workbook

    ev = _event(world, [world.school, world.far])
    wb = Workbook()
    ws = wb.active
    ws.title = "Участники"
    ws.append(["Участник", "Школа", "Должность", "Время входа", "Время участия"])
    ws.append(["Орлова Ирина Павловна", "МКОУ Сельская ООШ", "учитель", "12.03.2024 10:05", "0:50"])
    ws.append(["Белов Пётр", "МБОУ СОШ №1", "", "10:10", "45 мин"])
    path = tmp_path / "вебинар.xlsx"
    wb.save(path)
    with pytest.raises(PermissionDenied):  # the municipality did not organise this event
        imports.attendance_import(path=path, actor=world.users["municipality"], event=ev)
    out = imports.attendance_import(path=path, actor=world.users["region"], event=ev)
    assert out.status == "stored", out.summary
    got = dict(Participant.objects.filter(event=ev).values_list("full_name", "duration_minutes"))
    assert got == {"Орлова Ирина Павловна": 50, "Белов Пётр": 45}


def crawl_entries(world) -> dict[str, dict[str, object]]:
    """For the crawl of every URL (``test_malformed_params``): an event with a participant and a material;
    the valid path values of every events URL."""
    ev = _event(world, [world.school, world.far])
    person = services.participant_add(
        actor=world.users["region"], event=ev, school=world.school, full_name="Орлова Ирина"
    )
    material = services.material_add(
        actor=world.users["region"], event=ev, title="Презентация", upload=_named(b"%PDF-1.4 x", "слайды.pdf")
    )
    names = ("detail", "edit", "attendance", "participant_add", "material_add", "import")
    return {
        **{f"events:{name}": {"pk": ev.pk} for name in names},
        "events:participant_remove": {"pk": person.pk},
        "events:material": {"pk": material.pk},
        "events:import_resolve": {"pk": ev.pk, "token": "0123456789abcdef"},
    }


def api_entries(world) -> dict[str, list[tuple[dict, dict]]]:
    """For the API fuzzing (``test_api_schemathesis``): an event, and the known values of each operation."""
    ev = _event(world, [world.school, world.far])
    services.attendance_set(actor=world.users["region"], event=ev, attended=[world.school.pk])
    return {
        "/api/events/": [({}, {}), ({}, {"kind": "webinar", "start": "2024-01-01", "end": "2024-12-31"})],
        "/api/events/summary": [({}, {"start": "2024-01-01", "end": "2024-12-31"})],
        "/api/events/{event_id}": [({"event_id": ev.pk}, {})],
    }
