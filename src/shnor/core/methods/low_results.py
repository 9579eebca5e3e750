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
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import orjson
import polars as pl

from shnor.core.methods import persistence, social_index, value_added
from shnor.core.methods.base import Inputs
from shnor.core.store.schema import SUBJECTS

NAME = "low_results"
METHODS = ("value_added", "cluster", "indicators", "risk_rule")
METHOD_LABELS = {
    "risk_rule": "правило Рособрнадзора (≥ 30 % «2»)",
    "indicators": "показатели (приказ, 2 года)",
    "cluster": "сравнение внутри кластера",
    "value_added": "добавленная ценность с учётом контекста",
}
PROCEDURE_LABELS = {"vpr": "ВПР", "oge": "ОГЭ", "ege": "ЕГЭ", "rdr": "РДР"}

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

    return default_config()[section]


def shipped_defaults(section: str) -> dict[str, Any]:
    """A copy of the shipped defaults of one settings section (``value_added``, ``social_index``…)."""
    return copy.deepcopy(_shipped(section))


@functools.lru_cache(maxsize=4096)
def unit_label(procedure: str, subject: str, grade: int | None) -> str:
    """«ВПР, Математика, 5 кл.»."""
    parts = [PROCEDURE_LABELS.get(procedure, procedure), SUBJECTS.get(subject, subject)]
    if grade is not None:
        parts.append(f"{grade} кл.")
    return ", ".join(parts)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %".replace(".", ",")


def _num(x: float | None, nd: int = 2) -> str:
    return "—" if x is None else f"{x:.{nd}f}".replace(".", ",").replace("-", "−")


# --------------------------------------------------------------------------------------------
# (a) Rosobrnadzor risk rule
# --------------------------------------------------------------------------------------------


