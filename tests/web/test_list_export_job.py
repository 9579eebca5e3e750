"""A large list's XLSX as a background job: above ``DIRECT_ROWS`` schools the export starts a job (one per
user and file) and shows its progress; the finished workbook is the list the user sees and is downloaded
at once until the list changes; another scope gets its own file; another user does not see the job."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from shnor.web.identification import list_export_job
from shnor.web.identification.list_export_job import LIST_EXPORT_KIND
from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute
from shnor.web.registry.models import School


def _client(world, role: str) -> Client:
    c = Client()
    c.force_login(world.users[role])
    return c


def _logins(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet.cell(3, 1).value == "Логин ОО"
    return [sheet.cell(r, 1).value for r in range(4, sheet.max_row + 1)]


def _export_url(world, kind: str = "social_risk") -> str:
    return reverse("identification:export", kwargs={"kind": kind}) + f"?run={world.run.pk}"


def test_a_small_list_is_written_in_the_request(world) -> None:
    response = _client(world, "region").get(_export_url(world))
    assert response.status_code == 200
    assert len(_logins(response)) == 4
    assert not Job.objects.filter(kind=LIST_EXPORT_KIND).exists()


@pytest.fixture
def large(monkeypatch):
    """Every list counts as large (the test region's lists have a handful of schools)."""
    monkeypatch.setattr(list_export_job, "DIRECT_ROWS", 0)


def test_a_large_list_goes_through_a_job_and_its_kept_file(world, large) -> None:
    c = _client(world, "region")
    url = _export_url(world)
    first = c.get(url)
    assert first.status_code == 302
    job = Job.objects.get(kind=LIST_EXPORT_KIND)
    assert first["Location"] == reverse(
        "identification:export_job", kwargs={"kind": "social_risk", "pk": job.pk}
    )
    assert job.status == Job.QUEUED
    assert c.get(url)["Location"] == first["Location"]  # asked again while it waits: the same job
    assert Job.objects.filter(kind=LIST_EXPORT_KIND).count() == 1
    waiting = c.get(first["Location"])
    assert waiting.status_code == 200
    assert "Выгрузка списка в XLSX" in waiting.content.decode()
    assert waiting.context["download"] is None

    done = job_execute(job_id=job.pk)
    assert done.status == Job.DONE, done.error
    assert done.result["rendered"] is True
    assert done.result["rows"] == 4
    page = c.get(first["Location"])
    assert page.context["download"] == url
    assert "Скачать XLSX" in page.content.decode()

    download = c.get(url)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in download["Content-Disposition"]
    direct = c.get(url)  # kept: no new job
    assert direct.status_code == 200
    assert Job.objects.filter(kind=LIST_EXPORT_KIND).count() == 1
    # the same workbook as the request writes for a small list
    list_page = c.get(reverse("identification:list", kwargs={"kind": "social_risk"}) + f"?run={world.run.pk}")
    assert sorted(_logins(download)) == sorted(r["school_id"] for r in list_page.context["rows"])


def test_another_scope_gets_its_own_file_and_cannot_see_the_job(world, large) -> None:
    region, municipality = _client(world, "region"), _client(world, "municipality")
    url = _export_url(world)
    job_page = region.get(url)["Location"]
    job_execute(job_id=Job.objects.get(kind=LIST_EXPORT_KIND).pk)
    assert region.get(url).status_code == 200
    theirs = municipality.get(url)
    assert theirs.status_code == 302  # not the region's file: a job of their own
    assert Job.objects.filter(kind=LIST_EXPORT_KIND).count() == 2
    assert municipality.get(job_page).status_code == 404
    job_execute(job_id=Job.objects.filter(kind=LIST_EXPORT_KIND).latest("pk").pk)
    mine, region_rows = _logins(municipality.get(url)), _logins(region.get(url))
    assert set(mine) < set(region_rows)
    assert all(School.objects.get(school_id=s).municipality_id == world.mun.pk for s in mine)


def test_a_changed_list_makes_a_new_file(world, large) -> None:
    c = _client(world, "region")
    url = _export_url(world)
    c.get(url)
    job_execute(job_id=Job.objects.get(kind=LIST_EXPORT_KIND).pk)
    assert c.get(url).status_code == 200
    school_id = _logins(c.get(url))[0]
    School.objects.filter(school_id=school_id).update(name="Переименованная школа")
    cache.clear()  # the list's rows are cached for minutes; a new decision or run changes their key
    assert c.get(url).status_code == 302  # the kept file is for the old names
    job_execute(job_id=Job.objects.filter(kind=LIST_EXPORT_KIND).latest("pk").pk)
    body = c.get(url)
    assert body.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(body.streaming_content))).active
    names = [sheet.cell(r, 2).value for r in range(4, sheet.max_row + 1)]
    assert "Переименованная школа" in names
    kept = sorted(p.name for p in list_export_job.KEPT.folder().iterdir())
    assert len(kept) == 2  # the file and its description: the older version was replaced


def test_a_job_of_a_user_turned_off_fails_with_a_message(world, large) -> None:
    c = _client(world, "region")
    c.get(_export_url(world))
    world.users["region"].is_active = False
    world.users["region"].save()
    done = job_execute(job_id=Job.objects.get(kind=LIST_EXPORT_KIND).pk)
    assert done.status == Job.FAILED
    assert "не найден или отключён" in done.error
