"""Versions of an imported file on the real Altai file: a new content under a live file's name is refused
(nothing changed) until replacement is asked for, every earlier version can be brought back (by importing
it again with replacement or by the «вернуть» button), and a run never silently shows changed data."""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse

from shnor.cli import main
from shnor.web.accounts.models import AuditEntry
from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.selectors import results_scan
from shnor.web.assessments.services import gia_file_import, reference_ensure_shipped, vpr_file_import
from shnor.web.assessments.versions import batch_restore
from shnor.web.backup import backup_create, backup_restore
from shnor.web.jobs.models import Job
from tests.builders import school_rows, write_xlsx
from tests.web.test_imports_web import upload, work

NAME = "vpr_2021_ma4_altai.xlsx"
ALTAI_ROWS = 26666 - 85  # stored rows of the real file (85 rejected)
KEY = {"year": 2021, "subject": "ma", "grade": 4}


def truncated(real, folder, rows: int = 28):
    """The first ``rows`` pupils of the real file, under the real file's name."""
    src = openpyxl.load_workbook(real / NAME, read_only=True).worksheets[0]
    book = openpyxl.Workbook()
    sheet = book.active
    for i, row in enumerate(src.iter_rows(values_only=True)):
        if i > rows:
            break
        sheet.append(row)
    folder.mkdir(exist_ok=True)
    path = folder / NAME
    book.save(path)
    return path


def live() -> list[tuple[str, str]]:
    return sorted(ImportBatch.objects.values_list("batch_id", "status"))


def stored_rows() -> int:
    return results_scan().select(pl.len()).collect().item()


@pytest.mark.django_db
def test_replace_refuse_restore_on_the_real_file(home, real, tmp_path) -> None:
    reference_ensure_shipped()
    original = vpr_file_import(path=real / NAME, **KEY)
    assert original.status == "stored"
    small = truncated(real, tmp_path / "small")

    # a different content under the same name: refused with the difference, nothing changed
    refused = vpr_file_import(path=small, **KEY)
    assert refused.status == "refused"
    assert not refused.ok
    assert "ничего не изменено" in refused.summary
    assert "--replace" in refused.summary
    assert refused.diff is not None
    assert (refused.diff.before.participants, refused.diff.before.schools) == (24849, 631)
    assert refused.diff.after.participants < 30
    assert refused.diff.schools_gone == 631 - refused.diff.after.schools
    assert any("исчезнут из данных школ" in line for line in refused.diff.lines())
    assert live() == [(original.batch_id, ImportBatch.ACTIVE)]
    assert stored_rows() == ALTAI_ROWS

    # asked for: replaced, and the replaced version keeps its rows in the warehouse
    replaced = vpr_file_import(path=small, replace=True, **KEY)
    assert replaced.status == "replaced"
    assert "может быть возвращена" in replaced.summary
    first = ImportBatch.objects.get(batch_id=original.batch_id)
    assert first.status == ImportBatch.REPLACED
    assert (home / "warehouse" / first.path).exists()
    assert stored_rows() == replaced_rows(replaced.batch_id)

    # the original again: an earlier version, refused without --replace (no IntegrityError) …
    again = vpr_file_import(path=real / NAME, **KEY)
    assert again.status == "refused"
    assert "прежняя версия" in again.summary
    assert ImportBatch.objects.get(batch_id=replaced.batch_id).status == ImportBatch.ACTIVE
    # … and brought back with it: the same batch row live again, no second copy
    back = vpr_file_import(path=real / NAME, replace=True, **KEY)
    assert (back.status, back.batch_id) == ("replaced", original.batch_id)
    assert live() == sorted(
        [(original.batch_id, ImportBatch.ACTIVE), (replaced.batch_id, ImportBatch.REPLACED)]
    )
    assert stored_rows() == ALTAI_ROWS
    assert vpr_file_import(path=real / NAME, **KEY).status == "unchanged"

    # the small version back by the restore service, then the original again
    restored, old = batch_restore(batch_id=replaced.batch_id, root=home / "warehouse")
    assert restored.status == ImportBatch.ACTIVE
    assert [b.batch_id for b in old] == [original.batch_id]
    assert stored_rows() == replaced_rows(replaced.batch_id)
    batch_restore(batch_id=original.batch_id, root=home / "warehouse")
    assert stored_rows() == ALTAI_ROWS
    assert ImportBatch.objects.count() == 2


