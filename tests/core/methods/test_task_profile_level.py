"""The task-success chart of ``task_pattern`` / ``person_fit`` draws the expectation the sign tested: the
same-total line in the school's level when ``task_pattern`` conditions on it (objectivity 2026.4,
``expected_same_level``), the plain same-total mean otherwise; evidence stored before keeps its
``expected_same_total`` and its wording."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shnor.core.evidence import Charts, TaskProfile
from shnor.core.evidence.objectivity_format import compact
from shnor.core.evidence.objectivity_shared import resolve, share
from shnor.core.evidence.plain import plain_signs_of
from shnor.core.methods.objectivity.signs import Unit, task_signs
from shnor.web.identification.presenters import chart_items
from tests.core.methods.test_objectivity_level_line import _cfg, _region

STRONG = [f"s{i:03d}" for i in range(10)]
HARD = slice(6, 10)  # ``_region``: six basic tasks, four hard ones, one point each


def _hard_points(unit: Unit, sid: str) -> tuple[float, int]:
    """The school's observed hard points and its pupils."""
    assert unit.tasks is not None
    mine = unit.school == unit.school_ids.index(sid)
    return float(unit.tasks[mine][:, HARD].sum()), int(mine.sum())


@pytest.mark.parametrize(("on", "key"), [(True, "expected_same_level"), (False, "expected_same_total")])
@pytest.mark.parametrize("min_reference", [0, 20])
def test_the_charts_expected_hard_points_are_the_signs(on: bool, key: str, min_reference: int) -> None:
    """Σ over the hard tasks of the chart's expectation = observed − excess of the sign (least squares
    is linear in what is summed), within the chart's rounding (whole percent of a task's maximum)."""
    unit = _region(4)
    cfg = {**_cfg(on), "min_reference": min_reference}
    pattern, _fit = task_signs(unit, cfg, cfg)
    checked = 0
    for sid, rec in pattern.items():
        observed, n = _hard_points(unit, sid)
        if not rec["tested"] or rec["n"] != n:  # (the sign left out pupils without enough reference)
            continue
        chart = rec["chart"]["task_success"]
        assert set(chart) == {"school", "region", "levels", key}
        expected_chart = sum(chart[key][HARD]) / 100 * n
        expected_sign = observed - rec["statistic"]["excess_hard_points"]
        assert expected_chart == pytest.approx(expected_sign, abs=0.005 * 4 * n + 0.006)
        checked += 1
    assert checked >= 100


def test_for_a_strong_school_the_level_line_expects_more_of_the_hard_tasks() -> None:
    unit = _region(0)
    on_level, _ = task_signs(unit, _cfg(True), _cfg(True))
    plain, _ = task_signs(unit, _cfg(False), _cfg(False))
    lift, gap_level, gap_total = [], [], []
    for sid in STRONG:
        level = np.array(on_level[sid]["chart"]["task_success"]["expected_same_level"])
        total = np.array(plain[sid]["chart"]["task_success"]["expected_same_total"])
        school = np.array(on_level[sid]["chart"]["task_success"]["school"])
        # both expect the school's own total points, spread differently over the tasks
        assert level.sum() == pytest.approx(school.sum(), abs=len(school))  # (each to 0.5 %)
        assert total.sum() == pytest.approx(school.sum(), abs=len(school))
        lift.append(level[HARD].mean() - total[HARD].mean())
        gap_level.append(school[HARD].mean() - level[HARD].mean())
        gap_total.append(school[HARD].mean() - total[HARD].mean())
    assert np.mean(lift) > 2.5  # percentage points per hard task
    # what the strong schools' pupils honestly do on the sharp hard tasks: the line expects it
    assert abs(np.mean(gap_level)) < 1.5 < np.mean(gap_total)


