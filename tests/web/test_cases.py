"""Objectivity cases from the flag to the verdict: cases opened from the list, a re-check file imported
(idempotent, bad files rejected whole), the evidence against schools without signs, the school's answer
with a file, the region's decision, the appeal and the closing decision, the signs table, scoping, the
re-check sample's XLSX and the case's DOCX dossier."""

from __future__ import annotations

import io

import openpyxl
import polars as pl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve, reverse
from django.utils.html import escape
from docx import Document

from shnor.web.accounts.models import Role
from shnor.web.accounts.services import user_create
from shnor.web.cases import selectors as sel
from shnor.web.cases import services
from shnor.web.cases.models import CaseEvent, ObjectivityCase, RecheckBatch, RecheckWork
from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute
from tests.web.test_support_world import PDF
from tests.web.world import PASSWORD

HEADER = "year,school_id,subject,grade,work,task,school_score,expert_score"


def recheck_csv(tmp_path, name: str = "perepr.csv", extra: list[str] | None = None):
    """sch0001: 10 works, the expert lowered 8 of them; sch0002 and sch0003: 10 works each, unchanged."""
    lines = [HEADER]
    for sid, changed in (("sch0001", 8), ("sch0002", 0), ("sch0003", 0)):
        for w in range(10):
            for task in ("1", "2", "3"):
                expert = 0 if (task == "3" and w < changed) else 1
                lines.append(f"2024,{sid},ma,4,{sid[-1]}{w:03d},{task},1,{expert}")
    lines += extra or []
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def case(world) -> ObjectivityCase:
    """The case of sch0001 (flagged in world.run), opened by the region analyst."""
    created = services.cases_open(actor=world.users["region"], year=2024, run=world.run)
    assert [c.school.school_id for c in created] == ["sch0001"]
    return created[0]


def test_cases_open_once_per_listed_school_with_the_runs_signs(world, case) -> None:
    assert case.signs == ["bunching:vpr:ma:4", "task_pattern:vpr:ma:4"]
    assert case.status == "open"
    assert services.cases_open(actor=world.users["region"], year=2024, run=world.run) == []
    assert ObjectivityCase.objects.count() == 1
    assert CaseEvent.objects.filter(case=case, action="дело открыто").count() == 1
    with pytest.raises(PermissionDenied):
        services.cases_open(actor=world.users["municipality"], year=2024, run=world.run)


def test_open_button_opens_cases_on_the_region_page(world) -> None:
    c = client_for(world.users["region"])
    page = c.get("/cases/?year=2024").content.decode()
    assert "Открыть дела по списку" in page
    c.post("/cases/open/", {"year": "2024"})
    page = c.get("/cases/?year=2024").content.decode()
    assert "МБОУ СОШ №1" in page
    assert "на рассмотрении" in page


def test_recheck_import_shows_the_difference_and_the_same_file_changes_nothing(world, case, tmp_path) -> None:
    path = recheck_csv(tmp_path)
    first = services.rechecks_import(path=path, actor=world.users["region"])
    assert first.status == "stored", first.summary
    assert RecheckWork.objects.count() == 90
    assert not RecheckWork.objects.filter(work="1000").exists()  # codes are pseudonymised
    ev = services.recheck_evidence(school=world.school, year=2024)
    assert ev["works"] == 10
    assert ev["control_schools"] == 2
    assert ev["by_school"][0]["works_changed"] == 8
    assert ev["compare"][0]["p_value"] < 0.01
    assert ev["compare"][0]["control_share"] == 0
    assert "завыш" in ev["conclusion"]
    again = services.rechecks_import(path=path, actor=world.users["region"])
    assert again.status == "unchanged"
    assert (RecheckBatch.objects.count(), RecheckWork.objects.count()) == (1, 90)
    page = client_for(world.users["region"]).get(f"/cases/{case.pk}/").content.decode()
    assert "Перепроверено работ школы: 10" in page
    assert escape(ev["conclusion"]) in page