def replaced_rows(batch_id: str) -> int:
    return (
        ImportBatch.objects.get(batch_id=batch_id).rows_stored
        + ImportBatch.objects.get(batch_id=batch_id).rows_absent
    )


@pytest.mark.django_db
def test_failed_replacement_keeps_the_earlier_versions_file(home, tmp_path, monkeypatch) -> None:
    reference_ensure_shipped()
    path = tmp_path / "vpr_2021_ma4_mun.xlsx"
    a = vpr_file_import(path=write_xlsx(path, school_rows("sch000001", [5, 10, 15])))
    b = vpr_file_import(path=write_xlsx(path, school_rows("sch000001", [6, 11])), replace=True)
    old_file = home / "warehouse" / ImportBatch.objects.get(batch_id=a.batch_id).path
    write_xlsx(path, school_rows("sch000001", [5, 10, 15]))

    def boom(*args, **kwargs):
        raise RuntimeError("сбой посреди замены")

    monkeypatch.setattr("shnor.web.assessments.services.schools_ensure", boom)
    with pytest.raises(RuntimeError):
        vpr_file_import(path=path, replace=True)
    assert old_file.exists()  # the earlier version's file is not removed by the failed attempt
    assert live() == sorted([(a.batch_id, ImportBatch.REPLACED), (b.batch_id, ImportBatch.ACTIVE)])


@pytest.mark.django_db
def test_gia_versions(home, tmp_path) -> None:
    head = "year,exam,school_id,subject,student_code,primary_score,test_score,mark,below_min\n"
    path = tmp_path / "gia.csv"
    path.write_text(head + "2024,oge,sch1,ru,B1,20,,4,\n2024,oge,sch1,ru,B2,5,,2,\n", encoding="utf-8")
    first = gia_file_import(path=path)
    assert first.status == "stored", first.summary
    path.write_text(head + "2024,oge,sch1,ru,B1,20,,4,\n", encoding="utf-8")
    refused = gia_file_import(path=path)
    assert refused.status == "refused"
    assert refused.diff is not None
    assert refused.diff.before.participants == 2
    assert refused.diff.after.participants == 1
    assert gia_file_import(path=path, replace=True).status == "replaced"


@pytest.mark.django_db(transaction=True)  # a restore flushes the database: not inside the test's transaction
def test_backup_keeps_earlier_versions(home, tmp_path) -> None:
    reference_ensure_shipped()
    path = tmp_path / "vpr_2021_ma4_mun.xlsx"
    a = vpr_file_import(path=write_xlsx(path, school_rows("sch000001", [5, 10, 15])))
    vpr_file_import(path=write_xlsx(path, school_rows("sch000001", [6, 11])), replace=True)
    info = backup_create(path=tmp_path / "b.tar.gz")
    assert info.files == 2
    backup_restore(path=info.path)
    batch_restore(batch_id=a.batch_id, root=home / "warehouse")
    assert sorted(results_scan().collect()["primary_score"].to_list()) == [5, 10, 15]


