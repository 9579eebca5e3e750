"""The extended objectivity detector: planted behaviours found, strong honest schools spared, FDR on null data."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods import objectivity
from shnor.core.methods.objectivity_signs import reliability
from tests.core.methods.conftest_objectivity import (
    ALTAI_MA4,
    altai_results,
    inputs_for,
    simulate_school,
    synthetic_region,
)

PLANTED = {"sch22001": "bunching", "sch22002": "copying", "sch22003": "hard_leak", "sch22004": "honest"}
MUS = {"sch22001": -0.9, "sch22004": 2.6}  # sch22004: a strong honest school (lyceum)


@pytest.fixture(scope="module")
def cfg() -> dict:
    return default_config()["objectivity"]


@pytest.fixture(scope="module")
def planted_run(cfg):
    rng = np.random.default_rng(21)
    res, truth = synthetic_region(21, 150)
    extra = [
        simulate_school(rng, "sch29001", 90, -0.9, behaviour="bunching", strength=1.0),
        simulate_school(rng, "sch29002", 45, 0.3, behaviour="copying", strength=0.5),
        simulate_school(rng, "sch29003", 45, 0.3, behaviour="hard_leak", strength=0.6),
        simulate_school(rng, "sch29004", 80, 2.6),  # strong honest school
        simulate_school(rng, "sch29005", 12, 0.0),  # too small for histograms
    ]
    res = pl.concat([res, *extra])
    return res, objectivity.run(inputs_for(res, 2021), cfg)


def _row(out: pl.DataFrame, sid: str) -> dict:
    return out.filter(pl.col("school_id") == sid).row(0, named=True)


def test_output_columns_one_row_per_school(planted_run):
    res, out = planted_run
    assert out.columns == ["school_id", "flagged", "n_signs", "signs", "strongest_sign", "q_value", "evidence"]
    assert out.height == res.filter(~pl.col("absent"))["school_id"].n_unique()
    assert out["school_id"].is_unique().all()


def test_flags_planted_schools_and_spares_strong_one(planted_run):
    _, out = planted_run
    bunch = _row(out, "sch29001")
    assert bunch["flagged"]
    assert "bunching:vpr:ma:4" in bunch["signs"]
    copy = _row(out, "sch29002")
    assert copy["flagged"]
    assert "similarity:vpr:ma:4" in copy["signs"]
    leak = _row(out, "sch29003")
    assert leak["flagged"]
    assert "task_pattern:vpr:ma:4" in leak["signs"]
    strong = _row(out, "sch29004")
    assert not strong["flagged"]
    assert strong["q_value"] > 0.05
    # honest ordinary schools: at most a stray false discovery
    honest_flags = out.filter(pl.col("school_id").str.starts_with("sch22") & pl.col("flagged")).height
    assert honest_flags <= 2


def test_evidence_has_statistic_group_threshold_and_charts(planted_run):
    _, out = planted_run
    ev = json.loads(_row(out, "sch29001")["evidence"])
    assert ev["combine"] == "bonferroni"
    assert ev["q_value"] <= 0.05
    signs = {s["sign"]: s for s in ev["signs"]}
    b = signs["bunching"]
    assert b["tested"]
    assert b["p_value"] < 1e-4
    assert b["comparison_group"]
    assert b["threshold"]["q"] == 0.05
    assert len(b["chart"]["histogram"]) == 21
    assert len(b["chart"]["expected"]) == 21
    assert len(signs["task_pattern"]["chart"]["task_success"]["school"]) == 15
    table = signs["journal"]["chart"]["journal_vs_vpr"]["school"]
    assert np.array(table).shape == (4, 4)
    assert signs["fluctuation"]["tested"] is False  # one year only
    assert ev["region_bunching"]
    assert ev["region_bunching"][0]["boundary"] == "min_3"


def test_small_school_not_tested_and_says_so(planted_run):
    _, out = planted_run
    ev = json.loads(_row(out, "sch29005")["evidence"])
    b = next(s for s in ev["signs"] if s["sign"] == "bunching")
    assert b["tested"] is False
    assert "< 20" in b["reason"]
    assert reliability(12) == "limited"
    assert reliability(30) == "rough"
    assert reliability(50) == "informative"


def test_deterministic(cfg, planted_run):
    res, out = planted_run
    again = objectivity.run(inputs_for(res, 2021), cfg)
    assert again.equals(out)


@pytest.mark.parametrize("seed", [101, 102, 103])
def test_fdr_controlled_on_honest_region(cfg, seed):
    res, _ = synthetic_region(seed, 200, size=(15, 90))
    out = objectivity.run(inputs_for(res, 2021), cfg)
    share = out["flagged"].mean()
    # all null: BH at q keeps P(any flag) ≤ q, so the flagged share is tiny
    assert share <= cfg["q"]
    assert out["flagged"].sum() <= 2


def test_fdr_controlled_without_empirical_null(cfg):
    """The theoretical nulls alone are honest on data that follow them."""
    raw = json.loads(json.dumps(cfg))
    for sign in raw["signs"].values():
        sign["empirical_null"] = False
    res, _ = synthetic_region(104, 200, size=(15, 90))
    out = objectivity.run(inputs_for(res, 2021), raw)
    assert out["flagged"].sum() <= 2


def test_fluctuation_flags_a_sudden_gain(cfg):
    rng = np.random.default_rng(7)
    frames = []
    for k in range(60):
        sid = f"sch23{k:04d}"
        mu = float(rng.normal(0.3, 0.45))
        for year in (2019, 2020, 2021):
            bump = 2.5 if (sid == "sch230000" and year == 2021) else 0.0
            frames.append(simulate_school(rng, sid, 40, mu + bump, year=year))
    res = pl.concat(frames)
    out = objectivity.run(inputs_for(res, 2021), cfg)
    row = _row(out, "sch230000")
    assert row["flagged"]
    assert "fluctuation:vpr:ma:4" in row["signs"]
    ev = json.loads(row["evidence"])
    fl = next(s for s in ev["signs"] if s["sign"] == "fluctuation")
    assert fl["statistic"]["z_gain"] > 3


def test_combine_methods():
    ps = [0.01, 0.5, 0.9]
    assert objectivity.combine(ps, "bonferroni") == pytest.approx(0.03)
    for m in ("cauchy", "fisher", "stouffer"):
        assert 0 < objectivity.combine(ps, m) <= 1
    with pytest.raises(ValueError, match="неизвестный"):
        objectivity.combine(ps, "nope")


def test_no_django_no_io():
    import inspect

    from shnor.core.methods import objectivity_signs

    for mod in (objectivity, objectivity_signs):
        src = inspect.getsource(mod)
        assert "import django" not in src
        assert "from django" not in src
        assert "open(" not in src


# ------------------------------------------------------------------------------------------------
# real data: Altai 2021 maths grade 4


@pytest.fixture(scope="module")
def altai():
    if not ALTAI_MA4.exists():
        pytest.skip("real Altai file not available")
    return altai_results()


def test_altai_region_bunching_at_the_3_boundary(cfg, altai):
    inp = inputs_for(altai, 2021)
    rb = objectivity.region_bunching(inp, cfg)
    row = rb.filter(pl.col("boundary") == "min_3").row(0, named=True)
    hist = row["histogram"]
    assert hist[5] == 302
    assert hist[6] in (1069, 1070)
    assert row["excess_ratio"] > 1.25
    assert row["p_value"] < 1e-20
    out = objectivity.run(inp, cfg)
    ev = json.loads(out["evidence"][0])
    rb_ev = next(r for r in ev["region_bunching"] if r["boundary"] == "min_3")
    assert rb_ev["excess_ratio"] == pytest.approx(row["excess_ratio"])
    # a handful of schools, not a tenth of the region, are flagged
    assert 0 < out["flagged"].sum() < 0.05 * out.height