def test_bad_recheck_file_is_rejected_whole_with_row_and_column(world, tmp_path) -> None:
    bad_score = recheck_csv(tmp_path, "bad.csv", extra=["2024,sch0002,ma,4,2999,1,1,абв"])
    out = services.rechecks_import(path=bad_score, actor=world.users["region"])
    assert out.status == "rejected"
    assert any(e.row == 92 and "expert_score" in e.column for e in out.errors), out.errors
    unknown = recheck_csv(tmp_path, "unknown.csv", extra=["2024,sch7777,ma,4,7001,1,1,1"])
    out = services.rechecks_import(path=unknown, actor=world.users["region"])
    assert out.status == "rejected"
    assert [(e.row, e.column, e.value) for e in out.errors] == [(92, "логин школы", "sch7777")]
    foreign = recheck_csv(tmp_path, "foreign.csv", extra=["2024,sch0009,ma,4,9001,1,1,1"])
    assert services.rechecks_import(path=foreign, actor=world.users["region"]).status == "rejected"
    assert RecheckBatch.objects.count() == 0
    assert RecheckWork.objects.count() == 0
    assert not world.school.__class__.objects.filter(school_id="sch7777").exists()


def test_answer_decide_appeal_and_closing_decision(world, case) -> None:
    school = client_for(world.users["school"])
    region = client_for(world.users["region"])
    upload = SimpleUploadedFile("объяснение.pdf", PDF, content_type="application/pdf")
    school.post(
        f"/cases/{case.pk}/answer/", {"text": "Работы проверяла комиссия из двух учителей", "file": upload}
    )
    case.refresh_from_db()
    assert case.status == "answered"
    answer = case.answers.get()
    assert answer.original_name == "объяснение.pdf"
    got = client_for(world.users["municipality"]).get(f"/cases/answers/{answer.pk}/file/")
    assert b"".join(got.streaming_content).startswith(b"%PDF")
    # the school cannot decide; the region must give a reason
    assert (
        school.post(f"/cases/{case.pk}/decide/", {"verdict": "not_confirmed", "reason": "x"}).status_code
        == 403
    )
    region.post(f"/cases/{case.pk}/decide/", {"verdict": "confirmed", "reason": "  "})
    case.refresh_from_db()
    assert (case.status, case.verdict) == ("answered", "")
    region.post(
        f"/cases/{case.pk}/decide/", {"verdict": "confirmed", "reason": "перепроверка: 8 из 10 работ"}
    )
    case.refresh_from_db()
    assert (case.status, case.verdict) == ("decided", "confirmed")
    assert services.can_appeal(world.users["school"], case)
    assert not services.can_appeal(world.users["municipality"], case)
    school.post(f"/cases/{case.pk}/appeal/", {"text": "Не согласны: задание 3 оценено по критериям"})
    case.refresh_from_db()
    assert case.status == "appealed"
    with pytest.raises(Exception, match="только один раз"):
        services.case_appeal(actor=world.users["school"], case=case, text="ещё раз")
    region.post(
        f"/cases/{case.pk}/decide/",
        {"verdict": "not_confirmed", "reason": "критерии оценивания неоднозначны"},
    )
    case.refresh_from_db()
    assert (case.status, case.verdict) == ("closed", "not_confirmed")
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [
        "дело открыто",
        "получен ответ школы",
        "решение: признаки подтверждены",
        "решение обжаловано школой",
        "решение по обжалованию: признаки не подтвердились",
    ]


def test_sign_table_counts_raised_reviewed_confirmed(world, case) -> None:
    services.case_decide(actor=world.users["region"], case=case, verdict="confirmed", reason="перепроверка")
    table = {r["code"]: r for r in sel.sign_table(schools=world.school.__class__.objects.all(), year=2024)}
    assert set(table) == {"bunching", "task_pattern"}
    assert (table["bunching"]["raised"], table["bunching"]["reviewed"], table["bunching"]["confirmed"]) == (
        1,
        1,
        1,
    )
    assert table["bunching"]["label"] == "Скопление у порога отметки"
    page = client_for(world.users["region"]).get("/cases/?year=2024").content.decode()
    assert "Трудные задания выполнены лучше лёгких" in page


