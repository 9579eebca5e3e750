"""The country-scale optimisations of ``objectivity`` and ``fioko`` change no result.

The Parquet files in ``data_objectivity/`` were written by the implementation before the
optimisation (per-school loops over the region's vector support in ``similarity``, evidence built
as dicts, per-school ``rankdata`` in FIOKO's journal marker) on demo region seed 3; the optimised
code must reproduce flags, signs, q-values (to 1e-9) and every evidence field.

``obj_3.parquet`` was rewritten once since (2026-11-23), for one correction only: a journal test
with nothing raised (x = 0) has p = 1 exactly. Its sum of binomial pmfs had been 1 ± an ulp, which
machines round apart; records at 1 − 1e-15 counted as informative in the journal's empirical null,
so its n_schools, scale and the calibrated journal p-values moved. Every other field of the new
file agreed with the old one to 1e-9, and flags, signs and strongest signs were unchanged.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.evidence.objectivity import records_of
from shnor.core.evidence.objectivity_format import compact
from shnor.core.methods import fioko, objectivity
from shnor.core.methods import objectivity_signs as signs_mod
from shnor.core.methods.objectivity.signs.base import _rl, _rl_whole
from shnor_bench.robustness.evaluate import previous_config
from tests.core.methods.objectivity_oracle import similarity_reference
from tests.core.methods.test_objectivity import _demo, _demo_inputs

DATA = Path(__file__).parent / "data_objectivity"
REL = 1e-9


def _rounded_again(path: str) -> float:
    """How far a chart value may move: bunching's expected histogram is kept to a tenth now (the
    snapshot's to a hundredth), the task profiles in whole percent (a tenth); rounded again
    (``_old_in_format_2``), a value at the finer digit's half can land one unit of the coarser apart."""
    if ".chart.expected[" in path:
        return 0.1 + 1e-9
    if ".task_success.school[" in path or ".task_success.expected_same_total[" in path:
        return 1 + 1e-9
    return 1e-300


def _same(a, b, path="", rel=REL) -> None:
    tol = _rounded_again(path)
    if isinstance(a, float) or isinstance(b, float) or (tol > 1e-300 and a is not None and b is not None):
        assert a is not None, path
        assert b is not None, path
        assert math.isclose(a, b, rel_tol=rel, abs_tol=tol), (path, a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict), path
        assert a.keys() == b.keys(), (path, sorted(a), sorted(b))
        for k in a:
            _same(a[k], b[k], f"{path}.{k}", rel)
    elif isinstance(a, list):
        assert isinstance(b, list), path
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]", rel)
    else:
        assert a == b, (path, a, b)


def _snapshot_shape(ev: dict) -> dict:
    """The evidence as the snapshot wrote it: the records with every key (format 2 leaves out what
    their ids say), the school's threshold on each of its tested records, and a chart two signs share
    (``chart_of``) copied back into the record that points to it."""
    ev = {**ev, "signs": records_of(ev)}
    ev.pop("format", None)
    threshold = ev.pop("threshold", None)
    by_id = {r["id"]: r for r in ev["signs"]}
    signs = []
    for rec in ev["signs"]:
        rec = dict(rec)
        if "chart_of" in rec:
            rec["chart"] = by_id[rec.pop("chart_of")]["chart"]
        if rec.get("tested") and threshold is not None:
            rec["threshold"] = threshold
        signs.append(rec)
    ev["signs"] = signs
    return ev


def _old_in_format_2(ev: dict) -> dict:
    """The snapshot's evidence (format 1) as format 2 stores it — p-values to 3 digits, empty fields
    left out — with its records back in full, and without the region's bunching rows (no longer in
    each school's evidence)."""
    ev = compact(ev)
    ev.pop("region_bunching", None)
    ev["signs"] = [_charts_as_kept_now(r) for r in records_of(ev)]
    del ev["format"]
    return ev


