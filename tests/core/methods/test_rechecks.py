"""Expert re-checks: the summary on a hand-made example with a real scale row, the comparison of flagged
schools with the control group (Fisher's test direction) and its Russian conclusions."""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import pytest

from shnor.core.ingest.rechecks import RECHECKS
from shnor.core.methods.rechecks import (
    AGREE,
    BY_SCHOOL,
    BY_TASK,
    COMPARE,
    MIXED,
    OVERSTATED,
    UNDERSTATED,
    direction,
    fmt_p,
    recheck_compare,
    recheck_summary,
)
from shnor.core.store.schema import SCALES

# ВПР, maths, grade 4, 2021: 2 below 6, 3 from 6, 4 from 10, 5 from 15 of 20.
SCALE = pl.DataFrame(
    [
        {
            "procedure": "vpr",
            "year": 2021,
            "subject": "ma",
            "grade": 4,
            "max_score": 20,
            "min_3": 6,
            "min_4": 10,
            "min_5": 15,
        }
    ],
    schema=SCALES,
)

# (work, task scores by the school, by the expert)
WORKS = [
    ("w1", (5, 5, 2), (5, 4, 2)),  # 12 → 11: changed, lowered, mark 4 stays 4
    ("w2", (5, 4, 1), (5, 3, 1)),  # 10 → 9: changed, lowered, mark 4 → 3
    ("w3", (3, 3, 0), (3, 3, 0)),  # 6, mark 3
    ("w4", (5, 5, 5), (5, 5, 5)),  # 15, mark 5
]


def rows(
    school: str = "A", works: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = WORKS
) -> pl.DataFrame:
    out = []
    for work, ours, theirs in works:
        for t, (s, e) in enumerate(zip(ours, theirs, strict=True), start=1):
            out.append((2021, school, "ma", 4, work, str(t), float(s), float(e), 2))
    return pl.DataFrame(out, schema=RECHECKS, orient="row")


def test_summary_by_school() -> None:
    summary = recheck_summary(rows(), SCALE)
    assert dict(summary.by_school.schema) == BY_SCHOOL
    assert summary.by_school.to_dicts() == [
        {
            "year": 2021,
            "school_id": "A",
            "subject": "ma",
            "grade": 4,
            "works": 4,
            "works_changed": 2,
            "share_changed": 0.5,
            "mean_change": -0.5,
            "lowered": 2,
            "raised": 0,
            "marks_changed": 1,
            "marks_lowered": 1,
            "marks_raised": 0,
        }
    ]


def test_summary_by_task() -> None:
    by_task = recheck_summary(rows(), SCALE).by_task
    assert dict(by_task.schema) == BY_TASK
    assert by_task.select("task", "works", "works_changed", "share_changed", "mean_change").rows() == [
        ("1", 4, 0, 0.0, 0.0),
        ("2", 4, 2, 0.5, -0.5),
        ("3", 4, 0, 0.0, 0.0),
    ]


def test_summary_without_scale_has_null_marks() -> None:
    for scales in (None, SCALE.with_columns(pl.lit(2022, pl.Int16).alias("year"))):
        row = recheck_summary(rows(), scales).by_school.row(0, named=True)
        assert (row["marks_changed"], row["marks_lowered"], row["marks_raised"]) == (None, None, None)
        assert row["works_changed"] == 2


def test_summary_raised_and_mark_raised() -> None:
    row = recheck_summary(rows(works=[("w", (2, 3), (3, 3))]), SCALE).by_school.row(0, named=True)
    assert (row["lowered"], row["raised"], row["mean_change"]) == (0, 1, 1.0)
    assert (row["marks_changed"], row["marks_lowered"], row["marks_raised"]) == (1, 0, 1)


def test_tasks_in_natural_order() -> None:
    frame = pl.DataFrame(
        [(2021, "A", "ma", 4, "w", t, 1.0, 1.0, 2) for t in ("10", "2(1)", "2", "1")],
        schema=RECHECKS,
        orient="row",
    )
    assert recheck_summary(frame).by_task["task"].to_list() == ["1", "2", "2(1)", "10"]