def test_scoping_and_read_only_roles(world, case) -> None:
    outsider = user_create(
        username="u_mun2", password=PASSWORD, role=Role.MUNICIPALITY, municipality=world.mun2
    )
    assert client_for(outsider).get(f"/cases/{case.pk}/").status_code == 404
    assert client_for(world.users["school"]).get(f"/cases/{case.pk}/").status_code == 200
    assert client_for(world.users["school"]).get("/cases/").status_code == 403
    observer = client_for(world.users["observer"])
    assert observer.get(f"/cases/{case.pk}/").status_code == 200
    assert (
        observer.post(f"/cases/{case.pk}/decide/", {"verdict": "confirmed", "reason": "x"}).status_code == 403
    )
    with pytest.raises(PermissionDenied):
        services.case_answer(actor=world.users["observer"], case=case, text="x")
    mun_page = client_for(world.users["municipality"]).get("/cases/?year=2024").content.decode()
    assert 'href="/cases/">Дела о необъективности</a>' in mun_page  # the menu link
    assert "МБОУ СОШ №1" in mun_page
    assert "Открыть дела по списку" not in mun_page
    school_home = client_for(world.users["school"]).get(f"/cases/{case.pk}/").content.decode()
    assert 'href="/cases/">Дела о необъективности</a>' not in school_home
    card = client_for(world.users["school"]).get("/schools/sch0001/").content.decode()
    assert "Рассмотрение признаков" in card
    assert f"/cases/{case.pk}/" in card


def _scan(monkeypatch) -> None:
    """Warehouse pupils of 2023–2024: every school of the region 30 pupils in maths 4 (2024) and 3 (2023)."""
    rows = []
    for sid in ["sch0001", "sch0002", "sch0003", *[f"sch01{i:02d}" for i in range(6)]]:
        for year, grade, subject in ((2024, 4, "ma"), (2024, 4, "ru"), (2023, 3, "ma")):
            for k in range(30):
                mark = 2 if (sid == "sch0001" and subject == "ma" and year == 2024 and k < 9) else 4
                rows.append((year, "vpr", subject, grade, sid, False, mark))
    frame = pl.DataFrame(
        rows,
        schema={
            "year": pl.Int16,
            "procedure": pl.String,
            "subject": pl.String,
            "grade": pl.Int8,
            "school_id": pl.String,
            "absent": pl.Boolean,
            "mark": pl.Int8,
        },
        orient="row",
    )
    for module in ("sampling", "controlled"):
        monkeypatch.setattr(f"shnor.web.cases.services.{module}.results_scan", frame.lazy)


def test_sample_xlsx_opens_with_russian_headers(world, monkeypatch) -> None:
    _scan(monkeypatch)
    c = client_for(world.users["region"])
    form = {
        "year": "2024",
        "margin": "0.1",
        "control_share_expected": "0.1",
        "per_school_max": "10",
        "seed": "3",
    }
    page = c.post("/cases/sample/", {**form, "preview": "1"}).content.decode()
    assert "проверяемая" in page
    assert "контрольная" in page
    resp = c.post("/cases/sample/", {**form, "xlsx": "1"})
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = rows[3]
    assert "Работ на перепроверку" in header
    assert "Группа" in header
    flagged = [r for r in rows[4:] if "sch0001" in r]
    assert flagged
    assert flagged[0][0] == "МБОУ СОШ №1"
    assert flagged[0][header.index("Группа")] == "проверяемая (с признаками)"


def test_controlled_procedures_compared_or_not_enough_data(world, case, monkeypatch) -> None:
    _scan(monkeypatch)
    assert services.controlled_compare(school=world.school, year=2024)["conclusion"].startswith(
        "недостаточно данных"
    )
    services.controlled_record(
        actor=world.users["municipality"], school=world.school, year=2024, subject="ma", grade=4, kind="video"
    )
    out = services.controlled_compare(school=world.school, year=2024)
    controlled, others, cohort = out["rows"]
    assert (controlled["n"], controlled["share_2"]) == (30, 0.3)
    assert (others["n"], others["share_2"]) == (30, 0.0)
    assert (cohort["n"], cohort["share_2"]) == (30, 0.0)
    assert "доля «2» — 30,0 %" in out["conclusion"]
    with pytest.raises(PermissionDenied):
        services.controlled_record(
            actor=world.users["school"], school=world.school, year=2024, subject="ru", grade=4, kind="video"
        )


