"""Low-results methods: the Rosobrnadzor risk rule, indicators, clusters, the run and compare_runs."""

from __future__ import annotations

import copy
import json

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods import low_results
from shnor.core.methods.base import Inputs
from shnor.core.methods.low_results_year import assess_year
from shnor.core.methods.value_added import pupil_scores
from shnor.core.store import schema

CFG = default_config()


def unit_rows(school, year, procedure, subject, grade, marks, absent=0, **extra):
    """Pupil rows of one school in one procedure unit: ``marks`` 2..5 (None = mark unknown)."""
    rows = []
    for i, m in enumerate(marks):
        row = {
            "procedure": procedure,
            "year": year,
            "subject": subject,
            "grade": grade,
            "school_id": school,
            "pupil_key": f"{school}-{year}-{subject}{grade}-{i}",
            "absent": False,
            "primary_score": {2: 3, 3: 8, 4: 12, 5: 17, None: 5}[m] + (i % 3),
            "mark": m,
        }
        row.update(extra)
        rows.append(row)
    for j in range(absent):
        rows.append(
            {
                "procedure": procedure,
                "year": year,
                "subject": subject,
                "grade": grade,
                "school_id": school,
                "pupil_key": f"{school}-{year}-abs{j}",
                "absent": True,
            }
        )
    return rows


def marks(fails: int, n: int) -> list[int]:
    return [2] * fails + [4] * (n - fails)


def frame(rows) -> pl.DataFrame:
    return schema.conform(pl.DataFrame(rows, infer_schema_length=None), schema.RESULTS)


def risk(rows, year, **override):
    cfg = copy.deepcopy(CFG["low_results"]["risk_rule"])
    cfg.update(override)
    out, ev = low_results.risk_rule(pupil_scores(frame(rows)), year, cfg)
    return {r["school_id"]: r for r in out.iter_rows(named=True)}, ev


# ------------------------------------------------------------------ risk rule


def test_risk_rule_two_procedures_in_one_year():
    rows = (
        unit_rows("A", 2024, "vpr", "ma", 5, marks(4, 10))
        + unit_rows("A", 2024, "vpr", "ru", 5, marks(5, 10))
        + unit_rows("B", 2024, "vpr", "ma", 5, marks(6, 10))
        + unit_rows("B", 2024, "vpr", "ru", 5, marks(1, 10))
        # same subject, other grade: a different procedure
        + unit_rows("C", 2024, "vpr", "ma", 5, marks(3, 10))
        + unit_rows("C", 2024, "vpr", "ma", 6, marks(3, 10))
    )
    out, ev = risk(rows, 2024)
    assert out["A"]["risk_list"]
    assert out["A"]["branch_year"]
    assert not out["A"]["branch_consecutive"]
    assert not out["B"]["risk_list"]
    assert out["C"]["risk_list"]
    assert "ВПР, Математика, 5 кл." in ev["A"]["summary"]


def test_risk_rule_same_procedure_two_years_running():
    rows = (
        unit_rows("A", 2023, "oge", "ma", 9, marks(4, 10))
        + unit_rows("A", 2024, "oge", "ma", 9, marks(3, 10))
        # two years apart: not running
        + unit_rows("B", 2022, "oge", "ma", 9, marks(5, 10))
        + unit_rows("B", 2024, "oge", "ma", 9, marks(5, 10))
        # over in both years but in different procedures: one per year, no branch
        + unit_rows("C", 2023, "oge", "ma", 9, marks(5, 10))
        + unit_rows("C", 2024, "oge", "ru", 9, marks(5, 10))
        # last year and the year before, not this year: not on this year's list
        + unit_rows("D", 2022, "vpr", "ru", 8, marks(5, 10))
        + unit_rows("D", 2023, "vpr", "ru", 8, marks(5, 10))
        + unit_rows("D", 2024, "vpr", "ru", 8, marks(1, 10))
    )
    out, ev = risk(rows, 2024)
    assert out["A"]["risk_list"]
    assert out["A"]["branch_consecutive"]
    assert not out["A"]["branch_year"]
    assert "2 года подряд" in ev["A"]["summary"]
    assert not out["B"]["risk_list"]
    assert not out["C"]["risk_list"]
    assert not out["D"]["risk_list"]
    assert risk(rows, 2023)[0]["D"]["risk_list"]


