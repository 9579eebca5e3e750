"""Schools with low educational results (ШНОР): the risk list and the support list.

Methods (settings in ``low_results.toml``; value added in ``value_added.toml``):

- ``risk_rule`` — the Rosobrnadzor risk indicator, reproduced exactly: ≥ 30 % of participants
  below the upper bound of «2» in two or more procedures in the year, or in the same procedure
  two years running; a procedure is (procedure, subject, grade);
- ``indicators`` — the seed-003 indicator set with points and a cut;
- ``cluster`` — bottom X % within the school's context cluster;
- ``value_added`` — context-adjusted school effect whose interval lies below the margin.

``run`` always computes the risk list and draws the support list with the configured method(s),
adds persistence (years on the list, first year) and the evidence. ``compare_runs`` explains who
enters and leaves between two runs. Pure functions: no Django, no file I/O.

The methods live in sibling modules, re-exported here: ``low_results_risk`` (the risk rule),
``low_results_indicators``, ``low_results_cluster``, ``low_results_year`` (one year, every method
combined: ``assess_year``) and ``low_results_common`` (names, labels, number formats).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from typing import Any

import orjson
import polars as pl

from shnor.core.methods import persistence, social_index, value_added
from shnor.core.methods.base import Inputs
from shnor.core.methods.low_results_cluster import CHART_POINTS, cluster_compare, cluster_keys
from shnor.core.methods.low_results_common import (
    METHOD_LABELS,
    METHODS,
    PROCEDURE_LABELS,
    num,
    pct,
    unit_label,
)
from shnor.core.methods.low_results_indicators import indicator_flags, indicator_values
from shnor.core.methods.low_results_risk import risk_rule, unit_shares
from shnor.core.methods.low_results_year import assess_year

NAME = "low_results"

OUTPUT_SCHEMA = {
    "school_id": pl.String,
    "low_results": pl.Boolean,
    "risk_list": pl.Boolean,
    "years_in_list": pl.Int32,
    "first_year": pl.Int32,
    "indicators": pl.String,
    "cluster": pl.String,
    "category": pl.String,
    "evidence": pl.String,
}


@functools.cache
def _shipped(section: str) -> dict[str, Any]:
    # The shipped defaults are package data, read once (not user files).
    from shnor.core.config import default_config

    section_config: dict[str, Any] = default_config()[section]
    return section_config


def shipped_defaults(section: str) -> dict[str, Any]:
    """A copy of the shipped defaults of one settings section (``value_added``, ``social_index``…)."""
    return copy.deepcopy(_shipped(section))


# --------------------------------------------------------------------------------------------
# The run: the year and the years before it, persistence, one row per school
# --------------------------------------------------------------------------------------------


def _indicator_text(ev: Mapping[str, Any]) -> str:
    parts = []
    per = ev.get("methods", {})
    risk = per.get("risk_rule", {})
    over = [u for u in risk.get("units", []) if u.get("over") and u.get("year") == ev.get("year")]
    if over:
        parts.append("≥30 % «2»: " + ", ".join(f"{u['label']} {pct(u['share'])}" for u in over))
    for name, v in (per.get("indicators", {}).get("values") or {}).items():
        if v.get("scored"):
            label = v.get("label") or name
            parts.append(f"{label}: {pct(v['value'])}" + (" (за порогом)" if v.get("flagged") else ""))
    if ev.get("mean_z") is not None:
        parts.append(f"средний стандартизованный балл (z) {num(ev['mean_z'])}")
    va = ev.get("value_added")
    if va and va.get("interval"):
        lo, hi = num(va["interval"][0]), num(va["interval"][1])
        parts.append(f"эффект школы {num(va['effect'])} (95 % интервал {lo}; {hi})")
    return "; ".join(parts)


def _json_default(value: Any) -> Any:
    """What ``json.dumps(default=str)`` did for the types orjson does not write itself: float
    subclasses (numpy's float64) as numbers, anything else as its text."""
    return float(value) if isinstance(value, float) else str(value)


def _evidence_json(evidence: Mapping[str, Any]) -> bytes:
    """The evidence as UTF-8 JSON, by orjson: much faster than ``json.dumps`` for a country's
    schools, and NaN is written as null, which every JSON reader (and PostgreSQL's
    jsonb) accepts. Bytes, copied to their size: half the memory of the Cyrillic text as ``str``."""
    return memoryview(orjson.dumps(evidence, default=_json_default, option=orjson.OPT_NON_STR_KEYS)).tobytes()


def _available_years(results: pl.LazyFrame | pl.DataFrame, year: int) -> list[int]:
    lf = results.lazy() if isinstance(results, pl.DataFrame) else results
    ys = lf.select(pl.col("year").cast(pl.Int32)).unique().collect()["year"].to_list()
    return sorted(int(y) for y in ys if y is not None and y <= year)


def _years_to_assess(
    results: pl.LazyFrame | pl.DataFrame, year: int, p_cfg: Mapping[str, Any], history: pl.DataFrame | None
) -> list[int]:
    """The years to assess: ``year`` and, without a stored history, the lookback years before it."""
    available = _available_years(results, year)
    if history is None:
        lookback = int(p_cfg.get("lookback_years", 4))
        years = [y for y in available if y >= year - lookback]
    else:
        years = [y for y in available if y == year]
    if year not in years:
        years.append(year)
    return years


def _assess_years(
    inputs: Inputs,
    scores: pl.DataFrame,
    years: list[int],
    config: Mapping[str, Any],
    *,
    va_cfg: Mapping[str, Any],
    si_cfg: Mapping[str, Any],
    social: pl.DataFrame | None,
    methods: list[str],
) -> tuple[pl.DataFrame, tuple[pl.DataFrame, dict[str, dict[str, Any]]]]:
    """``assess_year`` for every year: the list membership of all of them, and ``inputs.year``'s result."""
    year = int(inputs.year)
    rows = []
    current: tuple[pl.DataFrame, dict[str, dict[str, Any]]] | None = None
    for y in years:
        soc = (
            social
            if (social is not None and y == year)
            else social_index.compute(inputs.context, inputs.schools, y, si_cfg)
        )
        frame, ev = assess_year(
            inputs,
            scores,
            y,
            config,
            va_config=va_cfg,
            social=soc,
            with_value_added=("value_added" in methods) or y == year,
            with_evidence=y == year,  # (an earlier year gives only its list membership)
        )
        rows.append(
            frame.select(
                pl.lit(y, dtype=pl.Int32).alias("year"), "school_id", pl.col("low_results").alias("in_list")
            )
        )
        if y == year:
            current = (frame, ev)
    assert current is not None
    return pl.concat(rows), current


def _output(frame: pl.DataFrame, ev: dict[str, dict[str, Any]], pers: pl.DataFrame) -> pl.DataFrame:
    """The ``OUTPUT_SCHEMA`` rows: the year's calls with persistence, the evidence as JSON."""
    frame = frame.join(
        pers.select(
            "school_id",
            "in_list",
            "category",
            "years_in_list",
            "first_year",
            pl.col("evidence").alias("_pev"),
        ),
        on="school_id",
        how="left",
    )
    # column by column, each school's evidence dicts freed once written (a country's, held as
    # Python objects beside their JSON and the rows, made this the method's peak)
    cols: dict[str, list[Any]] = {k: [] for k in OUTPUT_SCHEMA}
    for r in frame.iter_rows(named=True):
        e = ev.pop(r["school_id"])
        e["persistence"] = json.loads(r["_pev"]) if r["_pev"] else None
        if r["in_list"] is not None and r["in_list"] != r["low_results"]:
            e["persistence_note"] = (
                "школа остаётся в списке по правилу выхода"
                if r["in_list"]
                else "школа ещё не внесена по правилу входа"
            )
        cols["school_id"].append(r["school_id"])
        cols["low_results"].append(bool(r["in_list"]) if r["in_list"] is not None else r["low_results"])
        cols["risk_list"].append(r["risk_list"])
        cols["years_in_list"].append(r["years_in_list"] or 0)
        cols["first_year"].append(r["first_year"])
        cols["indicators"].append(_indicator_text(e))
        cols["cluster"].append(r["cluster"] or (e["methods"]["cluster"].get("cluster")))
        cols["category"].append(r["category"] or persistence.NONE)
        cols["evidence"].append(_evidence_json(e))
    evidence = pl.Series("evidence", cols.pop("evidence"), dtype=pl.Binary).cast(pl.String)
    return (
        pl.DataFrame({k: pl.Series(k, v, dtype=OUTPUT_SCHEMA[k]) for k, v in cols.items()})
        .with_columns(evidence)
        .select(list(OUTPUT_SCHEMA))
        .sort("school_id")
    )


def run(
    inputs: Inputs,
    config: Mapping[str, Any],
    *,
    value_added_config: Mapping[str, Any] | None = None,
    social_index_config: Mapping[str, Any] | None = None,
    social: pl.DataFrame | None = None,
    history: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Method contract: one row per school with results in the window ending ``inputs.year``.

    Columns: ``school_id, low_results`` (support list), ``risk_list`` (Rosobrnadzor rule),
    ``years_in_list`` (consecutive years on the support list up to this year), ``first_year``
    (first year of that run), ``indicators`` (text), ``cluster`` (the school's context cluster),
    ``category`` (persistence: first / repeated / persistent / exited / none) and ``evidence``.

    ``value_added_config`` / ``social_index_config`` are the sibling settings sections (the
    shipped defaults when omitted); ``social`` a precomputed social-index frame for the year;
    ``history`` the stored support-list membership of earlier years (``year, school_id,
    in_list``) — without it the earlier years are recomputed from the results.
    """
    year = int(inputs.year)
    va_cfg = dict(value_added_config) if value_added_config is not None else shipped_defaults("value_added")
    si_cfg = (
        dict(social_index_config) if social_index_config is not None else shipped_defaults("social_index")
    )
    p_cfg = dict(config.get("persistence", {}))
    sl = dict(config.get("support_list", {}))
    methods = sl.get("method", ["value_added"])
    methods = [methods] if isinstance(methods, str) else list(methods)
    window = int(sl.get("window_years", 2))
    consec = int(config.get("risk_rule", {}).get("consecutive_years", 2))
    va_window = int(va_cfg.get("window_years", 2))

    years = _years_to_assess(inputs.results, year, p_cfg, history)
    span = max(window, consec, va_window)
    scores = value_added.pupil_scores(
        inputs.results, inputs.scales, years=list(range(min(years) - span + 1, year + 1))
    )
    memb, (frame, ev) = _assess_years(
        inputs, scores, years, config, va_cfg=va_cfg, si_cfg=si_cfg, social=social, methods=methods
    )
    if history is not None and history.height:
        hist = history.select(
            pl.col("year").cast(pl.Int32),
            pl.col("school_id").cast(pl.String),
            pl.col("in_list").cast(pl.Boolean),
        )
        memb = pl.concat([hist.filter(pl.col("year") < year), memb])
    pers = persistence.classify(memb, year, p_cfg)
    return _output(frame, ev, pers)


def membership(frame: pl.DataFrame, year: int) -> pl.DataFrame:
    """``year, school_id, in_list`` from a ``run`` output, to store as history for later runs."""
    return frame.select(
        pl.lit(year, dtype=pl.Int32).alias("year"), "school_id", pl.col("low_results").alias("in_list")
    )


# --------------------------------------------------------------------------------------------
# Comparison of two methodology runs
# --------------------------------------------------------------------------------------------


def _reasons(evidence: str | None) -> tuple[str, list[str]]:
    if not evidence:
        return "нет данных", []
    ev = json.loads(evidence)
    methods = ev.get("support_list", {}).get("methods", [])
    per = ev.get("methods", {})
    hits = [m for m in methods if per.get(m, {}).get("low")]
    text = "; ".join(
        f"{METHOD_LABELS.get(m, m)}: {'да' if per.get(m, {}).get('low') else 'нет'} "
        f"({per.get(m, {}).get('summary', '—')})"
        for m in methods
    )
    return text, hits


def compare_runs(a: pl.DataFrame, b: pl.DataFrame, *, changes_only: bool = True) -> pl.DataFrame:
    """School-by-school comparison of two low-results runs (A = before, B = after).

    Returns ``school_id, in_a, in_b, change, reason, risk_a, risk_b`` where ``change`` is
    ``enters`` (on B's list, not A's), ``leaves`` (on A's, not B's), ``stays_in``, ``stays_out``;
    ``reason`` explains in Russian from each run's evidence which methods said low and why.
    With ``changes_only`` only entering and leaving schools are listed.
    """

    def side(f: pl.DataFrame, suffix: str) -> pl.DataFrame:
        cols = [
            pl.col("school_id"),
            pl.col("low_results").alias(f"in_{suffix}"),
            (pl.col("risk_list") if "risk_list" in f.columns else pl.lit(None, dtype=pl.Boolean)).alias(
                f"risk_{suffix}"
            ),
            (pl.col("evidence") if "evidence" in f.columns else pl.lit(None, dtype=pl.String)).alias(
                f"ev_{suffix}"
            ),
        ]
        return f.select(cols)

    m = (
        side(a, "a")
        .join(side(b, "b"), on="school_id", how="full", coalesce=True)
        .with_columns(pl.col("in_a").fill_null(False), pl.col("in_b").fill_null(False))
    )
    rows = []
    for r in m.sort("school_id").iter_rows(named=True):
        ia, ib = r["in_a"], r["in_b"]
        change = "stays_in" if ia and ib else "enters" if ib else "leaves" if ia else "stays_out"
        if changes_only and change not in ("enters", "leaves"):
            continue
        ta, _ = _reasons(r["ev_a"])
        tb, _ = _reasons(r["ev_b"])
        head = {
            "enters": "входит в список в прогоне B",
            "leaves": "выходит из списка в прогоне B",
            "stays_in": "в списке в обоих прогонах",
            "stays_out": "не в списке в обоих прогонах",
        }[change]
        if r["ev_a"] is None:
            ta = "школы нет в прогоне A"
        if r["ev_b"] is None:
            tb = "школы нет в прогоне B"
        rows.append(
            {
                "school_id": r["school_id"],
                "in_a": ia,
                "in_b": ib,
                "change": change,
                "reason": f"{head}. A: {ta}. B: {tb}.",
                "risk_a": r["risk_a"],
                "risk_b": r["risk_b"],
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "school_id": pl.String,
            "in_a": pl.Boolean,
            "in_b": pl.Boolean,
            "change": pl.String,
            "reason": pl.String,
            "risk_a": pl.Boolean,
            "risk_b": pl.Boolean,
        },
    )


__all__ = [
    "CHART_POINTS",
    "METHODS",
    "METHOD_LABELS",
    "NAME",
    "OUTPUT_SCHEMA",
    "PROCEDURE_LABELS",
    "assess_year",
    "cluster_compare",
    "cluster_keys",
    "compare_runs",
    "indicator_flags",
    "indicator_values",
    "membership",
    "risk_rule",
    "run",
    "shipped_defaults",
    "unit_label",
    "unit_shares",
]
