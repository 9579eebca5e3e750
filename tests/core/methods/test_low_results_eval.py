"""Evaluation of the low-results methods against planted truth."""

from __future__ import annotations

import polars as pl
import pytest

from shnor.core.methods import low_results_eval as ev


def test_score_recall_and_false_positive_rate_per_cell():
    calls = pl.DataFrame(
        {
            "school_id": ["a", "b", "c", "d", "e"],
            **{k: [True, False, True, True, False] for k, _ in ev.VARIANTS},
        }
    ).with_columns(pl.Series("risk_rule", [True, True, True, True, True]))
    planted = pl.DataFrame({"school_id": ["a", "b"]})
    cells = pl.DataFrame(
        {"school_id": list("abcde"), "context_cell": ["город", "город", "город", "село", "село"]}
    )
    t = ev.score(calls, planted, cells)
    va = {r["context_cell"]: r for r in t.filter(pl.col("method") == "value_added").iter_rows(named=True)}
    assert (va["город"]["tp"], va["город"]["fp"], va["город"]["recall"], va["город"]["fpr"]) == (
        1,
        1,
        0.5,
        1.0,
    )
    assert va["село"]["recall"] is None
    assert va["село"]["fpr"] == 0.5
    assert va["все"]["n_schools"] == 5
    assert va["все"]["fpr"] == 2 / 3
    risk = t.filter((pl.col("method") == "risk_rule") & (pl.col("context_cell") == "все")).row(0, named=True)
    assert risk["recall"] == 1.0
    assert risk["fpr"] == 1.0
    md = ev.markdown(t)
    assert md.splitlines()[0] == "| метод | город | село | все |"
    assert "50 % (1/2); 100.0 % (1/1)" in md


@pytest.mark.slow
def test_value_added_spares_disadvantaged_schools_on_the_synthetic_region():
    t = ev.evaluate_demo(seed=2024)
    get = {(r["method"], r["context_cell"]): r for r in t.iter_rows(named=True)}
    for cell in ("город/неблагополучная", "село/неблагополучная"):
        assert get[("value_added", cell)]["fpr"] < get[("risk_rule", cell)]["fpr"] / 2
    assert get[("value_added", "все")]["recall"] >= 0.8
    assert get[("value_added", "все")]["fpr"] < 0.15
    assert get[("risk_rule", "все")]["fpr"] > 0.2
