"""Browser imports and runs as jobs: upload → job → worker → the Russian summary, row errors, report."""

from __future__ import annotations

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from shnor.web.assessments.models import ImportBatch
from shnor.web.identification.models import MethodologyRun
from shnor.web.jobs.models import Job
from tests.builders import good_tasks, pupil_row, school_rows, write_xlsx


def upload(client: Client, path, capture, **fields):
    data = {"max_rejected": "5", **fields, "file": SimpleUploadedFile(path.name, path.read_bytes())}
    with capture(execute=True):
        return client.post(reverse("assessments:imports"), data)


def work() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


def test_upload_runs_as_a_job_and_reports_errors(
    analyst, tmp_path, django_capture_on_commit_callbacks
) -> None:
    rows = school_rows("sch0001", [5, 10, 15] * 10) + [pupil_row("sch0001", 99, good_tasks(3), total=4)]
    path = write_xlsx(tmp_path / "vpr_2024_ma4_city.xlsx", rows)
    page = upload(analyst, path, django_capture_on_commit_callbacks)
    assert page.status_code == 302
    job = Job.objects.get()
    assert page["Location"] == reverse("jobs:detail", kwargs={"pk": job.pk})
    assert job.status == Job.QUEUED
    assert job.task_id
    waiting = analyst.get(page["Location"])
    assert "в очереди" in waiting.content.decode()
    assert analyst.get(reverse("jobs:status", kwargs={"pk": job.pk})).json()["finished"] is False
    work()
    job.refresh_from_db()
    assert job.status == Job.DONE, job.error
    assert job.result["status"] == "stored"
    html = analyst.get(page["Location"]).content.decode()
    assert "сохранено участников 30" in html
    assert "сумма баллов не равна сумме баллов за задания" in html
    assert ImportBatch.objects.filter(year=2024, subject="ma", grade=4).count() == 1
    download = analyst.get(reverse("assessments:report", kwargs={"name": job.result["report"]}))
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.sheetnames[0] == "Ошибки"
    assert (
        analyst.get(reverse("assessments:report", kwargs={"name": "..%2Fshnor.sqlite3"})).status_code == 404
    )


def test_upload_rejected_and_bad_input(analyst, tmp_path, django_capture_on_commit_callbacks) -> None:
    rows = school_rows("sch0001", [10] * 5) + [
        pupil_row("sch0001", 50 + i, good_tasks(3), total=4) for i in range(5)
    ]
    upload(analyst, write_xlsx(tmp_path / "vpr_2024_ma4_bad.xlsx", rows), django_capture_on_commit_callbacks)
    wrong = analyst.post(
        reverse("assessments:imports"), {"max_rejected": "5", "file": SimpleUploadedFile("x.pdf", b"%PDF")}
    )
    assert "Ожидается файл XLSX" in wrong.content.decode()
    upload(
        analyst,
        write_xlsx(tmp_path / "results.xlsx", school_rows("sch0001", [5, 6])),
        django_capture_on_commit_callbacks,
    )
    work()
    rejected, nameless = Job.objects.order_by("pk")
    assert rejected.status == Job.DONE
    assert rejected.result["status"] == "rejected"
    assert (
        "ничего не сохранено"
        in analyst.get(reverse("jobs:detail", kwargs={"pk": rejected.pk})).content.decode()
    )
    assert not ImportBatch.objects.exists()
    assert nameless.status == Job.FAILED
    assert "укажите --year" in nameless.error  # year/subject/grade unknown: the import stops and says so


def test_run_started_from_browser(analyst, world, tmp_path, django_capture_on_commit_callbacks) -> None:
    path = write_xlsx(tmp_path / "vpr_2024_ma4_city.xlsx", school_rows("sch0001", [5, 10, 15, 18] * 8))
    upload(analyst, path, django_capture_on_commit_callbacks)
    work()
    bad = analyst.post(
        reverse("jobs:run_start"), {"year": "2024", "config": SimpleUploadedFile("c.toml", b"[x")}
    )
    assert "Файл настроек не читается" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = analyst.post(reverse("jobs:run_start"), {"year": "2024", "label": "проверка"})
    assert page.status_code == 302
    work()
    job = Job.objects.get(kind=Job.IDENTIFY)
    assert job.status == Job.DONE, job.error
    run = MethodologyRun.objects.get(pk=job.result["run_id"])
    assert run.status == MethodologyRun.DONE
    assert run.year == 2024
    assert "Расчёт выполнен" in analyst.get(page["Location"]).content.decode()


def test_jobs_are_scoped(world, analyst, tmp_path, django_capture_on_commit_callbacks) -> None:
    upload(
        analyst,
        write_xlsx(tmp_path / "vpr_2024_ma4_x.xlsx", school_rows("sch0001", [5])),
        django_capture_on_commit_callbacks,
    )
    job = Job.objects.get()
    for role in ("school", "municipality", "teacher"):
        c = Client()
        c.force_login(world.users[role])
        assert c.get(reverse("jobs:detail", kwargs={"pk": job.pk})).status_code == 404
        assert c.get(reverse("jobs:status", kwargs={"pk": job.pk})).status_code == 404
        assert c.get(reverse("jobs:run_start")).status_code == 403
    assert Client().get(reverse("jobs:detail", kwargs={"pk": job.pk})).status_code == 302
