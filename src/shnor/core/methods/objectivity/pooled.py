"""The pooled bunching test: one test per school over all its ВПР of this year and the earlier pooled
years, from the exact convolution of the tests' null distributions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.signs import base as signs_mod
from shnor.core.methods.objectivity.signs.base import not_tested
from shnor.core.methods.objectivity.signs.distribution import bunching
from shnor.core.methods.objectivity.units import _units, build_unit


def _pooled_years(inputs: Inputs, cfg: Mapping[str, Any]) -> list[int]:
    """This year and up to ``pool_years − 1`` earlier years that have results."""
    k = max(1, int(cfg.get("pool_years", 1)))
    have = set(inputs.results.select(pl.col("year").unique()).collect().to_series().to_list())
    return [y for y in range(inputs.year - k + 1, inputs.year + 1) if y in have]


def _pool_cfg(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Bunching settings for the pooled test: smaller groups per test are usable once pooled."""
    return {
        **cfg,
        "min_pupils": int(cfg.get("pooled_min_pupils", cfg["min_pupils"])),
        "min_outside": int(cfg.get("pooled_min_outside", cfg["min_outside"])),
    }


class NullPmfs:
    """One procedure's bunching null distributions per (school, cut), as columns: what the pooled
    test needs of them (a dict with a numpy array per school and cut was slow to pass between
    processes). ``pmf(i)`` is the i-th distribution."""

    def __init__(
        self, year: int, key: tuple[str, str, int], pmfs: dict[tuple[str, str], dict[str, Any]]
    ) -> None:
        self.year, self.key = year, key
        self.sid = [k[0] for k in pmfs]
        self.boundary = [k[1] for k in pmfs]
        values = list(pmfs.values())
        self.x = [int(d["x"]) for d in values]
        self.n_window = [int(d["n_window"]) for d in values]
        self.n = [int(d["n"]) for d in values]
        self.expected = [float(d["expected"]) for d in values]
        self.offsets = np.cumsum([0, *(len(d["pmf"]) for d in values)])
        self.flat = np.concatenate([d["pmf"] for d in values]) if values else np.empty(0)

    def pmf(self, i: int) -> np.ndarray:
        """The i-th null distribution of the count at/above the cut."""
        return self.flat[self.offsets[i] : self.offsets[i + 1]]


class PooledBunching:
    """The pooled bunching test's sums per (school, cut) over the tests added so far: the exact
    convolution of their null distributions (the sum of independent counts), the observed and the
    expected counts, and which tests they came from. Built as each test's distributions arrive, so
    the convolutions are made while the other procedures are still being tested."""

    def __init__(self) -> None:
        self.parts: dict[
            str, dict[str, list[Any]]
        ] = {}  # school -> cut -> [pmf, observed, expected, [(tests, i)]]

    def add(self, pm: NullPmfs) -> None:
        """Add one test's null distributions (``NullPmfs``)."""
        for i, (sid, boundary) in enumerate(zip(pm.sid, pm.boundary, strict=True)):
            by_b = self.parts.setdefault(sid, {})
            slot = by_b.get(boundary)
            if slot is None:
                by_b[boundary] = [pm.pmf(i), pm.x[i], pm.expected[i], [(pm, i)]]
            else:
                slot[0] = np.convolve(slot[0], pm.pmf(i))
                slot[1] += pm.x[i]
                slot[2] += pm.expected[i]
                slot[3].append((pm, i))


def earlier_units(inputs: Inputs, config: Mapping[str, Any]) -> list[tuple[int, tuple[str, str, int]]]:
    """The earlier pooled years' procedures whose bunching the pooled test adds to this year's: (year,
    (procedure, subject, grade)), in the order they are added; none when the test is not pooled."""
    cfg = config["signs"]["bunching"]
    if not (cfg["enabled"] and cfg.get("pool", False)):
        return []
    procedures = set(cfg.get("pool_procedures", ["vpr"]))
    return [
        (year, key)
        for year in _pooled_years(inputs, cfg)
        if year != inputs.year
        for key in _units(inputs, config, year)
        if key[0] in procedures
    ]


def earlier_null_pmfs(
    inputs: Inputs, config: Mapping[str, Any], year: int, key: tuple[str, str, int]
) -> NullPmfs | None:
    """One earlier year's procedure's bunching null distributions (``earlier_units``), made in a
    worker beside this year's procedures rather than in the calling process after them."""
    unit = build_unit(inputs, key[0], year, key[1], key[2], with_tasks=False)
    if unit is None or not unit.cuts:
        return None
    pmfs: dict[tuple[str, str], dict[str, Any]] = {}
    bunching(unit, _pool_cfg(config["signs"]["bunching"]), pmfs)
    return NullPmfs(year, key, pmfs)


def bunching_pooled(
    inputs: Inputs, config: Mapping[str, Any], pooled: PooledBunching
) -> dict[str, dict[str, Any]]:
    """One bunching test per school over all its tests of this year and the earlier pooled years.

    A school that inflates marks does so in every test and year; the counts at/above the cut are
    added up and compared with the sum of their null distributions (each the binomial of the
    school's window count under the region's shape tilted to the school's level, averaged over the
    level's uncertainty): P(Σ X_u ≥ Σ x_u) by exact convolution, the score test of a common excess
    (odds ratio ω = 1 vs ω > 1 in every test), the locally most powerful pooled test. ``pooled``
    holds this year's tests and the earlier years' (``earlier_null_pmfs``, added after them).
    """
    cfg = config["signs"]["bunching"]
    out: dict[str, dict[str, Any]] = {}
    min_total = int(cfg["min_pupils"])
    group = (
        "распределение баллов региона у порога, перевзвешенное к уровню школы, по всем ВПР школы за годы "
        + ", ".join(str(y) for y in _pooled_years(inputs, cfg))
    )
    for sid, by_b in pooled.parts.items():
        n_total = max(sum(pm.n[i] for pm, i in slot[3]) for slot in by_b.values())
        if n_total < min_total:
            out[sid] = not_tested(f"участников во всех ВПР школы {n_total} < {min_total}", n=n_total)
            continue
        tests = []
        for boundary, (pmf, obs, exp, pp) in by_b.items():
            tests.append(
                {
                    "boundary": boundary,
                    "p_value": signs_mod.upper_tail(pmf, obs),
                    "at_or_above": obs,
                    "expected_at_or_above": signs_mod._r(exp, 2),
                    "n_window": int(sum(pm.n_window[i] for pm, i in pp)),
                    "n_tests": len(pp),
                    "tests": [
                        {
                            "year": pm.year,
                            "procedure": pm.key[0],
                            "subject": pm.key[1],
                            "grade": pm.key[2],
                            "at_or_above": pm.x[i],
                            "n_window": pm.n_window[i],
                            "expected_at_or_above": signs_mod._r(pm.expected[i], 2),
                        }
                        for pm, i in pp
                    ],
                }
            )
        best = min(tests, key=lambda t: t["p_value"])
        out[sid] = {
            "tested": True,
            "p_value": float(min(1.0, len(tests) * best["p_value"])),
            "statistic": {
                k: best[k] for k in ("boundary", "at_or_above", "expected_at_or_above", "n_window", "n_tests")
            },
            "comparison_group": group,
            "boundaries": tests,
        }
    return out