def school(sid: str, works: int, changed: int, **more: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "year": 2021,
        "school_id": sid,
        "subject": "ma",
        "grade": 4,
        "works": works,
        "works_changed": changed,
        "share_changed": changed / works,
        "mean_change": 0.0,
        "lowered": 0,
        "raised": 0,
        "marks_changed": 0,
        "marks_lowered": 0,
        "marks_raised": 0,
    }
    return base | more


def frame(*schools: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(schools), schema=BY_SCHOOL)


CONTROL = [school(f"C{i}", 20, 1) for i in range(3)]


def test_compare_flagged_with_many_changes() -> None:
    flagged = school("F", 20, 14, lowered=12, raised=1, mean_change=-1.2, marks_changed=6, marks_lowered=6)
    out = recheck_compare(frame(flagged, *CONTROL), {"F"})
    assert dict(out.schema) == COMPARE
    assert out["level"].to_list() == ["тест", "школа"]
    row = out.filter(pl.col("level") == "школа").row(0, named=True)
    assert (row["works"], row["works_changed"], row["control_works"], row["control_changed"]) == (
        20,
        14,
        60,
        3,
    )
    assert row["control_schools"] == 3
    assert row["difference"] == pytest.approx(0.7 - 0.05)
    assert row["p_value"] < 0.001
    assert row["direction"] == OVERSTATED
    assert row["conclusion"].startswith(
        "Эксперт изменил баллы в 14 из 20 работ (70 %), в контрольных школах — в 3 из 60 (5 %); "
        "отметка снижена в 6 работах. Различие не объясняется случайностью (p < 0,001); "
        "оценки школы завышены."
    )
    assert "в среднем изменение −1,20 балла на работу" in row["conclusion"]


def test_compare_p_value_direction() -> None:
    few = recheck_compare(frame(school("F", 20, 1), *[school(f"C{i}", 20, 10) for i in range(3)]), {"F"})
    many = recheck_compare(frame(school("F", 20, 14), *CONTROL), {"F"})
    assert few["p_value"][1] > 0.99
    assert many["p_value"][1] < 0.001
    assert "может быть случайным" in few["conclusion"][1]


def test_compare_test_row_pools_flagged_schools() -> None:
    out = recheck_compare(
        frame(school("F1", 10, 5, mean_change=-1.0), school("F2", 30, 3, mean_change=0.0), *CONTROL),
        {"F1", "F2", "absent"},
    )
    test = out.row(0, named=True)
    assert (test["schools"], test["works"], test["works_changed"]) == (2, 40, 8)
    assert test["mean_change"] == pytest.approx(-0.25)
    assert test["control_mean_change"] == 0.0
    assert out["school_id"].to_list() == [None, "F1", "F2"]


def test_compare_tests_without_flagged_schools_give_no_rows() -> None:
    assert recheck_compare(frame(*CONTROL), {"F"}).is_empty()


def test_compare_without_control_or_scale() -> None:
    out = recheck_compare(frame(school("F", 3, 0, marks_lowered=None, marks_changed=None)), {"F"})
    row = out.row(1, named=True)
    assert row["p_value"] is None
    assert row["control_share"] is None
    assert row["direction"] == AGREE
    assert row["marks_lowered"] is None
    assert "контрольных школ с перепроверкой этого теста нет" in row["conclusion"]
    assert "шкала отметок теста не загружена" in row["conclusion"]
    assert row["conclusion"].startswith("Эксперт изменил баллы в 0 из 3 работ (0 %)")


def test_russian_numbers_in_conclusions() -> None:
    out = recheck_compare(frame(school("F", 21, 5, lowered=1, raised=4, mean_change=0.3333), *CONTROL), {"F"})
    text = out["conclusion"][1]
    assert "из 21 работы" in text
    assert re.search(r"p = 0,\d{3}", text)
    assert "e-" not in text
    assert not re.search(r"\d\.\d", text)
    assert "в среднем изменение +0,33 балла" in text
    assert out["direction"][1] == UNDERSTATED


def test_direction_and_p_format() -> None:
    assert direction(0, 0, 0) == AGREE
    assert direction(2, 2, 4) == MIXED
    assert direction(0, 0, 3) == MIXED
    assert fmt_p(0.00001) == "p < 0,001"
    assert fmt_p(0.0412) == "p = 0,041"
    assert fmt_p(None) == "p не вычислено"
