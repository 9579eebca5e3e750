"""Every input through one path: РДР as its own procedure, the registry and context «unchanged», the browser
forms of each input (jobs, row-level reports, nothing stored on error), the roles, the РДР indicator."""

from __future__ import annotations

import re

import openpyxl
import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from shnor.web.accounts.models import AuditEntry
from shnor.web.assessments.inputs import INPUTS, registry_import
from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.selectors import rdr_fail_facts
from shnor.web.assessments.services import rdr_file_import, warehouse
from shnor.web.jobs.models import Job
from shnor.web.registry.models import School, SchoolContext
from tests.builders import HEADER_2021, good_tasks, pupil_row, write_csv, write_xlsx
from tests.web.test_imports_web import work

HEADER_RDR = [*HEADER_2021, "Отметка"]
SCHOOLS_HEADER = ["school_id", "name", "municipality_id", "municipality", "region_id", "region", "kind"]
CONTEXT_HEADER = ["year", "school_id", "share_low_income", "staff_shortage"]


def rdr_file(tmp_path, name: str, marks: dict[str, list[int | str]]):
    rows = []
    n = 0
    for school, ms in marks.items():
        for m in ms:
            n += 1
            score = {2: 3, 3: 8, 4: 12, 5: 17}.get(m, 8) if isinstance(m, int) else 8
            rows.append([*pupil_row(school, n, good_tasks(score)), str(m)])
    return write_xlsx(tmp_path / name, rows, HEADER_RDR)


def post(client: Client, kind: str, path, capture, threshold: str = "0", **fields):
    data = {"input": kind, f"{kind}-file": SimpleUploadedFile(path.name, path.read_bytes())}
    data[f"{kind}-max_rejected"] = threshold
    data |= {f"{kind}-{k}": v for k, v in fields.items()}
    with capture(execute=True):
        return client.post(reverse("assessments:imports"), data)


def test_rdr_is_its_own_procedure_and_the_same_file_twice_changes_nothing(world, analyst, tmp_path) -> None:
    path = rdr_file(tmp_path, "rdr_2024_ma4_край.xlsx", {"sch0001": [2, 3, 4, 2], "sch0002": [5, 2]})
    first = rdr_file_import(path=path)
    assert first.status == "stored", first.summary
    assert "РДР 2024, Математика, 4 класс" in first.summary
    batch = ImportBatch.objects.get()
    assert (batch.procedure, batch.kind, batch.rows_stored, batch.schools) == ("rdr", "rdr", 6, 2)
    assert "procedure=rdr" in batch.path
    frame = warehouse().scan([batch.path]).collect()
    assert set(frame["procedure"]) == {"rdr"}
    assert frame.filter(pl.col("mark") == 2).height == 3
    again = rdr_file_import(path=path)
    assert again.status == "unchanged"
    assert "ничего не изменено" in again.summary
    assert ImportBatch.objects.count() == 1
    changed = rdr_file(tmp_path, "rdr_2024_ma4_край.xlsx", {"sch0001": [3, 3, 4, 2]})
    refused = rdr_file_import(path=changed)
    assert refused.status == "refused"
    assert ImportBatch.objects.get(status=ImportBatch.ACTIVE).pk == batch.pk
    replaced = rdr_file_import(path=changed, replace=True)
    assert replaced.status == "replaced"
    assert ImportBatch.objects.get(status=ImportBatch.ACTIVE).rows_stored == 4


def test_rdr_with_bad_rows_stores_nothing_and_reports_every_row(world, analyst, tmp_path) -> None:
    path = rdr_file(tmp_path, "rdr_2024_ma4_ошибки.xlsx", {"sch0001": [2, 3, 9, "пять"]})
    outcome = rdr_file_import(path=path, max_rejected=1e-9)
    assert outcome.status == "rejected"
    assert [(e.row, e.column) for e in outcome.errors] == [(4, "Отметка"), (5, "Отметка")]
    assert not ImportBatch.objects.exists()
    assert not list((warehouse().root).rglob("*.parquet"))
    book = openpyxl.load_workbook(outcome.report)
    cells = [str(c.value) for row in book["Ошибки"].iter_rows() for c in row if c.value is not None]
    assert "отметка должна быть от 2 до 5" in cells
    assert "9" in cells


