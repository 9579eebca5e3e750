"""Social index (индекс социального благополучия) and the ШНСУ list.

Each criterion of the configuration turns a CONTEXT column into points (shares by thresholds,
yes/no flags by a fixed number of points); the index is their sum, schools are ranked by it
(rank 1 = least favourable) and the ШНСУ list is drawn from the ranking. ``combine`` puts the
low-results and social lists side by side (ШНОР и ШНСУ, «устойчивые» ШНСУ).
Pure functions: no Django, no file I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from shnor.core.methods.base import Inputs

NAME = "social_index"

#: Columns of ``run`` / ``compute`` (one row per known school).
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "index": pl.Float64(),
    "rank": pl.Int32(),
    "social_risk": pl.Boolean(),
    "evidence": pl.String(),
}


def _context_for_year(context: pl.DataFrame, schools: pl.DataFrame, year: int, latest: bool) -> pl.DataFrame:
    ctx = context.with_columns(pl.col("year").cast(pl.Int32), pl.col("school_id").cast(pl.String))
    ctx = ctx.filter(pl.col("year") <= year) if latest else ctx.filter(pl.col("year") == year)
    ctx = ctx.sort(["school_id", "year"]).group_by("school_id", maintain_order=True).last()
    ids = pl.concat([ctx.select("school_id"), schools.select(pl.col("school_id").cast(pl.String))]).unique()
    out = ids.join(ctx, on="school_id", how="left")
    if "is_small" in schools.columns and schools.height:
        reg = schools.select(pl.col("school_id").cast(pl.String), pl.col("is_small").alias("_reg_small"))
        out = out.join(reg, on="school_id", how="left")
        if "is_small" in out.columns:
            out = out.with_columns(pl.coalesce("is_small", "_reg_small").alias("is_small"))
        else:
            out = out.rename({"_reg_small": "is_small"})
        out = out.drop("_reg_small", strict=False)
    return out.sort("school_id")


def share_points(
    value: float | None, direction: str, thresholds: list[float], points: list[float]
) -> float | None:
    """Points for one share: the points of the furthest threshold reached, 0 if none, None if no data."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    got = 0.0
    for thr, pts in zip(thresholds, points, strict=True):
        hit = value >= thr if direction == "high_is_bad" else value <= thr
        if hit:
            got = max(got, float(pts))
    return got


def score(context: pl.DataFrame, config: Mapping[str, Any]) -> pl.DataFrame:
    """Points per criterion and the index for each row of ``context`` (one row per school).

    Returns ``school_id, index, points`` where ``points`` is a JSON object
    ``{criterion: {label, value, points}}`` (value null and points 0 when there is no data).
    """
    frame, details = _score(context, config)
    return frame.with_columns(
        pl.Series("points", [json.dumps(d, ensure_ascii=False) for d in details], dtype=pl.String)
    )


def _score(context: pl.DataFrame, config: Mapping[str, Any]) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """``school_id, index`` and, row by row, the per-criterion details (as dicts, not yet JSON)."""
    crits = dict(config.get("criteria", {}))
    flags = dict(config.get("flags", {}))
    rows: list[tuple[str, float]] = []
    details: list[dict[str, Any]] = []
    for row in context.iter_rows(named=True):
        detail: dict[str, Any] = {}
        total = 0.0
        for name, c in crits.items():
            value: Any = row.get(name)
            pts = share_points(
                value, c.get("direction", "high_is_bad"), list(c["thresholds"]), list(c["points"])
            )
            detail[name] = {
                "label": c.get("label", name),
                "value": None if pts is None else round(float(value), 4),
                "points": 0.0 if pts is None else pts,
                **({"note": "нет данных"} if pts is None else {}),
            }
            total += pts or 0.0
        for name, f in flags.items():
            value = row.get(name)
            pts = None if value is None else (float(f["points"]) if bool(value) else 0.0)
            detail[name] = {
                "label": f.get("label", name),
                "value": None if value is None else bool(value),
                "points": 0.0 if pts is None else pts,
                **({"note": "нет данных"} if pts is None else {}),
            }
            total += pts or 0.0
        rows.append((row["school_id"], total))
        details.append(detail)
    frame = pl.DataFrame(rows, schema={"school_id": pl.String, "index": pl.Float64}, orient="row")
    return frame, details


def rank_and_list(scored: pl.DataFrame, config: Mapping[str, Any]) -> pl.DataFrame:
    """Add ``rank`` (1 = highest index; ties share the best rank) and ``social_risk``."""
    n = scored.height
    rule = str(config.get("rule", "top_percent"))
    top_percent = float(config.get("top_percent", 10))
    min_index = float(config.get("min_index", 30))
    cut = math.ceil(n * top_percent / 100 - 1e-9) if n else 0
    out = scored.with_columns(pl.col("index").rank("min", descending=True).cast(pl.Int32).alias("rank"))
    by_rank = (pl.col("rank") <= cut) & (pl.col("index") > 0)
    by_index = (pl.col("index") >= min_index) & (pl.col("index") > 0)
    expr = {
        "top_percent": by_rank,
        "min_index": by_index,
        "both": by_rank & by_index,
        "either": by_rank | by_index,
    }.get(rule)
    if expr is None:
        raise ValueError(f"social_index.rule: неизвестное правило «{rule}»")
    return out.with_columns(expr.alias("social_risk"))


