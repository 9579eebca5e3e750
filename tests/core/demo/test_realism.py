"""The regional distribution resembles the real Altai maths-4 2021 file (DOMAIN.md §4).

Real figures are recomputed from ../shared/real/vpr_2021_ma4_altai.xlsx when it is present; the
synthetic side pools the three default years of the default region. Tolerances (docs/demo.md):
mark shares ±5 pp, понизили/подтвердили/повысили ±7 pp, absent share ±1.5 pp.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from shnor.core.demo import DemoData
from shnor.core.demo.specs import REAL_MA4

REAL_FILE = Path(__file__).resolve().parents[4] / "shared" / "real" / "vpr_2021_ma4_altai.xlsx"
MAXIMA = [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]


@pytest.fixture(scope="module")
def real_figures() -> dict[str, object]:
    if not REAL_FILE.exists():
        return REAL_MA4
    rows = CalamineWorkbook.from_path(str(REAL_FILE)).get_sheet_by_name("Sheet").to_python()[1:]
    absent = sum(r[7] == "отсутствовал" for r in rows) / len(rows)
    marks, journal = [], []
    for r in rows:
        if r[7] == "отсутствовал" or r[8] == "":
            continue
        cells = [0 if c in ("X", "x", "Х", "х", "не пройд.") else int(c) for c in r[9:24]]
        total = int(r[8])
        if total > 20 or sum(cells) != total or any(c > m for c, m in zip(cells, MAXIMA, strict=True)):
            continue
        mark = 2 + (total >= 6) + (total >= 10) + (total >= 15)
        marks.append(mark)
        journal.append(int(r[4]) if r[4] in ("2", "3", "4", "5") else 0)
    m, j = np.array(marks), np.array(journal)
    both = j > 0
    return {
        "mark_shares": tuple((m == k).mean() for k in (2, 3, 4, 5)),
        "absent_share": absent,
        "comparison": ((m[both] < j[both]).mean(), (m[both] == j[both]).mean(), (m[both] > j[both]).mean()),
    }


@pytest.fixture(scope="module")
def ma4(vpr: pl.DataFrame) -> pl.DataFrame:
    return vpr.filter((pl.col("subject") == "ma") & (pl.col("grade") == 4))


def test_real_reference_figures(real_figures: dict[str, object]) -> None:
    # the constants documented in specs.REAL_MA4 are what the real file gives
    assert np.allclose(real_figures["mark_shares"], REAL_MA4["mark_shares"], atol=0.001)
    assert np.allclose(real_figures["comparison"], REAL_MA4["comparison"], atol=0.001)
    assert abs(real_figures["absent_share"] - REAL_MA4["absent_share"]) < 0.001


def test_mark_shares_resemble_real(ma4: pl.DataFrame, real_figures: dict[str, object]) -> None:
    p = ma4.filter(~pl.col("absent"))
    synthetic = [(p["mark"] == k).mean() for k in (2, 3, 4, 5)]
    assert np.abs(np.array(synthetic) - np.array(real_figures["mark_shares"])).max() <= 0.05, synthetic
    assert abs(ma4["absent"].mean() - real_figures["absent_share"]) <= 0.015


def test_journal_comparison_resembles_real(ma4: pl.DataFrame, real_figures: dict[str, object]) -> None:
    p = ma4.filter(~pl.col("absent") & pl.col("journal_mark").is_not_null())
    synthetic = [
        (p["mark"] < p["journal_mark"]).mean(),
        (p["mark"] == p["journal_mark"]).mean(),
        (p["mark"] > p["journal_mark"]).mean(),
    ]
    assert np.abs(np.array(synthetic) - np.array(real_figures["comparison"])).max() <= 0.07, synthetic


def test_not_attempted_cells(ma4: pl.DataFrame) -> None:
    p = ma4.filter(~pl.col("absent"))
    zeros = p.select(pl.col("task_scores").explode() == 0)["task_scores"].sum()
    x = p["not_attempted"].list.sum().sum()
    assert 0.03 <= x / zeros <= 0.09  # real: 5.9 % of zero scores are "X"
    assert 0.08 <= (p["not_attempted"].list.sum() > 0).mean() <= 0.25  # real: 15.6 % of pupils


def test_between_school_variance(ma4: pl.DataFrame, region: DemoData) -> None:
    # real: variance of school means 2.28 (schools with >= 5 pupils), mean within-school variance 13.3
    s = (
        ma4.filter(~pl.col("absent"))
        .group_by("school_id", "year")
        .agg(
            pl.col("primary_score").mean().alias("m"),
            pl.col("primary_score").var().alias("v"),
            pl.len().alias("n"),
        )
    )
    s = s.filter(pl.col("n") >= 5)
    assert 1.2 <= s["m"].var() <= 4.0
    assert 10.0 <= s["v"].mean() <= 16.0
