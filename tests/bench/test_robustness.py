"""The robustness suite (issue 31): its generator plants what it says, and the detector is measured on it.

Slow: one region per check (≈ 5 s of detector each)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from shnor_bench.robustness import planting
from shnor_bench.robustness.evaluate import measure, operating_curve, tables
from shnor_bench.robustness.generator import generate
from shnor_bench.robustness.variants import BEHAVIOURS, VARIANTS

pytestmark = pytest.mark.slow


def test_keep_weak_away_takes_only_the_weakest_third() -> None:
    rng = np.random.default_rng(0)
    theta = rng.normal(size=30)
    school = np.repeat([0, 1], 15)
    away = planting.keep_weak_away(theta, school, np.array([True, False]), np.array([1.0, 1.0]), rng)
    assert away[:15].sum() == 5
    assert not away[15:].any()
    assert theta[:15][away[:15]].max() < theta[:15][~away[:15]].min()


def test_the_region_has_every_behaviour_and_the_sizes_asked() -> None:
    v = VARIANTS["small_graded"]
    r = generate(v, 3)
    groups = set(r.truth["group"].to_list())
    assert set(BEHAVIOURS) <= groups
    assert "strong_lyceum" in groups
    per_test = (
        r.results.filter((pl.col("year") == r.year) & ~pl.col("absent"))
        .group_by("school_id", "subject", "grade")
        .len()["len"]
    )
    assert 0.3 < float((per_test < 10).mean()) < 0.6  # the variant asks for 45 % of schools under 10
    sel = r.truth.filter(pl.col("group") == "selective_participation")["school_id"]
    cur = r.results.filter(pl.col("year") == r.year)
    share = cur.group_by(pl.col("school_id").is_in(sel.to_list()).alias("sel")).agg(pl.col("absent").mean())
    shares = dict(share.iter_rows())
    assert shares[True] > shares[False] + 0.1  # weak pupils kept away


def test_the_detector_on_a_city_region_and_its_nothing_planted_twin() -> None:
    """The default settings on ``city_strong_lyceums`` (seed 1) and a region of it with nothing planted:
    what the suite measures there (docs/objectivity.md §5) holds — strong recall ≥ 0.9, no lyceum,
    honest schools flagged at most 2 % in either region."""
    rows = measure([VARIANTS["city_strong_lyceums"]], (1,), honest_seed=100)
    t = tables(rows)
    summary = {r["variant"]: r for r in t["summary"].iter_rows(named=True)}
    mixed, honest = summary["city_strong_lyceums"], summary["city_strong_lyceums:honest"]
    assert mixed["detector_strong"] >= 0.9
    assert mixed["detector_lyceums"] == 0
    assert honest["detector_lyceums"] == 0
    assert mixed["detector_honest_fp"] <= 0.02
    assert honest["detector_honest_fp"] <= 0.02
    beh = t["behaviour"].filter((pl.col("group") == "answer_copying") & (pl.col("level") == "strong"))
    assert beh["detector_rate"].item() >= 0.75
    curve = operating_curve(rows)
    assert curve["recall_all"].is_sorted()
    assert curve["honest_fp"].is_sorted()
