"""The real Altai maths-4 2021 file: per-task regional success recomputed independently from the raw cells."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from shnor.core.ingest.vpr import read_vpr
from shnor.core.methods import deficits as dm
from shnor.core.methods.base import Inputs
from shnor.core.reference import shipped_scales, shipped_tasks
from tests.conftest import REAL

PATH = REAL / "vpr_2021_ma4_altai.xlsx"
MAXIMA = [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]
LEVELS = ["Б"] * 12 + ["П", "Б", "П"]


@pytest.fixture(scope="module")
def altai():
    if not PATH.exists():
        pytest.fail(f"нет реального файла {PATH}")
    vf = read_vpr(
        PATH,
        year=2021,
        subject="ma",
        grade=4,
        tasks=shipped_tasks(),
        scales=shipped_scales(),
        pseudonym_key=b"k",
    )
    return Inputs(
        year=2021, results=vf.frame.lazy(), tasks=shipped_tasks(), scales=shipped_scales()
    ), vf.frame


def _raw_task_success(frame: pl.DataFrame) -> np.ndarray:
    """Per-task success from the raw cells of the rows the importer accepted as present pupils."""
    book = CalamineWorkbook.from_path(str(PATH))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    header = [str(h).strip().lower() for h in rows[0]]
    cols = [header.index(f"балл за {k}") for k in range(1, 16)]
    keep = set(frame.filter(~pl.col("absent"))["source_row"].to_list())
    points = np.zeros(15)
    n = 0
    for i, row in enumerate(rows[1:], start=2):
        if i not in keep:
            continue
        n += 1
        for j, c in enumerate(cols):
            cell = str(row[c]).strip()
            points[j] += float(cell) if cell.replace(".", "", 1).isdigit() else 0.0  # X / х / empty → 0
    assert n == len(keep) == 24_849
    return points / (n * np.array(MAXIMA))


def test_regional_task_success_matches_raw_cells(altai) -> None:
    inp, frame = altai
    expect = _raw_task_success(frame)
    tab = dm.success(inp.results, inp.tasks, year=2021, units=("region",), dimensions=("task",)).sort(
        "element_order"
    )
    assert tab["n_pupils"].to_list() == [24_849] * 15
    np.testing.assert_allclose(tab["success"].to_numpy(), expect, atol=1e-12)
    # task 15 (item 12, level П) is the hardest: below every basic task
    got = dict(zip(tab["element_order"].to_list(), tab["success"].to_list(), strict=True))
    basic = [got[k + 1] for k in range(15) if LEVELS[k] == "Б"]
    assert got[15] < min(basic)
    assert got[15] == pytest.approx(0.1288, abs=5e-4)


def test_real_file_deficits_and_pupils_at_risk(altai) -> None:
    inp, frame = altai
    table = dm.deficit_table(inp)
    school = table.filter(pl.col("unit") == "school")
    present = frame.filter(~pl.col("absent"))["school_id"].n_unique()
    assert school["school_id"].n_unique() == present == 631
    out = dm.run(inp, table=table)
    with_def = out.filter(pl.col("unit") == "school")["school_id"].n_unique()
    assert 0 < with_def < present
    assert out["recommendation_ids"].null_count() == 0
    # small schools are never judged
    small = school.filter(pl.col("n_pupils") < 10)
    assert small.height > 0
    assert set(small["status"]) == {"insufficient"}
    risk = dm.pupils_at_risk(inp, school_ids=["sch220028"])
    assert risk.height > 0
    assert set(risk["school_id"]) == {"sch220028"}
