"""Version 2026.4: the task-level signs' same-total expectation as a line in the school's level."""

from __future__ import annotations

import numpy as np
import pytest

from shnor.core.methods.objectivity.signs import Unit, lenient_checking, task_signs
from shnor.core.methods.objectivity.signs.items import _Cells
from shnor.core.methods.objectivity.signs.marks import _school_level


def _region(seed: int, strong: int = 10) -> Unit:
    """120 schools × 40 pupils, six gentle basic tasks (discrimination 0.5) and four sharp hard ones
    (2.5); the first ``strong`` schools 2 SD above the rest. Nobody cheats: at a given total a strong
    school's pupils are abler than the region's, and so solve more of the sharp hard tasks."""
    rng = np.random.default_rng(seed)
    n_s, n_p = 120, 40
    school = np.repeat(np.arange(n_s), n_p)
    mu = rng.normal(0, 0.4, n_s)
    mu[:strong] += 2.0
    theta = mu[school] + rng.normal(0, 1, school.size)
    a = np.array([0.5] * 6 + [2.5] * 4)
    b = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 0.5, 1.0, 1.5, 2.0])
    p = 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    tasks = (rng.random(p.shape) < p).astype(np.int64)
    return Unit(
        procedure="vpr", year=2024, subject="ma", grade=4,
        school_ids=[f"s{i:03d}" for i in range(n_s)], school=school, total=tasks.sum(1), max_score=10,
        cuts={}, mark=np.zeros(school.size, np.int64), journal=np.zeros(school.size, np.int64),
        tasks=tasks, max_points=np.ones(10, np.int64), levels=["Б"] * 6 + ["П"] * 4,
    )  # fmt: skip


def _cfg(on: bool) -> dict:
    return {"hard_levels": ["П", "В"], "min_pupils": 5, "min_reference": 20, "condition_on_level": on}


@pytest.mark.parametrize("seed", [0, 1])
def test_a_strong_school_is_not_taken_for_a_hard_task_pattern(seed: int) -> None:
    unit = _region(seed)
    strong = [f"s{i:03d}" for i in range(10)]
    plain_pat, plain_fit = task_signs(unit, _cfg(False), _cfg(False))
    line_pat, line_fit = task_signs(unit, _cfg(True), _cfg(True))

    def mean_z(records: dict) -> float:
        return float(np.mean([records[s]["statistic"]["z"] for s in strong]))

    # the same-total comparison alone takes the strong schools' honest pattern for an excess …
    assert mean_z(plain_pat) > 1.5
    assert mean_z(plain_fit) > 1.5
    # … the line in the school's level does not
    assert abs(mean_z(line_pat)) < 0.8
    assert abs(mean_z(line_fit)) < 0.8
    assert "уровень ОО" in line_pat["s000"]["comparison_group"]
    assert "уровень" not in plain_pat["s000"]["comparison_group"]


def test_the_line_keeps_ordinary_schools_near_the_theoretical_null() -> None:
    unit = _region(2, strong=0)
    pat, _fit = task_signs(unit, _cfg(True), _cfg(True))
    z = np.array([r["statistic"]["z"] for r in pat.values()])
    assert abs(z.mean()) < 0.25
    assert 0.8 < z.std() < 1.25


def test_the_line_is_least_squares_over_the_other_schools_pupils_with_the_same_total() -> None:
    """Checked against numpy's fit on the pupils themselves, cell by cell."""
    unit = _region(3)
    hard = unit.tasks[:, 6:].sum(1).astype(float)
    level = _school_level(unit)
    cells = _Cells(unit.school, unit.total, len(unit.school_ids), 11)
    pred, var, n_other = cells.loo_line(cells.sums(hard), cells.sums(hard * hard), cells.level_line(level))
    rng = np.random.default_rng(0)
    for c in rng.choice(cells.n_cells, 25, replace=False).tolist():
        s, t = int(cells.school[c]), int(cells.total[c])
        other = (unit.total == t) & (unit.school != s)
        x, y = level[unit.school[other]], hard[other]
        assert n_other[c] == other.sum()
        if other.sum() < 3 or np.ptp(x) == 0:
            continue
        slope, icpt = np.polyfit(x, y, 1)
        at = np.clip(level[s], x.min(), x.max())  # never carried beyond the levels it was fitted on
        assert pred[c] == pytest.approx(icpt + slope * at, abs=1e-9)
        resid = y - (icpt + slope * x)
        assert var[c] == pytest.approx((resid**2).sum() / (other.sum() - 2), rel=1e-9, abs=1e-12)


def test_lenient_checking_on_the_line_still_finds_extra_points() -> None:
    from tests.core.methods.test_objectivity_new_signs import _unit

    cfg = {"min_pupils": 5, "min_reference": 20, "condition_on_level": True}
    honest = lenient_checking(_unit(0), cfg)["s00"]
    lenient = lenient_checking(_unit(8), cfg)["s00"]
    assert lenient["p_value"] < 1e-4 < honest["p_value"]
    assert "уровень ОО" in lenient["comparison_group"]


def test_the_stored_record_says_the_adjusted_group_in_one_flag_and_reads_it_back() -> None:
    from shnor.core.evidence.objectivity import records_of
    from shnor.core.evidence.objectivity_format import compact_record
    from shnor.core.evidence.objectivity_shared import resolve, share

    pat, _fit = task_signs(_region(0), _cfg(True), _cfg(True))
    rec = {**pat["s000"], "sign": "task_pattern", "procedure": "vpr", "subject": "ma", "grade": 4}
    stored = compact_record({**rec, "id": "task_pattern:vpr:ma:4"})
    assert "comparison_group" not in stored
    assert stored["on_level"] is True
    ev = {"format": 2, "signs": [stored], "p_combined": 0.5, "sign_p_values": {}, "significant": []}
    shared: dict = {}
    for read in (ev, resolve(share(ev, shared), shared)):
        (back,) = records_of(read)
        assert back["comparison_group"] == rec["comparison_group"]
        assert "on_level" not in back
    plain, _ = task_signs(_region(0), _cfg(False), _cfg(False))
    assert "on_level" not in compact_record(
        {**plain["s000"], "sign": "task_pattern", "id": "task_pattern:vpr:ma:4"}
    )
