"""Report requests between levels (issue 30): asking, filling in, submitting (the roadmap report
generated from the recipient's roadmap), accepting and returning with history, lateness, reminders once per
user, part and stage, the combined DOCX, the pages for every role, and the quarterly report's job and
files."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from shnor.web.accounts.audit import AuditEntry
from shnor.web.submissions import selectors as sel
from shnor.web.submissions import services
from shnor.web.submissions.models import Status, Submission, SubmissionEvent, SubmissionNotice
from shnor.web.support import services as support
from shnor.web.support.models import Activity
from shnor.web.support.models import Status as ActStatus
from tests.web.world import PASSWORD

TODAY = dt.date(2025, 5, 10)


def login(world, role: str) -> Client:
    client = Client()
    assert client.login(username=world.users[role].username, password=PASSWORD)
    return client


@pytest.fixture
def roadmap_request(world):
    """The region asks sch0001, sch0002 and sch0003 for their 2025 roadmap's execution report."""
    mun = world.users["municipality"]
    rm = support.roadmap_create(actor=mun, level="school", year=2025, school=world.school, run=world.run)
    act = Activity.objects.filter(roadmap=rm).order_by("position", "id").first()
    if act is None:  # a roadmap without template activities still gets one to report on
        act = Activity.objects.create(roadmap=rm, number="1", title="Семинар для учителей", section="Раздел")
    act.status = ActStatus.DONE
    act.done_at = timezone.now()
    act.save()
    return services.request_create(
        actor=world.users["region"],
        kind="roadmap",
        title="Отчёт о выполнении дорожной карты за полугодие",
        deadline=TODAY + dt.timedelta(days=7),
        year=2025,
        schools=[world.school, world.neighbour, world.far],
    )


def part_of(req, school) -> Submission:
    return Submission.objects.get(request=req, school=school)


def test_a_school_submits_the_generated_report_and_the_region_returns_then_accepts(world, roadmap_request):
    sub = part_of(roadmap_request, world.school)
    assert sub.status == Status.NEW
    services.submission_submit(actor=world.users["school"], submission=sub, today=TODAY, text="Всё по плану")
    sub.refresh_from_db()
    assert sub.status == Status.SUBMITTED
    assert sub.report
    doc = Document(io.BytesIO(sub.report.read()))
    text = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Отметка о выполнении" in text
    assert "Выполнено" in text
    assert sub.summary["counts"]["done"] >= 1
    with pytest.raises(ValidationError):  # a return needs a comment
        services.submission_review(actor=world.users["region"], submission=sub, accept=False)
    services.submission_review(
        actor=world.users["region"], submission=sub, accept=False, comment="Добавьте итоги семинара"
    )
    sub.refresh_from_db()
    assert sub.status == Status.RETURNED
    assert sub.comment == "Добавьте итоги семинара"
    services.submission_submit(actor=world.users["school"], submission=sub, today=TODAY)
    services.submission_review(actor=world.users["region"], submission=sub, accept=True)
    sub.refresh_from_db()
    assert sub.status == Status.ACCEPTED
    actions = list(sub.events.values_list("action", flat=True))
    assert actions == [
        SubmissionEvent.SUBMITTED,
        SubmissionEvent.RETURNED,
        SubmissionEvent.SUBMITTED,
        SubmissionEvent.ACCEPTED,
    ]
    assert AuditEntry.objects.filter(action="возвращён на доработку", object_id=str(sub.pk)).exists()


def test_no_roadmap_no_report_and_nothing_changes(world, roadmap_request):
    sub = part_of(roadmap_request, world.neighbour)  # sch0002 has no roadmap of 2025
    user = world.users["school"]
    # only the school's own users fill its part in
    with pytest.raises(PermissionDenied):
        services.submission_submit(actor=user, submission=sub, today=TODAY)
    user.profile.school = world.neighbour
    user.profile.save()
    user = type(user).objects.get(pk=user.pk)
    with pytest.raises(ValidationError, match="нет дорожной карты"):
        services.submission_submit(actor=user, submission=sub, today=TODAY)
    sub.refresh_from_db()
    assert sub.status == Status.NEW
    assert not sub.report


