"""Support services: roadmaps from templates and their links, status/overdue, execution share, reminders
(locmem mail), evidence validation, partner proposals from the matching method, curators, risk surveys."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from shnor.core.reports.roadmap_export import roadmap_docx
from shnor.web.accounts.models import Role
from shnor.web.accounts.services import user_create
from shnor.web.support import selectors as sel
from shnor.web.support import services
from shnor.web.support.models import OVERDUE, Activity, Notice, PartnerAssignment, Roadmap, Status
from tests.web.test_support_world import PDF
from tests.web.world import PASSWORD


@pytest.fixture
def maps(world):
    """Region, municipality and school roadmaps of 2024 created by their own users."""
    u = world.users
    region = services.roadmap_create(actor=u["region"], level="region", year=2024, region=world.region)
    mun = services.roadmap_create(
        actor=u["municipality"], level="municipality", year=2024, municipality=world.mun
    )
    school = services.roadmap_create(
        actor=u["school"], level="school", year=2024, school=world.school, run=world.run
    )
    return region, mun, school


def test_roadmaps_from_templates_are_linked_across_levels(world, maps) -> None:
    region, mun, school = maps
    assert region.activities.count() == 16
    assert mun.activities.count() == 13
    assert region.order_number == "04/335"
    assert region.order_date == dt.date(2024, 2, 8)
    assert mun.parent == region
    assert school.parent == mun
    # the school's tracks come from the run: individual (objectivity) + common, plus objectivity activities
    assert school.track == ["common", "individual", "objectivity"]
    assert school.activities.count() == 6 + 3 + 6
    webinar = school.activities.get(template_ref="school_tracks:common.1")
    assert webinar.parent.roadmap == mun
    assert webinar.parent.number == "1.2"
    assert webinar.parent.parent.roadmap == region
    assert webinar.parent.parent.number == "1.1"
    assert (webinar.start_date, webinar.due_date) == (dt.date(2024, 2, 1), dt.date(2024, 11, 30))
    net = mun.activities.get(number="2.1")
    assert net.parent.template_ref == "chel_region_2024:network.1"
    # a network-track school gets the network activity, not the individual ones
    far = services.roadmap_create(
        actor=world.users["curator"], level="school", year=2024, school=world.far, run=world.run
    )
    assert far.track == ["common", "network"]
    assert set(far.activities.values_list("track", flat=True)) == {"common", "network"}


def test_lower_roadmaps_created_first_are_linked_later(world) -> None:
    u = world.users
    school = services.roadmap_create(
        actor=u["school"], level="school", year=2024, school=world.school, run=world.run
    )
    assert school.parent is None
    assert not school.activities.exclude(parent=None).exists()
    mun = services.roadmap_create(
        actor=u["municipality"], level="municipality", year=2024, municipality=world.mun
    )
    school.refresh_from_db()
    assert school.parent == mun
    assert school.activities.get(template_ref="school_tracks:common.2").parent.number == "1.3"


def test_other_year_shifts_periods_and_smolensk_levels(world) -> None:
    u = world.users
    r = services.roadmap_create(
        actor=u["region"], level="region", year=2025, region=world.region, templates=["smolensk_low_2019"]
    )
    assert r.activities.count() == 42
    assert r.order_number == ""
    m = services.roadmap_create(
        actor=u["municipality"],
        level="municipality",
        year=2025,
        municipality=world.mun,
        templates=["smolensk_low_2019"],
    )
    assert m.activities.count() == 21
    a40 = m.activities.get(number="40")
    assert a40.parent.roadmap == r
    assert a40.due_date == dt.date(2026, 5, 31)
    s = services.roadmap_create(
        actor=u["school"],
        level="school",
        year=2025,
        school=world.school,
        templates=["school_tracks", "smolensk_low_2019"],
        tracks=["common"],
    )
    assert s.activities.filter(template_ref__startswith="smolensk_low_2019:").count() == 11
    assert (
        s.activities.get(template_ref="smolensk_low_2019:23").parent.roadmap == m
    )  # МОЦ and ОО: nearest level
    webinar = s.activities.get(template_ref="school_tracks:common.1")
    assert "2025" in webinar.period_text
    assert webinar.due_date == dt.date(2025, 11, 30)


def test_roadmap_create_rights_and_duplicates(world, maps) -> None:
    u = world.users
    with pytest.raises(PermissionDenied):
        services.roadmap_create(actor=u["municipality"], level="region", year=2025, region=world.region)
    with pytest.raises(PermissionDenied):
        services.roadmap_create(actor=u["observer"], level="school", year=2025, school=world.school)
    with pytest.raises(PermissionDenied):
        services.roadmap_create(actor=u["school"], level="school", year=2025, school=world.neighbour)
    with pytest.raises(ValidationError, match="уже есть"):
        services.roadmap_create(actor=u["school"], level="school", year=2024, school=world.school)


def test_status_overdue_and_execution_share(world, maps) -> None:
    _, _, school = maps
    today = dt.date(2024, 4, 5)
    survey_act = school.activities.get(template_ref="school_tracks:common.3")  # March 2024
    assert survey_act.state(today) == OVERDUE
    assert survey_act.state_label(today) == "Просрочено"
    services.activity_update(actor=world.users["curator"], activity=survey_act, status=Status.IN_PROGRESS)
    assert survey_act.state(today) == OVERDUE
    services.activity_update(
        actor=world.users["school"], activity=survey_act, status=Status.DONE, comment="Анкеты собраны"
    )
    survey_act.refresh_from_db()
    assert survey_act.state(today) == Status.DONE
    assert survey_act.done_at is not None
    assert survey_act.comments.get().text == "Анкеты собраны"
    cancelled = school.activities.get(template_ref="school_tracks:common.5")
    services.activity_update(actor=world.users["school"], activity=cancelled, status=Status.CANCELLED)
    p = sel.roadmap_progress(roadmap=school, today=today)
    assert p["total"] == 14
    assert p["done"] == 1
    assert p["cancelled"] == 1
    assert p["share"] == pytest.approx(1 / 14)
    assert p["percent"] == 7
    assert p[OVERDUE] == sum(1 for a in school.activities.all() if a.state(today) == OVERDUE)
    services.activity_update(actor=world.users["school"], activity=survey_act, status=Status.PLANNED)
    survey_act.refresh_from_db()
    assert survey_act.done_at is None
    with pytest.raises(ValidationError):
        services.activity_update(actor=world.users["school"], activity=survey_act, status="забыто")


def test_rights_on_activities_per_role(world, maps) -> None:
    region, mun, school = maps
    a = school.activities.first()
    u = world.users
    for role in ("observer", "teacher"):
        with pytest.raises(PermissionDenied):
            services.activity_update(actor=u[role], activity=a, status=Status.DONE)
    services.activity_comment_add(actor=u["teacher"], activity=a, text="Учитель: участвовал")
    with pytest.raises(PermissionDenied):
        services.activity_comment_add(actor=u["observer"], activity=a, text="нет")
    with pytest.raises(PermissionDenied):  # the school cannot edit the municipality's roadmap
        services.activity_update(actor=u["school"], activity=mun.activities.first(), status=Status.DONE)
    with pytest.raises(PermissionDenied):  # the municipality cannot edit the region's
        services.activity_update(
            actor=u["municipality"], activity=region.activities.first(), status=Status.DONE
        )
    services.activity_update(actor=u["municipality"], activity=a, status=Status.DONE)
    services.activity_update(actor=u["region"], activity=region.activities.first(), status=Status.DONE)
    added = services.activity_add(
        actor=u["school"],
        roadmap=school,
        title="Педсовет по итогам ВПР",
        period_text="Октябрь 2024 г.",
        section="5. Дополнительно",
    )
    assert added.number == "1"
    assert added.due_date == dt.date(2024, 10, 31)


def test_deadlines_are_scoped(world, maps) -> None:
    today = dt.date(2024, 3, 20)
    got = sel.activities_deadlines(user=world.users["school"], today=today, days=14)
    assert got["upcoming"]
    assert all(a.roadmap.school_id in (None, world.school.pk) for a in got["upcoming"] + got["overdue"])
    assert all(a.due_date <= today + dt.timedelta(days=14) for a in got["upcoming"])
    assert all(a.due_date < today for a in got["overdue"])
    assert not sel.activities_deadlines(user=world.users["observer"], today=today, only_editable=True)[
        "upcoming"
    ]


@pytest.mark.parametrize("backend", ["django.core.mail.backends.locmem.EmailBackend"])
def test_reminders_mail_and_notices_once_a_day(world, maps, settings, backend) -> None:
    settings.EMAIL_BACKEND = backend
    settings.DEFAULT_FROM_EMAIL = "shnor@example.org"
    u = world.users
    for role in ("school", "curator", "municipality", "region"):
        u[role].email = f"{role}@example.org"
        u[role].save()
    mail.outbox = []
    result = services.support_reminders_send(today=dt.date(2024, 3, 25), days_ahead=7)
    assert result["emails"] == len(mail.outbox) > 0
    to = {m.to[0] for m in mail.outbox}
    assert {
        "school@example.org",
        "curator@example.org",
        "municipality@example.org",
        "region@example.org",
    } <= to
    school_mail = next(m for m in mail.outbox if m.to == ["school@example.org"])
    assert "Участие в анкетировании" in school_mail.body
    assert "срок до 31.03.2024" in school_mail.body
    assert school_mail.subject == "Сроки мероприятий дорожных карт на 25.03.2024"
    notices = Notice.objects.filter(user=u["school"], day=dt.date(2024, 3, 25))
    assert notices.filter(kind=Notice.DUE_SOON).exists()
    assert all(n.emailed for n in notices)
    # overdue items of schools also reach the municipal coordinator
    assert Notice.objects.filter(
        user=u["municipality"], kind=Notice.OVERDUE_KIND, activity__roadmap__level="school"
    ).exists()
    assert not Notice.objects.filter(user=u["observer"]).exists()
    again = services.support_reminders_send(today=dt.date(2024, 3, 25), days_ahead=7)
    assert again["notices"] == 0
    assert again["emails"] == 0
    assert len(mail.outbox) == result["emails"]
    # done activities are not reminded
    a = notices.first().activity
    services.activity_update(actor=u["school"], activity=a, status=Status.DONE)
    services.support_reminders_send(today=dt.date(2024, 3, 26), days_ahead=7)
    assert not Notice.objects.filter(activity=a, day=dt.date(2024, 3, 26)).exists()
    assert (
        services.notice_mark_read(actor=u["school"])
        == notices.count() + Notice.objects.filter(user=u["school"], day=dt.date(2024, 3, 26)).count()
    )


def test_evidence_validation(world, maps, settings) -> None:
    _, _, school = maps
    a = school.activities.first()
    u = world.users["school"]
    ev = services.evidence_add(
        actor=u,
        activity=a,
        upload=SimpleUploadedFile("Протокол.pdf", PDF, "application/pdf"),
        title="Протокол",
    )
    assert ev.size == len(PDF)
    assert ev.original_name == "Протокол.pdf"
    assert ev.file.read() == PDF
    with pytest.raises(ValidationError, match="недопустимый тип"):
        services.evidence_add(
            actor=u, activity=a, upload=SimpleUploadedFile("x.exe", b"MZ\x90\x00", "application/octet-stream")
        )
    with pytest.raises(ValidationError, match="не соответствует расширению"):
        services.evidence_add(
            actor=u, activity=a, upload=SimpleUploadedFile("x.pdf", b"<html>", "application/pdf")
        )
    settings.SUPPORT_EVIDENCE_MAX_MB = 1
    with pytest.raises(ValidationError, match="больше допустимых 1 МБ"):
        services.evidence_add(
            actor=u,
            activity=a,
            upload=SimpleUploadedFile("big.pdf", PDF + b"0" * 1_100_000, "application/pdf"),
        )
    with pytest.raises(ValidationError, match="http"):
        services.evidence_add(actor=u, activity=a, url="javascript:alert(1)")
    link = services.evidence_add(actor=u, activity=a, url="https://school.example.ru/roadmap", title="Сайт")
    assert link.url.startswith("https://")
    with pytest.raises(PermissionDenied):
        services.evidence_add(actor=world.users["observer"], activity=a, url="https://x.ru")


def test_partner_proposals_come_from_the_matching_method(world) -> None:
    u = world.users
    made = services.partner_proposals_create(actor=u["municipality"], municipality=world.mun, run=world.run)
    assert [p.school for p in made] == [world.school]
    p = made[0]
    assert p.status == PartnerAssignment.PROPOSED
    assert p.method_status in {"assigned", "no_leader_in_reach", "capacity_exhausted"}
    assert p.evidence["method"] == "matching"
    assert p.evidence["run"] == world.run.pk
    assert p.leader == world.neighbour
    assert p.distance_km is not None
    with pytest.raises(ValidationError, match="доступных"):
        services.partner_decide(actor=u["municipality"], assignment=p, leader=world.far)
    with pytest.raises(PermissionDenied):
        services.partner_decide(actor=u["school"], assignment=p)
    with pytest.raises(PermissionDenied):
        services.partner_proposals_create(actor=u["municipality"], municipality=world.mun2, run=world.run)
    services.partner_decide(actor=u["municipality"], assignment=p, confirm=True, note="согласовано")
    p.refresh_from_db()
    assert p.status == PartnerAssignment.CONFIRMED
    assert p.decided_by == u["municipality"]
    # a confirmed pair survives a new proposal round
    again = services.partner_proposals_create(actor=u["region"], municipality=world.mun, run=world.run)
    assert again[0].pk == p.pk
    assert again[0].status == PartnerAssignment.CONFIRMED


def test_curators_reuse_the_profile_and_mentors(world) -> None:
    u = world.users
    cur = u["curator"]
    assert cur in services.curators_available(actor=u["municipality"], school=world.neighbour)
    services.curator_assign(actor=u["municipality"], school=world.neighbour, curator=cur)
    assert cur.profile.curated_schools.filter(pk=world.neighbour.pk).exists()
    services.curator_assign(actor=u["municipality"], school=world.neighbour, curator=cur, remove=True)
    assert not cur.profile.curated_schools.filter(pk=world.neighbour.pk).exists()
    with pytest.raises(ValidationError, match="не куратор"):
        services.curator_assign(actor=u["municipality"], school=world.neighbour, curator=u["teacher"])
    with pytest.raises(PermissionDenied):
        services.curator_assign(actor=u["school"], school=world.school, curator=cur)
    m = services.mentor_add(
        actor=u["region"],
        school=world.far,
        full_name="Иванова Мария Петровна",
        year=2024,
        organisation="МБОУ Лицей №2, учитель математики",
    )
    assert m.school == world.far
    with pytest.raises(PermissionDenied):
        services.mentor_add(actor=u["municipality"], school=world.far, full_name="X", year=2024)


def test_risk_survey_profile_programme_and_roadmap(world) -> None:
    u = world.users
    survey = services.risk_survey_open(actor=u["school"], school=world.school, year=2024)
    services.survey_response_add(
        actor=u["school"],
        survey=survey,
        group="director",
        answers={"D01": 4, "D02": "Полностью не согласен", "D03": 1, "D06": 1},
    )
    csv_text = "Отметка времени,T01,T07\n1,1,4\n2,2,3\n"
    res = services.survey_import(
        actor=u["curator"], survey=survey, group="teachers", content=csv_text.encode(), filename="t.csv"
    )
    assert not res.errors
    assert len(res.answers) == 2
    survey.refresh_from_db()
    assert survey.responses.count() == 3
    assert survey.profile["respondents"] == {"director": 1, "teachers": 2}
    eq = survey.profile["factors"]["equipment"]
    assert eq["by_group"] == {"director": 100.0, "teachers": 83.3}
    assert eq["score"] == 91.7
    assert survey.chosen[:2] == ["language_barriers", "equipment"]
    bad = services.survey_import(
        actor=u["school"], survey=survey, group="teachers", content=b"T01,T02\n1,9\n", filename="t.csv"
    )
    assert [str(e) for e in bad.errors][0].startswith("строка 2, столбец B «T02»: недопустимый ответ «9»")
    assert survey.responses.count() == 3  # nothing imported
    with pytest.raises(PermissionDenied):
        services.survey_response_add(actor=u["observer"], survey=survey, group="director", answers={"D01": 1})
    with pytest.raises(ValidationError, match="не относится"):
        services.survey_response_add(actor=u["school"], survey=survey, group="pupils", answers={"D01": 1})
    services.risk_choose(actor=u["school"], survey=survey, factors=["equipment", "parent_involvement"])
    survey.refresh_from_db()
    assert survey.chosen == ["equipment", "parent_involvement"]
    with pytest.raises(ValidationError, match="выбранному"):
        services.antirisk_programme_create(actor=u["school"], survey=survey, factor="pupil_motivation")
    prog = services.antirisk_programme_create(actor=u["school"], survey=survey, factor="equipment")
    assert prog.measures.count() == 2
    acts = services.antirisk_to_roadmap(actor=u["school"], programme=prog)
    roadmap = Roadmap.objects.get(level="school", school=world.school, year=2024)
    assert [a.roadmap for a in acts] == [roadmap, roadmap]
    assert {a.track for a in acts} == {"antirisk"}
    assert acts[0].section == "Антирисковая программа «Низкий уровень оснащения школы»"
    assert acts[0].due_date == dt.date(2024, 5, 31)
    assert services.antirisk_to_roadmap(actor=u["school"], programme=prog) == []  # idempotent


def test_roadmap_document_exports_the_school_roadmap(world, maps) -> None:
    _, _, school = maps
    services.roadmap_header_update(
        actor=world.users["school"],
        roadmap=school,
        title=school.title,
        order_authority="МБОУ СОШ №1",
        order_number="45-о",
        order_date=dt.date(2024, 2, 20),
        appendix="1",
    )
    doc = sel.roadmap_document(roadmap=school, with_status=True, today=dt.date(2024, 4, 5))
    d = Document(io.BytesIO(roadmap_docx(doc)))
    assert [p.text for p in d.paragraphs][:3] == [
        "Приложение № 1",
        "к приказу МБОУ СОШ №1",
        "от 20.02.2024 № 45-о",
    ]
    cells = [c.text for r in d.tables[0].rows for c in r.cells]
    assert "Участие в индивидуальном собеседовании управленческой команды школы" in cells
    assert "Просрочено" in cells


def test_audit_journal_records_support_changes(world, maps) -> None:
    from shnor.web.accounts.models import AuditEntry

    _, _, school = maps
    services.activity_update(
        actor=world.users["school"], activity=school.activities.first(), status=Status.DONE
    )
    assert AuditEntry.objects.filter(action="создание дорожной карты").count() == 3
    assert AuditEntry.objects.filter(object_type="мероприятие", action="изменение").exists()


def test_reminder_recipients_only_active_users(world, maps) -> None:
    extra = user_create(username="u_school2", password=PASSWORD, role=Role.SCHOOL, school=world.school)
    extra.is_active = False
    extra.save()
    services.support_reminders_send(today=dt.date(2024, 3, 25), email=False)
    assert not Notice.objects.filter(user=extra).exists()
    assert get_user_model().objects.filter(username="u_school").get().support_notices.exists()
    assert Activity.objects.filter(roadmap__school=world.school).exists()


def test_reminders_from_the_command_line(world, maps, capsys, settings) -> None:
    from shnor.web.support import remind

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert remind.main(["2024-03-25"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("мероприятий: ")
    assert "уведомлений: " in out
