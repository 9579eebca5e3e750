"""Social index: points per criterion, ranking, the ШНСУ list, ШНОР × ШНСУ and resilient schools."""

from __future__ import annotations

import copy
import json

import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods import social_index
from shnor.core.methods.base import Inputs
from shnor.core.store import schema

CFG = default_config()["social_index"]


def context():
    rows = [
        # A: registered 6 % (10), low Russian 20 % (6), remote (10), small (5) = 31
        {
            "school_id": "A",
            "share_registered": 0.06,
            "share_low_russian": 0.20,
            "is_remote": True,
            "is_small": True,
        },
        # B: exactly at the thresholds: registered 3 % (6), parents with higher ed 10 % (10) = 16
        {"school_id": "B", "share_registered": 0.03, "share_parents_higher_ed": 0.10},
        # C: nothing unfavourable = 0; internet deficit false
        {
            "school_id": "C",
            "share_registered": 0.0,
            "share_parents_higher_ed": 0.7,
            "internet_deficit": False,
        },
        # D: same as B = 16 (tie)
        {"school_id": "D", "share_registered": 0.04, "share_parents_higher_ed": 0.05},
        # E: only flags: infrastructure + staff = 10
        {"school_id": "E", "infrastructure_deficit": True, "staff_shortage": True},
    ]
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.lit(2024).alias("year"))
    old = pl.DataFrame({"year": [2022], "school_id": ["C"], "share_registered": [0.5]})
    return schema.conform(pl.concat([frame, old], how="diagonal_relaxed"), schema.CONTEXT)


def test_share_points_thresholds_are_inclusive():
    assert social_index.share_points(0.03, "high_is_bad", [0.01, 0.03, 0.05], [3, 6, 10]) == 6
    assert social_index.share_points(0.0299, "high_is_bad", [0.01, 0.03, 0.05], [3, 6, 10]) == 3
    assert social_index.share_points(0.0, "high_is_bad", [0.01, 0.03, 0.05], [3, 6, 10]) == 0
    assert social_index.share_points(0.10, "low_is_bad", [0.30, 0.20, 0.10], [3, 6, 10]) == 10
    assert social_index.share_points(None, "high_is_bad", [0.01], [3]) is None


def test_index_rank_and_list():
    schools = schema.conform(
        pl.DataFrame({"school_id": ["A", "F"], "is_small": [False, True]}), schema.SCHOOLS
    )
    out = social_index.run(Inputs(year=2024, results=pl.LazyFrame(), schools=schools, context=context()), CFG)
    assert list(out.columns) == ["school_id", "index", "rank", "social_risk", "evidence"]
    got = {r["school_id"]: r for r in out.iter_rows(named=True)}
    assert got["A"]["index"] == 31
    assert got["A"]["rank"] == 1
    assert got["B"]["index"] == got["D"]["index"] == 16
    assert got["B"]["rank"] == got["D"]["rank"] == 2
    assert got["E"]["index"] == 10
    assert got["E"]["rank"] == 4
    assert got["F"]["index"] == 5  # only the registry says it is small
    assert got["C"]["index"] == 0
    assert got["C"]["rank"] == 6
    # top 10 % of 6 schools = the first one
    assert [s for s, r in got.items() if r["social_risk"]] == ["A"]
    ev = json.loads(got["A"]["evidence"])
    assert ev["criteria"]["share_registered"]["points"] == 10
    assert ev["criteria"]["is_small"]["points"] == 5
    assert ev["criteria"]["share_truancy"]["note"] == "нет данных"
    assert "Отдалённость" in ev["criteria"]["is_remote"]["label"]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("min_index", {"A", "B", "D"}),
        ("both", {"A", "B", "D"}),
        ("either", {"A", "B", "D", "E"}),
        ("top_percent", {"A", "B", "D"}),
    ],
)
def test_list_rules(rule, expected):
    cfg = copy.deepcopy(CFG)
    cfg.update(rule=rule, min_index=16, top_percent=50)
    if rule == "both":
        cfg["top_percent"] = 60
    if rule == "either":
        cfg["min_index"] = 10
        cfg["top_percent"] = 10
    out = social_index.compute(context(), schema.empty(schema.SCHOOLS), 2024, cfg)
    assert set(out.filter(pl.col("social_risk"))["school_id"].to_list()) == expected


def test_context_year_latest_available_or_exact():
    ctx = context()
    latest = social_index.compute(ctx, schema.empty(schema.SCHOOLS), 2023, CFG)
    assert latest.filter(pl.col("school_id") == "C")["index"][0] == 10  # 2022 row: 50 % registered
    exact = social_index.compute(
        ctx, schema.empty(schema.SCHOOLS), 2023, {**CFG, "use_latest_available": False}
    )
    assert exact["index"].sum() == 0


def test_terciles():
    social = pl.DataFrame({"school_id": list("abcdef"), "index": [0.0, 0.0, 5.0, 6.0, 30.0, 40.0]})
    t = dict(social_index.terciles(social).iter_rows())
    assert t == {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3, "f": 3}


def test_combine_both_and_resilient():
    low = pl.DataFrame(
        {
            "school_id": ["A", "B", "C", "D"],
            "low_results": [True, False, False, False],
            "risk_list": [True, False, True, False],
            "evidence": [
                json.dumps({"mean_z": -0.8, "value_added": {"effect": -0.5, "interval": [-0.7, -0.3]}}),
                json.dumps({"mean_z": 0.2, "value_added": {"effect": 0.4, "interval": [0.1, 0.7]}}),
                json.dumps({"mean_z": 0.3}),
                json.dumps({"mean_z": -0.1, "value_added": {"effect": 0.2, "interval": [-0.1, 0.5]}}),
            ],
        }
    )
    social = pl.DataFrame(
        {
            "school_id": ["A", "B", "C", "D", "E"],
            "index": [40.0, 35.0, 30.0, 30.0, 0.0],
            "rank": [1, 2, 3, 3, 5],
            "social_risk": [True] * 4 + [False],
        }
    )
    out = social_index.combine(low, social, CFG)
    got = {r["school_id"]: r for r in out.iter_rows(named=True)}
    assert got["A"]["both"]
    assert not got["A"]["resilient"]
    assert got["B"]["resilient"]
    assert not got["C"]["resilient"]  # on the risk list
    assert not got["D"]["resilient"]  # below the region average
    assert not got["E"]["social_risk"]
    assert not got["E"]["low_results"]
    by_va = social_index.combine(
        low, social, {**CFG, "resilient": {"measure": "va_effect", "min_value": 0.0}}
    )
    assert set(by_va.filter(pl.col("resilient"))["school_id"].to_list()) == {"B", "D"}
    by_lower = social_index.combine(
        low, social, {**CFG, "resilient": {"measure": "va_lower", "min_value": 0.0}}
    )
    assert set(by_lower.filter(pl.col("resilient"))["school_id"].to_list()) == {"B"}
