"""Bad input never crashes the importers: any file gives either a clear IngestError or located row errors, and
an import through the service never leaves a partial write (manifest and warehouse agree after every file).

The properties are made by ``properties(settings)``: this module runs them with ``SHNOR_FUZZ_EXAMPLES``
examples (40 by default, in CI); ``test_fuzz_slow.py`` runs the same properties with 10,000 examples each
in the ``slow`` suite."""

from __future__ import annotations

import os
import random
import shutil
import string
import tempfile
import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shnor.core.ingest.errors import IngestError
from shnor.core.ingest.vpr import read_vpr
from shnor.core.reference import shipped_scales, shipped_tasks
from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.selectors import results_scan
from shnor.web.assessments.services import vpr_file_import
from shnor.web.registry.models import School
from tests.builders import HEADER_2021, school_rows, write_csv, write_xlsx

TASKS = shipped_tasks()
SCALES = shipped_scales()


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for the importers' properties: no deadline (file writes vary in time)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


FUZZ = fuzz_settings(int(os.environ.get("SHNOR_FUZZ_EXAMPLES", "40")))

cell = st.one_of(
    st.sampled_from(
        [
            "",
            "X",
            "х",
            "не пройд.",
            "-1",
            "2,5",
            "1e3",
            "99999999999999999999",
            "=1+1",
            "=SUM(A1:A9)",
            "отсутствовал",
            "NaN",
            "inf",
            " 3 ",
            "\t",
            "0x1F",
            "١",
            "٣",
        ]
    ),
    st.text(alphabet=string.printable + "абвгдеёжзийклмнопрстуфхцчшщъыьэюя№«»", max_size=30),
    st.integers(-1000, 1000).map(str),
    st.integers(5000, 32000).map(lambda n: "я9" * (n // 2)),  # huge cells
)


def read_or_error(path):
    """The read file, or the IngestError it raised; any other exception fails the test."""
    try:
        return read_vpr(path, tasks=TASKS, scales=SCALES, pseudonym_key=b"k")
    except IngestError as exc:
        return exc


def check(vf, height: int) -> None:
    """The invariants every successful read keeps."""
    assert vf.rows_total == height
    rejected = {e.row for e in vf.errors}
    stored = set(vf.frame["source_row"].to_list())
    assert not rejected & stored
    assert len(rejected) + len(stored) == vf.rows_total
    for e in vf.errors:
        assert 2 <= e.row <= height + 1
        assert e.message
        assert e.file
    present = vf.frame.filter(~pl.col("absent"))
    assert (present["task_scores"].list.sum() == present["primary_score"].cast(pl.Int64)).all()
    assert (present["primary_score"] <= 20).all()
    assert (present["primary_score"] >= 0).all()


def mutated_rows(data) -> list[list[object]]:
    """A small valid school file with 1–12 cells replaced by drawn junk."""
    rows = school_rows("sch000001", [3, 8, 12, 17, 20, 0, 9, 14])
    for _ in range(data.draw(st.integers(1, 12))):
        i = data.draw(st.integers(0, len(rows) - 1))
        j = data.draw(st.integers(0, len(HEADER_2021) - 1))
        rows[i][j] = data.draw(cell)
    return rows


def warehouse_state(home: Path) -> tuple:
    """What an import may change: the batch manifest, the warehouse's files and the rows read through it."""
    files = sorted(str(f.relative_to(home)) for f in (home / "warehouse").rglob("*") if f.is_file())
    batches = sorted(ImportBatch.objects.values_list("batch_id", "status", "path"))
    return batches, files, results_scan().select(pl.len()).collect().item()


def assert_consistent(home: Path) -> None:
    """Manifest and warehouse agree: every batch's file exists, no file without a batch, no temporary file."""
    batches, files, _rows = warehouse_state(home)
    paths = {f"warehouse/{p}" for _b, _s, p in batches}
    assert paths == set(files), (paths, files)


def properties(fuzz: settings):
    """The importers' properties under the given Hypothesis settings (a fresh set of test functions)."""

    @fuzz
    @given(data=st.data())
    def random_cells_never_crash(data) -> None:
        rows = mutated_rows(data)
        with tempfile.TemporaryDirectory() as tmp:
            vf = read_or_error(write_xlsx(Path(tmp) / "vpr_2021_ma4_fuzz.xlsx", rows))
        if isinstance(vf, IngestError):
            assert str(vf)
            return
        check(vf, len(rows))

    @fuzz
    @given(
        order=st.permutations(list(range(len(HEADER_2021)))),
        encoding=st.sampled_from(["cp1251", "utf-8", "utf-8-sig"]),
        sep=st.sampled_from([";", ","]),
    )
    def swapped_columns_and_encodings_read_the_same(order, encoding, sep) -> None:
        rows = school_rows("sch000001", [3, 8, 12, 17])
        header = [HEADER_2021[k] for k in order]
        shuffled = [[r[k] for k in order] for r in rows]
        with tempfile.TemporaryDirectory() as tmp:
            path = write_csv(
                Path(tmp) / "vpr_2021_ma4_x.csv", shuffled, header=header, encoding=encoding, sep=sep
            )
            vf = read_vpr(path, tasks=TASKS, scales=SCALES, pseudonym_key=b"k")
        assert vf.rows_rejected == 0
        assert vf.frame["primary_score"].to_list() == [3, 8, 12, 17]

    @fuzz
    @given(cut=st.floats(0.05, 0.95), seed=st.integers(0, 10**6))
    def truncated_or_corrupted_xlsx_is_a_clear_error(cut, seed) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            good = write_xlsx(Path(tmp) / "vpr_2021_ma4_t.xlsx", school_rows("sch000001", [3, 8, 12]))
            raw = bytearray(good.read_bytes())
            rnd = random.Random(seed)
            if seed % 2:
                raw = raw[: int(len(raw) * cut)]
            else:
                for _ in range(20):
                    raw[rnd.randrange(len(raw))] = rnd.randrange(256)
            bad = good.with_name("vpr_2021_ma4_bad.xlsx")
            bad.write_bytes(bytes(raw))
            vf = read_or_error(bad)
        if isinstance(vf, IngestError):
            assert "vpr_2021_ma4_bad.xlsx" in str(vf)
            return
        check(vf, vf.rows_total)  # a corruption that zip tolerates still gives a checked result

    @fuzz
    @given(data=st.data(), replace=st.booleans())
    def service_import_never_writes_partly(home, data, replace) -> None:
        """Through the service, over a live version of the same file: a rejected, refused or failed file
        changes nothing; a stored one is live whole, and the version it replaced keeps its file."""
        ImportBatch.objects.all().delete()
        School.objects.all().delete()
        shutil.rmtree(home / "warehouse", ignore_errors=True)
        with tempfile.TemporaryDirectory() as tmp:
            path = write_xlsx(
                Path(tmp) / "vpr_2021_ma4_fz.xlsx", school_rows("sch000001", [3, 8, 12, 17, 20, 0, 9, 14])
            )
            first = vpr_file_import(path=path)
            before = warehouse_state(home)
            write_xlsx(path, mutated_rows(data))
            message = ""
            try:
                out = vpr_file_import(path=path, replace=replace)
            except IngestError as exc:
                out, message = None, str(exc)
        assert out is not None or message  # a whole-file error says what is wrong
        assert_consistent(home)
        if out is None or out.status in ("rejected", "refused", "unchanged"):
            assert warehouse_state(home) == before
            assert out is None or out.status != "refused" or not replace
            return
        assert out.status == "replaced"
        live = ImportBatch.objects.get(status=ImportBatch.ACTIVE)
        assert live.batch_id == out.batch_id
        assert ImportBatch.objects.get(batch_id=first.batch_id).status == ImportBatch.REPLACED
        assert warehouse_state(home)[2] == live.rows_stored + live.rows_absent

    return (
        random_cells_never_crash,
        swapped_columns_and_encodings_read_the_same,
        truncated_or_corrupted_xlsx_is_a_clear_error,
        service_import_never_writes_partly,
    )


(
    test_random_cells_never_crash,
    test_swapped_columns_and_encodings_read_the_same,
    test_truncated_or_corrupted_xlsx_is_a_clear_error,
    test_service_import_never_writes_partly,
) = properties(FUZZ)
test_service_import_never_writes_partly = pytest.mark.django_db(test_service_import_never_writes_partly)


def test_wrong_encoding_and_binary_junk(tmp_path) -> None:
    path = write_csv(tmp_path / "vpr_2021_ma4_u16.csv", school_rows("sch1", [3]), encoding="utf-16")
    with pytest.raises(IngestError):
        read_vpr(path, tasks=TASKS, scales=SCALES, pseudonym_key=b"k")
    junk = tmp_path / "vpr_2021_ma4_junk.csv"
    junk.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(IngestError):
        read_vpr(junk, tasks=TASKS, scales=SCALES, pseudonym_key=b"k")
    empty = tmp_path / "vpr_2021_ma4_empty.xlsx"
    with zipfile.ZipFile(empty, "w"):
        pass
    with pytest.raises(IngestError):
        read_vpr(empty, tasks=TASKS, scales=SCALES, pseudonym_key=b"k")


def test_formulas_are_text_not_evaluated(tmp_path) -> None:
    rows = school_rows("sch000001", [3, 8])
    rows[0][8] = "=2+1"
    vf = read_vpr(
        write_xlsx(tmp_path / "vpr_2021_ma4_f.xlsx", rows), tasks=TASKS, scales=SCALES, pseudonym_key=b"k"
    )
    assert vf.rows_rejected == 1
    assert vf.errors[0].value == "=2+1"


def test_huge_scores_without_a_specification_are_row_errors(tmp_path) -> None:
    """Found by the 10,000-example run: a total of 4e16 crashed the conversion (Int16) when no scale or
    specification bounded it; now the row is rejected with its column."""
    rows = school_rows("sch000001", [3, 8, 12, 17])
    rows[1][8] = "40000000000000000"
    rows[1][9] = "40000000000000000"
    rows[2][10] = "300"
    vf = read_vpr(
        write_xlsx(tmp_path / "vpr_2021_ma4_h.xlsx", rows),
        tasks=TASKS.filter(pl.lit(False)),
        scales=SCALES.filter(pl.lit(False)),
        pseudonym_key=b"k",
    )
    messages = {(e.row, e.message) for e in vf.errors}
    assert any(row == 3 and "сумма баллов больше допустимой (32767)" in m for row, m in messages)
    assert any(row == 4 and "балл больше допустимого (127)" in m for row, m in messages)
    assert vf.rows_rejected == 2


def test_a_file_without_tables_names_itself(tmp_path) -> None:
    """Found by the 10,000-example run: a corrupted XLSX whose sheets read empty said «Файл не содержит
    таблиц» without the file's name."""
    book = tmp_path / "vpr_2021_ma4_blank.xlsx"
    write_xlsx(book, [], header=[])
    with pytest.raises(IngestError, match="vpr_2021_ma4_blank.xlsx"):
        read_vpr(book, tasks=TASKS, scales=SCALES, pseudonym_key=b"k")