def test_risk_rule_threshold_edge_exactly_30_percent():
    rows = (
        unit_rows("EXACT", 2024, "vpr", "ma", 5, marks(3, 10))
        + unit_rows("EXACT", 2024, "vpr", "ru", 5, marks(30, 100))
        + unit_rows("BELOW", 2024, "vpr", "ma", 5, marks(3, 10))
        + unit_rows("BELOW", 2024, "vpr", "ru", 5, marks(29, 100))
        # 2 of 7 = 28.6 %, 3 of 7 = 42.9 %
        + unit_rows("SEVEN", 2024, "vpr", "ma", 5, marks(2, 7))
        + unit_rows("SEVEN", 2024, "vpr", "ru", 5, marks(3, 7))
    )
    out, _ = risk(rows, 2024)
    assert out["EXACT"]["risk_list"]
    assert not out["BELOW"]["risk_list"]
    assert not out["SEVEN"]["risk_list"]


def test_absent_pupils_are_not_participants_and_scales_fill_missing_marks():
    # 3 fails among 10 present (+5 absent) = 30 %; the second unit has no marks: the scale decides.
    rows = unit_rows("A", 2024, "vpr", "ma", 5, marks(3, 10), absent=5) + [
        {**r, "mark": None, "primary_score": 2 if i < 4 else 15}
        for i, r in enumerate(unit_rows("A", 2024, "vpr", "ru", 5, marks(0, 10)))
    ]
    scales = pl.DataFrame(
        {
            "procedure": ["vpr"],
            "year": [2024],
            "subject": ["ru"],
            "grade": [5],
            "max_score": [45],
            "min_3": [5],
            "min_4": [20],
            "min_5": [40],
        }
    )
    scores = pupil_scores(frame(rows), schema.conform(scales, schema.SCALES))
    out, ev = low_results.risk_rule(scores, 2024, CFG["low_results"]["risk_rule"])
    assert out.row(0, named=True)["risk_list"]
    shares = {u["subject"]: (u["fails"], u["participants"]) for u in ev["A"]["units"]}
    assert shares == {"ma": (3, 10), "ru": (4, 10)}


def test_ege_uses_below_min():
    rows = [
        {**r, "mark": None, "test_score": 20 if i < 3 else 70, "below_min": i < 3}
        for i, r in enumerate(unit_rows("A", 2024, "ege", "ma", 11, [None] * 10))
    ] + unit_rows("A", 2024, "oge", "ru", 9, marks(3, 9))
    out, _ = risk(rows, 2024)
    assert out["A"]["risk_list"]


def test_min_participants_rule():
    rows = unit_rows("TINY", 2024, "vpr", "ma", 5, marks(4, 4)) + unit_rows(
        "TINY", 2024, "vpr", "ru", 5, marks(3, 10)
    )
    exact, _ = risk(rows, 2024)
    assert exact["TINY"]["risk_list"]  # the published rule has no minimum
    regional, ev = risk(rows, 2024, min_participants=5)
    assert not regional["TINY"]["risk_list"]
    tiny = next(u for u in ev["TINY"]["units"] if u["subject"] == "ma")
    assert not tiny["counted"]
    assert not tiny["over"]
    assert "≥ 5 участниках" in ev["TINY"]["threshold"]


# ------------------------------------------------------------------ indicators and clusters


def test_indicator_points_and_percentile_cut():
    rows = []
    for k in range(20):
        fails = 9 if k == 0 else 1 + k % 3
        rows += unit_rows(f"S{k:02d}", 2024, "vpr", "ma", 5, marks(fails, 12))
        rows += unit_rows(f"S{k:02d}", 2023, "vpr", "ru", 8, marks(fails, 12))
        rows += [
            {**r, "mark": None, "test_score": 85 if (i < 3 and k > 0) else 60, "below_min": False}
            for i, r in enumerate(unit_rows(f"S{k:02d}", 2024, "ege", "ru", 11, [None] * 8))
        ]
    scores = pupil_scores(frame(rows))
    cfg = copy.deepcopy(CFG["low_results"]["indicators"])
    values = low_results.indicator_values(scores, 2024, 2, cfg)
    pts, ev = low_results.indicator_flags(values, cfg)
    got = {r["school_id"]: r for r in pts.iter_rows(named=True)}
    assert got["S00"]["points"] == 2
    assert got["S00"]["low_indicators"]
    assert ev["S00"]["values"]["vpr_fail_share"]["flagged"]
    assert ev["S00"]["values"]["ege_high_share"]["flagged"]
    assert sum(r["low_indicators"] for r in got.values()) == 1
    # a mass of ties at the median is not flagged by the percentile rule
    assert not ev["S01"]["values"]["ege_high_share"]["flagged"]


