"""Browser imports (synchronous): upload → vpr_file_import → the Russian summary, row errors and the XLSX report."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.services import reference_ensure_shipped
from tests.builders import good_tasks, pupil_row, school_rows, write_xlsx


@pytest.fixture
def analyst(world) -> Client:  # type: ignore[no-untyped-def]
    reference_ensure_shipped()
    c = Client()
    c.force_login(world.users["region"])
    return c


def upload(client: Client, path, **fields):  # type: ignore[no-untyped-def]
    data = {"max_rejected": "5", **fields, "file": SimpleUploadedFile(path.name, path.read_bytes())}
    return client.post(reverse("assessments:imports"), data)


def test_upload_stores_and_reports_errors(analyst, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = school_rows("sch0001", [5, 10, 15] * 10) + [pupil_row("sch0001", 99, good_tasks(3), total=4)]
    path = write_xlsx(tmp_path / "vpr_2024_ma4_city.xlsx", rows)
    page = upload(analyst, path)
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["outcome"].status == "stored"
    assert "сохранено участников 30" in html
    assert page.context["errors"]
    assert ImportBatch.objects.filter(year=2024, subject="ma", grade=4).count() == 1
    report = page.context["report_name"]
    download = analyst.get(reverse("assessments:report", kwargs={"name": report}))
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.sheetnames
    assert analyst.get(reverse("assessments:report", kwargs={"name": "..%2Fshnor.sqlite3"})).status_code == 404


def test_upload_rejected_and_bad_input(analyst, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = school_rows("sch0001", [10] * 5) + [pupil_row("sch0001", 50 + i, good_tasks(3), total=4) for i in range(5)]
    page = upload(analyst, write_xlsx(tmp_path / "vpr_2024_ma4_bad.xlsx", rows))
    assert page.context["outcome"].status == "rejected"
    assert "ничего не сохранено" in page.content.decode()
    assert not ImportBatch.objects.exists()
    wrong = analyst.post(reverse("assessments:imports"), {"max_rejected": "5", "file": SimpleUploadedFile("x.pdf", b"%PDF")})
    assert "Ожидается файл XLSX" in wrong.content.decode()
    nameless = upload(analyst, write_xlsx(tmp_path / "results.xlsx", school_rows("sch0001", [5, 6])))
    assert nameless.context["error"]  # year/subject/grade unknown: the import stops and says so