def test_registry_and_context_twice_say_unchanged_and_bad_rows_store_nothing(world, tmp_path) -> None:
    schools = write_csv(
        tmp_path / "schools.csv",
        [["sch0100", "Школа № 100", "m01", "Город Первый", "r01", "Тестовый край", "СОШ"]],
        SCHOOLS_HEADER,
        encoding="utf-8",
    )
    assert registry_import(kind="schools", path=schools).status == "stored"
    again = registry_import(kind="schools", path=schools)
    assert again.status == "unchanged"
    assert "ничего не изменено" in again.summary
    context = write_csv(
        tmp_path / "context.csv",
        [["2025", "sch0001", "35", "да"], ["2025", "sch0100", "12,5", "нет"]],
        CONTEXT_HEADER,
        encoding="utf-8",
    )
    assert registry_import(kind="context", path=context).status == "stored"
    assert SchoolContext.objects.get(school__school_id="sch0100", year=2025).share_low_income == 0.125
    assert registry_import(kind="context", path=context).status == "unchanged"
    before = list(SchoolContext.objects.order_by("pk").values_list("pk", "share_low_income"))
    bad = write_csv(
        tmp_path / "context_2026.csv",
        [["2026", "sch0001", "40", "да"], ["2026", "sch9999", "10", "нет"], ["2026", "sch0002", "сто", "да"]],
        CONTEXT_HEADER,
        encoding="utf-8",
    )
    refused = registry_import(kind="context", path=bad, max_rejected=1e-9)
    assert refused.status == "rejected"
    assert {(e.row, e.column) for e in refused.errors} == {(3, "school_id"), (4, "share_low_income")}
    assert list(SchoolContext.objects.order_by("pk").values_list("pk", "share_low_income")) == before


def test_each_input_uploads_in_the_browser_as_a_job(
    world, analyst, tmp_path, django_capture_on_commit_callbacks
) -> None:
    cap = django_capture_on_commit_callbacks
    page = analyst.get(reverse("assessments:imports")).content.decode()
    for code in INPUTS:
        assert f'id="upload-{code}"' in page
    assert reverse("diagnostics:import") in page
    # bad rows: none allowed by default, except the ВПР's 5 % of the command line
    assert re.search(r'name="rdr-max_rejected" value="0"', page)
    assert re.search(r'name="context-max_rejected" value="0"', page)
    assert re.search(r'name="max_rejected" value="5"', page)
    schools = write_csv(
        tmp_path / "реестр.csv",
        [["sch0200", "Школа № 200", "m01", "Город Первый", "r01", "Тестовый край", "ООШ"]],
        SCHOOLS_HEADER,
        encoding="utf-8",
    )
    context = write_csv(tmp_path / "контекст.csv", [["2024", "sch0200", "0,3", "нет"]], CONTEXT_HEADER)
    gia = write_csv(
        tmp_path / "гиа.csv",
        [
            ["2024", "огэ", "sch0001", "ma", "p1", "12", "", "3", ""],
            ["2024", "егэ", "sch0001", "ru", "p2", "40", "70", "", "нет"],
        ],
        [
            "year",
            "exam",
            "school_id",
            "subject",
            "student_code",
            "primary_score",
            "test_score",
            "mark",
            "below_min",
        ],
        encoding="utf-8",
    )
    rdr = rdr_file(tmp_path, "рдр.xlsx", {"sch0001": [2, 4]})
    for kind, path, extra in (
        ("schools", schools, {}),
        ("context", context, {}),
        ("gia", gia, {}),
        ("rdr", rdr, {"year": "2024", "subject": "ru", "grade": "4"}),
    ):
        assert post(analyst, kind, path, cap, **extra).status_code == 302
    work()
    jobs = {j.params["input"]: j for j in Job.objects.all()}
    for kind in ("schools", "context", "gia", "rdr"):
        assert jobs[kind].status == Job.DONE, jobs[kind].error
        assert jobs[kind].result["status"] == "stored", jobs[kind].result
        assert jobs[kind].label.startswith(INPUTS[kind].title)
    assert School.objects.get(school_id="sch0200").kind == "ООШ"
    assert SchoolContext.objects.get(school__school_id="sch0200", year=2024).share_low_income == 0.3
    assert ImportBatch.objects.get(procedure="rdr").subject == "ru"
    assert ImportBatch.objects.get(kind="gia").rows_stored == 2
    assert AuditEntry.objects.filter(action="загрузка файла").count() == 4
    listing = analyst.get(reverse("assessments:imports")).content.decode()
    assert "<td>РДР</td>" in listing
    # the same context file again: the job says nothing changed
    post(analyst, "context", context, cap)
    work()
    last = Job.objects.order_by("-pk").first()
    assert last.result["status"] == "unchanged"
    assert (
        "ничего не изменено" in analyst.get(reverse("jobs:detail", kwargs={"pk": last.pk})).content.decode()
    )


def test_a_bad_context_upload_is_refused_row_by_row(
    world, analyst, tmp_path, django_capture_on_commit_callbacks
) -> None:
    before = SchoolContext.objects.count()
    bad = write_csv(
        tmp_path / "контекст.csv",
        [
            ["2024", "sch0001", "0,3", "да"],
            ["2024", "sch0777", "0,2", "нет"],
            ["2024", "sch0002", "0,1", "может"],
        ],
        CONTEXT_HEADER,
    )
    post(analyst, "context", bad, django_capture_on_commit_callbacks)
    work()
    job = Job.objects.get()
    assert job.result["status"] == "rejected"
    html = analyst.get(reverse("jobs:detail", kwargs={"pk": job.pk})).content.decode()
    assert "ничего не сохранено" in html
    assert "школы нет в реестре" in html
    assert "sch0777" in html
    assert SchoolContext.objects.count() == before
    report = analyst.get(reverse("assessments:report", kwargs={"name": job.result["report"]}))
    assert report.status_code == 200
    wrong = analyst.post(
        reverse("assessments:imports"),
        {"input": "rdr", "rdr-max_rejected": "0", "rdr-file": SimpleUploadedFile("x.pdf", b"%PDF")},
    )
    assert "Ожидается файл XLSX" in wrong.content.decode()