def test_dossier_docx_has_the_school_and_the_recheck_conclusion(world, case, tmp_path) -> None:
    services.rechecks_import(path=recheck_csv(tmp_path), actor=world.users["region"])
    conclusion = services.recheck_evidence(school=world.school, year=2024)["conclusion"]
    resp = dossier_fetch(client_for(world.users["region"]), case, "docx")
    doc = Document(io.BytesIO(resp))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )
    assert "МБОУ СОШ №1" in text
    assert conclusion
    assert conclusion in text
    pdf = dossier_fetch(client_for(world.users["school"]), case, "pdf")
    assert pdf.startswith(b"%PDF")


def dossier_fetch(client: Client, case: ObjectivityCase, fmt: str) -> bytes:
    """The dossier as the browser gets it: at once when kept, else through its job (run here as the worker
    does) and the same link again."""
    url = f"/cases/{case.pk}/dossier.{fmt}"
    answer = client.get(url)
    if answer.status_code == 302:
        match = resolve(answer["Location"])
        assert match.view_name == "cases:dossier_job"
        done = job_execute(job_id=match.kwargs["job"])
        assert done.status == Job.DONE, done.error
        answer = client.get(url)
    assert answer.status_code == 200
    assert "attachment" in answer["Content-Disposition"]
    return b"".join(answer.streaming_content)


def test_dossier_is_a_job_then_a_kept_file_until_the_case_changes(world, case, monkeypatch, settings) -> None:
    from shnor.web.cases import dossier as dossier_module
    from shnor.web.cases.dossier_job import DOSSIER_KIND

    built: list[int] = []
    build = dossier_module.dossier_build

    def counting(c):
        built.append(c.pk)
        return build(c)

    monkeypatch.setattr(dossier_module, "dossier_build", counting)
    region = client_for(world.users["region"])
    url = f"/cases/{case.pk}/dossier.docx"
    started = region.get(url)
    assert started.status_code == 302
    job = Job.objects.get(kind=DOSSIER_KIND)
    progress = reverse("cases:dossier_job", args=[case.pk, job.pk])
    assert started["Location"] == progress
    waiting = region.get(progress).content.decode()
    assert "Страница обновится сама" in waiting
    assert 'id="download"' not in waiting
    assert region.get(url)["Location"] == progress  # asked again while it waits: the same job
    # a school of another municipality sees neither the case's dossier nor its job
    stranger = client_for(
        user_create(username="u_far", password=PASSWORD, role=Role.SCHOOL, school=world.far)
    )
    assert stranger.get(progress).status_code == 404
    assert stranger.get(url).status_code == 404

    done = job_execute(job_id=job.pk)
    assert done.status == Job.DONE, done.error
    assert done.result["rendered"] is True
    page = region.get(progress).content.decode()
    assert "Досье готово" in page
    assert f'href="{url}"' in page
    first = dossier_fetch(region, case, "docx")
    assert "МБОУ СОШ №1" in "\n".join(p.text for p in Document(io.BytesIO(first)).paragraphs)
    # the school's own director gets the kept file at once: no job, no second build
    assert dossier_fetch(client_for(world.users["school"]), case, "docx") == first
    assert Job.objects.filter(kind=DOSSIER_KIND).count() == 1
    assert built == [case.pk]

    # the school answers: the kept dossier is stale, a new job builds it again
    services.case_answer(actor=world.users["school"], case=case, text="Ответ школы по делу")
    again = region.get(url)
    assert again.status_code == 302
    assert Job.objects.filter(kind=DOSSIER_KIND).count() == 2
    body = dossier_fetch(region, case, "docx")
    assert built == [case.pk, case.pk]
    doc = Document(io.BytesIO(body))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )
    assert "Ответ школы по делу" in text
    kept = sorted(p.suffix for p in (settings.HOME / "reports" / "dossiers").iterdir())
    assert kept == [".file", ".json"]  # the newer dossier replaced the older one
