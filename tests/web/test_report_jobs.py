"""The reports page's exporters as background jobs: the POST starts a job and goes to its page, the worker
renders the file, the same report on unchanged data is served from the kept file without a second render,
a change of the data (or «сформировать заново») renders afresh, and another territory's user gets nothing."""

from __future__ import annotations

import io
import re
import zlib

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from docx import Document

from shnor.web.accounts.models import AuditEntry, Role
from shnor.web.accounts.services import user_create
from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute
from shnor.web.monitoring import report_jobs as rj
from shnor.web.monitoring import reports as rep
from shnor.web.monitoring.models import IndicatorValue
from shnor.web.registry.models import Region
from tests.web.report_client import report_fetch, report_job_of
from tests.web.world import PASSWORD


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """Counts the exporters built by the worker (one per real render)."""
    seen: list[str] = []
    build = rep.exporter_build

    def counting(**kwargs):
        seen.append(kwargs["identifier"])
        return build(**kwargs)

    monkeypatch.setattr(rep, "exporter_build", counting)
    return seen


def start(client: Client, identifier: str, data: dict):
    return client.post(reverse("monitoring:report", args=[identifier]), data)


def docx_text(body: bytes) -> str:
    doc = Document(io.BytesIO(body))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def pdf_pages(body: bytes) -> int:
    """Page objects of a PDF, in plain objects and in compressed object streams."""
    parts = [body]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, flags=re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:  # an image or a font, not objects
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", p)) for p in parts)


def work() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


def test_the_worker_renders_the_report_and_the_page_offers_the_file(
    world, keep_db_connection, renders, django_capture_on_commit_callbacks
) -> None:
    client = login(world.users["region"])
    data = {"unit": f"region:{world.region.pk}", "year": 2024, "format": "pdf"}
    with django_capture_on_commit_callbacks(execute=True):
        started = start(client, "annual_report", data)
    job = report_job_of(started)
    assert job.kind == rj.REPORT_KIND
    assert job.status == Job.QUEUED
    assert job.task_id  # handed to the task backend
    assert job.params["identifier"] == "annual_report"
    waiting = client.get(started["Location"]).content.decode()
    assert "Страница обновится сама" in waiting
    assert 'id="download"' not in waiting
    assert client.get(reverse("monitoring:report_job_file", args=[job.pk])).status_code == 404

    work()
    job.refresh_from_db()
    assert job.status == Job.DONE, job.error
    assert job.result["rendered"] is True
    assert renders == ["annual_report"]
    page = client.get(started["Location"]).content.decode()
    assert "Отчёт готов" in page
    assert reverse("monitoring:report_job_file", args=[job.pk]) in page
    answer = client.get(reverse("monitoring:report_job_file", args=[job.pk]))
    assert answer["Content-Type"] == "application/pdf"
    body = b"".join(answer.streaming_content)
    # a whole PDF document with pages (pypdf is not among the project's packages: its structure is read here)
    assert body.startswith(b"%PDF-")
    assert body.rstrip().endswith(b"%%EOF")
    assert pdf_pages(body) >= 1
    assert len(body) == job.result["size"]
    listed = client.get(reverse("monitoring:reports")).content.decode()
    assert reverse("monitoring:report_job", args=[job.pk]) in listed  # «Ваши недавние отчёты»
    others = login(world.users["observer"]).get(reverse("monitoring:reports")).content.decode()
    assert reverse("monitoring:report_job", args=[job.pk]) not in others  # only the user's own
    entry = AuditEntry.objects.get(action="export", object_type="monitoring.report")
    assert entry.object_id == "annual_report"
    assert entry.changes["job"] == job.pk