def test_lateness_is_counted_from_the_deadline(world, roadmap_request):
    services.submission_submit(
        actor=world.users["school"], submission=part_of(roadmap_request, world.school), today=TODAY
    )
    before = sel.board(user=world.users["region"], request=roadmap_request, today=TODAY)
    after = sel.board(user=world.users["region"], request=roadmap_request, today=TODAY + dt.timedelta(days=8))
    assert before["late"] == 0
    assert after["late"] == 2  # sch0002 and sch0003 not sent; sch0001 sent in time
    assert dict((c, n) for c, _, n in after["counts"])["submitted"] == 1


def test_who_sees_and_who_asks(world, roadmap_request):
    assert {p.school_id for p in sel.parts_visible_to(user=world.users["municipality"])} == {
        world.school.pk,
        world.neighbour.pk,
    }
    assert [p.school_id for p in sel.inbox(user=world.users["school"], today=TODAY)] == [world.school.pk]
    assert sel.inbox(user=world.users["teacher"], today=TODAY) == []
    assert sel.requests_visible_to(user=world.users["observer"]).count() == 1
    with pytest.raises(PermissionDenied):  # a municipality asks only its own schools
        services.request_create(
            actor=world.users["municipality"],
            kind="note",
            title="Справка",
            deadline=TODAY,
            schools=[world.far],
        )
    with pytest.raises(PermissionDenied):
        services.request_create(
            actor=world.users["school"], kind="note", title="Справка", deadline=TODAY, schools=[world.school]
        )
    with pytest.raises(PermissionDenied):  # the region never asks another region's school
        services.request_create(
            actor=world.users["region"], kind="note", title="Справка", deadline=TODAY, schools=[world.foreign]
        )