def test_cluster_comparison_bottom_percent_within_cluster_with_coarsening():
    ids = [f"U{k:02d}" for k in range(20)] + [f"R{k:02d}" for k in range(20)] + [f"T{k}" for k in range(3)]
    schools = pl.DataFrame(
        {
            "school_id": ids,
            "locality": ["город"] * 20 + ["село"] * 20 + ["село"] * 3,
            "kind": ["СОШ"] * 20 + ["ООШ"] * 20 + ["гимназия"] * 3,
            "pupils": [800] * 20 + [150] * 20 + [150] * 3,
        }
    )
    # city schools score high, village schools low: the weakest village school is only
    # weak among villages; the weakest city school is still above every village school.
    value = [1.0 + 0.05 * k for k in range(20)] + [-1.0 + 0.05 * k for k in range(20)] + [-3.0, 0.0, 0.1]
    stat = pl.DataFrame({"school_id": ids, "value": value, "n": [50] * 43})
    cfg = copy.deepcopy(CFG["low_results"]["cluster"])
    cfg["by"] = ["locality", "kind_group"]
    keys = low_results.cluster_keys(schools, None, cfg)
    out, ev = low_results.cluster_compare(stat, keys, cfg)
    low = set(out.filter(pl.col("low_cluster"))["school_id"].to_list())
    assert low == {"U00", "U01", "R00", "R01", "T0"}
    assert ev["U00"]["cluster"] == "город · общеобразовательная"
    # the three gymnasiums form too small a cluster: they are compared among all village schools
    assert ev["T0"]["cluster"] == "село"
    assert ev["T0"]["cluster_size"] == 23
    assert ev["U00"]["cut_rank"] == 2
    assert ev["U00"]["rank_from_bottom"] == 1
    assert ev["U01"]["rank_from_bottom"] == 2
    assert ev["U01"]["low"]
    assert ev["U00"]["chart"]["school_value"] == 1.0


# ------------------------------------------------------------------ run, persistence, compare_runs


def synthetic_region(seed=7, n_schools=60, years=(2022, 2023, 2024)):
    """Schools half advantaged, half disadvantaged; ``BAD*`` are truly ineffective."""
    rng = np.random.default_rng(seed)
    school_rows, ctx_rows, rows = [], [], []
    for k in range(n_schools):
        disadv = k % 2 == 1
        sid = ("BAD" if k in (1, 3) else "S") + f"{k:02d}"
        effect = -0.9 if sid.startswith("BAD") else rng.normal(0, 0.1)
        school_rows.append(
            {"school_id": sid, "locality": "село" if disadv else "город", "kind": "СОШ", "pupils": 300}
        )
        for y in years:
            ctx_rows.append({"year": y, "school_id": sid, "share_low_income": 0.6 if disadv else 0.1})
            for subj in ("ma", "ru"):
                latent = -0.9 * disadv + effect + rng.normal(0, 1, 40)
                score = np.clip(np.round(10 + 3 * latent), 0, 20).astype(int)
                for i, s in enumerate(score):
                    rows.append(
                        {
                            "procedure": "vpr",
                            "year": y,
                            "subject": subj,
                            "grade": 5,
                            "school_id": sid,
                            "pupil_key": f"{sid}{y}{subj}{i}",
                            "absent": False,
                            "primary_score": int(s),
                            "mark": 2 if s < 7 else 3 if s < 11 else 4 if s < 15 else 5,
                        }
                    )
    return (
        frame(rows),
        schema.conform(pl.DataFrame(school_rows), schema.SCHOOLS),
        schema.conform(pl.DataFrame(ctx_rows), schema.CONTEXT),
    )


@pytest.fixture(scope="module")
def region():
    return synthetic_region()


@pytest.fixture(scope="module")
def va_run(region):
    results, schools, context = region
    inputs = Inputs(year=2024, results=results.lazy(), schools=schools, context=context)
    return low_results.run(
        inputs,
        CFG["low_results"],
        value_added_config=CFG["value_added"],
        social_index_config=CFG["social_index"],
    )


def test_run_output_columns_and_evidence(va_run):
    assert list(va_run.columns) == [
        "school_id",
        "low_results",
        "risk_list",
        "years_in_list",
        "first_year",
        "indicators",
        "cluster",
        "category",
        "evidence",
    ]
    assert va_run.height == 60
    ev = json.loads(va_run.filter(pl.col("school_id") == "BAD01")["evidence"][0])
    assert ev["support_list"]["methods"] == ["value_added"]
    assert ev["value_added"]["caterpillar"]["n_schools"] == 60
    assert ev["interval"][1] < 0
    assert set(ev["methods"]) == {"risk_rule", "indicators", "cluster", "value_added"}


