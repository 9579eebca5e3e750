"""Files jobs keep for downloads are removed when nobody made or downloaded them for SHNOR_REPORT_KEEP_DAYS:
the old ones of every store with their descriptions, stale partial files, never foreign names nor a key a
waiting job names; a download refreshes a file's age, and after the removal the job's page offers to make
the file again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import resolve, reverse

from shnor.serving import uploads_cleanup_once
from shnor.web.cases import services as case_services
from shnor.web.cases.dossier_job import DOSSIER_KIND
from shnor.web.cases.dossier_job import KEPT as DOSSIERS
from shnor.web.identification.list_export_job import KEPT as LISTS
from shnor.web.jobs.cleanup import kept_cleanup
from shnor.web.jobs.kept import kept_open, kept_stores
from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute
from shnor.web.monitoring import report_jobs as rj
from tests.web.report_client import report_fetch, report_job_of

pytestmark = pytest.mark.django_db

DAY = 86400
REPORT_KEY = "0123456789abcdef-" + "a" * 24
DEFICIT_KEY = "f" * 32


def age(days: float, *paths: Path) -> None:
    """Set the last access and modification of ``paths`` to ``days`` ago."""
    stamp = time.time() - days * DAY
    for path in paths:
        os.utime(path, (stamp, stamp))


def keep(store, key: str, days: float) -> tuple[Path, Path]:
    """A file kept in ``store`` under ``key``, last used ``days`` ago."""
    store.put(key, name="отчёт.docx", mime="application/octet-stream", body=b"body of " + key.encode())
    body, meta = store.paths(key)
    age(days, body, meta)
    return body, meta


def deficit_pdf(home: Path, key: str, days: float) -> Path:
    path = home / "reports" / "deficits" / f"{key}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-")
    age(days, path)
    return path


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_store_is_known_to_the_cleanup() -> None:
    assert {s.subfolder for s in kept_stores()} >= {"registry", "dossiers", "lists"}


def test_old_files_of_every_store_go_with_their_descriptions(home, settings) -> None:
    settings.REPORT_KEEP_DAYS = 30
    old_report = keep(rj.KEPT, REPORT_KEY, 40)
    new_report = keep(rj.KEPT, "fedcba9876543210-" + "b" * 24, 5)
    old_dossier = keep(DOSSIERS, "c7-pdf-" + "c" * 24, 31)
    new_dossier = keep(DOSSIERS, "c7-docx-" + "d" * 24, 29)
    old_list = keep(LISTS, "fioko-r3-" + "1" * 16 + "-" + "a" * 24, 45)
    new_list = keep(LISTS, "low_results-r3-" + "2" * 16 + "-" + "b" * 24, 2)
    # a description whose file never came (the writer died between the two): removed when old
    orphan = rj.KEPT.paths("1111111111111111-" + "e" * 24)[1]
    orphan.write_text('{"name": "x", "mime": "y"}', encoding="utf-8")
    age(40, orphan)
    old_deficit = deficit_pdf(home, DEFICIT_KEY, 40)
    new_deficit = deficit_pdf(home, "e" * 32, 1)
    # names that are not kept files of their folder's pattern, whatever their age
    foreign = [
        rj.KEPT.folder() / "notes.file",
        rj.KEPT.folder() / "notes.txt",
        DOSSIERS.folder() / ("c7-odt-" + "c" * 24 + ".file"),
        home / "reports" / "deficits" / "readme.pdf",
        home / "reports" / "other" / f"{REPORT_KEY}.file",
        home / "reports" / f"{REPORT_KEY}.file",
    ]
    for path in foreign:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        age(400, path)

    removed = kept_cleanup()

    assert sorted(removed) == sorted([old_report[0], old_dossier[0], old_list[0], orphan, old_deficit])
    for path in (*old_report, *old_dossier, *old_list, orphan, old_deficit):
        assert not path.exists(), path.name
    for path in (*new_report, *new_dossier, *new_list, new_deficit, *foreign):
        assert path.exists(), path.name
    assert rj.KEPT.get(REPORT_KEY) is None
    assert rj.KEPT.get("fedcba9876543210-" + "b" * 24) is not None
    assert kept_cleanup() == []  # nothing more to do


def test_keep_days_setting_and_arguments(home, settings) -> None:
    body, meta = keep(rj.KEPT, REPORT_KEY, 20)
    settings.REPORT_KEEP_DAYS = 21
    assert kept_cleanup() == []
    settings.REPORT_KEEP_DAYS = 19
    assert kept_cleanup() == [body]
    assert not meta.exists()
    fresh, _meta = keep(DOSSIERS, "c1-docx-" + "0" * 24, 0)
    assert kept_cleanup(keep_days=1) == []
    assert kept_cleanup(keep_days=1, now=time.time() + 2 * DAY) == [fresh]


def test_a_recently_downloaded_description_or_file_keeps_both(home, settings) -> None:
    settings.REPORT_KEEP_DAYS = 30
    body, meta = keep(rj.KEPT, REPORT_KEY, 40)
    age(2, meta)  # either of the two used recently: the kept file is in use
    assert kept_cleanup() == []
    assert body.exists()
    assert meta.exists()


def test_stale_partial_files_go_and_fresh_or_foreign_ones_stay(home) -> None:
    folder = rj.KEPT.folder()
    folder.mkdir(parents=True)
    stale = folder / f"{REPORT_KEY}.4242.part"
    writing = folder / f"{REPORT_KEY}.4243.part"  # a writer at work right now
    foreign = folder / "something.4244.part"
    deficits = home / "reports" / "deficits"
    deficits.mkdir(parents=True)
    stale_pdf = deficits / f"{DEFICIT_KEY}.77.part"
    for path in (stale, writing, foreign, stale_pdf):
        path.write_bytes(b"half")
    age(2, stale, foreign, stale_pdf)
    age(0.5, writing)

    assert sorted(kept_cleanup()) == sorted([stale, stale_pdf])
    assert writing.exists()
    assert foreign.exists()


def test_a_key_a_waiting_job_names_stays_until_the_job_is_done(home, settings) -> None:
    settings.REPORT_KEEP_DAYS = 30
    body, meta = keep(rj.KEPT, REPORT_KEY, 40)
    job = Job.objects.create(
        kind=rj.REPORT_KIND, label="отчёт", status=Job.QUEUED, params={"key": REPORT_KEY}
    )
    assert kept_cleanup() == []
    assert body.exists()
    assert meta.exists()
    Job.objects.filter(pk=job.pk).update(status=Job.DONE)
    assert kept_cleanup() == [body]


def test_no_reports_folder_is_fine(home) -> None:
    assert not (home / "reports").exists()
    assert kept_cleanup() == []


def test_an_open_download_survives_the_removal(home, settings) -> None:
    body, _meta = keep(rj.KEPT, REPORT_KEY, 40)
    handle = kept_open(body)
    assert handle is not None
    with handle:
        assert body.stat().st_mtime > time.time() - 60  # opening for a download refreshes the age
        age(40, *rj.KEPT.paths(REPORT_KEY))
        assert kept_cleanup(keep_days=30) == [body]
        assert not body.exists()
        assert handle.read() == b"body of " + REPORT_KEY.encode()  # POSIX: the open file is still readable
    assert kept_open(body) is None


def test_the_worker_and_serve_cleanup_removes_old_kept_files(home, settings) -> None:
    settings.REPORT_KEEP_DAYS = 30
    keep(rj.KEPT, REPORT_KEY, 40)
    keep(DOSSIERS, "c1-docx-" + "0" * 24, 40)
    lines: list[str] = []
    assert uploads_cleanup_once(lines.append) == 2
    assert lines == ["Удалены готовые отчёты и досье, которые не скачивали 30 дн. и дольше: 2"]


def test_a_report_download_refreshes_its_age_and_after_removal_the_page_offers_to_make_it_again(
    world, settings
) -> None:
    settings.REPORT_KEEP_DAYS = 30
    client = login(world.users["region"])
    data = {"unit": f"region:{world.region.pk}", "year": 2024, "format": "docx"}
    first = report_fetch(client, "annual_report", data)
    job = Job.objects.get(kind=rj.REPORT_KIND)
    key = job.result["key"]
    body, meta = rj.KEPT.paths(key)
    age(40, body, meta)

    download = reverse("monitoring:report_job_file", args=[job.pk])
    answer = client.get(download)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == first
    assert body.stat().st_mtime > time.time() - 60  # the download touched it
    assert kept_cleanup() == []

    age(40, body, meta)  # then nobody downloads it for 40 days
    assert kept_cleanup() == [body]
    page = client.get(reverse("monitoring:report_job", args=[job.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Файл больше не хранится" in text
    assert 'id="force"' in text  # «Сформировать заново»
    assert 'id="download"' not in text
    assert client.get(download).status_code == 404  # a stale link: not found, not a server error
    # asked again, the report is made again by a new job, not answered by the old one without a file
    again = report_job_of(client.post(reverse("monitoring:report", args=["annual_report"]), data))
    assert again.pk != job.pk
    remade = report_fetch(client, "annual_report", data)  # a new render (the archive's times differ)
    assert remade.startswith(b"PK")
    assert rj.KEPT.get(key) is not None


def test_a_dossier_download_refreshes_its_age_and_after_removal_the_link_makes_it_again(
    world, settings
) -> None:
    settings.REPORT_KEEP_DAYS = 30
    case = case_services.cases_open(actor=world.users["region"], year=2024, run=world.run)[0]
    client = login(world.users["region"])
    url = f"/cases/{case.pk}/dossier.pdf"
    started = client.get(url)
    assert started.status_code == 302
    job = job_execute(job_id=resolve(started["Location"]).kwargs["job"])
    assert job.status == Job.DONE, job.error
    body, meta = DOSSIERS.paths(job.result["key"])
    age(40, body, meta)

    answer = client.get(url)
    assert answer.status_code == 200
    made = b"".join(answer.streaming_content)
    assert made.startswith(b"%PDF")
    assert body.stat().st_mtime > time.time() - 60  # the download touched it
    assert kept_cleanup() == []

    age(40, body, meta)
    assert kept_cleanup() == [body]
    page = client.get(started["Location"])
    assert page.status_code == 200
    assert f'href="{url}"' in page.content.decode()  # the page's link, which now makes the dossier again
    remade = client.get(url)
    assert remade.status_code == 302
    new_job = resolve(remade["Location"]).kwargs["job"]
    assert new_job != job.pk
    assert Job.objects.get(pk=new_job).kind == DOSSIER_KIND
    assert job_execute(job_id=new_job).status == Job.DONE
    assert client.get(url).status_code == 200