def test_reminders_once_per_user_part_and_stage(world, roadmap_request, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = world.users["school"]
    user.email = "school@example.ru"
    user.save()
    early = services.reminders_send(today=TODAY)  # a week ahead: more than remind_days (3)
    assert early["notices"] == 0
    first = services.reminders_send(today=TODAY + dt.timedelta(days=5))
    again = services.reminders_send(today=TODAY + dt.timedelta(days=6))
    assert first["notices"] >= 1
    assert again["notices"] == 0
    assert len(mail.outbox) == 1
    assert "Отчёт о выполнении дорожной карты" in mail.outbox[0].body
    late = services.reminders_send(today=TODAY + dt.timedelta(days=9))
    assert late["notices"] >= 1
    assert len(mail.outbox) == 2
    stages = set(SubmissionNotice.objects.filter(user=user).values_list("stage", flat=True))
    assert stages == {"before", "after"}
    assert sel.notices_for(user=user).count() == 2
    services.notices_mark_read(actor=user)
    assert sel.notices_for(user=user).count() == 0


def test_a_note_with_a_file_and_the_combined_docx(world):
    req = services.request_create(
        actor=world.users["municipality"],
        kind="note",
        title="Аналитическая справка о ВПР",
        deadline=TODAY,
        schools=[world.school, world.neighbour],
    )
    sub = part_of(req, world.school)
    with pytest.raises(ValidationError):  # an empty note is not sent
        services.submission_submit(actor=world.users["school"], submission=sub, today=TODAY)
    bad = SimpleUploadedFile("справка.pdf", b"not a pdf")
    with pytest.raises(ValidationError, match="не соответствует"):
        services.submission_save(actor=world.users["school"], submission=sub, text="Текст", upload=bad)
    sub.refresh_from_db()
    assert sub.status == Status.NEW
    assert not sub.file
    good = SimpleUploadedFile("справка.pdf", b"%PDF-1.4 test")
    services.submission_save(
        actor=world.users["school"], submission=sub, text="Выводы по ВПР: рост", upload=good
    )
    services.submission_submit(actor=world.users["school"], submission=sub, today=TODAY)
    services.submission_review(actor=world.users["municipality"], submission=sub, accept=True)
    with pytest.raises(PermissionDenied):  # the region did not ask: it only watches
        services.submission_review(actor=world.users["region"], submission=sub, accept=True)
    client = login(world, "municipality")
    r = client.get(reverse("submissions:combined", kwargs={"pk": req.pk}))
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    body = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Выводы по ВПР: рост" in body
    assert "справка.pdf" in body
    assert world.school.name in cells
    assert world.neighbour.name in cells
    assert "Принят" in cells
    assert (
        login(world, "school").get(reverse("submissions:combined", kwargs={"pk": req.pk})).status_code == 403
    )


@pytest.mark.parametrize("role", ["region", "municipality", "school", "teacher", "curator", "observer"])
def test_pages_for_every_role(world, roadmap_request, role):
    client = login(world, role)
    r = client.get(reverse("submissions:index"))
    assert r.status_code == 200
    text = r.content.decode()
    sees = role != "teacher"  # the teacher's school is asked, but teachers never see requests
    assert (roadmap_request.title in text) == sees
    detail = client.get(reverse("submissions:request", kwargs={"pk": roadmap_request.pk}))
    assert detail.status_code == (200 if sees else 404)
    new = client.get(reverse("submissions:new"))
    assert new.status_code == (200 if role in ("region", "municipality") else 403)
    quarterly = client.get(reverse("submissions:quarterly"))
    assert quarterly.status_code == (200 if role in ("region", "municipality", "observer") else 403)


def test_the_school_fills_in_through_the_page(world, roadmap_request):
    client = login(world, "school")
    sub = part_of(roadmap_request, world.school)
    url = reverse("submissions:part", kwargs={"pk": sub.pk})
    r = client.post(url, {"text": "Черновик пояснения", "save": "1"}, follow=True)
    assert "Черновик сохранён" in r.content.decode()
    sub.refresh_from_db()
    assert sub.status == Status.DRAFT
    client.post(url, {"text": "Пояснение", "submit": "1"})
    sub.refresh_from_db()
    assert sub.status == Status.SUBMITTED
    report = client.get(reverse("submissions:part_file", kwargs={"pk": sub.pk, "which": "report"}))
    assert report.status_code == 200
    assert b"".join(report.streaming_content)[:2] == b"PK"
    # the neighbour's part is not the school's: it cannot see it
    other = part_of(roadmap_request, world.neighbour)
    assert client.get(reverse("submissions:part", kwargs={"pk": other.pk})).status_code == 404


def test_the_region_asks_the_listed_schools_through_the_form(world):
    client = login(world, "region")
    r = client.post(
        reverse("submissions:new"),
        {
            "kind": "file",
            "title": "Планы работы",
            "deadline": "2025-06-01",
            "year": "2024",
            "remind_days": "3",
            "recipients": "listed",
        },
    )
    assert r.status_code == 302
    listed = set(Submission.objects.values_list("school__school_id", flat=True))
    assert listed == {"sch0001", "sch0003"}  # ШНОР of the 2024 run within the region


def test_quarterly_report_job_writes_docx_and_pdf(world, roadmap_request):
    from shnor.web.jobs.services import job_execute

    client = login(world, "region")
    r = client.post(reverse("submissions:quarterly"), {"year": "2025", "quarter": "2"})
    assert r.status_code == 302
    job_id = int(r["Location"].rstrip("/").split("/")[-1])
    job = job_execute(job_id=job_id)
    assert job.status == job.DONE, job.error
    docx = client.get(reverse("submissions:quarterly_file", kwargs={"pk": job.pk, "fmt": "docx"}))
    pdf = client.get(reverse("submissions:quarterly_file", kwargs={"pk": job.pk, "fmt": "pdf"}))
    assert docx.status_code == 200
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content)[:4] == b"%PDF"
    doc = Document(io.BytesIO(b"".join(docx.streaming_content)))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "II квартал 2025" in text
    assert roadmap_request.title in cells  # the request due in the quarter
    assert "Школьная" in cells  # roadmap execution by level
    # the school cannot download the region's report
    assert (
        login(world, "school").get(reverse("submissions:quarterly_job", kwargs={"pk": job.pk})).status_code
        == 404
    )


