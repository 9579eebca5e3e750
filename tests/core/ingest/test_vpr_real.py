"""The three real ФИС ОКО layouts import as they are; figures recomputed independently from the raw cells."""

from __future__ import annotations

import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from shnor.core.ingest.vpr import read_vpr
from shnor.core.reference import shipped_scales, shipped_tasks

KEY = b"test-key"


def raw_rows(path, sheet=None):
    book = CalamineWorkbook.from_path(str(path))
    name = sheet or book.sheet_names[0]
    return book.get_sheet_by_name(name).to_python()


@pytest.fixture(scope="module")
def altai2021(request):
    from tests.conftest import REAL

    path = REAL / "vpr_2021_ma4_altai.xlsx"
    return path, read_vpr(
        path,
        year=2021,
        subject="ma",
        grade=4,
        tasks=shipped_tasks(),
        scales=shipped_scales(),
        pseudonym_key=KEY,
    )


def test_2021_layout_counts_match_raw_cells(altai2021) -> None:
    path, vf = altai2021
    rows = raw_rows(path)[1:]
    assert vf.layout == "fisoko2021"
    assert vf.rows_total == len(rows) == 26666
    absent = [r for r in rows if str(r[7]).strip() == "отсутствовал"]
    assert vf.rows_absent == len(absent) == 1732
    # every row whose total exceeds the maximum of 20 is rejected, by its spreadsheet row number
    over = {i + 2 for i, r in enumerate(rows) if str(r[8]).strip().isdigit() and int(r[8]) > 20}
    assert len(over) == 16
    over_errors = {e.row for e in vf.errors if "больше максимума работы" in e.message}
    assert over_errors == over
    # a task above its maximum is rejected too (task 1 has maximum 1; the raw file has 2, 3 and 4 there)
    task1_over = {i + 2 for i, r in enumerate(rows) if str(r[9]).strip() in {"2", "3", "4"}}
    rejected_rows = {e.row for e in vf.errors}
    assert task1_over
    assert task1_over <= rejected_rows
    assert vf.rows_rejected == len(rejected_rows)
    assert vf.accepted
    assert vf.rejected_share < 0.05
    # nothing rejected is stored, everything else is
    stored_rows = set(vf.frame["source_row"].to_list())
    assert not stored_rows & rejected_rows
    assert len(stored_rows) == vf.rows_total - vf.rows_rejected
    present = vf.frame.filter(~pl.col("absent"))
    assert present["school_id"].n_unique() == 631


def test_2021_not_attempted_cells_are_zero_and_marked(altai2021) -> None:
    path, vf = altai2021
    rows = raw_rows(path)[1:]
    rejected = {e.row for e in vf.errors}
    marks = {"x", "х", "не пройд."}
    expected = sum(
        1
        for i, r in enumerate(rows)
        if i + 2 not in rejected
        for c in r[9:24]
        if str(c).strip().lower() in marks
    )
    assert expected > 1000
    assert vf.not_attempted == expected
    f = vf.frame.filter(~pl.col("absent")).explode("task_scores", "not_attempted")
    assert f.filter(pl.col("not_attempted"))["task_scores"].max() == 0


def test_2021_scores_marks_and_pseudonyms(altai2021) -> None:
    path, vf = altai2021
    f = vf.frame.filter(~pl.col("absent"))
    assert (f["task_scores"].list.sum() == f["primary_score"].cast(pl.Int64)).all()
    # marks by the official 2021 scale 0–5/6–9/10–14/15–20
    expected = f["primary_score"].map_elements(
        lambda s: 2 if s < 6 else 3 if s < 10 else 4 if s < 15 else 5, return_dtype=pl.Int8
    )
    assert (f["mark"] == expected).all()
    # the region-wide bunching at the «3» boundary is preserved as it is
    counts = dict(f.group_by("primary_score").len().iter_rows())
    rows = raw_rows(path)[1:]
    rejected = {e.row for e in vf.errors}
    for score, raw_count in ((5, 302), (6, 1070)):
        assert sum(1 for r in rows if str(r[8]).strip() == str(score)) == raw_count
        kept = sum(1 for i, r in enumerate(rows) if str(r[8]).strip() == str(score) and i + 2 not in rejected)
        assert counts[score] == kept
    # pupil codes never appear; pseudonyms are stable for the same key and differ for another key
    assert not f["pupil_key"].str.contains("^4\\d{4}$").any()
    again = read_vpr(
        path,
        year=2021,
        subject="ma",
        grade=4,
        tasks=shipped_tasks(),
        scales=shipped_scales(),
        pseudonym_key=KEY,
    )
    assert again.frame["pupil_key"].equals(vf.frame["pupil_key"])
    assert vf.frame["pupil_key"].n_unique() == vf.frame.height


def test_2020_layout(real) -> None:
    vf = read_vpr(
        real / "vpr_2020autumn_ma5_altai.xlsx",
        tasks=shipped_tasks(),
        scales=shipped_scales(),
        pseudonym_key=KEY,
    )
    assert (vf.layout, vf.year, vf.subject, vf.grade) == ("fisoko2020", 2020, "ma", 5)
    rows = raw_rows(real / "vpr_2020autumn_ma5_altai.xlsx")[1:]
    assert vf.rows_total == len(rows)
    assert (
        vf.rows_absent == sum(1 for r in rows if str(r[7]).strip() == "отсутствовал") + 1
    )  # plus one empty row
    assert 0 < vf.rows_rejected < 0.05 * vf.rows_total
    negative = {i + 2 for i, r in enumerate(rows) if any(str(c).strip() == "-1" for c in r[10:26])}
    assert negative
    assert negative <= {e.row for e in vf.errors}
    assert any("шкала 2021 года" in w for w in vf.warnings)
    assert vf.frame.filter(~pl.col("absent"))["task_scores"].list.len().unique().to_list() == [16]


def test_2022_protocol_layout(real) -> None:
    vf = read_vpr(
        real / "vpr_2022_ma4_protocol_sample.xlsx",
        tasks=shipped_tasks(),
        scales=shipped_scales(),
        pseudonym_key=KEY,
    )
    assert (vf.layout, vf.sheet, vf.year) == ("fisoko2022", "Протокол", 2022)
    assert vf.tasks["max_points"].to_list() == [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]
    assert vf.tasks["task_label"].to_list()[4:6] == ["5(1)", "5(2)"]
    assert vf.rows_absent == 1
    assert vf.rows_rejected == 0
    # one school's protocol left «Итого баллов» at 0: the total is taken from the tasks, with a warning
    assert any("edu224258" in w for w in vf.warnings)
    school = vf.frame.filter(pl.col("school_id") == "edu224258")
    assert (school["primary_score"] > 0).any()
    names = dict(vf.schools.select("school_id", "municipality").iter_rows())
    assert names["edu223379"] == "Красногорский муниципальный район"
