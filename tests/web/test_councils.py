"""Working groups and councils: members, meetings, «Слушали / Решили», the protocol DOCX with the members'
names, tasks with overdue marking, decisions into school roadmaps; scoped per role and audited."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from docx import Document

from shnor.web.accounts.models import AuditEntry
from shnor.web.councils import services
from shnor.web.councils.models import Group
from shnor.web.support import services as support

pytestmark = pytest.mark.django_db

MEMBERS = [
    ("Зайдуллина Р.М.", "и.о. начальника отдела образования", "chair"),
    ("Бакиева А.З.", "начальник отдела контроля качества", "secretary"),
    ("Кунафин В.Р.", "начальник информационно-методического отдела", "member"),
]


def _group(world, level="municipality") -> Group:
    actor = world.users["region" if level == "region" else "municipality"]
    group = services.group_create(
        actor=actor,
        name="по развитию муниципальной системы оценки качества образования",
        kind="working_group",
        level=level,
        region=world.region,
        municipality=world.mun if level == "municipality" else None,
        authority="Отдел образования",
    )
    for name, position, role in MEMBERS:
        services.member_add(actor=actor, group=group, full_name=name, position=position, role=role)
    return group


def _meeting(world, group):
    actor = world.users["region" if group.level == "region" else "municipality"]
    members = list(group.members.all())
    meeting = services.meeting_create(
        actor=actor,
        group=group,
        held_on=dt.date(2024, 7, 2),
        number="3",
        time_text="12.00",
        place="МКУ «Отдел образования»",
        agenda=["Анализ эффективности мер", "О дорожных картах ШНОР"],
        present=[m for m in members if m.full_name != "Кунафин В.Р."],
    )
    first = meeting.items.order_by("position").first()
    services.item_save(
        actor=actor,
        item=first,
        heard="Доклад Бакиевой А.З. о результатах ВПР",
        decided="Провести семинар по критериям",
    )
    return meeting, first


def test_protocol_lists_present_members_agenda_and_signatures(world) -> None:
    group = _group(world)
    meeting, item = _meeting(world, group)
    services.task_create(
        actor=world.users["municipality"],
        item=item,
        text="Подготовить программу семинара",
        executor="Бакиева А.З.",
        due_date=dt.date(2024, 9, 1),
    )
    c = Client()
    c.force_login(world.users["municipality"])
    resp = c.get(f"/councils/meetings/{meeting.pk}/protocol.docx")
    assert resp.status_code == 200
    assert "attachment" in resp["Content-Disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(resp.content)).paragraphs)
    assert "ПРОТОКОЛ № 3" in text
    assert "заседания рабочей группы" in text
    assert "02 июля 2024 года" in text
    present = text.split("Присутствовали:")[1].split("Отсутствовали:")[0]
    assert "Зайдуллина Р.М., и.о. начальника отдела образования" in present
    assert "Бакиева А.З., начальник отдела контроля качества" in present
    assert "Кунафин В.Р." not in present
    assert "Кунафин В.Р." in text.split("Отсутствовали:")[1].split("ПОВЕСТКА ДНЯ:")[0]
    assert "1. СЛУШАЛИ:" in text
    assert "Доклад Бакиевой А.З. о результатах ВПР" in text
    assert "Провести семинар по критериям" in text
    assert "срок до 01.09.2024" in text
    assert "Председатель" in text
    assert text.strip().endswith("/ Бакиева А.З.")


def test_a_new_chair_replaces_the_previous(world) -> None:
    group = _group(world)
    services.member_add(
        actor=world.users["municipality"], group=group, full_name="Новиков Н.Н.", role="chair"
    )
    assert list(group.members.filter(role="chair").values_list("full_name", flat=True)) == ["Новиков Н.Н."]


def test_rights_on_groups(world) -> None:
    with pytest.raises(PermissionDenied):
        services.group_create(
            actor=world.users["municipality"],
            name="x",
            kind="working_group",
            level="region",
            region=world.region,
        )
    region_group = _group(world, "region")
    with pytest.raises(PermissionDenied):
        services.member_add(actor=world.users["municipality"], group=region_group, full_name="Х")
    with pytest.raises(ValidationError):
        services.meeting_create(
            actor=world.users["region"],
            group=region_group,
            held_on=dt.date(2024, 1, 1),
            agenda=[" "],
            present=[],
        )
    assert AuditEntry.objects.filter(action="создана рабочая группа").count() == 1


def test_tasks_overdue_and_school_sees_its_own(world) -> None:
    group = _group(world)
    _, item = _meeting(world, group)
    mun = world.users["municipality"]
    late = services.task_create(
        actor=mun,
        item=item,
        text="Сдать анализ",
        executor="МБОУ СОШ №1",
        due_date=dt.date(2020, 1, 1),
        school=world.school,
    )
    services.task_create(
        actor=mun, item=item, text="Разослать письма", executor="Бакиева", due_date=dt.date(2099, 1, 1)
    )
    with pytest.raises(ValidationError):
        services.task_create(
            actor=mun, item=item, text="x", executor="y", due_date=dt.date(2099, 1, 1), school=world.far
        )
    school = Client()
    school.force_login(world.users["school"])
    page = school.get("/councils/tasks/").content.decode()
    assert "Сдать анализ" in page
    assert "просрочено" in page
    assert "Разослать письма" not in page
    assert school.get(f"/councils/{group.pk}/").status_code == 404
    page = school.get("/api/councils/tasks?overdue=true").json()
    assert page["count"] == 1
    api = page["items"]
    assert [t["text"] for t in api] == ["Сдать анализ"]
    assert api[0]["overdue"] is True
    assert (
        school.post(f"/councils/tasks/{late.pk}/status/", {"status": "done", "report": "Сдано"}).status_code
        == 302
    )
    late.refresh_from_db()
    assert late.status == "done"
    assert late.report == "Сдано"
    assert not late.overdue(dt.date.today())
    card = school.get(f"/schools/{world.school.school_id}/").content.decode()
    assert "Сдать анализ" not in card  # done tasks leave the card
    with pytest.raises(PermissionDenied):
        services.task_mark(actor=world.users["teacher"], task=late, status="open")


def test_decision_into_school_roadmaps(world) -> None:
    group = _group(world)
    meeting, item = _meeting(world, group)
    rm = support.roadmap_create(
        actor=world.users["municipality"], level="school", year=2024, school=world.school, run=world.run
    )
    added = services.item_to_roadmaps(
        actor=world.users["municipality"],
        item=item,
        roadmaps=[rm],
        title="Семинар по критериям ВПР",
        period_text="Октябрь 2024 г.",
    )
    assert added[0].roadmap_id == rm.pk
    assert added[0].due_date == dt.date(2024, 10, 31)
    assert item.roadmap_activities[0]["activity"] == added[0].pk
    far = support.roadmap_create(
        actor=world.users["region"], level="school", year=2024, school=world.far, run=world.run
    )
    with pytest.raises(ValidationError):
        services.item_to_roadmaps(actor=world.users["region"], item=item, roadmaps=[far], title="x")


@pytest.mark.parametrize(
    ("role", "sees_group", "manages"),
    [
        ("region", True, True),
        ("municipality", True, True),
        ("school", False, False),
        ("teacher", False, False),
        ("curator", True, False),  # the curator of the group's schools reads it
        ("observer", True, False),
    ],
)
def test_pages_per_role(world, role, sees_group, manages) -> None:
    group = _group(world)
    meeting, _ = _meeting(world, group)
    c = Client()
    c.force_login(world.users[role])
    assert c.get("/councils/").status_code == 200
    assert c.get("/councils/tasks/").status_code == 200
    page = c.get(f"/councils/{group.pk}/")
    assert page.status_code == (200 if sees_group else 404)
    if sees_group:
        assert "Зайдуллина Р.М." in page.content.decode()
        assert ("Провести заседание" in page.content.decode()) == manages
        assert c.get(f"/councils/meetings/{meeting.pk}/").status_code == 200
    region_group = _group(world, "region")
    assert (c.get(f"/councils/{region_group.pk}/").status_code == 200) == (
        role in ("region", "municipality", "observer", "curator")
    )


def test_group_and_meeting_through_the_pages(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    resp = c.post(
        "/councils/",
        {"name": "Координационный совет по ШНОР", "kind": "coordination_council", "level": "region"},
    )
    assert resp.status_code == 302
    group = Group.objects.get(name="Координационный совет по ШНОР")
    assert group.region_id == world.region.pk
    c.post(
        f"/councils/{group.pk}/members/",
        {"full_name": "Рямов Р.Ф.", "position": "директор РЦОИ", "organisation": "ИРО", "role": "chair"},
    )
    member = group.members.get()
    resp = c.post(
        f"/councils/{group.pk}/meetings/",
        {"held_on": "2024-07-02", "agenda": "Первый вопрос\n\nВторой вопрос", "present": [member.pk]},
    )
    assert resp.status_code == 302
    meeting = group.meetings.get()
    assert [i.title for i in meeting.items.all()] == ["Первый вопрос", "Второй вопрос"]
    assert list(meeting.present.all()) == [member]