def test_disadvantaged_ordinary_school_is_not_low_by_value_added_but_is_by_30_percent_rule(va_run):
    ordinary_disadv = va_run.filter(
        pl.col("school_id").str.starts_with("S")
        & (pl.col("school_id").str.slice(1).cast(pl.Int32, strict=False) % 2 == 1)
    )
    assert ordinary_disadv.height == 28
    # the plain rule calls most of them «low»…
    assert ordinary_disadv["risk_list"].mean() > 0.6
    # …value added calls none of them low, but finds both truly ineffective schools
    assert not ordinary_disadv["low_results"].any()
    bad = va_run.filter(pl.col("school_id").str.starts_with("BAD"))
    assert bad["low_results"].all()
    assert va_run["low_results"].sum() < va_run["risk_list"].sum() / 3


def test_run_persistence_from_recomputed_years(va_run):
    bad = va_run.filter(pl.col("school_id") == "BAD01").row(0, named=True)
    assert bad["years_in_list"] == 3
    assert bad["first_year"] == 2022
    assert bad["category"] == "persistent"
    off = va_run.filter(~pl.col("low_results"))
    assert (off["years_in_list"] == 0).all()
    assert off["first_year"].is_null().all()


def test_run_with_history_and_risk_method(region, va_run):
    results, schools, context = region
    inputs = Inputs(year=2024, results=results.lazy(), schools=schools, context=context)
    cfg = copy.deepcopy(CFG["low_results"])
    cfg["support_list"]["method"] = "risk_rule"
    x, y = va_run.filter(pl.col("risk_list"))["school_id"].to_list()[:2]
    history = pl.DataFrame(
        {
            "year": [2022, 2023, 2023, 2022],
            "school_id": [x, x, y, "GONE"],
            "in_list": [True, True, True, True],
        }
    )
    out = low_results.run(inputs, cfg, social_index_config=CFG["social_index"], history=history)
    assert (out["low_results"] == out["risk_list"]).all()
    got = {r["school_id"]: r for r in out.iter_rows(named=True)}
    assert (got[x]["years_in_list"], got[x]["first_year"], got[x]["category"]) == (3, 2022, "persistent")
    assert (got[y]["years_in_list"], got[y]["first_year"], got[y]["category"]) == (2, 2023, "repeated")
    assert "GONE" not in got


def test_compare_runs_lists_who_enters_and_leaves(region, va_run):
    results, schools, context = region
    inputs = Inputs(year=2024, results=results.lazy(), schools=schools, context=context)
    cfg = copy.deepcopy(CFG["low_results"])
    cfg["support_list"]["method"] = ["risk_rule"]
    risk_run = low_results.run(inputs, cfg, social_index_config=CFG["social_index"])
    diff = low_results.compare_runs(va_run, risk_run)
    assert set(diff.columns) == {"school_id", "in_a", "in_b", "change", "reason", "risk_a", "risk_b"}
    entering = diff.filter(pl.col("change") == "enters")
    assert entering.height == (risk_run["low_results"] & ~va_run["low_results"]).sum()
    r = entering.row(0, named=True)
    assert "входит в список" in r["reason"]
    assert "правило Рособрнадзора" in r["reason"]
    assert "добавленная ценность" in r["reason"]
    full = low_results.compare_runs(va_run, risk_run, changes_only=False)
    assert full.height == 60


def test_compare_runs_handles_schools_missing_from_one_run():
    a = pl.DataFrame({"school_id": ["X", "Y"], "low_results": [True, False]})
    b = pl.DataFrame({"school_id": ["Y", "Z"], "low_results": [True, True]})
    diff = low_results.compare_runs(a, b)
    assert dict(zip(diff["school_id"], diff["change"], strict=True)) == {
        "X": "leaves",
        "Y": "enters",
        "Z": "enters",
    }
    assert "школы нет в прогоне A" in diff.filter(pl.col("school_id") == "Z")["reason"][0]


def test_an_earlier_year_without_evidence_gives_the_same_list(region):
    """``run`` assesses the earlier years only for their list membership: without the evidence the
    frame is the same and no evidence is made."""
    results, schools, context = region
    inputs = Inputs(year=2023, results=results.lazy(), schools=schools, context=context)
    scores = pupil_scores(results)
    kw = {"va_config": CFG["value_added"], "social": None, "with_value_added": True}
    full, ev = assess_year(inputs, scores, 2023, CFG["low_results"], **kw)
    bare, none = assess_year(inputs, scores, 2023, CFG["low_results"], **kw, with_evidence=False)
    assert bare.equals(full)
    assert none == {}
    assert len(ev) == full.height
    assert full["low_results"].any()
    rule, rule_ev = low_results.risk_rule(scores, 2023, CFG["low_results"]["risk_rule"], with_evidence=False)
    assert rule.equals(low_results.risk_rule(scores, 2023, CFG["low_results"]["risk_rule"])[0])
    assert rule_ev == {}