def compute(
    context: pl.DataFrame, schools: pl.DataFrame, year: int, config: Mapping[str, Any]
) -> pl.DataFrame:
    """The social index for ``year``: ``school_id, index, rank, social_risk, evidence``."""
    ctx = _context_for_year(context, schools, year, bool(config.get("use_latest_available", True)))
    scored, details = _score(ctx, config)
    ranked = rank_and_list(scored, config)  # rows stay in the order of ``details``
    n = ranked.height
    rule = str(config.get("rule", "top_percent"))
    threshold = {
        "top_percent": f"первые {config.get('top_percent', 10)} % рейтинга",
        "min_index": f"индекс ≥ {config.get('min_index', 30)}",
        "both": (
            f"первые {config.get('top_percent', 10)} % рейтинга и индекс ≥ {config.get('min_index', 30)}"
        ),
        "either": (
            f"первые {config.get('top_percent', 10)} % рейтинга или индекс ≥ {config.get('min_index', 30)}"
        ),
    }[rule]
    evidence = [
        json.dumps(
            {
                "method": "social_index",
                "statistic": "индекс социального неблагополучия (сумма баллов)",
                "index": r["index"],
                "rank": r["rank"],
                "n_schools": n,
                "threshold": threshold,
                "comparison_group": "все школы региона",
                "criteria": detail,
                "version": config.get("version"),
            },
            ensure_ascii=False,
        )
        for r, detail in zip(ranked.iter_rows(named=True), details, strict=True)
    ]
    return (
        ranked.with_columns(pl.Series("evidence", evidence, dtype=pl.String))
        .select("school_id", "index", "rank", "social_risk", "evidence")
        .sort(["rank", "school_id"])
    )


def run(inputs: Inputs, config: Mapping[str, Any]) -> pl.DataFrame:
    """Method contract: ``school_id, index, rank, social_risk, evidence`` for every known school."""
    return compute(inputs.context, inputs.schools, int(inputs.year), config)


def terciles(social: pl.DataFrame) -> pl.DataFrame:
    """``school_id, social_tercile`` (1 = most favourable third … 3 = least); equal indices share a
    tercile."""
    n = social.height
    if n == 0:
        return pl.DataFrame(schema={"school_id": pl.String, "social_tercile": pl.Int32})
    return social.select(
        "school_id",
        ((pl.col("index").rank("average") - 0.5) * 3 / n)
        .floor()
        .clip(0, 2)
        .cast(pl.Int32)
        .add(1)
        .alias("social_tercile"),
    )


def _measure(evidence: str | None, measure: str) -> float | None:
    if not evidence:
        return None
    ev = json.loads(evidence)
    if measure == "mean_z":
        return ev.get("mean_z")
    va = ev.get("value_added") or {}
    if measure == "va_effect":
        return va.get("effect")
    if measure == "va_lower":
        interval = va.get("interval") or [None, None]
        return interval[0]
    raise ValueError(f"social_index.resilient.measure: неизвестная мера «{measure}»")


def combine(low: pl.DataFrame, social: pl.DataFrame, config: Mapping[str, Any]) -> pl.DataFrame:
    """ШНОР × ШНСУ per school.

    ``low`` is the low-results output (``school_id, low_results``, optionally ``risk_list`` and
    ``evidence`` with ``mean_z`` / ``value_added``); ``social`` the social-index output.
    Returns ``school_id, low_results, risk_list, social_risk, both, resilient, evidence``:
    ``both`` = ШНОР и ШНСУ; ``resilient`` = ШНСУ, not ШНОР, not on the risk list, and the
    configured result measure ≥ ``resilient.min_value``.
    """
    res_cfg = dict(config.get("resilient", {}))
    measure = str(res_cfg.get("measure", "mean_z"))
    min_value = float(res_cfg.get("min_value", 0.0))
    lo = low.select(
        pl.col("school_id"),
        pl.col("low_results").fill_null(False),
        (pl.col("risk_list") if "risk_list" in low.columns else pl.lit(False))
        .fill_null(False)
        .alias("risk_list"),
        (pl.col("evidence") if "evidence" in low.columns else pl.lit(None, dtype=pl.String)).alias("_ev"),
    )
    lo = lo.with_columns(
        pl.Series("_measure", [_measure(e, measure) for e in lo["_ev"].to_list()], dtype=pl.Float64)
    ).drop("_ev")
    so = social.select("school_id", pl.col("social_risk").fill_null(False), "index", "rank")
    out = lo.join(so, on="school_id", how="full", coalesce=True).with_columns(
        pl.col("low_results").fill_null(False),
        pl.col("risk_list").fill_null(False),
        pl.col("social_risk").fill_null(False),
    )
    out = out.with_columns(
        (pl.col("low_results") & pl.col("social_risk")).alias("both"),
        (
            pl.col("social_risk")
            & ~pl.col("low_results")
            & ~pl.col("risk_list")
            & (pl.col("_measure").fill_null(-math.inf) >= min_value)
        ).alias("resilient"),
    )
    evidence = [
        json.dumps(
            {
                "method": "social_index.combine",
                "social_index": r["index"],
                "social_rank": r["rank"],
                "measure": measure,
                "value": r["_measure"],
                "threshold": f"{measure} ≥ {min_value}",
            },
            ensure_ascii=False,
        )
        for r in out.iter_rows(named=True)
    ]
    return (
        out.with_columns(pl.Series("evidence", evidence, dtype=pl.String))
        .select("school_id", "low_results", "risk_list", "social_risk", "both", "resilient", "evidence")
        .sort("school_id")
    )


__all__ = [
    "NAME",
    "OUTPUT_SCHEMA",
    "combine",
    "compute",
    "rank_and_list",
    "run",
    "score",
    "share_points",
    "terciles",
]
