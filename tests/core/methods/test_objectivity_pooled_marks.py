"""Issue 31: journal agreement and lenient checking pooled over a school's tests and years, so that a
school of a few pupils a test is tested and its evidence adds up."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods import objectivity
from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.pooled_marks import _lexicographic, journal_corr_pooled, lenient_pooled

MAXP = np.array([1, 1, 1, 1, 1, 1, 2, 2, 3])
CUTS = np.array([4, 8, 11])  # «3», «4», «5» from
B = np.array([-1.2, -0.8, -0.4, 0.0, 0.4, 0.8, -0.3, 0.3, 0.6])


def _region(
    *, small: int = 6, journal_random: float = 0.0, lenient: float = 0.0, lyceum: float = 0.0, seed: int = 3
) -> Inputs:
    """120 schools × 2 grades × 3 years of one ВПР subject; school s000 has ``small`` pupils a test and,
    every year, ``journal_random`` of its journal marks replaced by a random «4»/«5» and ``lenient``
    chance of one point more on each criteria task below its maximum; school s001 is ``lyceum`` SD
    above the region (honest)."""
    rng = np.random.default_rng(seed)
    n_s = 120
    level = rng.normal(0, 0.35, n_s)
    level[1] += lyceum
    size = rng.integers(15, 40, n_s)
    size[0] = small
    rows: list[dict[str, Any]] = []
    for year in (2022, 2023, 2024):
        for grade in (4, 5):
            school = np.repeat(np.arange(n_s), size)
            theta = level[school] + rng.normal(0, 0.12, n_s)[school] + rng.normal(0, 1, school.size)
            p = 1 / (1 + np.exp(-1.4 * (theta[:, None] - B[None, :])))
            tasks = np.stack([rng.binomial(int(m), p[:, j]) for j, m in enumerate(MAXP)], 1)
            own = school == 0
            up = own[:, None] & (MAXP[None, :] >= 2) & (tasks < MAXP) & (rng.random(tasks.shape) < lenient)
            tasks = tasks + up
            view = 0.75 * theta + np.sqrt(1 - 0.75**2) * rng.standard_normal(theta.size)
            journal = 2 + np.searchsorted(np.array([-1.3, -0.2, 0.9]), view)
            hit = own & (rng.random(theta.size) < journal_random)
            journal[hit] = rng.choice([4, 5], int(hit.sum()))
            for i in range(school.size):
                rows.append(
                    {
                        "procedure": "vpr", "year": year, "subject": "ru", "grade": grade,
                        "school_id": f"s{school[i]:03d}", "absent": False,
                        "pupil_key": f"{school[i]}-{year}-{grade}-{i}",
                        "journal_mark": int(journal[i]), "primary_score": int(tasks[i].sum()),
                        "mark": 2 + int(np.searchsorted(CUTS, tasks[i].sum(), side="right")),
                        "task_scores": [int(v) for v in tasks[i]],
                    }
                )  # fmt: skip
    results = pl.DataFrame(
        rows,
        schema_overrides={
            "year": pl.Int16, "grade": pl.Int8, "journal_mark": pl.Int8, "primary_score": pl.Int16,
            "mark": pl.Int8, "task_scores": pl.List(pl.Int8),
        },
    )  # fmt: skip
    tasks_frame = pl.DataFrame(
        [
            {
                "procedure": "vpr",
                "year": y,
                "subject": "ru",
                "grade": g,
                "task_no": j + 1,
                "max_points": int(m),
                "level": "Б" if j < 6 else "П",
            }
            for y in (2022, 2023, 2024)
            for g in (4, 5)
            for j, m in enumerate(MAXP)
        ],  # fmt: skip
        schema_overrides={"year": pl.Int16, "grade": pl.Int8, "task_no": pl.Int16, "max_points": pl.Int8},
    )
    scales = pl.DataFrame(
        [
            {"procedure": "vpr", "year": y, "subject": "ru", "grade": g, "max_score": int(MAXP.sum()),
             "min_3": int(CUTS[0]), "min_4": int(CUTS[1]), "min_5": int(CUTS[2])}
            for y in (2022, 2023, 2024)
            for g in (4, 5)
        ],
        schema_overrides={"year": pl.Int16, "grade": pl.Int8, "max_score": pl.Int16, "min_3": pl.Int16,
                          "min_4": pl.Int16, "min_5": pl.Int16},
    )  # fmt: skip
    return Inputs(year=2024, results=results.lazy(), tasks=tasks_frame, scales=scales)


def _cfg() -> dict[str, Any]:
    cfg = copy.deepcopy(dict(default_config()["objectivity"]))
    for sign in ("journal_corr", "lenient_checking"):
        cfg["signs"][sign].update(enabled=True, pool=True)
    return cfg


@pytest.mark.parametrize(("journal_random", "found"), [(0.0, False), (0.9, True)])
def test_journal_pooled_finds_a_small_school_whose_journal_does_not_follow(
    journal_random: float, found: bool
) -> None:
    rec = journal_corr_pooled(_region(small=8, journal_random=journal_random), _cfg())["s000"]
    assert rec["tested"]
    # of 2 grades × 3 years (a test whose journal marks are all one is left out)
    assert rec["statistic"]["tests"] >= 4
    assert (rec["p_value"] < 0.01) is found


@pytest.mark.parametrize(("lenient", "found"), [(0.0, False), (0.6, True)])
def test_lenient_pooled_finds_extra_points_in_a_small_school(lenient: float, found: bool) -> None:
    rec = lenient_pooled(_region(small=8, lenient=lenient), _cfg())["s000"]
    assert rec["tested"]
    assert rec["statistic"]["anchor"] == "one_point"
    assert (rec["p_value"] < 0.001) is found
    if found:
        assert rec["statistic"]["excess_points"] > 0


def test_a_strong_honest_school_is_not_taken_for_lenient_or_a_loose_journal() -> None:
    inputs = _region(lyceum=1.8)
    cfg = _cfg()
    assert lenient_pooled(inputs, cfg)["s001"]["p_value"] > 0.01
    assert journal_corr_pooled(inputs, cfg)["s001"]["p_value"] > 0.01


def test_below_the_pooled_minimum_the_school_is_untested_with_a_reason() -> None:
    rec = journal_corr_pooled(_region(small=4), _cfg())["s000"]
    assert not rec["tested"]
    assert "5" in rec["reason"]


def test_pooled_records_replace_the_per_test_combination_in_the_run() -> None:
    inputs = _region(journal_random=0.9, lenient=0.6, small=8)
    cfg = _cfg() | {"decision": "alpha", "alpha": 0.005}
    out = objectivity.run(inputs, cfg)
    row = out.filter(pl.col("school_id") == "s000").row(0, named=True)
    evidence = json.loads(row["evidence"])
    assert row["flagged"]
    assert evidence["sign_p_values"]["journal_corr"] < 0.005
    assert out["flagged"].sum() <= 3  # of 120, the others honest


def test_the_pooled_signs_are_told_in_plain_words() -> None:
    from shnor.core.evidence.plain import _sentences

    journal = _sentences(
        "journal_corr",
        {"spearman": 0.21, "expected_spearman_at_level": 0.64, "tests": 11, "years": [2022, 2023, 2024]},
        {},
    )
    assert "0,64 в среднем по 11 работам школы за 2022, 2023 и 2024 годы" in journal[0]
    assert "0,21" in journal[1]
    one = _sentences(
        "journal_corr", {"spearman": 0.2, "expected_spearman_at_level": 0.6, "tests": 4, "years": [2024]}, {}
    )
    assert "по 4 работам школы за 2024 год" in one[0]
    lenient = _sentences(
        "lenient_checking",
        {"excess_points": 12.0, "excess_full_marks": 5.0, "expected_full_marks": 20.0, "anchor": "one_point",
         "years": [2023, 2024]},
        {},
    )  # fmt: skip
    assert "с тем же баллом за задания с кратким ответом" in lenient[0]
    assert "за 2023 и 2024 годы" in lenient[0]
    assert "12,0 балла больше" in lenient[1] or "12 балла больше" in lenient[1]
    assert "25 при ожидаемых 20" in lenient[1]


@pytest.mark.parametrize("big", [False, True])
def test_the_packed_sort_key_orders_the_pupils_as_lexsort(big):
    """The pooled lenient sign sums its pupils in the order of (school, anchor, points, full marks),
    so that its float sums do not depend on the order of the import's rows: one sort of a packed key,
    or ``lexsort`` when the columns do not fit in 62 bits — the same order of values either way."""
    rng = np.random.default_rng(3)
    top = 2**40 if big else 30
    keys = [
        rng.integers(0, top, 5000),
        rng.integers(0, 31, 5000),
        rng.integers(0, 40, 5000),
        rng.integers(0, 6, 5000),
    ]
    got = np.column_stack(keys)[_lexicographic(*keys)]
    want = np.column_stack(keys)[np.lexsort(keys[::-1])]
    np.testing.assert_array_equal(got, want)
