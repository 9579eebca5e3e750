"""Interviews with management teams: findings, corrections proposed, accepted into the roadmap through the
support services (audited, linked), discussed, revised, withdrawn; pages and API per role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from shnor.web.accounts.models import AuditEntry
from shnor.web.interviews import services
from shnor.web.interviews.models import CorrectionStatus, Interview
from shnor.web.support import services as support
from shnor.web.support.models import Activity, ActivityComment, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def roadmap(world):
    return support.roadmap_create(
        actor=world.users["municipality"], level="school", year=2024, school=world.school, run=world.run
    )


def _interview(world, actor="municipality") -> Interview:
    return services.interview_create(
        actor=world.users[actor],
        school=world.school,
        held_on=dt.date(2024, 3, 12),
        interviewers="Тихонова О.В., заведующий методическим кабинетом",
        participants=[("Коробейникова Е.С.", "директор"), ("Смирнова А.А.", "заместитель директора по УВР")],
        findings={"teacher_shortage": ("high", "нет учителя физики"), "pupil_motivation": ("medium", "")},
        summary="Группа риска: 7-е классы по математике",
    )


def test_interview_stores_findings_for_every_factor_of_the_questionnaire(world) -> None:
    interview = _interview(world)
    assert interview.year == 2024
    levels = {f["code"]: f["level"] for f in interview.findings}
    assert levels["teacher_shortage"] == "high"
    assert levels["pupil_motivation"] == "medium"
    assert levels["equipment"] == "none"
    assert len(levels) == 10
    assert [p["name"] for p in interview.participants] == ["Коробейникова Е.С.", "Смирнова А.А."]
    assert AuditEntry.objects.filter(action="собеседование с управленческой командой").exists()


def test_who_may_hold_an_interview(world) -> None:
    for role in ("school", "teacher", "observer", "curator"):
        with pytest.raises(PermissionDenied):
            _interview(world, role)
    with pytest.raises(ValidationError):
        services.interview_create(
            actor=world.users["region"],
            school=world.school,
            held_on=dt.date(2024, 3, 12),
            interviewers="Иванов",
            participants=[],
            findings={},
        )
    with pytest.raises(ValidationError):
        services.interview_create(
            actor=world.users["region"],
            school=world.school,
            held_on=dt.date(2024, 3, 12),
            interviewers="Иванов",
            participants=[("Петров П.П.", "директор")],
            findings={"no_such_factor": ("high", "")},
        )


def test_accepted_corrections_change_the_roadmap(world, roadmap) -> None:
    interview = _interview(world)
    mun, school = world.users["municipality"], world.users["school"]
    first, second, third = list(roadmap.activities.order_by("position")[:3])
    add = services.correction_propose(
        actor=mun,
        interview=interview,
        kind="add",
        title="Подобрать учителя физики через программу «Земский учитель»",
        period_text="до 01.09.2024",
        executor="Директор",
        reason="Дефицит кадров",
    )
    deadline = services.correction_propose(
        actor=mun,
        interview=interview,
        kind="deadline",
        activity=first,
        due_date=dt.date(2024, 12, 20),
        reason="Перенос по согласованию",
    )
    executor = services.correction_propose(
        actor=mun,
        interview=interview,
        kind="executor",
        activity=second,
        executor="Смирнова А.А.",
        reason="Смена",
    )
    remove = services.correction_propose(
        actor=mun, interview=interview, kind="remove", activity=third, reason="Уже выполнено иначе"
    )
    count = roadmap.activities.count()
    with pytest.raises(PermissionDenied):
        services.correction_accept(actor=mun, correction=add)  # only the school answers
    for c in (add, deadline, executor, remove):
        services.correction_accept(actor=school, correction=c)
    add.refresh_from_db()
    assert add.status == CorrectionStatus.ACCEPTED
    assert add.activity is not None
    assert add.activity.roadmap_id == roadmap.pk
    assert add.activity.due_date == dt.date(2024, 9, 1)
    assert roadmap.activities.count() == count + 1
    first.refresh_from_db(), second.refresh_from_db(), third.refresh_from_db()
    assert first.due_date == dt.date(2024, 12, 20)
    assert second.executor == "Смирнова А.А."
    assert third.status == Status.CANCELLED
    note = ActivityComment.objects.filter(activity=third).last()
    assert note is not None
    assert "Уже выполнено иначе" in note.text
    assert "12.03.2024" in note.text
    assert (
        AuditEntry.objects.filter(action="корректировка принята школой и внесена в дорожную карту").count()
        == 4
    )
    with pytest.raises(ValidationError):
        services.correction_accept(actor=school, correction=add)  # not twice


def test_discussion_revision_and_withdrawal(world, roadmap) -> None:
    interview = _interview(world)
    mun, school = world.users["municipality"], world.users["school"]
    c = services.correction_propose(
        actor=mun, interview=interview, kind="add", title="Педсовет по мотивации", reason="Мотивация"
    )
    with pytest.raises(ValidationError):
        services.correction_discuss(actor=school, correction=c, text=" ")
    services.correction_discuss(actor=school, correction=c, text="Предлагаем провести в мае")
    assert c.status == CorrectionStatus.DISCUSSED
    services.correction_revise(
        actor=mun, correction=c, title="Педсовет по мотивации", period_text="Май 2024 г.", reason="Мотивация"
    )
    c.refresh_from_db()
    assert c.status == CorrectionStatus.PROPOSED
    assert c.period_text == "Май 2024 г."
    assert [m.text for m in c.comments.all()][0] == "Предлагаем провести в мае"
    services.correction_withdraw(actor=mun, correction=c, comment="Не нужно")
    assert c.status == CorrectionStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        services.correction_accept(actor=school, correction=c)


def test_a_correction_must_point_at_the_schools_roadmap(world, roadmap) -> None:
    interview = _interview(world)
    other = support.roadmap_create(
        actor=world.users["municipality"], level="school", year=2024, school=world.neighbour, run=world.run
    )
    foreign = other.activities.first()
    with pytest.raises(ValidationError):
        services.correction_propose(
            actor=world.users["municipality"],
            interview=interview,
            kind="remove",
            activity=foreign,
            reason="x",
        )
    with pytest.raises(ValidationError):
        services.correction_propose(
            actor=world.users["municipality"], interview=interview, kind="executor", activity=None, reason="x"
        )


def test_accept_without_a_roadmap_says_what_to_do(world) -> None:
    interview = _interview(world)
    c = services.correction_propose(
        actor=world.users["municipality"], interview=interview, kind="add", title="Семинар", reason="Нужно"
    )
    with pytest.raises(ValidationError, match="нет дорожной карты на 2024 год"):
        services.correction_accept(actor=world.users["school"], correction=c)
    assert not Activity.objects.filter(title="Семинар").exists()


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("region", True),
        ("municipality", True),
        ("school", True),
        ("teacher", True),
        ("curator", True),
        ("observer", True),
    ],
)
def test_pages_per_role(world, roadmap, role, sees) -> None:
    interview = _interview(world)
    services.correction_propose(
        actor=world.users["municipality"],
        interview=interview,
        kind="add",
        title="Семинар для учителей",
        reason="Кадры",
    )
    c = Client()
    c.force_login(world.users[role])
    assert c.get("/interviews/").status_code == 200
    page = c.get(f"/interviews/{interview.pk}/")
    assert page.status_code == (200 if sees else 404)
    text = page.content.decode()
    assert "Семинар для учителей" in text
    assert ("Принять и внести в дорожную карту" in text) == (role == "school")
    assert ("Предложить школе" in text) == (role in ("region", "municipality"))
    card = c.get(f"/schools/{world.school.school_id}/").content.decode()
    assert "Собеседования с управленческой командой" in card
    rm = c.get(f"/support/roadmaps/{roadmap.pk}/").content.decode()
    assert "Корректировки по итогам собеседований" in rm
    api = c.get(f"/api/schools/{world.school.school_id}/interviews")
    assert api.status_code == 200
    assert api.json()[0]["corrections"][0]["title"] == "Семинар для учителей"


def test_other_municipality_and_region_do_not_see_it(world) -> None:
    from shnor.web.accounts.models import Role
    from shnor.web.accounts.services import user_create

    interview = _interview(world)
    stranger = user_create(
        username="u_mun2", password="Пароль-для-тестов-1", role=Role.MUNICIPALITY, municipality=world.mun2
    )
    c = Client()
    c.force_login(stranger)
    assert c.get(f"/interviews/{interview.pk}/").status_code == 404
    assert c.get(f"/api/schools/{world.school.school_id}/interviews").status_code == 404


def test_the_new_interview_page_creates_one(world) -> None:
    c = Client()
    c.force_login(world.users["municipality"])
    assert c.get("/interviews/new/?school=sch0001").status_code == 200
    resp = c.post(
        "/interviews/new/?school=sch0001",
        {
            "held_on": "2024-03-12",
            "year": "2024",
            "format": "remote",
            "participants": "Коробейникова Е.С. — директор\nСмирнова А.А., завуч",
            "interviewers": "Тихонова О.В.",
            "summary": "",
            "level_teacher_shortage": "high",
            "comment_teacher_shortage": "вакансия",
            **{
                f"level_{code}": "none"
                for code in (
                    "equipment",
                    "teacher_competence",
                    "adaptivity",
                    "pd_system",
                    "language_barriers",
                    "environment",
                    "failure_risk",
                    "parent_involvement",
                    "pupil_motivation",
                )
            },
        },
    )
    assert resp.status_code == 302
    interview = Interview.objects.get()
    assert interview.participants[1] == {"name": "Смирнова А.А.", "position": "завуч"}
    assert c.get("/interviews/new/?school=sch0001").status_code == 200
    school = Client()
    school.force_login(world.users["school"])
    assert school.get("/interviews/new/?school=sch0001").status_code == 403


def crawl_entries(world) -> dict[str, dict[str, object]]:
    """For the crawl of every URL (``test_malformed_params``): an interview with a correction and a
    working group with a member, a meeting, an item and a task; the valid path values of every URL of
    the interviews and councils apps."""
    from tests.web.test_councils import _group, _meeting

    interview = _interview(world)
    correction = services.correction_propose(
        actor=world.users["municipality"], interview=interview, kind="add", title="Семинар", reason="Кадры"
    )
    group = _group(world)
    meeting, item = _meeting(world, group)
    from shnor.web.councils import services as councils

    task = councils.task_create(
        actor=world.users["municipality"],
        item=item,
        text="Анализ",
        executor="Школа",
        due_date=dt.date(2024, 9, 1),
    )
    return {
        "interviews:detail": {"pk": interview.pk},
        "interviews:propose": {"pk": interview.pk},
        "interviews:revise": {"pk": correction.pk},
        "interviews:act": {"pk": correction.pk, "action": "discuss"},
        "councils:group": {"pk": group.pk},
        "councils:member_add": {"pk": group.pk},
        "councils:member_leave": {"pk": group.members.first().pk},
        "councils:meeting_new": {"pk": group.pk},
        "councils:meeting": {"pk": meeting.pk},
        "councils:attendance": {"pk": meeting.pk},
        "councils:protocol": {"pk": meeting.pk},
        "councils:item": {"pk": item.pk},
        "councils:task_new": {"pk": item.pk},
        "councils:roadmaps": {"pk": item.pk},
        "councils:task_status": {"pk": task.pk},
    }


def api_entries(world) -> dict[str, list[tuple[dict, dict]]]:
    """For the API fuzzing (``test_api_schemathesis``): an interview and a task; known values."""
    crawl_entries(world)
    return {
        "/api/schools/{school_id}/interviews": [({"school_id": "sch0001"}, {})],
        "/api/councils/tasks": [({}, {}), ({}, {"overdue": True})],
    }
