"""The pooled ``fluctuation`` sign (version 2026.2, ``pooled_model = "drift"``): its variance model, its
calibration on honest schools of every size and its power on a planted one-year gain."""

from __future__ import annotations

import copy

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.standing import fit_change_variance, fluctuation_pooled

YEARS = (2022, 2023, 2024)


def _region(seed: int, n_schools: int = 300, gain: dict[int, float] | None = None) -> Inputs:
    """Schools of 3–60 pupils a grade; each grade-year's level drifts honestly by N(0, 0.12²); the
    same pupils sit both subjects (their scores share the pupil's ability); ``gain``: school → shift
    of its pupils in the last year (pupil SDs)."""
    rng = np.random.default_rng(seed)
    gain = gain or {}
    size = rng.integers(3, 61, n_schools)
    level = rng.normal(0.0, 0.35, n_schools)
    frames = []
    for year in YEARS:
        for grade in (4, 5):
            n = np.maximum(2, np.round(size * np.exp(rng.normal(0, 0.12, n_schools)))).astype(int)
            school = np.repeat(np.arange(n_schools), n)
            drift = rng.normal(0.0, 0.12, n_schools)
            theta = (level + drift)[school] + rng.normal(0.0, 0.85, school.size)
            if year == YEARS[-1]:
                theta += np.array([gain.get(s, 0.0) for s in range(n_schools)])[school]
            for subject in ("ma", "ru"):
                p = 1.0 / (1.0 + np.exp(-(theta + rng.normal(0.0, 0.35, theta.size))))
                frames.append(
                    pl.DataFrame(
                        {
                            "procedure": "vpr",
                            "year": year,
                            "subject": subject,
                            "grade": grade,
                            "school_id": [f"s{s:03d}" for s in school],
                            "absent": False,
                            "primary_score": rng.binomial(20, p),
                        },
                        schema_overrides={"year": pl.Int16, "grade": pl.Int8, "primary_score": pl.Int16},
                    )
                )
    return Inputs(year=YEARS[-1], results=pl.concat(frames).lazy())


def _cfg(model: str) -> dict:
    cfg = copy.deepcopy(default_config()["objectivity"])
    cfg["signs"]["fluctuation"]["pooled_model"] = model
    return cfg


def test_default_is_the_drift_model_of_version_2026_2() -> None:
    cfg = default_config()["objectivity"]
    assert cfg["version"] == "2026.4"  # 2026.2 the drift model, 2026.3 weights, 2026.4 level lines
    assert cfg["signs"]["fluctuation"]["pooled_model"] == "drift"


def test_variance_model_recovers_drift_and_sampling_factor() -> None:
    rng = np.random.default_rng(3)
    nominal = rng.uniform(0.005, 0.2, 2000)
    change = rng.normal(0.0, np.sqrt(0.03 + 1.6 * nominal))
    change[:60] += 1.5  # a few schools that changed for another reason do not move the fit
    a, c = fit_change_variance(change, nominal, 20)
    assert a == pytest.approx(0.03, abs=0.012)
    assert c == pytest.approx(1.6, abs=0.25)


def test_variance_model_never_shrinks_the_sampling_variance() -> None:
    rng = np.random.default_rng(4)
    nominal = rng.uniform(0.01, 0.1, 500)
    change = rng.normal(0.0, np.sqrt(0.5 * nominal))  # narrower than the nominal variance says
    a, c = fit_change_variance(change, nominal, 20)
    assert c >= 1.0
    assert a >= 0.0
    assert fit_change_variance(change[:10], nominal[:10], 20) == (0.0, 1.0)


@pytest.mark.parametrize("seed", [11, 21])
def test_honest_gains_are_standard_normal(seed: int) -> None:
    out = fluctuation_pooled(_region(seed, n_schools=500), _cfg("drift"))
    z = np.array([r["statistic"]["z_gain"] for r in out.values()])
    assert len(z) > 450  # (a grade-year from 5 pupils)
    assert 0.8 < float(np.std(z)) < 1.2
    assert abs(float(np.median(z))) < 0.05  # centred on the region's median change
    assert (np.array([r["p_value"] for r in out.values()]) <= 0.01).mean() <= 0.02


def test_finds_a_one_year_gain_of_a_small_school() -> None:
    inputs = _region(12, gain={0: 0.9, 1: 0.9})
    drift = fluctuation_pooled(inputs, _cfg("drift"))
    mean = fluctuation_pooled(inputs, _cfg("mean"))
    for sid in ("s000", "s001"):
        assert drift[sid]["statistic"]["z_gain"] > 3.0
        assert drift[sid]["p_value"] < 0.005
    # the subjects' shared pupils and the honest drift in the null: the drift model's z is not
    # the mean model's (which takes one between-school variance for every size)
    assert any(drift[s]["statistic"]["z_gain"] != mean[s]["statistic"]["z_gain"] for s in ("s000", "s001"))


def test_evidence_says_the_statistic_the_spread_and_the_comparison_group() -> None:
    inputs = _region(12, gain={0: 0.9})
    rec = fluctuation_pooled(inputs, _cfg("drift"))["s000"]
    st = rec["statistic"]
    assert st["gain_sd"] > 0.4
    assert 0.0 < st["gain_null_sd"] < st["gain_sd"]
    assert st["z_spike_previous_year"] is not None
    assert set(rec["standing_by_year"]) == {"2022", "2023", "2024"}
    assert rec["tests_by_year"]["2024"] == 4  # two subjects × two grades
    assert "ОО региона" in rec["comparison_group"]


def test_the_order_of_the_rows_does_not_matter() -> None:
    inputs = _region(13, n_schools=120)
    shuffled = Inputs(
        year=inputs.year, results=inputs.results.collect().sample(fraction=1.0, shuffle=True, seed=1).lazy()
    )
    assert fluctuation_pooled(inputs, _cfg("drift")) == fluctuation_pooled(shuffled, _cfg("drift"))