def test_unchanged_data_reuse_the_kept_file_and_changes_render_afresh(world, renders, settings) -> None:
    region_user = world.users["region"]
    client = login(region_user)
    data = {"unit": f"region:{world.region.pk}", "year": 2024, "format": "docx"}
    first = report_fetch(client, "annual_report", data)
    assert world.region.name in docx_text(first)
    assert renders == ["annual_report"]
    jobs = Job.objects.filter(kind=rj.REPORT_KIND)
    assert jobs.count() == 1

    # the same report again: the finished job and its file, no new job, no render
    again = report_job_of(start(client, "annual_report", data))
    assert again.pk == jobs.get().pk
    assert report_fetch(client, "annual_report", data) == first
    assert renders == ["annual_report"]

    # another format is another report
    report_fetch(client, "annual_report", {**data, "format": "pdf"})
    assert renders == ["annual_report"] * 2

    # an observer of the same region gets a job of their own, served from the kept file
    observer = login(world.users["observer"])
    theirs = report_job_of(start(observer, "annual_report", data))
    assert theirs.created_by == world.users["observer"]
    done = job_execute(job_id=theirs.pk)
    assert done.result["rendered"] is False
    assert renders == ["annual_report"] * 2
    assert report_fetch(observer, "annual_report", data) == first

    # the data change (a region renamed in the registry, no change time recorded): a new render
    Region.objects.filter(pk=world.region.pk).update(name="Переименованная область")
    renamed = report_fetch(client, "annual_report", data)
    assert renders == ["annual_report"] * 3
    assert "Переименованная область" in docx_text(renamed)
    assert jobs.count() == 4
    # the newer file replaced the older one: the first job's page says so, its download is gone
    first_job = jobs.order_by("pk").first()
    assert rj.report_file(job=first_job) is None
    assert (
        "Файл больше не хранится"
        in client.get(reverse("monitoring:report_job", args=[first_job.pk])).content.decode()
    )
    assert client.get(reverse("monitoring:report_job_file", args=[first_job.pk])).status_code == 404
    kept = sorted(p.name for p in (settings.HOME / "reports" / "registry").iterdir())
    assert len(kept) == 4  # the annual DOCX (renamed region) and PDF: each a file and its description

    # «сформировать заново» renders even on unchanged data
    forced = report_job_of(start(client, "annual_report", {**data, "force": "1"}))
    assert forced.params["force"] is True
    assert job_execute(job_id=forced.pk).result["rendered"] is True
    assert renders == ["annual_report"] * 4


def test_the_version_follows_only_what_the_exporter_reads(world, renders) -> None:
    client = login(world.users["region"])
    data = {"unit": f"region:{world.region.pk}", "year": 2024}
    book = openpyxl.load_workbook(io.BytesIO(report_fetch(client, "fioko_list", data)))
    assert book.active.cell(1, 2).value == "Логин"
    before = rj.data_version(identifier="fioko_list"), rj.data_version(identifier="annual_report")
    IndicatorValue.objects.create(
        indicator="share_high_ege", year=2024, level="region", region=world.region, value=12.5
    )
    after = rj.data_version(identifier="fioko_list"), rj.data_version(identifier="annual_report")
    assert after[0] == before[0]  # FIOKO's list does not read indicator values
    assert after[1] != before[1]  # the yearly report does
    report_fetch(client, "fioko_list", data)
    assert renders == ["fioko_list"]


def test_another_territory_gets_neither_the_job_nor_the_file(world, renders) -> None:
    client = login(world.users["region"])
    region_unit = {"unit": f"region:{world.region.pk}", "year": 2024, "format": "docx"}
    report_fetch(client, "annual_report", region_unit)
    job = Job.objects.get(kind=rj.REPORT_KIND)
    page = reverse("monitoring:report_job", args=[job.pk])
    file = reverse("monitoring:report_job_file", args=[job.pk])

    neighbour = user_create(
        username="u_neighbour", password=PASSWORD, role=Role.REGION, region=world.other_region
    )
    for user in (neighbour, world.users["municipality"], world.users["school"]):
        other = login(user)
        assert other.get(page).status_code == 404, user.username
        assert other.get(file).status_code == 404, user.username
        assert start(other, "annual_report", region_unit).status_code == 404, user.username
    # the municipality coordinator's own job stays theirs
    mun = login(world.users["municipality"])
    mun_unit = {"unit": f"municipality:{world.mun.pk}", "year": 2024}
    report_fetch(mun, "municipality_summary", mun_unit)
    theirs = Job.objects.filter(kind=rj.REPORT_KIND, created_by=world.users["municipality"]).get()
    assert login(neighbour).get(reverse("monitoring:report_job", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("monitoring:report_job", args=[theirs.pk])).status_code == 200  # region-wide
    assert renders == ["annual_report", "municipality_summary"]


def test_the_form_posts_with_csrf_and_a_get_starts_nothing(world) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["region"])
    data = {"unit": f"region:{world.region.pk}", "year": 2024}
    url = reverse("monitoring:report", args=["protocol_draft"])
    assert strict.post(url, data).status_code == 403
    assert strict.get(url, data).status_code == 405
    assert not Job.objects.filter(kind=rj.REPORT_KIND).exists()
    page = strict.get(reverse("monitoring:reports"))
    html = page.content.decode()
    assert 'method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    token = page.cookies["csrftoken"].value
    started = strict.post(url, {**data, "csrfmiddlewaretoken": token})
    assert report_job_of(started).params["identifier"] == "protocol_draft"


def test_a_bad_value_is_a_russian_400(world) -> None:
    client = login(world.users["region"])
    answer = start(client, "annual_report", {"unit": f"region:{world.region.pk}", "format": "odt"})
    assert answer.status_code == 400
    assert "формат файла" in answer.content.decode()
    assert not Job.objects.filter(kind=rj.REPORT_KIND).exists()
