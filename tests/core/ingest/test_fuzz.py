"""Bad input never crashes the importers: any file gives either a clear IngestError or located row errors."""

from __future__ import annotations

import random
import string
import zipfile

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shnor.core.ingest.errors import IngestError
from shnor.core.ingest.vpr import read_vpr
from shnor.core.reference import shipped_scales, shipped_tasks
from tests.builders import HEADER_2021, school_rows, write_csv, write_xlsx

TASKS = shipped_tasks()
SCALES = shipped_scales()
FUZZ = settings(max_examples=int(__import__("os").environ.get("SHNOR_FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

cell = st.one_of(
    st.sampled_from(["", "X", "х", "не пройд.", "-1", "2,5", "1e3", "99999999999999999999", "=1+1", "=SUM(A1:A9)",
                     "отсутствовал", "NaN", "inf", " 3 ", "\t", "0x1F", "١", "٣"]),
    st.text(alphabet=string.printable + "абвгдеёжзийклмнопрстуфхцчшщъыьэюя№«»", max_size=30),
    st.integers(-1000, 1000).map(str),
    st.integers(5000, 32000).map(lambda n: "я9" * (n // 2)),  # huge cells
)


def read_or_error(path):  # type: ignore[no-untyped-def]
    """The read file, or the IngestError it raised; any other exception fails the test."""
    try:
        return read_vpr(path, tasks=TASKS, scales=SCALES, pseudonym_key=b"k")
    except IngestError as exc:
        return exc


def check(vf, height: int) -> None:  # type: ignore[no-untyped-def]
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


@FUZZ
@given(data=st.data())
def test_random_cells_never_crash(tmp_path_factory, data) -> None:  # type: ignore[no-untyped-def]
    rows = school_rows("sch000001", [3, 8, 12, 17, 20, 0, 9, 14])
    for _ in range(data.draw(st.integers(1, 12))):
        i = data.draw(st.integers(0, len(rows) - 1))
        j = data.draw(st.integers(0, len(HEADER_2021) - 1))
        rows[i][j] = data.draw(cell)
    path = write_xlsx(tmp_path_factory.mktemp("f") / "vpr_2021_ma4_fuzz.xlsx", rows)
    vf = read_or_error(path)
    if isinstance(vf, IngestError):
        assert str(vf)
        return
    check(vf, len(rows))


@FUZZ
@given(order=st.permutations(list(range(len(HEADER_2021)))), encoding=st.sampled_from(["cp1251", "utf-8", "utf-8-sig"]),
       sep=st.sampled_from([";", ","]))
def test_swapped_columns_and_encodings_read_the_same(tmp_path_factory, order, encoding, sep) -> None:  # type: ignore[no-untyped-def]
    rows = school_rows("sch000001", [3, 8, 12, 17])
    header = [HEADER_2021[k] for k in order]
    shuffled = [[r[k] for k in order] for r in rows]
    path = write_csv(tmp_path_factory.mktemp("c") / "vpr_2021_ma4_x.csv", shuffled, header=header, encoding=encoding, sep=sep)
    vf = read_vpr(path, tasks=TASKS, scales=SCALES, pseudonym_key=b"k")
    assert vf.rows_rejected == 0
    assert vf.frame["primary_score"].to_list() == [3, 8, 12, 17]


@FUZZ
@given(cut=st.floats(0.05, 0.95), seed=st.integers(0, 10**6))
def test_truncated_or_corrupted_xlsx_is_a_clear_error(tmp_path_factory, cut, seed) -> None:  # type: ignore[no-untyped-def]
    good = write_xlsx(tmp_path_factory.mktemp("t") / "vpr_2021_ma4_t.xlsx", school_rows("sch000001", [3, 8, 12]))
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


def test_wrong_encoding_and_binary_junk(tmp_path) -> None:  # type: ignore[no-untyped-def]
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


def test_formulas_are_text_not_evaluated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = school_rows("sch000001", [3, 8])
    rows[0][8] = "=2+1"
    vf = read_vpr(write_xlsx(tmp_path / "vpr_2021_ma4_f.xlsx", rows), tasks=TASKS, scales=SCALES, pseudonym_key=b"k")
    assert vf.rows_rejected == 1
    assert vf.errors[0].value == "=2+1"