def _charts_as_kept_now(rec: dict) -> dict:
    """A record with its charts as the method keeps them now: a bunching chart's expected histogram to a
    tenth, a task-success chart's school and expected profiles in whole percent."""
    chart = rec.get("chart")
    if not isinstance(chart, dict):
        return rec
    if rec.get("id", "").startswith("bunching:") and isinstance(chart.get("expected"), list):
        return {**rec, "chart": {**chart, "expected": _rl(_numbers(chart["expected"]), 1)}}
    ts = chart.get("task_success")
    if isinstance(ts, dict):
        kept = {
            k: _rl_whole(_numbers(v)) if k in ("school", "expected_same_total") else v for k, v in ts.items()
        }
        return {**rec, "chart": {**chart, "task_success": kept}}
    return rec


def _numbers(values: list) -> np.ndarray:
    return np.array([float("nan") if v is None else v for v in values], float)


@pytest.fixture(scope="module")
def demo3():
    _, fr = _demo(3)
    return _demo_inputs(fr)


def snapshot_settings() -> dict:
    """The detector's settings when the snapshot was written (version 2025.1, before issue 31's
    calibration): the equivalence is of the code, so the settings are those of then."""
    return previous_config()["objectivity"]


def test_objectivity_matches_snapshot(demo3):
    new = objectivity.run(demo3, snapshot_settings()).sort("school_id")
    old = pl.read_parquet(DATA / "obj_3.parquet").sort("school_id")
    assert new.columns == old.columns
    assert new.height == old.height
    for col in ("school_id", "flagged", "n_signs", "signs", "strongest_sign"):
        assert new[col].to_list() == old[col].to_list(), col
    for a, b, ea, eb in zip(new["q_value"], old["q_value"], new["evidence"], old["evidence"], strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert math.isclose(a, b, rel_tol=REL)
        _same(_snapshot_shape(json.loads(ea)), _old_in_format_2(json.loads(eb)))


def test_similarity_matches_per_school_reference(demo3):
    cfg = default_config()["objectivity"]
    for p, s, g in objectivity._units(demo3, cfg):
        unit = objectivity.build_unit(demo3, p, 2024, s, g)
        if unit is None:
            continue
        _same(
            signs_mod.similarity(unit, cfg["signs"]["similarity"]),
            similarity_reference(unit, cfg["signs"]["similarity"]),
        )


@pytest.mark.parametrize("formula", ["pdf", "ranks"])
def test_fioko_matches_snapshot(demo3, formula):
    cfg = default_config()["fioko"]
    cfg = {**cfg, "journal_mismatch": {**cfg["journal_mismatch"], "formula": formula}}
    new = fioko.run(demo3, cfg)
    old = pl.read_parquet(DATA / ("fioko_3.parquet" if formula == "pdf" else "fioko_ranks_3.parquet"))
    assert new.columns == old.columns
    assert new.drop("value", "evidence").equals(old.drop("value", "evidence"))
    for a, b in zip(new["value"], old["value"], strict=True):
        assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    for a, b in zip(new["evidence"], old["evidence"], strict=True):
        _same(json.loads(a), json.loads(b))


def test_objectivity_in_worker_processes_is_the_same(demo3, monkeypatch):
    """Large years are examined with a process per procedure: the same frame as in one process."""
    cfg = default_config()["objectivity"]
    monkeypatch.setenv("SHNOR_WORKERS", "1")
    one = objectivity.run(demo3, cfg)
    monkeypatch.setenv("SHNOR_WORKERS", "2")
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert objectivity.workers_for(demo3, 4) == 2
    two = objectivity.run(demo3, cfg)
    # the same up to rounding: the workers' BLAS runs on one thread, and on some CPUs (AMD EPYC
    # without AVX-512 here) a matrix product's last bit depends on the thread count
    assert one.drop("q_value", "evidence").equals(two.drop("q_value", "evidence"))
    for a, b, ea, eb in zip(one["q_value"], two["q_value"], one["evidence"], two["evidence"], strict=True):
        assert (a is None) == (b is None)
        assert a is None or math.isclose(a, b, rel_tol=1e-12)
        _same(json.loads(ea), json.loads(eb), rel=1e-12)
    # the workers' thread limits are set for their start only: the caller's settings come back
    assert os.environ["OMP_NUM_THREADS"] == "7"
    assert "OPENBLAS_NUM_THREADS" not in os.environ