@pytest.mark.parametrize("role", ["region", "municipality", "school", "teacher", "curator", "observer"])
def test_import_page_by_role(world, role, tmp_path) -> None:
    client = Client()
    client.force_login(world.users[role])
    page = client.get(reverse("assessments:imports"))
    expected = 200 if role in ("region", "observer") else 403
    assert page.status_code == expected
    if role == "observer":
        assert 'id="upload-rdr"' not in page.content.decode()
    path = rdr_file(tmp_path, "rdr_2024_ma4.xlsx", {"sch0001": [2]})
    data = {
        "input": "rdr",
        "rdr-max_rejected": "0",
        "rdr-file": SimpleUploadedFile(path.name, path.read_bytes()),
    }
    answer = client.post(reverse("assessments:imports"), data)
    assert answer.status_code == (302 if role == "region" else 403)
    assert Job.objects.exists() == (role == "region")


def test_rdr_indicator_counts_the_listed_schools_of_the_year(world, analyst, tmp_path) -> None:
    rdr_file_import(
        path=rdr_file(
            tmp_path, "rdr_2024_ma4.xlsx", {"sch0001": [2, 3, 4, 5], "sch0002": [2, 2], "sch0003": [2]}
        )
    )
    rdr_file_import(path=rdr_file(tmp_path, "rdr_2023_ma4.xlsx", {"sch0001": [2, 2, 2, 2]}))
    facts = rdr_fail_facts(school_ids=["sch0001", "sch0002"], year=2024).sort("school_id")
    assert facts.select("school_id", "numerator", "denominator").rows() == [
        ("sch0001", 1.0, 4.0),
        ("sch0002", 2.0, 2.0),
    ]
    region = analyst.get(
        f"{reverse('monitoring:indicators')}?level=region&unit={world.region.pk}&year=2024"
    ).context["rows"]
    row = {r["code"]: r for r in region}["rdr_fail"]
    # ШНОР/ШНСУ of 2024 are sch0001 and sch0003: (1 + 1) of (4 + 1); sch0002 is not listed
    assert (row["numerator"], row["denominator"]) == (2.0, 5.0)
    assert row["display"] == "40,0 %"
    school = analyst.get(f"{reverse('monitoring:indicators')}?level=school&unit=sch0001&year=2024").context[
        "rows"
    ]
    assert {r["code"]: r for r in school}["rdr_fail"]["display"] == "25,0 %"


def test_school_card_shows_its_rdr(world, analyst, tmp_path) -> None:
    rdr_file_import(path=rdr_file(tmp_path, "rdr_2024_ma4.xlsx", {"sch0001": [2, 3, 4, 5], "sch0002": [2]}))
    page = analyst.get(reverse("identification:school", kwargs={"school_id": "sch0001"})).content.decode()
    assert 'id="school-rdr"' in page
    block = page[page.index('id="school-rdr"') :].split("</table>")[0]
    assert "Математика" in block
    assert "25,0 %" in block  # one «2» of four
    assert "3,5" in block  # mean mark
    empty = analyst.get(reverse("identification:school", kwargs={"school_id": "sch0003"})).content.decode()
    assert 'id="school-rdr"' not in empty
    director = Client()
    director.force_login(world.users["school"])
    assert (
        'id="school-rdr"'
        in director.get(reverse("identification:school", kwargs={"school_id": "sch0001"})).content.decode()
    )


def test_a_new_rdr_version_replaces_the_live_one_only_when_confirmed(
    world, analyst, tmp_path, django_capture_on_commit_callbacks
) -> None:
    cap = django_capture_on_commit_callbacks
    (tmp_path / "new").mkdir()
    first = rdr_file(tmp_path, "rdr_2024_ma4.xlsx", {"sch0001": [2, 3]})
    second = rdr_file(tmp_path / "new", "rdr_2024_ma4.xlsx", {"sch0001": [2, 3, 4]})
    post(analyst, "rdr", first, cap)
    post(analyst, "rdr", second, cap)
    work()
    stored, refused = Job.objects.order_by("pk")
    assert (stored.result["status"], refused.result["status"]) == ("stored", "refused")
    assert (
        "Заменить действующую версию"
        in analyst.get(reverse("jobs:detail", kwargs={"pk": refused.pk})).content.decode()
    )
    assert ImportBatch.objects.get(status=ImportBatch.ACTIVE).rows_stored == 2
    with cap(execute=True):
        analyst.post(reverse("assessments:replace", kwargs={"job": refused.pk}))
    work()
    replaced = Job.objects.order_by("-pk").first()
    assert replaced.params["input"] == "rdr"
    assert replaced.result["status"] == "replaced", replaced.result
    live = ImportBatch.objects.get(status=ImportBatch.ACTIVE)
    assert (live.procedure, live.rows_stored) == ("rdr", 3)
