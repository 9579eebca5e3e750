"""Issue 31's switches: selective participation, lenient checking and the per-school alpha decision."""

from __future__ import annotations

import copy

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods import objectivity
from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.participation import _counts, participation
from shnor.core.methods.objectivity.signs import Unit, lenient_checking
from shnor.core.methods.objectivity.standing import fluctuation_pooled


def _unit(extra: int) -> Unit:
    """60 schools × 30 pupils of a test with 4 one-point and 3 two-point tasks; school 0 gets one
    point more on each two-point task below its maximum for ``extra`` in 10 pupil-tasks."""
    rng = np.random.default_rng(5)
    n_s, n_p = 60, 30
    school = np.repeat(np.arange(n_s), n_p)
    theta = rng.normal(0, 0.3, n_s)[school] + rng.normal(0, 1, school.size)
    maxp = np.array([1, 1, 1, 1, 2, 2, 2])
    b = np.array([-1.0, -0.5, 0.0, 0.5, -0.3, 0.2, 0.7])
    p = 1 / (1 + np.exp(-(theta[:, None] - b[None, :])))
    tasks = np.stack([rng.binomial(int(m), p[:, j]) for j, m in enumerate(maxp)], 1)
    own = (school == 0)[:, None] & (maxp[None, :] == 2) & (tasks < 2) & (rng.random(tasks.shape) < extra / 10)
    tasks = tasks + own
    total = tasks.sum(1)
    return Unit(
        procedure="vpr", year=2024, subject="ru", grade=4,
        school_ids=[f"s{i:02d}" for i in range(n_s)], school=school, total=total,
        max_score=int(maxp.sum()), cuts={}, mark=np.zeros(total.size, np.int64),
        journal=np.zeros(total.size, np.int64), tasks=tasks, max_points=maxp, levels=None,
    )  # fmt: skip


def test_lenient_checking_finds_the_extra_points_on_criteria_tasks() -> None:
    cfg = {"min_pupils": 5, "min_reference": 20}
    honest = lenient_checking(_unit(0), cfg)["s00"]
    lenient = lenient_checking(_unit(8), cfg)["s00"]
    assert honest["tested"]
    assert lenient["tested"]
    assert lenient["p_value"] < 1e-4 < honest["p_value"]
    assert lenient["statistic"]["excess_points"] > 5
    assert lenient["statistic"]["criteria_tasks"] == 3


def test_lenient_checking_needs_both_kinds_of_task() -> None:
    u = _unit(0)
    u.max_points = np.full(7, 2)
    rec = lenient_checking(u, {"min_pupils": 5, "min_reference": 20})["s00"]
    assert not rec["tested"]


def _results(away: float) -> Inputs:
    """40 schools, three years of one test, 20 pupils each; in school 0 this year ``away`` of its weakest
    half is absent."""
    rng = np.random.default_rng(1)
    rows = []
    for year in (2022, 2023, 2024):
        for s in range(40):
            score = np.sort(rng.integers(0, 20, 20))
            absent = rng.random(20) < 0.06
            if s == 0 and year == 2024:
                absent[:10] |= rng.random(10) < away
            for i in range(20):
                rows.append(
                    {
                        "procedure": "vpr", "year": year, "subject": "ma", "grade": 4,
                        "school_id": f"s{s:02d}", "absent": bool(absent[i]),
                        "primary_score": None if absent[i] else int(score[i]),
                    }
                )  # fmt: skip
    frame = pl.DataFrame(
        rows, schema_overrides={"year": pl.Int16, "grade": pl.Int8, "primary_score": pl.Int16}
    )
    return Inputs(year=2024, results=frame.lazy())


@pytest.mark.parametrize(("away", "found"), [(0.0, False), (0.9, True)])
def test_participation_finds_weak_pupils_kept_away(away: float, found: bool) -> None:
    cfg = copy.deepcopy(default_config()["objectivity"])
    cfg["signs"]["participation"]["enabled"] = True
    inputs = _results(away)
    rec = participation(inputs, cfg, fluctuation_pooled(inputs, cfg))["s00"]
    assert rec["tested"]
    assert (rec["p_value"] < 0.01) is found
    assert rec["statistic"]["own_past_share"] is not None


