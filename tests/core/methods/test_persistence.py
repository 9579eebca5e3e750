"""Persistence: first / repeated / three years or more, entry and exit rules, dynamics."""

from __future__ import annotations

import json

import polars as pl

from shnor.core.methods import persistence

CFG = {"enter_after": 1, "exit_after": 1, "window_years": 3, "persistent_years": 3}


def membership(spec: dict[str, str], first_year: int = 2020) -> pl.DataFrame:
    """``{"school": "01101"}``: one character per year from ``first_year``, 1 = condition holds."""
    rows = [
        {"year": first_year + i, "school_id": s, "in_list": c == "1"}
        for s, flags in spec.items()
        for i, c in enumerate(flags)
    ]
    return pl.DataFrame(rows)


SPEC = {
    "first": "00001",
    "first_after_gap": "10001",  # listed four years ago only: first within the last three years
    "repeated": "00101",
    "two_running": "00011",
    "persistent": "00111",
    "long": "11111",
    "exited": "00110",
    "never": "00000",
}


def test_categories_streaks_and_first_year():
    out = {r["school_id"]: r for r in persistence.classify(membership(SPEC), 2024, CFG).iter_rows(named=True)}
    cat = {s: r["category"] for s, r in out.items()}
    assert cat == {
        "first": "first",
        "first_after_gap": "first",
        "repeated": "repeated",
        "two_running": "repeated",
        "persistent": "persistent",
        "long": "persistent",
        "exited": "exited",
        "never": "none",
    }
    assert (out["long"]["years_in_list"], out["long"]["first_year"], out["long"]["years_total"]) == (
        5,
        2020,
        5,
    )
    assert (out["persistent"]["years_in_list"], out["persistent"]["first_year"]) == (3, 2022)
    assert (
        out["repeated"]["years_in_list"],
        out["repeated"]["first_year"],
        out["repeated"]["years_total"],
    ) == (1, 2024, 2)
    assert out["exited"]["years_in_list"] == 0
    assert out["exited"]["first_year"] is None
    assert out["exited"]["exited"]
    assert out["first"]["entered"]
    assert not out["long"]["entered"]
    assert json.loads(out["repeated"]["evidence"])["years_listed"] == [2022, 2024]


def test_exit_rule_keeps_school_listed_until_n_years_out():
    spec = {"a": "11010", "b": "11000"}
    strict = persistence.apply_rules(membership(spec), CFG)
    lenient = persistence.apply_rules(membership(spec), {**CFG, "exit_after": 2})
    s = {(r["school_id"], r["year"]): r["in_list"] for r in strict.iter_rows(named=True)}
    l_ = {(r["school_id"], r["year"]): r["in_list"] for r in lenient.iter_rows(named=True)}
    assert [s[("a", y)] for y in range(2020, 2025)] == [True, True, False, True, False]
    # with exit after 2 years out, one year out is not enough: "a" stays listed throughout
    assert [l_[("a", y)] for y in range(2020, 2025)] == [True, True, True, True, True]
    assert [l_[("b", y)] for y in range(2020, 2025)] == [True, True, True, False, False]
    out = {
        r["school_id"]: r
        for r in persistence.classify(membership(spec), 2024, {**CFG, "exit_after": 2}).iter_rows(named=True)
    }
    assert out["a"]["in_list"]
    assert not out["a"]["condition"]
    assert out["a"]["years_in_list"] == 5
    assert out["b"]["category"] == "none"


def test_entry_rule_and_missing_years():
    spec = {"a": "01100", "b": "10100"}
    st = persistence.apply_rules(membership(spec), {**CFG, "enter_after": 2})
    got = {(r["school_id"], r["year"]): r["in_list"] for r in st.iter_rows(named=True)}
    assert [got[("a", y)] for y in range(2020, 2025)] == [False, False, True, False, False]
    assert not any(got[("b", y)] for y in range(2020, 2025))
    # a school without a row for a year counts as out of the condition that year
    gap = pl.DataFrame({"year": [2020, 2022], "school_id": ["x", "x"], "in_list": [True, True]})
    out = persistence.classify(gap, 2022, CFG).row(0, named=True)
    assert out["years_in_list"] == 1
    assert out["category"] == "repeated"


def test_dynamics_shares():
    spec = {"a": "11", "b": "10", "c": "10", "d": "01", "e": "00"}
    d = persistence.dynamics(membership(spec, 2023), 2024, CFG).row(0, named=True)
    assert (d["n_prev"], d["n_cur"], d["entered"], d["exited"], d["stayed"]) == (3, 2, 1, 2, 1)
    assert d["share_positive"] == 2 / 3
    assert d["share_negative"] == 1 / 2
    empty = persistence.dynamics(membership({"e": "00"}, 2023), 2024, CFG).row(0, named=True)
    assert empty["share_positive"] is None
    assert empty["share_negative"] is None
