"""Imports through the services: stored once, replaced whole when asked, atomic on failure, nothing kept from
a rejected file."""

from __future__ import annotations

import polars as pl
import pytest

from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.selectors import results_scan
from shnor.web.assessments.services import reference_ensure_shipped, vpr_file_import
from shnor.web.registry.models import School
from tests.builders import good_tasks, pupil_row, school_rows, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference(home):
    reference_ensure_shipped()


def warehouse_files(home):
    return sorted(p.relative_to(home) for p in (home / "warehouse").rglob("*") if p.is_file())


def test_real_file_twice_stores_once(home, real) -> None:
    first = vpr_file_import(path=real / "vpr_2021_ma4_altai.xlsx", year=2021, subject="ma", grade=4)
    assert first.status == "stored"
    assert "из 631 школ" in first.summary
    assert "отклонено строк: 85" in first.summary
    assert first.report is not None
    assert first.report.exists()
    files = warehouse_files(home)
    schools = School.objects.count()
    second = vpr_file_import(path=real / "vpr_2021_ma4_altai.xlsx", year=2021, subject="ma", grade=4)
    assert second.status == "unchanged"
    assert ImportBatch.objects.count() == 1
    assert warehouse_files(home) == files
    assert School.objects.count() == schools == 635
    assert not School.objects.filter(in_registry=True).exists()
    scan = results_scan().collect()
    assert scan.height == 26666 - 85
    assert scan["batch_id"].unique().to_list() == [first.batch_id]


def test_corrected_file_replaces_its_batch(home, tmp_path) -> None:
    path = tmp_path / "vpr_2021_ma4_mun.xlsx"
    write_xlsx(path, school_rows("sch000001", [5, 10, 15]))
    a = vpr_file_import(path=path)
    write_xlsx(path, school_rows("sch000001", [6, 11, 16, 20]))
    b = vpr_file_import(path=path, replace=True)
    assert (a.status, b.status) == ("stored", "replaced")
    assert ImportBatch.objects.get(batch_id=a.batch_id).status == ImportBatch.REPLACED
    scan = results_scan().collect()
    assert sorted(scan["primary_score"].to_list()) == [6, 11, 16, 20]
    assert len(warehouse_files(home)) == 2  # the earlier version is kept, read only when brought back


def test_rejected_file_stores_nothing(home, tmp_path) -> None:
    rows = school_rows("sch000009", [10] * 10) + [
        pupil_row("sch000009", 50 + i, good_tasks(3), total=4) for i in range(5)
    ]
    outcome = vpr_file_import(path=write_xlsx(tmp_path / "vpr_2021_ma4_bad.xlsx", rows))
    assert outcome.status == "rejected"
    assert "ничего не сохранено" in outcome.summary
    assert outcome.report is not None
    assert outcome.report.exists()
    assert ImportBatch.objects.count() == 0
    assert School.objects.count() == 0
    assert not (home / "warehouse").exists() or warehouse_files(home) == []


def test_failure_midway_leaves_store_as_it_was(home, tmp_path, monkeypatch) -> None:
    path = tmp_path / "vpr_2021_ma4_mun.xlsx"
    write_xlsx(path, school_rows("sch000001", [5, 10, 15]))
    before = vpr_file_import(path=path)
    files = warehouse_files(home)
    write_xlsx(path, school_rows("sch000001", [1, 2]) + school_rows("sch000002", [3], start=10))

    def boom(*args, **kwargs):
        raise RuntimeError("сбой посреди загрузки")

    monkeypatch.setattr(ImportBatch.objects, "create", boom)
    with pytest.raises(RuntimeError):
        vpr_file_import(path=path, replace=True)
    # the new school created inside the failed transaction is gone, the old batch is still live
    assert not School.objects.filter(school_id="sch000002").exists()
    assert list(ImportBatch.objects.values_list("batch_id", "status")) == [
        (before.batch_id, ImportBatch.ACTIVE)
    ]
    assert warehouse_files(home) == files
    assert sorted(results_scan().collect()["primary_score"].to_list()) == [5, 10, 15]


def test_same_rows_under_other_name_are_separate_batches(home, tmp_path) -> None:
    a = write_xlsx(tmp_path / "vpr_2021_ma4_a.xlsx", school_rows("sch000001", [5]))
    b = write_xlsx(tmp_path / "vpr_2021_ma4_b.xlsx", school_rows("sch000002", [7]))
    vpr_file_import(path=a)
    vpr_file_import(path=b)
    assert ImportBatch.objects.filter(status=ImportBatch.ACTIVE).count() == 2
    assert set(results_scan().collect()["school_id"]) == {"sch000001", "sch000002"}
    assert results_scan().select(pl.len()).collect().item() == 2