def test_participation_is_not_tested_below_five_present() -> None:
    cfg = copy.deepcopy(default_config()["objectivity"])
    inputs = _results(0.0)
    small = inputs.results.filter(~((pl.col("school_id") == "s01") & (pl.col("primary_score") > 2)))
    rec = participation(Inputs(year=2024, results=small), cfg, None)["s01"]
    assert not rec["tested"]
    assert "< 5" in rec["reason"]


def test_alpha_decision_flags_by_the_combined_p_value() -> None:
    from tests.core.methods.test_objectivity import _demo, _demo_inputs

    inputs = _demo_inputs(_demo(7, n_schools=60)[1])
    cfg = copy.deepcopy(default_config()["objectivity"])
    bh = objectivity.run(inputs, cfg)
    cfg["decision"], cfg["alpha"] = "alpha", 0.01
    al = objectivity.run(inputs, cfg)
    p = al["evidence"].str.json_path_match("$.p_combined").cast(pl.Float64)
    assert (al["flagged"] == (p.fill_null(1.0) <= 0.01)).all()
    assert al["flagged"].sum() >= bh["flagged"].sum()


def test_the_new_signs_are_told_in_plain_words() -> None:
    from shnor.core.evidence.plain import _sentences

    part = _sentences(
        "participation",
        {"absent_share": 0.36, "expected_share": 0.12, "absent": 16, "rows": 44, "z_gain": 2.5},
        {},
    )
    assert "12 %" in part[0]
    assert "16 из 44" in part[1]
    assert "2,5" in part[1]
    len_ = _sentences(
        "lenient_checking", {"excess_points": 7.5, "excess_full_marks": 4.0, "expected_full_marks": 10.0}, {}
    )
    assert "7,5 балла больше" in len_[1]
    assert "14 при ожидаемых 10" in len_[1]


def _count_rows(with_keys: bool) -> pl.DataFrame:
    """One school, two years: in 2024 pupil p1 writes both subjects (absent from one), p2 both (absent
    from both), p1 again in grade 5 (another pupil), and two rows without a key (one absent); in 2023
    one pupil."""
    rows = [
        ("ma", 4, "p1", False), ("ru", 4, "p1", True), ("ma", 4, "p2", True), ("ru", 4, "p2", True),
        ("ma", 5, "p1", False), ("ma", 4, None, True), ("ru", 4, None, False),
    ]  # fmt: skip
    frame = pl.DataFrame(
        {
            "procedure": ["vpr"] * 8,
            "year": [2024] * 7 + [2023],
            "subject": [r[0] for r in rows] + ["ma"],
            "grade": [r[1] for r in rows] + [4],
            "school_id": ["s1"] * 8,
            "pupil_key": [r[2] for r in rows] + ["q"],
            "absent": [r[3] for r in rows] + [None],
        },
        schema_overrides={"year": pl.Int16, "grade": pl.Int8},
    )
    return frame if with_keys else frame.drop("pupil_key")


@pytest.mark.parametrize(("with_keys", "rows_2024", "absent_2024"), [(True, 5, 2), (False, 7, 4)])
def test_participation_counts_a_pupil_once_a_grade(with_keys: bool, rows_2024: int, absent_2024: int) -> None:
    got = _counts(Inputs(year=2024, results=_count_rows(with_keys).lazy()), [2022, 2023, 2024])
    by_year = {y: (n, a) for y, n, a in got.select("year", "rows", "absent").iter_rows()}
    # with keys: p1 and p2 in grade 4 (p2 absent from both), p1 in grade 5, two rows without a key
    assert by_year == {2024: (rows_2024, absent_2024), 2023: (1, 0)}