@pytest.mark.django_db
def test_cli_refuses_without_replace(home, tmp_path, real) -> None:
    runner = CliRunner()
    args = ["import", "vpr", "--year", "2021", "--subject", "ma", "--grade", "4"]
    assert runner.invoke(main, [*args, str(real / NAME)], catch_exceptions=False).exit_code == 0
    small = truncated(real, tmp_path / "small")
    res = runner.invoke(main, [*args, str(small)], catch_exceptions=False)
    assert res.exit_code == 1
    assert "ничего не изменено" in res.output
    assert "--replace" in res.output
    assert "участников: 24849 → " in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(main, [*args, "--replace", str(small)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "заменена версия от" in res.output
    res = runner.invoke(main, [*args, str(real / NAME)], catch_exceptions=False)
    assert res.exit_code == 1
    assert "прежняя версия файла" in res.output
    res = runner.invoke(main, [*args, "--replace", str(real / NAME)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "возвращена прежняя версия файла" in res.output
    assert "IntegrityError" not in res.output


# --- in the browser's pages (Django's test client) ----------------------------------------------------


def test_preview_confirm_and_restore_in_pages(
    analyst, world, real, tmp_path, django_capture_on_commit_callbacks
) -> None:
    fields = {"year": "2021", "subject": "ma", "grade": "4"}
    upload(analyst, real / NAME, django_capture_on_commit_callbacks, **fields)
    work()
    original = ImportBatch.objects.get(status=ImportBatch.ACTIVE, source_name=NAME)
    page = upload(analyst, truncated(real, tmp_path / "small"), django_capture_on_commit_callbacks, **fields)
    work()
    job = Job.objects.latest("pk")
    assert job.result["status"] == "refused"
    html = analyst.get(page["Location"]).content.decode()
    assert "Нужно подтвердить замену файла" in html
    assert "24849" in html
    assert "Исчезнут из данных школ" in html
    assert ImportBatch.objects.get(pk=original.pk).status == ImportBatch.ACTIVE  # nothing changed yet

    # another role cannot confirm; the analyst can
    for role in ("observer", "municipality"):
        c = Client()
        c.force_login(world.users[role])
        assert c.post(reverse("assessments:replace", kwargs={"job": job.pk})).status_code in (403, 404)
    assert analyst.get(reverse("assessments:replace", kwargs={"job": job.pk})).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = analyst.post(reverse("assessments:replace", kwargs={"job": job.pk}))
    assert confirmed.status_code == 302
    work()
    assert Job.objects.latest("pk").result["status"] == "replaced"
    assert ImportBatch.objects.get(pk=original.pk).status == ImportBatch.REPLACED
    assert AuditEntry.objects.filter(action="подтверждение замены файла").exists()

    # the imports page lists the earlier version with a way back; the preview shows the difference
    imports = analyst.get(reverse("assessments:imports")).content.decode()
    restore_url = reverse("assessments:restore", kwargs={"pk": original.pk})
    assert restore_url in imports
    preview = analyst.get(restore_url).content.decode()
    assert "Вернуть эту версию" in preview
    assert "24849" in preview
    assert ImportBatch.objects.get(pk=original.pk).status == ImportBatch.REPLACED  # GET changes nothing
    done = analyst.post(restore_url)
    assert done.status_code == 302
    assert ImportBatch.objects.get(pk=original.pk).status == ImportBatch.ACTIVE
    assert "возвращена версия" in analyst.get(done["Location"]).content.decode()
    assert AuditEntry.objects.filter(action="возврат прежней версии файла").exists()
    assert stored_rows() == ALTAI_ROWS


def test_run_on_changed_data_says_so(analyst, tmp_path, django_capture_on_commit_callbacks) -> None:
    from shnor.web.identification.services import methodology_run_create

    path = tmp_path / "vpr_2024_ma4_city.xlsx"
    write_xlsx(
        path, school_rows("sch0001", [5, 10, 15, 18] * 8) + school_rows("sch0002", [4, 9, 12] * 8, start=100)
    )
    vpr_file_import(path=path)
    first, _ = methodology_run_create(year=2024, keep_evidence=False)
    url = reverse("identification:list", kwargs={"kind": "low_results"})
    assert "data-notice" not in analyst.get(url).content.decode()

    write_xlsx(path, school_rows("sch0001", [5, 10, 15, 18] * 8))
    vpr_file_import(path=path, replace=True)
    html = analyst.get(url, {"run": first.pk}).content.decode()
    assert "После этого расчёта загруженные данные изменились" in html
    assert "заменена версией" in html
    api_run = next(r for r in analyst.get("/api/runs").json() if r["id"] == first.pk)
    assert [n["kind"] for n in api_run["data_notices"]] == ["after"]
    assert api_run["batches"] == first.batches

    second, _ = methodology_run_create(year=2024, keep_evidence=False)
    html = analyst.get(url).content.decode()
    assert f"изменённых после предыдущего расчёта № {first.pk}" in html
    assert "После этого расчёта" not in html
    school = analyst.get(reverse("identification:school", kwargs={"school_id": "sch0001"})).content.decode()
    assert f"изменённых после предыдущего расчёта № {first.pk}" in school
    assert second.batches != first.batches