def crawl_entries(world) -> dict[str, dict[str, object]]:
    """For the crawl of every URL (``test_malformed_params``): a request with a submitted part, and a finished
    quarterly report job; the valid path values of every submissions URL."""
    from shnor.web.jobs.models import Job
    from shnor.web.submissions.jobs import QUARTERLY_KIND

    req = services.request_create(
        actor=world.users["region"],
        kind="note",
        title="Аналитическая справка",
        deadline=dt.date(2024, 12, 1),
        schools=[world.school, world.far],
    )
    sub = part_of(req, world.school)
    services.submission_save(actor=world.users["school"], submission=sub, text="Справка")
    job = Job.objects.create(
        kind=QUARTERLY_KIND,
        label="4 квартал 2024 г.",
        params={"year": 2024, "quarter": 4, "folder": "/нет/такой/папки"},
        status=Job.DONE,
        result={"docx": "q.docx", "pdf": "q.pdf", "events": False},
        created_by=world.users["region"],
        region=world.region,
    )
    return {
        "submissions:request": {"pk": req.pk},
        "submissions:combined": {"pk": req.pk},
        "submissions:part": {"pk": sub.pk},
        "submissions:review": {"pk": sub.pk},
        "submissions:part_file": {"pk": sub.pk, "which": "file"},
        "submissions:quarterly_job": {"pk": job.pk},
        "submissions:quarterly_file": {"pk": job.pk, "fmt": "docx"},
    }


def api_entries(world) -> dict[str, list[tuple[dict, dict]]]:
    """For the API fuzzing (``test_api_schemathesis``): a request, and the known values of each operation."""
    req = services.request_create(
        actor=world.users["region"],
        kind="file",
        title="Планы работы",
        deadline=dt.date(2024, 12, 1),
        schools=[world.school, world.far],
    )
    return {
        "/api/submissions/requests": [({}, {})],
        "/api/submissions/requests/{request_id}": [({"request_id": req.pk}, {})],
    }


def test_the_api_shows_the_board_by_role(world, roadmap_request):
    services.submission_submit(
        actor=world.users["school"], submission=part_of(roadmap_request, world.school), today=TODAY
    )
    url = f"/api/submissions/requests/{roadmap_request.pk}"
    board = login(world, "region").get(url).json()
    assert {p["school_id"]: p["status"] for p in board["parts"]}["sch0001"] == "submitted"
    assert board["recipients"] == 3
    assert len(login(world, "municipality").get(url).json()["parts"]) == 2  # its two schools
    assert login(world, "teacher").get(url).status_code == 404
    page = login(world, "school").get("/api/submissions/requests").json()
    assert [r["id"] for r in page["items"]] == [roadmap_request.pk]
    assert page["count"] == 1


def test_the_school_card_lists_the_schools_parts(world, roadmap_request):
    url = reverse("identification:school", kwargs={"school_id": "sch0001"})
    page = login(world, "school").get(url).content.decode()
    assert 'id="submissions-block"' in page
    assert roadmap_request.title in page
    assert 'id="submissions-block"' not in login(world, "teacher").get(url).content.decode()


def test_quarterly_data_is_the_users_territory(world, roadmap_request):
    from shnor.web.submissions.quarterly import quarterly_data

    region = quarterly_data(user=world.users["region"], year=2025, quarter=2, today=TODAY)
    mun = quarterly_data(user=world.users["municipality"], year=2025, quarter=2, today=TODAY)
    assert region.unit_name == world.region.name
    assert mun.unit_name == world.mun.name
    assert mun.n_schools == 2  # sch0001 and sch0002
    assert region.n_schools == 9  # the region's schools, not the neighbour region's
    assert mun.requests[0]["total"] == 2  # the region's request, seen through the municipality's schools
    low = next(r for r in region.lists if r["short"] == "ШНОР")
    assert low["at_end"] == 2  # the 2024 run's ШНОР in the region (no approved list): sch0001, sch0003
    with pytest.raises(PermissionDenied):
        quarterly_data(user=world.users["school"], year=2025, quarter=2, today=TODAY)
