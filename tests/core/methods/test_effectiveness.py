"""Effectiveness of support: recovery of a planted effect, zero effect, RTM, exits, matching."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods import effectiveness
from shnor.core.methods.base import Inputs

CFG = default_config()["effectiveness"]
START = 2023


@pytest.fixture(scope="module")
def region():
    from shnor.core.demo import DemoConfig, generate

    return generate(DemoConfig(seed=5, years=(2021, 2022, 2023, 2024), gia=False, subjects=("ma",)))


@pytest.fixture(scope="module")
def outcomes(region):
    return effectiveness.school_outcomes(region.results, region.scales, min_pupils=CFG["min_pupils"])


def pick_supported(outcomes: pl.DataFrame, seed: int, bottom: float = 0.3) -> list[str]:
    """Selection on low results: a random half of the bottom 30 % of the last pre year."""
    sel = outcomes.filter(pl.col("year") == START - 1).sort("outcome", "school_id")
    low = sel.head(int(bottom * sel.height))["school_id"].to_list()
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(low, size=len(low) // 2, replace=False).tolist())


def plant_in_results(
    results: pl.DataFrame, supported: list[str], delta: float, seed: int = 0
) -> pl.DataFrame:
    """Add ``delta`` pupil SD to the primary scores of supported schools from START on.

    The increment per pupil is floor(delta·SD) plus one point with probability frac(delta·SD),
    SD = the unit's score SD, so the mean shift is exactly delta·SD in expectation.
    """
    unit = ["procedure", "year", "subject", "grade"]
    sd = (
        results.filter(~pl.col("absent"))
        .group_by(unit)
        .agg(pl.col("primary_score").cast(pl.Float64).std().alias("_sd"))
    )
    r = results.join(sd, on=unit, how="left")
    rng = np.random.default_rng(seed)
    target = (delta * r["_sd"].fill_null(0)).to_numpy()
    inc = np.floor(target) + (rng.uniform(size=r.height) < target - np.floor(target))
    treat = (
        r["school_id"].is_in(supported)
        & (r["year"].cast(pl.Int32) >= START)
        & r["primary_score"].is_not_null()
    ).to_numpy()
    new = r["primary_score"].cast(pl.Float64).to_numpy() + np.where(treat, inc, 0.0)
    return r.with_columns(pl.Series("primary_score", new).fill_nan(None).cast(pl.Int16)).drop("_sd")


def _inputs(region, results):
    return Inputs(
        year=2024,
        results=results.lazy(),
        scales=region.scales,
        schools=region.schools,
        context=region.context,
    )


def test_planted_effect_recovered_from_results(region, outcomes):
    sup = pick_supported(outcomes, seed=1)
    res = effectiveness.estimate(
        _inputs(region, plant_in_results(region.results, sup, 0.3)), CFG, supported=sup, start_year=START
    )
    lo, hi = res.interval
    assert lo < 0.3 < hi
    assert lo > 0  # clearly detected
    assert res.estimate == pytest.approx(0.3, abs=0.08)
    assert res.summary["n_matched"] >= 0.9 * len(sup)
    assert res.by_year.height == 2
    assert all(r["lower"] < 0.3 < r["upper"] for r in res.by_year.iter_rows(named=True))
    # output frame
    out = res.schools
    assert out.columns == list(effectiveness.OUTPUT_SCHEMA)
    assert set(out.filter(pl.col("role") != effectiveness.CONTROL)["school_id"]) == set(sup)
    w = out.filter(pl.col("role") == effectiveness.CONTROL)["weight"].sum()
    assert w == pytest.approx(1.0)
    assert any("разность разностей" in c for c in res.conclusions)
    assert any("выросли заметнее" in c for c in res.conclusions)
    json.dumps(res.summary)  # JSON-ready
    ev = json.loads(out.filter(pl.col("role") == effectiveness.SUPPORTED)["evidence"][0])
    assert len(ev["controls"]) >= 1
    assert "2022" in ev["outcomes"]


def test_zero_effect_interval_covers_zero(region, outcomes):
    sup = pick_supported(outcomes, seed=2)
    res = effectiveness.estimate(_inputs(region, region.results), CFG, supported=sup, start_year=START)
    lo, hi = res.interval
    assert lo < 0 < hi
    assert any("не позволяют утверждать" in c for c in res.conclusions)
    # regression to the mean is estimated and stated
    rtm = res.summary["regression_to_mean"]
    assert rtm["n_near_cut"] >= 5
    assert rtm["near_cut_change"] is not None
    assert any("возврат к среднему" in c for c in res.conclusions)
    # the supported schools' raw change is about the near-cut unsupported schools' change
    assert abs(rtm["supported_raw_change"] - rtm["near_cut_change"]) < 0.1


@pytest.mark.parametrize("delta", [0.0, 0.25])
def test_coverage_over_random_cohorts(outcomes, delta):
    """Planted at the outcome level over 30 random cohorts: the interval covers the truth."""
    covered, estimates = 0, []
    for seed in range(30):
        sup = pick_supported(outcomes, seed=100 + seed)
        o = outcomes.with_columns(
            pl.when(pl.col("school_id").is_in(sup) & (pl.col("year") >= START))
            .then(pl.col("outcome") + delta)
            .otherwise(pl.col("outcome"))
            .alias("outcome")
        )
        res = effectiveness.evaluate(o, sup, START, CFG)
        lo, hi = res.interval
        covered += lo <= delta <= hi
        estimates.append(res.estimate)
    assert covered >= 25  # nominal 95 %: >= 83 % of 30 overlapping cohorts
    assert np.mean(estimates) == pytest.approx(delta, abs=0.03)


def test_strong_regression_to_the_mean_is_not_called_an_effect():
    """Pure noise around stable school levels, selection on the noisy last pre year: no effect."""
    rng = np.random.default_rng(7)
    n = 400
    level = rng.normal(0, 0.4, n)
    rows = [
        {"school_id": f"s{i:03d}", "year": y, "outcome": level[i] + rng.normal(0, 0.25), "n_pupils": 50}
        for i in range(n)
        for y in (2021, 2022, 2023, 2024)
    ]
    o = pl.DataFrame(rows).with_columns(pl.col("year").cast(pl.Int32))
    last = o.filter(pl.col("year") == 2022).sort("outcome")
    low = last.head(80)["school_id"].to_list()
    sup = low[::2]
    res = effectiveness.evaluate(o, sup, START, CFG)
    rtm = res.summary["regression_to_mean"]
    assert rtm["supported_raw_change"] > 0.1  # big spontaneous recovery
    assert rtm["near_cut_change"] > 0.1  # ... seen in the unsupported low schools too
    lo, hi = res.interval
    assert lo < 0 < hi  # not mistaken for an effect


def test_unmatched_and_no_data_reported(outcomes):
    sup = pick_supported(outcomes, seed=3)
    extreme = sup[0]
    o = outcomes.with_columns(
        pl.when((pl.col("school_id") == extreme) & (pl.col("year") < START))
        .then(pl.lit(-6.0))
        .otherwise(pl.col("outcome"))
        .alias("outcome")
    )
    res = effectiveness.evaluate(o, [*sup, "nonexistent"], START, CFG)
    assert res.summary["unmatched"] == [extreme]
    assert res.summary["no_data"] == ["nonexistent"]
    row = res.schools.filter(pl.col("school_id") == extreme)
    assert row["role"][0] == effectiveness.UNMATCHED
    assert "калипера" in json.loads(row["evidence"][0])["reason"]
    assert any("Не вошли в сравнение" in c for c in res.conclusions)


def test_propensity_and_bootstrap(outcomes):
    sup = pick_supported(outcomes, seed=4)
    o = outcomes.with_columns(
        pl.when(pl.col("school_id").is_in(sup) & (pl.col("year") >= START))
        .then(pl.col("outcome") + 0.2)
        .otherwise(pl.col("outcome"))
        .alias("outcome")
    )
    cfg = {
        **CFG,
        "matching": {**CFG["matching"], "method": "propensity", "caliper": 0.2},
        "inference": {**CFG["inference"], "method": "bootstrap", "bootstrap_samples": 199},
    }
    res = effectiveness.evaluate(o, sup, START, cfg)
    lo, hi = res.interval
    assert lo < 0.2 < hi
    assert res.summary["bootstrap_samples"] >= 190
    again = effectiveness.evaluate(o, sup, START, cfg)
    assert again.summary == res.summary  # deterministic (seeded bootstrap)


def test_list_exits_and_conclusion(outcomes):
    sup = pick_supported(outcomes, seed=5)[:4]
    others = ["x1", "x2"]
    hist = pl.DataFrame(
        {
            "year": [2022] * 6 + [2023] * 6 + [2024] * 6,
            "school_id": (sup + others) * 3,
            "in_list": [True] * 6
            + [False, True, True, True, False, True]
            + [False, False, True, True, False, True],
        }
    )
    ex = effectiveness.list_exits(hist, sup, START)
    by = {r["school_id"]: r for r in ex.iter_rows(named=True)}
    assert by[sup[0]]["exit_year"] == 2023
    assert by[sup[1]]["exit_year"] == 2024
    assert by[sup[2]]["list_status"] == "остаётся в списке"
    res = effectiveness.evaluate(outcomes, sup, START, CFG, history=hist)
    assert res.summary["exits"]["exited"] == 2
    assert res.summary["exits"]["unsupported_exited"] == 1
    assert any("вышли из списка 2" in c for c in res.conclusions)
    assert effectiveness.list_exits(None, sup, START)["list_status"][0] == "нет данных о списке"


def test_did_estimate_by_hand():
    # two supported, three controls; exact matches (no adjustment needed)
    yt = np.array([1.0, 2.0])
    yc = np.array([0.5, 1.0, 9.0])
    m = effectiveness.Matches([np.array([0]), np.array([1])], [np.zeros(1), np.zeros(1)], [], {}, "")
    est = effectiveness.did_estimate(yt, yc, m, np.zeros((2, 0)), np.zeros((3, 0)), bias_adjustment=False)
    assert est.estimate == pytest.approx(0.75)  # (0.5 + 1.0) / 2
    assert est.control_weights.tolist() == [0.5, 0.5, 0.0]
