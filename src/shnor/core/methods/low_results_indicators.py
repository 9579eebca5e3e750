"""The seed-003 indicator set: indicator values per school, points per indicator and the cut."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import polars as pl

from shnor.core.methods.low_results_common import pct


def indicator_values(
    scores: pl.DataFrame, year: int, window: int, indicators: Mapping[str, Any]
) -> pl.DataFrame:
    """Long frame ``school_id, indicator, n, value`` over ``year − window + 1 .. year``."""
    frames = []
    win = scores.lazy().filter(pl.col("year").is_between(year - window + 1, year))  # (lazy: see unit_shares)
    for name, ind in indicators.items():
        if not isinstance(ind, Mapping) or not ind.get("enabled", True):
            continue
        s = win
        if ind.get("procedures"):
            s = s.filter(pl.col("procedure").is_in(list(ind["procedures"])))
        if ind.get("subjects"):
            s = s.filter(pl.col("subject").is_in(list(ind["subjects"])))
        if ind.get("grades"):
            s = s.filter(pl.col("grade").is_in([int(g) for g in ind["grades"]]))
        stat = ind.get("statistic", "fail_share")
        if stat == "fail_share":
            v = pl.col("fail")
        elif stat == "high_share":
            v = pl.col("test_score") >= float(ind.get("high_score", 80))
        else:
            raise ValueError(f"low_results.indicators.{name}.statistic: неизвестная статистика «{stat}»")
        frames.append(
            s.with_columns(v.alias("_v"))
            .filter(pl.col("_v").is_not_null())
            .group_by("school_id")
            .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("_v").cast(pl.Float64).mean().alias("value"))
            .with_columns(pl.lit(name).alias("indicator"))
            .select("school_id", "indicator", "n", "value")
        )
    if not frames:
        return pl.DataFrame(
            schema={"school_id": pl.String, "indicator": pl.String, "n": pl.Int64, "value": pl.Float64}
        )
    return pl.concat(frames).sort(["indicator", "school_id"]).collect()


def indicator_flags(
    values: pl.DataFrame, config: Mapping[str, Any]
) -> tuple[pl.DataFrame, dict[str, dict[str, Any]]]:
    """Points per school from indicator values: ``school_id, points, low_indicators`` + evidence."""
    min_points = float(config.get("min_points", 2))
    flagged_rows = []
    details: dict[str, dict[str, Any]] = {}
    for name in values["indicator"].unique().sort().to_list():
        ind = config[name]
        direction = ind.get("direction", "high_is_bad")
        rule = ind.get("rule", "percentile")
        cut_value = float(ind.get("value", 10))
        min_n = int(ind.get("min_participants", 1))
        v = values.filter(pl.col("indicator") == name)
        elig = v.filter(pl.col("n") >= min_n)
        median = cast("float | None", elig["value"].median()) if elig.height else None
        if rule == "percentile":
            q = 1 - cut_value / 100 if direction == "high_is_bad" else cut_value / 100
            cut = elig["value"].quantile(q, "linear") if elig.height else None
        elif rule == "absolute":
            cut = cut_value
        else:
            raise ValueError(f"low_results.indicators.{name}.rule: неизвестное правило «{rule}»")
        for r in v.iter_rows(named=True):
            ok = r["n"] >= min_n and cut is not None
            if direction == "high_is_bad":
                hit = ok and r["value"] >= cut and (rule == "absolute" or r["value"] > median)
            else:
                hit = ok and r["value"] <= cut and (rule == "absolute" or r["value"] < median)
            points = float(ind.get("points", 1)) if hit else 0.0
            flagged_rows.append({"school_id": r["school_id"], "points": points})
            details.setdefault(r["school_id"], {})[name] = {
                "label": ind.get("label", name),
                "value": round(r["value"], 4),
                "n": r["n"],
                "scored": r["n"] >= min_n,
                "cut": None if cut is None else round(float(cut), 4),
                "region_median": None if median is None else round(float(median), 4),
                "direction": direction,
                "rule": f"худшие {cut_value:g} % школ региона"
                if rule == "percentile"
                else f"порог {cut_value:g}",
                "flagged": hit,
                "points": points,
            }
    totals = (
        pl.DataFrame(flagged_rows, schema={"school_id": pl.String, "points": pl.Float64})
        .group_by("school_id")
        .agg(pl.col("points").sum())
        .with_columns((pl.col("points") >= min_points).alias("low_indicators"))
        .sort("school_id")
    )
    evidence = {}
    for r in totals.iter_rows(named=True):
        d = details.get(r["school_id"], {})
        hits = [f"{x['label']}: {pct(x['value'])}" for x in d.values() if x["flagged"]]
        evidence[r["school_id"]] = {
            "low": r["low_indicators"],
            "statistic": "сумма баллов по показателям",
            "points": r["points"],
            "threshold": f"≥ {min_points:g} балл(а)",
            "comparison_group": "все школы региона",
            "values": d,
            "summary": (
                f"{r['points']:g} балл(а) из порога {min_points:g}" + (": " + "; ".join(hits) if hits else "")
            ),
        }
    return totals, evidence