def unit_shares(
    scores: pl.DataFrame | pl.LazyFrame, *, procedures: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Failure share per school and procedure unit.

    ``year, school_id, procedure, subject, grade, n, fails, share`` where ``n`` counts
    participants with a known fail status (absent pupils are never in ``scores``). Lazy, so that
    only the columns it needs are filtered (a country's pupils filtered whole took 1.8 GB).
    """
    s = scores.lazy().filter(pl.col("fail").is_not_null())
    if procedures:
        s = s.filter(pl.col("procedure").is_in(list(procedures)))
    if subjects:
        s = s.filter(pl.col("subject").is_in(list(subjects)))
    return (
        s.group_by(["year", "school_id", "procedure", "subject", "grade"])
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("fail").sum().cast(pl.Int64).alias("fails"))
        .with_columns((pl.col("fails") / pl.col("n")).alias("share"))
        .sort(["year", "school_id", "procedure", "subject", "grade"])
        .collect()
    )


def risk_rule(
    scores: pl.DataFrame, year: int, config: Mapping[str, Any]
) -> tuple[pl.DataFrame, dict[str, dict]]:
    """The Rosobrnadzor risk list for ``year``.

    Returns the frame ``school_id, risk_list, branch_year, branch_consecutive, n_over`` for every
    school with a counted procedure in ``year`` or the years before it that the rule looks at,
    and the evidence per school.
    """
    thr = float(config.get("threshold_percent", 30))
    min_proc = int(config.get("min_procedures", 2))
    consec = max(1, int(config.get("consecutive_years", 2)))
    min_n = max(1, int(config.get("min_participants", 1)))
    years = list(range(year - consec + 1, year + 1))
    u = unit_shares(
        scores.lazy().filter(pl.col("year").is_in(years)),
        procedures=config.get("procedures") or None,
        subjects=config.get("subjects") or None,
    ).with_columns(
        (pl.col("n") >= min_n).alias("counted"),
        # exact comparison in integers when the threshold is whole: no rounding of the share
        ((pl.col("fails") * 100 >= thr * pl.col("n")) & (pl.col("n") >= min_n)).alias("over"),
    )
    key = ["procedure", "subject", "grade"]
    this_year = u.filter(pl.col("year") == year)
    branch1 = this_year.group_by("school_id").agg(pl.col("over").sum().alias("n_over"))
    runs = (
        u.filter(pl.col("over"))
        .group_by(["school_id", *key])
        .agg(pl.col("year").n_unique().alias("k"))
        .filter(pl.col("k") >= len(years))
        .group_by("school_id")
        .agg(pl.len().alias("n_runs"))
    )
    ids = u.select("school_id").unique()
    out = (
        ids.join(branch1, on="school_id", how="left")
        .join(runs, on="school_id", how="left")
        .with_columns(pl.col("n_over").fill_null(0), pl.col("n_runs").fill_null(0))
        .with_columns(
            (pl.col("n_over") >= min_proc).alias("branch_year"),
            (pl.col("n_runs") >= 1).alias("branch_consecutive")
            if consec > 1
            else pl.lit(False).alias("branch_consecutive"),
        )
        .with_columns((pl.col("branch_year") | pl.col("branch_consecutive")).alias("risk_list"))
        .select(
            "school_id", "risk_list", "branch_year", "branch_consecutive", pl.col("n_over").cast(pl.Int64)
        )
        .sort("school_id")
    )
    run_units = (
        u.filter(pl.col("over"))
        .group_by(["school_id", *key])
        .agg(pl.col("year").n_unique().alias("k"))
        .filter(pl.col("k") >= len(years))
    )
    run_set = {
        (r["school_id"], r["procedure"], r["subject"], r["grade"]) for r in run_units.iter_rows(named=True)
    }
    units_by_school: dict[str, list[dict]] = {}
    for r in u.iter_rows(named=True):
        units_by_school.setdefault(r["school_id"], []).append(
            {
                "year": r["year"],
                "procedure": r["procedure"],
                "subject": r["subject"],
                "grade": r["grade"],
                "label": unit_label(r["procedure"], r["subject"], r["grade"]),
                "participants": r["n"],
                "fails": r["fails"],
                "share": round(r["share"], 4),
                "counted": r["counted"],
                "over": r["over"],
                "in_run": (r["school_id"], r["procedure"], r["subject"], r["grade"]) in run_set,
            }
        )
    threshold = (
        f"≥ {thr:g} % участников ниже границы «2» в {min_proc} и более процедурах за {year} г."
        + (f" или в одной процедуре {consec} года подряд" if consec > 1 else "")
        + (f"; процедура учитывается при ≥ {min_n} участниках" if min_n > 1 else "")
    )
    evidence: dict[str, dict] = {}
    for r in out.iter_rows(named=True):
        units = units_by_school.get(r["school_id"], [])
        over_now = [x for x in units if x["over"] and x["year"] == year]
        in_run = sorted({x["label"] for x in units if x["in_run"]})
        parts = []
        if r["branch_year"]:
            parts.append(
                f"{len(over_now)} процедур(ы) с долей «2» ≥ {thr:g} % в {year} г.: "
                + "; ".join(f"{x['label']} — {_pct(x['share'])}" for x in over_now)
            )
        if r["branch_consecutive"]:
            parts.append(f"{consec} года подряд ≥ {thr:g} % «2»: " + "; ".join(in_run))
        evidence[r["school_id"]] = {
            "low": r["risk_list"],
            "statistic": "доля участников ниже границы «2» по процедуре",
            "threshold": threshold,
            "comparison_group": "абсолютный порог (без сравнения)",
            "branch_year": r["branch_year"],
            "branch_consecutive": r["branch_consecutive"],
            "units": units,
            "summary": "; ".join(parts) if parts else f"нет оснований по правилу ({threshold})",
        }
    return out, evidence


# --------------------------------------------------------------------------------------------
# (b) Seed-003 indicators
# --------------------------------------------------------------------------------------------


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


def indicator_flags(values: pl.DataFrame, config: Mapping[str, Any]) -> tuple[pl.DataFrame, dict[str, dict]]:
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
        median = elig["value"].median() if elig.height else None
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
            pts = float(ind.get("points", 1)) if hit else 0.0
            flagged_rows.append({"school_id": r["school_id"], "points": pts})
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
                "points": pts,
            }
    pts = (
        pl.DataFrame(flagged_rows, schema={"school_id": pl.String, "points": pl.Float64})
        .group_by("school_id")
        .agg(pl.col("points").sum())
        .with_columns((pl.col("points") >= min_points).alias("low_indicators"))
        .sort("school_id")
    )
    evidence = {}
    for r in pts.iter_rows(named=True):
        d = details.get(r["school_id"], {})
        hits = [f"{x['label']}: {_pct(x['value'])}" for x in d.values() if x["flagged"]]
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
    return pts, evidence


# --------------------------------------------------------------------------------------------
# (c) Context clusters
# --------------------------------------------------------------------------------------------


def _size_band(pupils: int | None, edges: Sequence[int]) -> str:
    if pupils is None:
        return "численность неизвестна"
    lo = 0
    for e in edges:
        if pupils <= e:
            return f"до {e}" if lo == 0 else f"{lo + 1}–{e}"
        lo = e
    return f"более {lo}"


def cluster_keys(
    schools: pl.DataFrame, social: pl.DataFrame | None, config: Mapping[str, Any]
) -> pl.DataFrame:
    """``school_id, locality, social_tercile, size_band, kind_group`` as labels (strings)."""
    kinds = {str(k).lower(): v for k, v in dict(config.get("kind_groups", {})).items()}
    edges = [int(e) for e in config.get("size_bands", [100, 300, 700])]
    rows = []
    for r in schools.iter_rows(named=True):
        loc = (r.get("locality") or "").strip().lower()
        kind = (r.get("kind") or "").strip().lower()
        rows.append(
            {
                "school_id": str(r["school_id"]),
                "locality": loc if loc else "тип поселения неизвестен",
                "size_band": _size_band(r.get("pupils"), edges),
                "kind_group": kinds.get(kind, "прочие") if kind else "вид неизвестен",
            }
        )
    out = pl.DataFrame(
        rows,
        schema={
            "school_id": pl.String,
            "locality": pl.String,
            "size_band": pl.String,
            "kind_group": pl.String,
        },
    )
    if social is not None and social.height:
        t = social_index.terciles(social).with_columns(
            pl.format("соц. индекс: {}-я треть", pl.col("social_tercile")).alias("social_tercile")
        )
        out = out.join(t, on="school_id", how="full", coalesce=True)
    else:
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("social_tercile"))
    return out.with_columns(
        pl.col("locality").fill_null("тип поселения неизвестен"),
        pl.col("size_band").fill_null("численность неизвестна"),
        pl.col("kind_group").fill_null("вид неизвестен"),
        pl.col("social_tercile").fill_null("соц. индекс неизвестен"),
    )


#: At most this many of a cluster's values go into each school's strip chart: a larger cluster is
#: drawn from evenly spaced order statistics (its quantiles), so the evidence of 40,000 schools in
#: clusters of thousands stays kilobytes per school instead of one copy of the cluster each.
CHART_POINTS = 200


def _chart_points(values: list[float], k: int) -> list[float]:
    """The sorted values themselves, or ``k`` evenly spaced order statistics (min and max included)."""
    n = len(values)
    if n <= k or k < 2:
        return values
    return [values[round(i * (n - 1) / (k - 1))] for i in range(k)]


def cluster_compare(
    stat: pl.DataFrame, keys: pl.DataFrame, config: Mapping[str, Any], *, low_is_bad: bool = True
) -> tuple[pl.DataFrame, dict[str, dict]]:
    """Bottom X % within the context cluster.

    ``stat`` has ``school_id, value, n``. Clusters are coarsened (last key dropped) until they
    hold ``min_cluster_size`` eligible schools. Returns ``school_id, cluster, low_cluster`` and
    evidence (cluster, its size, the school's rank from the bottom, the cut, the cluster's
    values for a strip chart — at most ``chart_points`` (default ``CHART_POINTS``), a larger
    cluster's quantiles).
    """
    by = list(config.get("by", ["locality", "social_tercile", "size_band", "kind_group"]))
    min_size = int(config.get("min_cluster_size", 10))
    bottom = float(config.get("bottom_percent", 10))
    min_n = int(config.get("min_participants", 1))
    chart_points = int(config.get("chart_points", CHART_POINTS))
    data = stat.join(keys, on="school_id", how="left").with_columns(
        [pl.col(k).fill_null("нет данных") for k in by if k in keys.columns]
    )
    by = [k for k in by if k in data.columns]
    elig = data.filter((pl.col("n") >= min_n) & pl.col("value").is_not_null())
    sign = 1.0 if low_is_bad else -1.0
    parts = []
    members_map: dict[str, list[float]] = {}
    assigned: set[str] = set()
    for k in range(len(by), -1, -1):
        cols = by[:k]
        lab = pl.concat_str([pl.col(c) for c in cols], separator=" · ") if cols else pl.lit("весь регион")
        e = elig.with_columns(lab.alias("cluster"), (pl.col("value") * sign).alias("_v")).with_columns(
            pl.len().over("cluster").cast(pl.Int64).alias("cluster_size"),
            pl.col("_v").rank("min").over("cluster").cast(pl.Int64).alias("rank_from_bottom"),
            pl.col("value").median().over("cluster").alias("cluster_median"),
        )
        take = e.filter(
            ~pl.col("school_id").is_in(list(assigned))
            & ((pl.col("cluster_size") >= min_size) | pl.lit(k == 0))
        )
        if take.height:
            parts.append(take)
            assigned |= set(take["school_id"].to_list())
            wanted = take.select("cluster").unique()
            values = (
                e.join(wanted, on="cluster", how="semi")
                .group_by("cluster")
                .agg(pl.col("value").sort().round(4))
            )
            for c, vals in values.iter_rows():
                members_map[c] = _chart_points(vals, chart_points)
    if not parts:
        schema = {"school_id": pl.String, "cluster": pl.String, "low_cluster": pl.Boolean}
        return pl.DataFrame(schema=schema), {}
    a = (
        pl.concat(parts)
        .with_columns(
            (pl.col("cluster_size").cast(pl.Float64) * bottom / 100 - 1e-9)
            .ceil()
            .cast(pl.Int64)
            .alias("cut_rank")
        )
        .with_columns((pl.col("rank_from_bottom") <= pl.col("cut_rank")).alias("low_cluster"))
    )
    evidence = {}
    for r in a.iter_rows(named=True):
        evidence[r["school_id"]] = {
            "low": r["low_cluster"],
            "statistic": "средний стандартизированный балл" if low_is_bad else "показатель",
            "value": round(r["value"], 4),
            "comparison_group": f"кластер «{r['cluster']}» ({r['cluster_size']} школ)",
            "cluster": r["cluster"],
            "cluster_size": r["cluster_size"],
            "cluster_median": round(r["cluster_median"], 4),
            "rank_from_bottom": r["rank_from_bottom"],
            "cut_rank": r["cut_rank"],
            "threshold": f"нижние {bottom:g} % кластера (место снизу ≤ {r['cut_rank']})",
            "chart": {
                "cluster_values": members_map[r["cluster"]],
                "school_value": round(r["value"], 4),
                **({"cluster_values_are_quantiles": True} if r["cluster_size"] > len(members_map[r["cluster"]]) else {}),
            },
            "summary": (
                f"{r['rank_from_bottom']}-е место снизу из {r['cluster_size']} в кластере «{r['cluster']}»"
                f" (порог: место ≤ {r['cut_rank']})"
            ),
        }
    out = a.select("school_id", "cluster", "low_cluster").sort("school_id")
    not_compared = data.filter(~pl.col("school_id").is_in(list(assigned)))
    for r in not_compared.iter_rows(named=True):
        evidence[r["school_id"]] = {
            "low": False,
            "summary": f"не сравнивается: меньше {min_n} результатов",
            "n": r["n"],
        }
    return out, evidence


# --------------------------------------------------------------------------------------------
# One year of the support list
# --------------------------------------------------------------------------------------------


def _school_means(
    scores: pl.DataFrame, year: int, window: int, procedures: Sequence[str] | None
) -> pl.DataFrame:
    s = scores.lazy().filter(pl.col("year").is_between(year - window + 1, year) & pl.col("z").is_not_null())
    if procedures:
        s = s.filter(pl.col("procedure").is_in(list(procedures)))
    m = value_added.school_moments(s.select("school_id", "z").collect())  # (the same to the bit every run)
    return m.select("school_id", pl.col("ybar").alias("value"), pl.col("n").cast(pl.Int64))


def assess_year(
    inputs: Inputs,
    scores: pl.DataFrame,
    year: int,
    config: Mapping[str, Any],
    *,
    va_config: Mapping[str, Any],
    social: pl.DataFrame | None,
    with_value_added: bool,
) -> tuple[pl.DataFrame, dict[str, dict]]:
    """All methods for one year: ``school_id, low_results, risk_list, cluster`` + evidence per school."""
    sl = dict(config.get("support_list", {}))
    methods = sl.get("method", ["value_added"])
    methods = [methods] if isinstance(methods, str) else list(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"low_results.support_list.method: неизвестный метод {unknown or methods}")
    combine = str(sl.get("combine", "any"))
    window = int(sl.get("window_years", 2))
    procs = sl.get("procedures") or None

    ids = set(scores.lazy().filter(pl.col("year").is_between(year - window + 1, year))
              .select(pl.col("school_id").unique()).collect().to_series().to_list())
    if not ids:
        return pl.DataFrame(
            schema={
                "school_id": pl.String,
                "low_results": pl.Boolean,
                "risk_list": pl.Boolean,
                "cluster": pl.String,
            }
        ), {}

    risk, ev_risk = risk_rule(scores, year, config.get("risk_rule", {}))
    ind_cfg = dict(config.get("indicators", {}))
    values = indicator_values(scores, year, window, ind_cfg)
    ind, ev_ind = indicator_flags(values, ind_cfg)

    cl_cfg = dict(config.get("cluster", {}))
    statistic = str(cl_cfg.get("statistic", "mean_z"))
    means = _school_means(scores, year, window, procs)
    if statistic == "mean_z":
        stat, low_is_bad = means, True
    else:
        if statistic not in ind_cfg:
            raise ValueError(f"low_results.cluster.statistic: неизвестная статистика «{statistic}»")
        stat = values.filter(pl.col("indicator") == statistic).select("school_id", "value", "n")
        low_is_bad = ind_cfg[statistic].get("direction", "high_is_bad") == "low_is_bad"
    schools = inputs.schools.select(
        pl.col("school_id").cast(pl.String),
        *[c for c in ("locality", "kind", "pupils") if c in inputs.schools.columns],
    )
    known = set(schools["school_id"].to_list())
    missing = sorted(ids - known)
    if missing:
        schools = pl.concat(
            [schools, pl.DataFrame({"school_id": missing}, schema={"school_id": pl.String})], how="diagonal"
        )
    for c, t in (("locality", pl.String), ("kind", pl.String), ("pupils", pl.Int64)):
        if c not in schools.columns:
            schools = schools.with_columns(pl.lit(None, dtype=t).alias(c))
    keys = cluster_keys(schools, social, cl_cfg)
    cl, ev_cl = cluster_compare(stat, keys, cl_cfg, low_is_bad=low_is_bad)

    va = None
    ev_va: dict[str, dict] = {}
    va_note = None
    if with_value_added:
        va_window = int(va_config.get("window_years", 2))
        va_scores = scores.filter(pl.col("year").is_between(year - va_window + 1, year))
        if va_config.get("procedures"):
            va_scores = va_scores.filter(pl.col("procedure").is_in(list(va_config["procedures"])))
        if va_config.get("subjects"):
            va_scores = va_scores.filter(pl.col("subject").is_in(list(va_config["subjects"])))
        sids = va_scores["school_id"].unique().sort().to_list()
        try:
            covs, note = value_added.school_covariates(
                inputs.context,
                inputs.schools,
                year,
                list(va_config.get("covariates", [])),
                sids,
                special_kinds=list(va_config.get("special_kinds", value_added.SPECIAL_KINDS)),
            )
            va, _fit, va_evidence = value_added.school_effects_with_evidence(
                va_scores, covs, va_config, covariate_note=note
            )
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            va_note = f"модель добавленной ценности не построена: {exc}"
        if va is not None:
            for r, e in zip(va.iter_rows(named=True), va_evidence, strict=True):
                e = dict(e)  # top-level keys are added below; the shared model summary is never changed
                e["low"] = r["low_value_added"]
                lo_, hi_ = e["interval"]
                e["summary"] = (
                    f"эффект {_num(e['effect'])} SD, {int(100 * float(va_config.get('level', 0.95)))} % интервал "
                    f"[{_num(lo_)}; {_num(hi_)}]"
                    + (" — целиком ниже ожидаемого" if r["low_value_added"] else "")
                    + (f" (мало результатов: {r['n_pupils']})" if e.get("too_few_pupils") else "")
                )
                ev_va[r["school_id"]] = e

    frame = pl.DataFrame({"school_id": sorted(ids)}, schema={"school_id": pl.String})
    frame = (
        frame.join(risk.select("school_id", "risk_list"), on="school_id", how="left")
        .join(ind.select("school_id", "low_indicators"), on="school_id", how="left")
        .join(cl, on="school_id", how="left")
        .join(
            va.select("school_id", "low_value_added")
            if va is not None
            else pl.DataFrame(schema={"school_id": pl.String, "low_value_added": pl.Boolean}),
            on="school_id",
            how="left",
        )
        .join(
            means.select("school_id", pl.col("value").alias("mean_z"), pl.col("n").alias("n_results")),
            on="school_id",
            how="left",
        )
        .with_columns(
            pl.col("risk_list").fill_null(False),
            pl.col("low_indicators").fill_null(False),
            pl.col("low_cluster").fill_null(False),
            pl.col("low_value_added").fill_null(False),
        )
    )
    flag_col = {
        "risk_rule": "risk_list",
        "indicators": "low_indicators",
        "cluster": "low_cluster",
        "value_added": "low_value_added",
    }
    flags = [pl.col(flag_col[m]) for m in methods]
    combined = pl.any_horizontal(flags) if combine == "any" else pl.all_horizontal(flags)
    if combine not in ("any", "all"):
        raise ValueError(f"low_results.support_list.combine: ожидается any или all, получено «{combine}»")
    frame = frame.with_columns(combined.alias("low_results"))
    keys_map = {r["school_id"]: r for r in keys.iter_rows(named=True)}

    evidence: dict[str, dict] = {}
    primary = methods[0]
    for r in frame.iter_rows(named=True):
        sid = r["school_id"]
        per = {
            "risk_rule": ev_risk.get(sid, {"low": False, "summary": "нет результатов для правила"}),
            "indicators": ev_ind.get(sid, {"low": False, "summary": "нет показателей"}),
            "cluster": ev_cl.get(sid, {"low": False, "summary": "не сравнивается"}),
        }
        if with_value_added:
            per["value_added"] = ev_va.get(
                sid, {"low": False, "summary": va_note or "нет результатов для модели"}
            )
        for m, e in per.items():
            e["in_support_list_method"] = m in methods
        main = per.get(primary, {})
        kk = keys_map.get(sid, {})
        va_e = per.get("value_added") or {}
        evidence[sid] = {
            "year": year,
            "support_list": {"methods": methods, "combine": combine, "low": r["low_results"]},
            "risk_list": r["risk_list"],
            "statistic": main.get("statistic"),
            "comparison_group": main.get("comparison_group"),
            "threshold": main.get("threshold"),
            "interval": main.get("interval"),
            "mean_z": None if r["mean_z"] is None else round(r["mean_z"], 4),
            "n_results": r["n_results"],
            "cluster_keys": {k: kk.get(k) for k in ("locality", "social_tercile", "size_band", "kind_group")},
            "value_added": {k: va_e.get(k) for k in ("effect", "interval", "caterpillar")}
            if va_e.get("interval")
            else None,
            "methods": per,
        }
    return frame.select("school_id", "low_results", "risk_list", "cluster", "mean_z"), evidence


def _indicator_text(ev: Mapping[str, Any]) -> str:
    parts = []
    per = ev.get("methods", {})
    risk = per.get("risk_rule", {})
    over = [u for u in risk.get("units", []) if u.get("over") and u.get("year") == ev.get("year")]
    if over:
        parts.append("≥30 % «2»: " + ", ".join(f"{u['label']} {_pct(u['share'])}" for u in over))
    for name, v in (per.get("indicators", {}).get("values") or {}).items():
        if v.get("scored"):
            parts.append(f"{name}={_pct(v['value'])}" + ("*" if v.get("flagged") else ""))
    if ev.get("mean_z") is not None:
        parts.append(f"средний z={_num(ev['mean_z'])}")
    va = ev.get("value_added")
    if va and va.get("interval"):
        parts.append(f"эффект={_num(va['effect'])} [{_num(va['interval'][0])}; {_num(va['interval'][1])}]")
    return "; ".join(parts)


def _json_default(value: Any) -> Any:
    """What ``json.dumps(default=str)`` did for the types orjson does not write itself: float
    subclasses (numpy's float64) as numbers, anything else as its text."""
    return float(value) if isinstance(value, float) else str(value)


def _evidence_json(evidence: Mapping[str, Any]) -> bytes:
    """The evidence as UTF-8 JSON, by orjson: ten times faster than ``json.dumps`` for a country's
    40,000 schools (11 s), and NaN is written as null, which every JSON reader (and PostgreSQL's
    jsonb) accepts. Bytes, copied to their size: half the memory of the Cyrillic text as ``str``."""
    return memoryview(orjson.dumps(evidence, default=_json_default, option=orjson.OPT_NON_STR_KEYS)).tobytes()


def _available_years(results: pl.LazyFrame | pl.DataFrame, year: int) -> list[int]:
    lf = results.lazy() if isinstance(results, pl.DataFrame) else results
    ys = lf.select(pl.col("year").cast(pl.Int32)).unique().collect()["year"].to_list()
    return sorted(int(y) for y in ys if y is not None and y <= year)


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

    available = _available_years(inputs.results, year)
    if history is None:
        lookback = int(p_cfg.get("lookback_years", 4))
        years = [y for y in available if y >= year - lookback]
    else:
        years = [y for y in available if y == year]
    if year not in years:
        years.append(year)
    span = max(window, consec, va_window)
    scores = value_added.pupil_scores(
        inputs.results, inputs.scales, years=list(range(min(years) - span + 1, year + 1))
    )

    membership = []
    current: tuple[pl.DataFrame, dict[str, dict]] | None = None
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
        )
        membership.append(
            frame.select(
                pl.lit(y, dtype=pl.Int32).alias("year"), "school_id", pl.col("low_results").alias("in_list")
            )
        )
        if y == year:
            current = (frame, ev)
    memb = pl.concat(membership)
    if history is not None and history.height:
        hist = history.select(
            pl.col("year").cast(pl.Int32),
            pl.col("school_id").cast(pl.String),
            pl.col("in_list").cast(pl.Boolean),
        )
        memb = pl.concat([hist.filter(pl.col("year") < year), memb])
    assert current is not None
    frame, ev = current
    pers = persistence.classify(memb, year, p_cfg)
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
    cols: dict[str, list] = {k: [] for k in OUTPUT_SCHEMA}
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
    return (pl.DataFrame({k: pl.Series(k, v, dtype=OUTPUT_SCHEMA[k]) for k, v in cols.items()})
            .with_columns(evidence).select(list(OUTPUT_SCHEMA)).sort("school_id"))


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
        f"{METHOD_LABELS.get(m, m)}: {'да' if per.get(m, {}).get('low') else 'нет'} ({per.get(m, {}).get('summary', '—')})"
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
    "METHODS",
    "NAME",
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
