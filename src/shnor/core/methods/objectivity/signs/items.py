"""Task-level signs over one procedure: ``task_pattern`` (hard П/В points beyond the region's pupils
with the same total) and ``person_fit`` (Guttman errors beyond the same expectation)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
from scipy import stats

from shnor.core.evidence.objectivity_format import COMPARISON_GROUPS, LEVEL_COMPARISON_GROUPS
from shnor.core.methods.objectivity.signs.base import Unit, _rl, _rl_whole, _rv, not_tested
from shnor.core.methods.objectivity.signs.marks import _school_level


class _LevelLine(NamedTuple):
    """What the same-total line in the school's level needs of the cells whatever is summed (``_Cells.
    level_line``): per cell, its school's level, the other schools' pupils with the same total (how many,
    their mean level, Σ of their squared deviations) and the range of their levels."""

    level: np.ndarray
    n_other: np.ndarray
    mean: np.ndarray
    sxx: np.ndarray
    low: np.ndarray
    high: np.ndarray


class _Cells:
    """The pupils of a unit grouped by (school, total): what the same-total comparisons of
    ``task_signs`` need is constant within such a cell, so they are computed once per cell (a country
    procedure has ≈ 0.5 M cells for 1.4 M pupils) instead of once per pupil."""

    def __init__(self, school: np.ndarray, total: np.ndarray, n_schools: int, n_totals: int) -> None:
        key = school.astype(np.int64) * n_totals + total.astype(np.int64)
        per_key = np.bincount(key, minlength=n_schools * n_totals)
        used = np.flatnonzero(per_key)
        self.of_pupil = (np.cumsum(per_key > 0) - 1)[key]
        self.n = per_key[used].astype(float)
        self.school, self.total = used // n_totals, used % n_totals
        self.n_cells, self.n_schools, self.n_totals = len(used), n_schools, n_totals
        self.region_n = np.bincount(self.total, weights=self.n, minlength=n_totals)

    def sums(self, value: np.ndarray) -> np.ndarray:
        """Σ ``value`` over each cell's pupils."""
        return np.bincount(self.of_pupil, weights=value, minlength=self.n_cells)

    def per_school(self, cell_value: np.ndarray) -> np.ndarray:
        """Σ over each school's cells."""
        return np.bincount(self.school, weights=cell_value, minlength=self.n_schools)

    def loo(
        self, s1: np.ndarray, s2: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Per cell, from the cells' Σx (and Σx²): the mean (and variance) of x among the other schools'
        pupils with the same total, and how many such pupils there are."""
        ref = self.region_n[self.total] - self.n
        div = np.maximum(ref, 1)
        m = self._others(s1) / div
        v = None
        if s2 is not None:
            v = np.maximum(self._others(s2) / div - m * m, 0.0)
        return m, v, ref

    def _others(self, x: np.ndarray) -> np.ndarray:
        """Per cell, Σ ``x`` over the other schools' cells of the same total."""
        return np.bincount(self.total, weights=x, minlength=self.n_totals)[self.total] - x

    def _other_range(self, lv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the lowest and highest level among the other schools' cells of the same total: the
        line is not carried beyond the levels it was fitted on (an isolated strong school near the
        ceiling, where the line flattens, is compared at the highest level the region shows)."""
        order = np.lexsort((lv, self.total))
        t_sorted, lv_sorted = self.total[order], lv[order]
        first = np.searchsorted(t_sorted, self.total, side="left")
        last = np.searchsorted(t_sorted, self.total, side="right") - 1
        rank = np.empty(self.n_cells, np.int64)
        rank[order] = np.arange(self.n_cells)
        low = np.where(rank == first, np.minimum(first + 1, last), first)
        high = np.where(rank == last, np.maximum(last - 1, first), last)
        return lv_sorted[low], lv_sorted[high]

    def level_line(self, level: np.ndarray) -> _LevelLine:
        """The part of ``loo_line`` that depends on the schools' ``level`` only, made once for every
        value a sign sums."""
        n, lv = self.n, level[self.school]
        n_o = self._others(n)
        lbar = self._others(n * lv) / np.maximum(n_o, 1)
        sxx = self._others(n * lv * lv) - n_o * lbar * lbar
        lo, hi = self._other_range(lv)
        return _LevelLine(lv, n_o, lbar, sxx, lo, hi)

    def loo_line(
        self, s1: np.ndarray, s2: np.ndarray, line: _LevelLine
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per cell, from the cells' Σx and Σx²: the expected x of its pupils on the straight line in
        the school's level (``line``) fitted to the other schools' pupils with the same total (least
        squares), the residual variance about that line, and how many such pupils there are.

        Conditioning on the total alone is not enough where the tasks differ in how sharply they
        separate pupils (two-parameter and graded responses): at the same total the pupils of a strong
        school are abler than the region's, and so honestly solve other tasks. The line is fitted on
        every level the region's schools have, so a strong lyceum's expectation does not rest on the
        few schools of its own level."""
        n_o = line.n_other
        pred, m, slope, sxy = self._line_fit(s1, line)
        syy = self._others(s2) - n_o * m * m
        v = np.maximum(syy - slope * sxy, 0.0) / np.maximum(n_o - 2, 1)
        return pred, v, n_o

    def line_mean(self, s1: np.ndarray, line: _LevelLine) -> np.ndarray:
        """Per cell, from the cells' Σx: the expected x of its pupils on the line in the school's level
        (``loo_line`` without the variance, so without Σx²)."""
        return self._line_fit(s1, line)[0]

    def _line_fit(
        self, s1: np.ndarray, line: _LevelLine
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per cell: the line's prediction at the school's level (clipped to the other schools' range),
        the other schools' same-total mean of x, the slope and Σ (level − mean)(x − mean)."""
        lv, n_o, lbar, sxx = line.level, line.n_other, line.mean, line.sxx
        m = self._others(s1) / np.maximum(n_o, 1)
        sxy = self._others(s1 * lv) - n_o * lbar * m
        flat = sxx <= 1e-9 * np.maximum(n_o, 1)
        slope = np.where(flat, 0.0, sxy / np.where(flat, 1.0, sxx))
        pred = m + slope * (np.clip(lv, line.low, line.high) - lbar)
        return pred, m, slope, sxy


def _cell_sum_test(
    cells: _Cells, value: np.ndarray, min_ref: int, line: _LevelLine | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_sum_test`` of ``value`` minus its same-total expectation, summed per school over the pupils
    with at least ``min_ref`` same-total pupils in other schools: (Σ excess, Σ variance, n, z, Σ
    expectation). With a ``line``, the expectation is a straight line in the school's level among
    those pupils (``_Cells.loo_line``)."""
    s1, s2 = cells.sums(value), cells.sums(value * value)
    if line is None:
        m, v, ref = cells.loo(s1, s2)
    else:
        m, v, ref = cells.loo_line(s1, s2, line)
    assert v is not None
    ok = ref >= min_ref
    t = cells.per_school(np.where(ok, s1 - cells.n * m, 0.0))
    var = cells.per_school(np.where(ok, cells.n * v, 0.0))
    n = cells.per_school(np.where(ok, cells.n, 0.0))
    z = np.where(var > 0, t / np.sqrt(np.maximum(var, 1e-12)), 0.0)
    return t, var, n, z, cells.per_school(np.where(ok, cells.n * m, 0.0))


_SAME_TOTAL = COMPARISON_GROUPS["task_pattern"]
_SAME_TOTAL_LEVEL = LEVEL_COMPARISON_GROUPS["task_pattern"]


def _on_level(cfg: Mapping[str, Any]) -> bool:
    """Whether the sign's expectation is a line in the school's level (``condition_on_level``)."""
    return bool(cfg.get("condition_on_level", False))


def _line(unit: Unit, cells: _Cells, *cfgs: Mapping[str, Any]) -> _LevelLine | None:
    """The level line of ``cells``, made once, when one of the signs ``cfgs`` asks for it."""
    return cells.level_line(_school_level(unit)) if any(_on_level(c) for c in cfgs) else None


def _group(cfg: Mapping[str, Any]) -> str:
    """The comparison group a sign's record names."""
    return _SAME_TOTAL_LEVEL if _on_level(cfg) else _SAME_TOTAL


def _task_profiles(
    unit: Unit, cells: _Cells, counts: np.ndarray, maxp: np.ndarray, line: _LevelLine | None
) -> Callable[[int], dict[str, Any]]:
    """The task-success chart of each school (by index): region and school task-success profiles
    (percent of max points) and the expected profile of the school's pupils given their totals
    (leave-school-out), summed per school. With the ``line`` ``task_pattern`` uses, the expectation
    is that line in the school's level (``expected_same_level``), the one the sign tested: summed over
    the hard tasks it is the sign's expected hard points (least squares is linear in what is summed)."""
    tasks = unit.tasks
    assert tasks is not None
    ns, n_tasks = len(unit.school_ids), tasks.shape[1]
    sums = np.zeros((ns, n_tasks))
    esums = np.zeros((ns, n_tasks))
    region_sums = np.zeros(n_tasks)
    for j in range(n_tasks):
        s1 = cells.sums(tasks[:, j].astype(float))
        m = cells.loo(s1)[0] if line is None else cells.line_mean(s1, line)
        sums[:, j] = cells.per_school(s1)
        esums[:, j] = cells.per_school(cells.n * m)
        region_sums[j] = s1.sum()
    region_profile = 100 * (region_sums / tasks.shape[0]) / maxp

    n_div = np.maximum(counts, 1)[:, None]
    # the school's bars and its expectation in whole percent, as a reader takes them off the chart (two
    # of a stored school's largest lists); the region's line, stored once a run, to a tenth
    school_pr = _rl_whole(100 * sums / n_div / maxp[None, :])
    expected_pr = _rl_whole(100 * esums / n_div / maxp[None, :])
    region_pr = _rl(region_profile, 1)
    expected_key = "expected_same_total" if line is None else "expected_same_level"

    def profile(si: int) -> dict[str, Any]:
        return {
            "school": school_pr[si],
            "region": region_pr,
            expected_key: expected_pr[si],
            "levels": unit.levels,
        }

    return profile


def _task_pattern(
    unit: Unit,
    cells: _Cells,
    counts: np.ndarray,
    cfg: Mapping[str, Any],
    profile: Callable[[int], dict[str, Any]],
    line: _LevelLine | None,
) -> dict[str, dict[str, Any]]:
    """``task_pattern``: hard П/В points beyond the region's pupils with the same total, per school."""
    tasks = unit.tasks
    assert tasks is not None
    pattern: dict[str, dict[str, Any]] = {}
    levels = unit.levels or [None] * tasks.shape[1]
    hard = np.array([lv in tuple(cfg["hard_levels"]) for lv in levels])
    min_n = int(cfg["min_pupils"])
    if not hard.any() or hard.all():
        for sid in unit.school_ids:
            pattern[sid] = not_tested("нет заданий и базового, и повышенного/высокого уровня")
        return pattern
    h = tasks[:, hard].sum(1).astype(float)
    on = line if _on_level(cfg) else None
    t, _var, n_ok, z, _e = _cell_sum_test(cells, h, int(cfg["min_reference"]), on)
    p_sf = stats.norm.sf(z).tolist()
    with np.errstate(invalid="ignore", divide="ignore"):
        per_pupil = t / n_ok
    stat = zip(_rv(z), _rv(t, 2), _rv(per_pupil, 3), strict=True)
    for si, (sid, n, (zr, tr, pr)) in enumerate(zip(unit.school_ids, n_ok.tolist(), stat, strict=True)):
        if n < min_n:
            pattern[sid] = not_tested(f"участников {int(n)} < {min_n}", n=int(counts[si]))
            continue
        pattern[sid] = {
            "tested": True,
            "n": int(n),
            "p_value": p_sf[si],
            "statistic": {"z": zr, "excess_hard_points": tr, "excess_hard_points_per_pupil": pr},
            "comparison_group": _group(cfg),
            "chart": {"task_success": profile(si)},
        }
    return pattern


def _guttman_errors(tasks: np.ndarray, maxp: np.ndarray) -> np.ndarray:
    """Each pupil's Guttman errors over score steps ordered by the region's popularity.

    A pupil's errors are Σ over the steps passed of the steps failed before them = Σ rank(step
    passed) − r(r − 1)/2 (r steps passed, the i-th passed one has i passed before it), so no pupils ×
    steps matrix is needed."""
    n_pupils, n_tasks = tasks.shape
    pop = []
    for j in range(n_tasks):  # pupils with at least k points on task j, k = 1..max
        at = np.bincount(np.clip(tasks[:, j], 0, int(maxp[j])), minlength=int(maxp[j]) + 1)
        pop += np.cumsum(at[::-1])[::-1][1:].tolist()
    pop = np.array(pop, float) / n_pupils
    rank = np.empty(len(pop), np.int64)
    rank[np.argsort(-pop, kind="stable")] = np.arange(len(pop))
    guttman = np.zeros(n_pupils, np.int64)
    passed = np.zeros(n_pupils, np.int64)
    i = 0
    for j in range(n_tasks):
        mj = int(maxp[j])
        cum = np.r_[0, np.cumsum(rank[i : i + mj])]  # rank sum of steps 1..k of task j
        tj = np.clip(tasks[:, j], 0, mj)
        guttman += cum[tj]
        passed += tj
        i += mj
    return (guttman - passed * (passed - 1) // 2).astype(float)


def _person_fit(
    unit: Unit,
    cells: _Cells,
    counts: np.ndarray,
    maxp: np.ndarray,
    cfg: Mapping[str, Any],
    profile: Callable[[int], dict[str, Any]],
    line: _LevelLine | None,
) -> dict[str, dict[str, Any]]:
    """``person_fit``: Guttman errors beyond the region's pupils with the same total, per school."""
    assert unit.tasks is not None
    fit: dict[str, dict[str, Any]] = {}
    guttman = _guttman_errors(unit.tasks, maxp)
    on = line if _on_level(cfg) else None
    t, _var, n_ok, z, msum = _cell_sum_test(cells, guttman, int(cfg["min_reference"]), on)
    gsum = cells.per_school(cells.sums(guttman))
    min_n = int(cfg["min_pupils"])
    p_sf = stats.norm.sf(z).tolist()
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = zip(_rv(z), _rv(gsum / counts, 2), _rv(msum / np.maximum(n_ok, 1), 2), strict=True)
    for si, (sid, n, (zr, gr, mr)) in enumerate(zip(unit.school_ids, n_ok.tolist(), stat, strict=True)):
        if n < min_n:
            fit[sid] = not_tested(f"участников {int(n)} < {min_n}", n=int(counts[si]))
            continue
        fit[sid] = {
            "tested": True,
            "n": int(n),
            "p_value": p_sf[si],
            "statistic": {"z": zr, "mean_guttman_errors": gr, "expected_guttman_errors": mr},
            "comparison_group": _group(cfg),
            "chart": {"task_success": profile(si)},
        }
    return fit


def task_signs(
    unit: Unit, cfg_pattern: Mapping[str, Any], cfg_fit: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``task_pattern`` (hard П/В points beyond the region's pupils with the same total) and
    ``person_fit`` (Guttman errors beyond the same expectation), per school."""
    ns = len(unit.school_ids)
    if unit.tasks is None or unit.max_points is None:
        reason = "нет баллов за задания"
        return (
            {s: not_tested(reason) for s in unit.school_ids},
            {s: not_tested(reason) for s in unit.school_ids},
        )
    total = unit.tasks.sum(1)
    counts = np.bincount(unit.school, minlength=ns)
    maxp = unit.max_points.astype(float)
    cells = _Cells(unit.school, total, ns, int(maxp.sum()) + 1)
    line = _line(unit, cells, cfg_pattern, cfg_fit)  # one for both signs: they share the cells
    # the chart both share draws the expectation ``task_pattern`` tested
    profile = _task_profiles(unit, cells, counts, maxp, line if _on_level(cfg_pattern) else None)
    return (
        _task_pattern(unit, cells, counts, cfg_pattern, profile, line),
        _person_fit(unit, cells, counts, maxp, cfg_fit, profile, line),
    )


def lenient_checking(unit: Unit, cfg: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``lenient_checking``: the tasks checked by criteria (more than one point) scored more generously
    than the region's pupils with the same total score them: Σ points on those tasks and Σ full marks
    on them, each minus its same-total expectation (leave-school-out), z-tests; p = 2·min (Bonferroni
    over the two). A lenient checker gives the extra point on the open answers, so a pupil's total
    comes more from them than it does for the region's pupils with that total."""
    if unit.tasks is None or unit.max_points is None:
        return {s: not_tested("нет баллов за задания") for s in unit.school_ids}
    maxp = unit.max_points.astype(np.int64)
    multi = maxp >= 2
    if not multi.any() or multi.all():
        return {s: not_tested("нет заданий и с одним, и с несколькими баллами") for s in unit.school_ids}
    tasks = unit.tasks
    ns = len(unit.school_ids)
    total = tasks.sum(1)
    counts = np.bincount(unit.school, minlength=ns)
    cells = _Cells(unit.school, total, ns, int(maxp.sum()) + 1)
    sub = tasks[:, multi].astype(np.int64)
    points = sub.sum(1).astype(float)
    full = (sub == maxp[multi][None, :]).sum(1).astype(float)
    min_ref, min_n = int(cfg["min_reference"]), int(cfg["min_pupils"])
    line = _line(unit, cells, cfg)
    t1, _v1, n_ok, z1, e1 = _cell_sum_test(cells, points, min_ref, line)
    t2, _v2, _n2, z2, e2 = _cell_sum_test(cells, full, min_ref, line)
    p = np.minimum(1.0, 2.0 * np.minimum(stats.norm.sf(z1), stats.norm.sf(z2))).tolist()
    stat = zip(_rv(z1), _rv(z2), _rv(t1, 2), _rv(t2, 2), _rv(e2, 2), strict=True)
    out: dict[str, dict[str, Any]] = {}
    for si, (sid, n, (za, zb, ta, tb, eb)) in enumerate(
        zip(unit.school_ids, n_ok.tolist(), stat, strict=True)
    ):
        if n < min_n:
            out[sid] = not_tested(f"участников {int(n)} < {min_n}", n=int(counts[si]))
            continue
        out[sid] = {
            "tested": True,
            "n": int(n),
            "p_value": p[si],
            "statistic": {
                "z_points": za,
                "z_full_marks": zb,
                "excess_points": ta,
                "excess_full_marks": tb,
                "expected_full_marks": eb,
                "criteria_tasks": int(multi.sum()),
            },
            "comparison_group": _group(cfg),
        }
    return out
