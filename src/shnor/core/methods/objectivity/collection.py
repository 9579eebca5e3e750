"""The year's tests gathered: the procedures submitted to worker processes (``start``), taken in as
they come (``collect``) with the school-level tests made meanwhile, and the whole (``evaluate``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import polars as pl

from shnor.core import workers as workers_mod
from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.fdr import empirical_null
from shnor.core.methods.objectivity.participation import participation
from shnor.core.methods.objectivity.pooled import (
    PooledBunching,
    bunching_pooled,
    earlier_null_pmfs,
    earlier_units,
)
from shnor.core.methods.objectivity.pooled_marks import journal_corr_pooled, lenient_pooled
from shnor.core.methods.objectivity.procedure import _unit_tests_packed
from shnor.core.methods.objectivity.records import _COLS, _Records, _Tests
from shnor.core.methods.objectivity.signs.base import not_tested
from shnor.core.methods.objectivity.standing import fluctuation_pooled, vpr_vs_gia
from shnor.core.methods.objectivity.units import _units

#: A year with at least this many present pupils is examined with a process per procedure, up to
#: ``SHNOR_WORKERS`` (default: the machine's cores) at once; the results are the same either way.
PARALLEL_MIN_PUPILS = 2_000_000


def workers_for(inputs: Inputs, n_units: int | None = None) -> int:
    """Worker processes worth starting for ``inputs.year``: one unless the year is large (or
    ``SHNOR_WORKERS`` asks for more), never more than there are procedures."""
    want = workers_mod.wanted()
    if want <= 1 or (n_units is not None and n_units <= 1):
        return 1
    if os.environ.get("SHNOR_WORKERS") is None:
        pupils = (
            inputs.results.filter((pl.col("year") == inputs.year) & ~pl.col("absent").fill_null(False))
            .select(pl.len())
            .collect()
            .item()
        )
        if pupils < PARALLEL_MIN_PUPILS:
            return 1
    return want if n_units is None else min(want, n_units)


class Started:
    """The per-procedure tests of a year, submitted to workers: their results, in order, and once
    ``collect`` has taken them in, what was collected."""

    def __init__(
        self,
        results: Iterator[tuple[Any, ...]],
        earlier: Iterator[Any],
        pooled: dict[str, workers_mod.Job],
    ) -> None:
        self.results = results
        self.earlier = earlier  # the earlier pooled years' bunching null distributions (or None each)
        self.pooled = pooled  # the pooled signs that need no procedure (``_pooled_apart``), by sign
        self.collected: _Collected | None = None


def _pooled_apart(config: Mapping[str, Any]) -> dict[str, Callable[[Inputs, Mapping[str, Any]], Any]]:
    """The pooled signs made by a worker of their own beside the procedures (they need none of them),
    in the order they join the school-level tests: the journal's and lenient checking's, when on."""
    cfg_s = config["signs"]
    lenient = cfg_s.get("lenient_checking", {})
    out: dict[str, Callable[[Inputs, Mapping[str, Any]], Any]] = {}
    if cfg_s["journal_corr"]["enabled"] and cfg_s["journal_corr"].get("pool", False):
        out["journal_corr"] = journal_corr_pooled
    if lenient.get("enabled", False) and lenient.get("pool", False):
        out["lenient_checking"] = lenient_pooled
    return out


class _Collected:
    """Every procedure's tests taken in (``collect``): the record columns and buffers, the region's
    bunching rows, pooled bunching's sums, the schools with results and with ВПР, and the
    school-level tests that need no procedure (pooled fluctuation, ВПР vs ГИА)."""

    def __init__(self) -> None:
        self.cols: list[list[Any]] = [
            [] for _ in range(_COLS + 1)
        ]  # (+ each record's blob: its procedure's number)
        self.blobs: list[bytes | np.ndarray] = []
        self.region_rows: list[dict[str, Any]] = []
        self.pooled_bunching = PooledBunching()
        self.with_results: dict[str, None] = {}  # the schools with results, and those with ВПР, in order
        self.with_vpr: dict[str, None] = {}
        self.gia: dict[str, dict[str, Any]] | None = None
        self.fluct: dict[str, dict[str, Any]] | None = None
        self.pooled: dict[str, dict[str, dict[str, Any]]] = {}  # ``_pooled_apart``'s signs, made


def start(inputs: Inputs, config: Mapping[str, Any], workers: workers_mod.Workers) -> Started:
    """Submit every procedure's tests to ``workers`` (in order), then the pooled signs that need no
    procedure (``_pooled_apart``: in the serial combination they held up the storing of the
    evidence; behind the procedures they fill the workers' tail); ``run(..., started=)`` collects
    them, so the caller can queue other work behind them first."""
    cfg = dict(config)
    return Started(
        workers.map(_unit_tests_packed, [(inputs, cfg, key) for key in _units(inputs, config)]),
        workers.map(
            earlier_null_pmfs, [(inputs, cfg, year, key) for year, key in earlier_units(inputs, config)]
        ),
        {sign: workers.submit(fn, inputs, cfg) for sign, fn in _pooled_apart(config).items()},
    )


def collect(inputs: Inputs, config: Mapping[str, Any], started: Started) -> None:
    """Take in every procedure's tests as the workers hand them over (the school-level tests that
    need none are made first, while the workers work); ``run(..., started=)`` goes on from there.
    Called by itself, it lets the caller close its workers before the signs are combined (their
    memory is then the run's no more)."""
    if started.collected is not None:
        return
    c = _Collected()
    cfg_s = config["signs"]
    c.gia = vpr_vs_gia(inputs, config) if cfg_s.get("vpr_vs_gia", {}).get("enabled", False) else None
    c.fluct = (
        fluctuation_pooled(inputs, config)
        if cfg_s["fluctuation"]["enabled"] and cfg_s["fluctuation"].get("pool", False)
        else None
    )
    for (unit_cols, blob, schools), rows, pmfs in started.results:
        c.with_results.update(dict.fromkeys(schools))
        if unit_cols[3] and unit_cols[3][0] == "vpr":  # (a procedure's records are all of one procedure)
            c.with_vpr.update(dict.fromkeys(schools))
        for all_, part in zip(c.cols[:_COLS], unit_cols, strict=True):
            all_ += part
        c.cols[_COLS] += [len(c.blobs)] * len(unit_cols[0])
        c.blobs.append(blob)
        c.region_rows += rows
        if pmfs is not None:
            c.pooled_bunching.add(pmfs)
    for earlier in started.earlier:  # (after this year's: the order the sums are made in)
        if earlier is not None:
            c.pooled_bunching.add(earlier)
    c.pooled = {sign: job.result() for sign, job in started.pooled.items()}
    started.collected = c


def evaluate(
    inputs: Inputs, config: Mapping[str, Any], started: Started | None = None
) -> tuple[_Tests, list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """All tests (``_Tests``: the records of every school), the region-level bunching rows and the
    pooled (school-level, over tests and years) records {school_id: {sign: record}} that replace the
    combination of a sign's per-test p-values. ``started``: the procedures' tests already submitted
    to workers (``start``), collected or not; else they are made here."""
    if started is None:
        keys = _units(inputs, config)
        with workers_mod.Workers(workers_for(inputs, len(keys))) as workers:
            return evaluate(inputs, config, start(inputs, config, workers))
    collect(inputs, config, started)
    c = started.collected
    assert c is not None
    started.collected = None  # (held here from now on, and freed with the tests)
    cols, blobs, region_rows, pooled_bunching = c.cols, c.blobs, c.region_rows, c.pooled_bunching
    with_results, with_vpr, gia, fluct, apart = c.with_results, c.with_vpr, c.gia, c.fluct, c.pooled
    del c
    pooled: dict[str, dict[str, dict[str, Any]]] = {}
    cfg_s = config["signs"]
    pool_bunching = cfg_s["bunching"]["enabled"] and cfg_s["bunching"].get("pool", False)
    school_level: dict[str, dict[str, dict[str, Any]]] = {}
    if pool_bunching:
        school_level["bunching"] = bunching_pooled(inputs, config, pooled_bunching)
    if fluct is not None:
        school_level["fluctuation"] = fluct
    if cfg_s.get("participation", {}).get("enabled", False):
        school_level["participation"] = participation(inputs, config, fluct)
    school_level.update(apart)  # (the journal's and lenient checking's, made beside the procedures)
    for sign, res in school_level.items():
        if cfg_s[sign].get("pooled_empirical_null", False):
            calib = empirical_null(res, int(config["empirical_null_min_schools"]))
            for r in res.values():
                if calib is not None and r.get("tested"):
                    r["empirical_null"] = calib
        for sid, rec in res.items():
            if sid in with_results:
                pooled.setdefault(sid, {})[sign] = {**rec, "sign": sign, "id": f"{sign}:pooled"}
    gia_cfg = cfg_s.get("vpr_vs_gia", {})
    if gia is not None:
        res = gia
        records = _Records()
        calib = (
            empirical_null(res, int(config["empirical_null_min_schools"]))
            if gia_cfg.get("empirical_null")
            else None
        )
        for sid in with_vpr:
            rec = dict(
                res.get(sid)
                or not_tested(
                    "нет результатов ВПР и ГИА (ОГЭ/ЕГЭ) школы "
                    f"(≥ {gia_cfg['min_pupils']} участников) или мало таких ОО"
                )
            )
            rec.update(sign="vpr_vs_gia", procedure="vpr", subject=None, grade=None, id="vpr_vs_gia")
            if calib is not None and rec.get("tested"):
                rec["empirical_null"] = calib
            records.add(sid, rec)
        for all_, part in zip(cols[:_COLS], records.cols, strict=True):
            all_ += part
        cols[_COLS] += [len(blobs)] * len(records.cols[0])
        blobs.append(bytes(records.buffer))
    return _Tests(cols, blobs), region_rows, pooled