def test_the_chart_follows_task_pattern_not_person_fit() -> None:
    """Both signs share one chart: it draws what ``task_pattern`` tested."""
    unit = _region(0)
    pattern, fit = task_signs(unit, _cfg(False), _cfg(True))
    assert "expected_same_total" in pattern["s000"]["chart"]["task_success"]
    assert fit["s000"]["chart"] == pattern["s000"]["chart"]
    pattern, fit = task_signs(unit, _cfg(True), _cfg(False))
    assert "expected_same_level" in fit["s000"]["chart"]["task_success"]


def _evidence(rec: dict[str, Any]) -> dict[str, Any]:
    """Format-1 evidence of one school with its ``task_pattern`` record."""
    sid = "task_pattern:vpr:ma:4"
    full = {**rec, "id": sid, "sign": "task_pattern", "procedure": "vpr", "subject": "ma", "grade": 4}
    return {"signs": [full], "p_combined": 0.5, "sign_p_values": {}, "significant": [], "year": 2024}


def test_the_level_adjusted_profile_is_stored_and_read_back_in_format_3() -> None:
    pattern, _ = task_signs(_region(0), _cfg(True), _cfg(True))
    shared: dict[str, Any] = {}
    stored = [share(_evidence(pattern[sid]), shared) for sid in STRONG[:3]]
    for sid, v3 in zip(STRONG[:3], stored, strict=True):
        ev = _evidence(pattern[sid])
        assert resolve(v3, shared) == compact(ev)
        (back,) = resolve(v3, shared)["signs"]
        assert back["chart"]["task_success"] == pattern[sid]["chart"]["task_success"]
        (profile,) = Charts.parse(back["chart"]).profiles
        assert profile.on_level
        assert list(profile.expected or ()) == pattern[sid]["chart"]["task_success"]["expected_same_level"]
        assert profile.to_dict() == pattern[sid]["chart"]["task_success"]


OLD = {
    "school": [90.0, 40.0],
    "region": [80.0, 50.0],
    "expected_same_total": [82.0, 45.0],
    "levels": ["Б", "П"],
}
NEW = {k: v for k, v in OLD.items() if k != "expected_same_total"} | {"expected_same_level": [84.0, 47.0]}


def _expected_trace(node: dict[str, Any]) -> dict[str, Any]:
    (item,) = chart_items(Charts.parse({"task_success": node}))
    (trace,) = [t for t in item["figure"]["data"] if t.get("line", {}).get("dash") == "dot"]
    return trace


def test_the_web_figure_names_the_expectation_it_draws() -> None:
    new, old = _expected_trace(NEW), _expected_trace(OLD)
    assert new["y"] == NEW["expected_same_level"]
    assert "того же уровня" in new["name"]
    assert old["y"] == OLD["expected_same_total"]  # stored before: drawn as it was
    assert old["name"] == "ожидаемо при тех же суммах"


def _plain_chart(node: dict[str, Any]) -> Any:
    rec = {"id": "task_pattern:vpr:ma:4", "sign": "task_pattern", "tested": True, "p_value": 0.3}
    ev = {
        "significant": [],
        "p_combined": 0.3,
        "q_value": 0.5,
        "signs": [{**rec, "chart": {"task_success": node}}],
    }
    (sign,) = plain_signs_of({"evidence": ev})
    return sign.chart


def test_the_plain_chart_and_dossier_name_the_expectation_they_draw() -> None:
    new, old = _plain_chart(NEW), _plain_chart(OLD)
    assert new.expected == NEW["expected_same_level"]
    assert new.expected_name == "ученики региона с тем же общим баллом в школах того же уровня"
    assert old.expected == OLD["expected_same_total"]
    assert old.expected_name == "ученики региона с тем же общим баллом"


def test_a_profile_without_an_expectation_is_not_called_level_adjusted() -> None:
    (p,) = Charts.parse({"task_success": {"school": [1.0], "region": [2.0]}}).profiles
    assert p == TaskProfile((1.0,), (2.0,))
    assert "expected_same_level" not in p.to_dict()
