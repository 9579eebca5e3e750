"""Backup and restore round trip of the database and the warehouse."""

from __future__ import annotations

import tarfile

import polars as pl
import pytest

from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.selectors import results_scan
from shnor.web.assessments.services import reference_ensure_shipped, vpr_file_import
from shnor.web.backup import BackupError, backup_create, backup_restore
from shnor.web.registry.models import School
from tests.builders import school_rows, write_xlsx

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot(home):
    return (
        sorted(ImportBatch.objects.values_list("batch_id", "status", "rows_stored")),
        sorted(School.objects.values_list("school_id", "in_registry")),
        results_scan().collect().sort("batch_id", "source_row"),
        (home / "pseudonym_key").read_bytes(),
    )


def test_round_trip(home, real, tmp_path) -> None:
    reference_ensure_shipped()
    vpr_file_import(path=real / "vpr_2022_ma4_protocol_sample.xlsx")
    path = tmp_path / "mun.xlsx"
    vpr_file_import(
        path=write_xlsx(path, school_rows("sch000001", [5, 9, 12])), year=2023, subject="ma", grade=4
    )
    write_xlsx(path, school_rows("sch000001", [6, 10]))
    vpr_file_import(path=path, year=2023, subject="ma", grade=4, replace=True)  # replaces the first version
    before = snapshot(home)
    info = backup_create(path=tmp_path / "b.tar.gz")
    assert info.batches == 2
    with tarfile.open(info.path) as tar:
        names = tar.getnames()
    assert "db.json" in names
    assert "pseudonym_key" in names

    # change everything after the backup, then restore
    vpr_file_import(
        path=write_xlsx(tmp_path / "other.xlsx", school_rows("sch000777", [3])),
        year=2024,
        subject="ma",
        grade=4,
    )
    (home / "pseudonym_key").write_text("another key")
    restored = backup_restore(path=info.path)
    assert restored.batches == 2
    after = snapshot(home)
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert after[2].equals(before[2])
    assert after[3] == before[3]
    assert not School.objects.filter(school_id="sch000777").exists()
    assert results_scan().select(pl.len()).collect().item() == before[2].height


def test_broken_archive_changes_nothing(home, tmp_path) -> None:
    reference_ensure_shipped()
    vpr_file_import(
        path=write_xlsx(tmp_path / "a.xlsx", school_rows("sch000001", [5])), year=2023, subject="ma", grade=4
    )
    before = snapshot(home)
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(BackupError, match="не архив резервной копии"):
        backup_restore(path=bad)
    info = backup_create(path=tmp_path / "ok.tar.gz")
    # an archive that lost a warehouse file is refused before anything is touched
    broken = tmp_path / "broken.tar.gz"
    with tarfile.open(info.path) as src, tarfile.open(broken, "w:gz") as dst:
        for m in src.getmembers():
            if not m.name.startswith("warehouse/"):
                dst.addfile(m, src.extractfile(m))
    with pytest.raises(BackupError, match="архив неполон"):
        backup_restore(path=broken)
    after = snapshot(home)
    assert after[0] == before[0]
    assert after[2].equals(before[2])
