"""Evaluation of the low-results methods on a synthetic region with planted ineffective schools.

Recall (share of planted low-effectiveness schools that a method calls low) and false-positive
rate (share of the other schools it calls low) per context group (city/village ×
advantaged/disadvantaged), for the context-adjusted value added, the cluster and indicator
methods and the plain ≥ 30 % rule (the Rosobrnadzor risk rule). Pure functions: no Django, no
file I/O (the synthetic region is generated in memory).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import polars as pl

from shnor.core.methods import low_results, social_index
from shnor.core.methods.base import Inputs
from shnor.core.methods.value_added import pupil_scores

#: Rows of the evaluation: (key, label, how the flag is read from the per-method evidence).
VARIANTS = (
    ("value_added", "добавленная ценность (по умолчанию)"),
    ("value_added_margin0", "добавленная ценность, интервал ниже 0"),
    ("cluster", "нижние 10 % кластера"),
    ("indicators", "показатели приказа (≥ 2 балла)"),
    ("risk_rule", "правило ≥ 30 % «2» (Рособрнадзор)"),
)


def flags(inputs: Inputs, settings: Mapping[str, Any]) -> pl.DataFrame:
    """Every method's call for ``inputs.year``: ``school_id`` and one boolean column per variant."""
    lr = copy.deepcopy(dict(settings["low_results"]))
    year = int(inputs.year)
    span = max(
        int(lr["support_list"].get("window_years", 2)), int(settings["value_added"].get("window_years", 2)), 2
    )
    scores = pupil_scores(inputs.results, inputs.scales, years=list(range(year - span + 1, year + 1)))
    social = social_index.compute(inputs.context, inputs.schools, year, settings["social_index"])
    frame, evidence = low_results.assess_year(
        inputs, scores, year, lr, va_config=settings["value_added"], social=social, with_value_added=True
    )
    rows = []
    for sid in frame["school_id"].to_list():
        per = evidence[sid]["methods"]
        va = per.get("value_added", {})
        interval = va.get("interval") or [None, None]
        enough = not va.get("too_few_pupils", True)
        rows.append(
            {
                "school_id": sid,
                "value_added": bool(va.get("low")),
                "value_added_margin0": bool(enough and interval[1] is not None and interval[1] < 0),
                "cluster": bool(per["cluster"].get("low")),
                "indicators": bool(per["indicators"].get("low")),
                "risk_rule": bool(per["risk_rule"].get("low")),
            }
        )
    return pl.DataFrame(rows, schema={"school_id": pl.String, **{k: pl.Boolean for k, _ in VARIANTS}})


def score(calls: pl.DataFrame, planted: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """Recall and false-positive rate per variant and context cell (plus «все»).

    ``planted``: ``school_id`` of the truly ineffective schools; ``cells``: ``school_id,
    context_cell``. Returns ``method, label, context_cell, n_schools, n_planted, tp, fp, recall, fpr``.
    """
    data = calls.join(cells, on="school_id", how="left").with_columns(
        pl.col("context_cell").fill_null("неизвестно"),
        pl.col("school_id").is_in(planted["school_id"].to_list()).alias("planted"),
    )
    data = pl.concat([data, data.with_columns(pl.lit("все").alias("context_cell"))])
    out = []
    for key, label in VARIANTS:
        agg = (
            data.group_by("context_cell")
            .agg(
                pl.len().alias("n_schools"),
                pl.col("planted").sum().alias("n_planted"),
                (pl.col(key) & pl.col("planted")).sum().alias("tp"),
                (pl.col(key) & ~pl.col("planted")).sum().alias("fp"),
            )
            .with_columns(
                pl.lit(key).alias("method"),
                pl.lit(label).alias("label"),
                pl.when(pl.col("n_planted") > 0).then(pl.col("tp") / pl.col("n_planted")).alias("recall"),
                pl.when(pl.col("n_schools") > pl.col("n_planted"))
                .then(pl.col("fp") / (pl.col("n_schools") - pl.col("n_planted")))
                .alias("fpr"),
            )
        )
        out.append(agg)
    return (
        pl.concat(out)
        .select("method", "label", "context_cell", "n_schools", "n_planted", "tp", "fp", "recall", "fpr")
        .sort(["method", "context_cell"])
    )


def evaluate_demo(
    seed: int = 2024, size: str = "region", year: int | None = None, settings: Mapping[str, Any] | None = None
) -> pl.DataFrame:
    """Generate the synthetic region (``shnor.core.demo``) and score every method on it."""
    from shnor.core.config import default_config
    from shnor.core.demo import DemoConfig, generate

    data = generate(DemoConfig(seed=seed, size=size))
    settings = settings or default_config()
    year = int(year or max(data.config.years))
    inputs = Inputs(
        year=year,
        results=data.results.lazy(),
        schools=data.schools,
        context=data.context,
        scales=data.scales,
        tasks=data.tasks,
    )
    planted = data.truth.filter(pl.col("behaviour") == "low_effectiveness").select("school_id").unique()
    cells = data.effects.select("school_id", "context_cell")
    return score(flags(inputs, settings), planted, cells).with_columns(pl.lit(seed).alias("seed"))


def markdown(table: pl.DataFrame) -> str:
    """The evaluation as a Markdown table (recall and FPR in %, counts in brackets)."""
    cells = sorted(c for c in table["context_cell"].unique().to_list() if c != "все") + ["все"]
    head = "| метод | " + " | ".join(cells) + " |"
    sep = "|---|" + "---|" * len(cells)
    lines = [head, sep]
    for key, label in VARIANTS:
        t = table.filter(pl.col("method") == key)
        parts = []
        for c in cells:
            r = t.filter(pl.col("context_cell") == c)
            if r.height == 0:
                parts.append("—")
                continue
            r0 = r.row(0, named=True)
            rec = "—" if not r0["n_planted"] else f"{100 * r0['recall']:.0f} % ({r0['tp']}/{r0['n_planted']})"
            fpr = (
                "—"
                if r0["fpr"] is None
                else f"{100 * r0['fpr']:.1f} % ({r0['fp']}/{r0['n_schools'] - r0['n_planted']})"
            )
            parts.append(f"{rec}; {fpr}")
        lines.append(f"| {label} | " + " | ".join(parts) + " |")
    return "\n".join(lines)


__all__ = ["VARIANTS", "evaluate_demo", "flags", "markdown", "score"]
