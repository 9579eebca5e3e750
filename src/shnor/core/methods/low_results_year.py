"""One year of the support list: every method's call per school, combined, with the evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from shnor.core.methods import value_added
from shnor.core.methods.base import Inputs
from shnor.core.methods.low_results_cluster import cluster_compare, cluster_keys
from shnor.core.methods.low_results_common import METHODS, num
from shnor.core.methods.low_results_indicators import indicator_flags, indicator_values
from shnor.core.methods.low_results_risk import risk_rule

#: The flag column each support-list method sets.
FLAG_COLUMNS = {
    "risk_rule": "risk_list",
    "indicators": "low_indicators",
    "cluster": "low_cluster",
    "value_added": "low_value_added",
}
YEAR_SCHEMA = {
    "school_id": pl.String,
    "low_results": pl.Boolean,
    "risk_list": pl.Boolean,
    "cluster": pl.String,
}


def support_list_methods(config: Mapping[str, Any]) -> list[str]:
    """The configured support-list method(s) as a list, checked against ``METHODS``."""
    sl = dict(config.get("support_list", {}))
    methods = sl.get("method", ["value_added"])
    methods = [methods] if isinstance(methods, str) else list(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"low_results.support_list.method: неизвестный метод {unknown or methods}")
    return methods


def _school_means(
    scores: pl.DataFrame, year: int, window: int, procedures: Sequence[str] | None
) -> pl.DataFrame:
    s = scores.lazy().filter(pl.col("year").is_between(year - window + 1, year) & pl.col("z").is_not_null())
    if procedures:
        s = s.filter(pl.col("procedure").is_in(list(procedures)))
    m = value_added.school_moments(s)  # (the same to the bit every run)
    return m.select("school_id", pl.col("ybar").alias("value"), pl.col("n").cast(pl.Int64))


def _cluster_statistic(
    means: pl.DataFrame, values: pl.DataFrame, statistic: str, ind_cfg: Mapping[str, Any]
) -> tuple[pl.DataFrame, bool]:
    """The statistic compared within clusters (``school_id, value, n``) and whether low is bad."""
    if statistic == "mean_z":
        return means, True
    if statistic not in ind_cfg:
        raise ValueError(f"low_results.cluster.statistic: неизвестная статистика «{statistic}»")
    stat = values.filter(pl.col("indicator") == statistic).select("school_id", "value", "n")
    return stat, ind_cfg[statistic].get("direction", "high_is_bad") == "low_is_bad"


def _school_register(inputs: Inputs, ids: set[str]) -> pl.DataFrame:
    """``school_id, locality, kind, pupils`` of every school with results (unknown ones with nulls)."""
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
    return schools


def _value_added(
    inputs: Inputs, scores: pl.DataFrame, year: int, va_config: Mapping[str, Any]
) -> tuple[pl.DataFrame | None, dict[str, dict[str, Any]], str | None]:
    """The value-added flags, their evidence per school, and a note when the model could not be built."""
    va = None
    ev_va: dict[str, dict[str, Any]] = {}
    va_note = None
    va_window = int(va_config.get("window_years", 2))
    window = scores.lazy().filter(pl.col("year").is_between(year - va_window + 1, year))
    if va_config.get("procedures"):
        window = window.filter(pl.col("procedure").is_in(list(va_config["procedures"])))
    if va_config.get("subjects"):
        window = window.filter(pl.col("subject").is_in(list(va_config["subjects"])))
    sids = window.select(pl.col("school_id").unique().sort()).collect().to_series().to_list()
    try:
        covs, note = value_added.school_covariates(
            inputs.context,
            inputs.schools,
            year,
            list(va_config.get("covariates", [])),
            sids,
            special_kinds=list(va_config.get("special_kinds", value_added.SPECIAL_KINDS)),
        )
        # the window stays lazy: the model reads only each pupil's school and z (school_moments)
        va, _fit, va_evidence = value_added.school_effects_with_evidence(
            window, covs, va_config, covariate_note=note
        )
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        va_note = f"модель добавленной ценности не построена: {exc}"
    if va is not None:
        for r, e in zip(va.iter_rows(named=True), va_evidence, strict=True):
            e = dict(e)  # top-level keys are added below; the shared model summary is never changed
            e["low"] = r["low_value_added"]
            lo_, hi_ = e["interval"]
            e["summary"] = (
                f"эффект {num(e['effect'])} SD, {int(100 * float(va_config.get('level', 0.95)))} % интервал "
                f"[{num(lo_)}; {num(hi_)}]"
                + (" — целиком ниже ожидаемого" if r["low_value_added"] else "")
                + (f" (мало результатов: {r['n_pupils']})" if e.get("too_few_pupils") else "")
            )
            ev_va[r["school_id"]] = e
    return va, ev_va, va_note


def _combine(
    ids: set[str],
    flags: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame | None],
    means: pl.DataFrame,
    methods: list[str],
    combine: str,
) -> pl.DataFrame:
    """Every method's flag per school and ``low_results``: any or all of the support-list methods.

    ``flags``: the risk rule's, the indicators', the cluster comparison's and value added's frames.
    """
    risk, ind, cl, va = flags
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
    flag_exprs = [pl.col(FLAG_COLUMNS[m]) for m in methods]
    combined = pl.any_horizontal(flag_exprs) if combine == "any" else pl.all_horizontal(flag_exprs)
    if combine not in ("any", "all"):
        raise ValueError(f"low_results.support_list.combine: ожидается any или all, получено «{combine}»")
    return frame.with_columns(combined.alias("low_results"))


def _school_evidence(
    r: Mapping[str, Any],
    year: int,
    per: dict[str, dict[str, Any]],
    keys: Mapping[str, Any],
    methods: list[str],
    combine: str,
) -> dict[str, Any]:
    """One school's evidence for the year: the support-list call, the primary method's terms, every method."""
    for m, e in per.items():
        e["in_support_list_method"] = m in methods
    main = per.get(methods[0], {})
    va_e = per.get("value_added") or {}
    return {
        "year": year,
        "support_list": {"methods": methods, "combine": combine, "low": r["low_results"]},
        "risk_list": r["risk_list"],
        "statistic": main.get("statistic"),
        "comparison_group": main.get("comparison_group"),
        "threshold": main.get("threshold"),
        "interval": main.get("interval"),
        "mean_z": None if r["mean_z"] is None else round(r["mean_z"], 4),
        "n_results": r["n_results"],
        "cluster_keys": {k: keys.get(k) for k in ("locality", "social_tercile", "size_band", "kind_group")},
        "value_added": {k: va_e.get(k) for k in ("effect", "interval", "caterpillar")}
        if va_e.get("interval")
        else None,
        "methods": per,
    }


def _year_evidence(
    frame: pl.DataFrame,
    year: int,
    keys: pl.DataFrame,
    method_evidence: Mapping[str, dict[str, dict[str, Any]]],
    va_note: str | None,
    methods: list[str],
    combine: str,
    with_value_added: bool,
) -> dict[str, dict[str, Any]]:
    """The evidence of every school in ``frame``, each method's (or a note why it has none)."""
    keys_map = {r["school_id"]: r for r in keys.iter_rows(named=True)}
    evidence: dict[str, dict[str, Any]] = {}
    for r in frame.iter_rows(named=True):
        sid = r["school_id"]
        per = {
            "risk_rule": method_evidence["risk_rule"].get(
                sid, {"low": False, "summary": "нет результатов для правила"}
            ),
            "indicators": method_evidence["indicators"].get(
                sid, {"low": False, "summary": "нет показателей"}
            ),
            "cluster": method_evidence["cluster"].get(sid, {"low": False, "summary": "не сравнивается"}),
        }
        if with_value_added:
            per["value_added"] = method_evidence["value_added"].get(
                sid, {"low": False, "summary": va_note or "нет результатов для модели"}
            )
        evidence[sid] = _school_evidence(r, year, per, keys_map.get(sid, {}), methods, combine)
    return evidence


def assess_year(
    inputs: Inputs,
    scores: pl.DataFrame,
    year: int,
    config: Mapping[str, Any],
    *,
    va_config: Mapping[str, Any],
    social: pl.DataFrame | None,
    with_value_added: bool,
    with_evidence: bool = True,
) -> tuple[pl.DataFrame, dict[str, dict[str, Any]]]:
    """All methods for one year: ``school_id, low_results, risk_list, cluster`` + evidence per school
    (without ``with_evidence`` none, and the risk rule's left unmade: an earlier year's list membership
    needs only the frame)."""
    methods = support_list_methods(config)
    sl = dict(config.get("support_list", {}))
    combine = str(sl.get("combine", "any"))
    window = int(sl.get("window_years", 2))
    procs = sl.get("procedures") or None

    ids = set(
        scores.lazy()
        .filter(pl.col("year").is_between(year - window + 1, year))
        .select(pl.col("school_id").unique())
        .collect()
        .to_series()
        .to_list()
    )
    if not ids:
        return pl.DataFrame(schema=YEAR_SCHEMA), {}

    risk, ev_risk = risk_rule(scores, year, config.get("risk_rule", {}), with_evidence=with_evidence)
    ind_cfg = dict(config.get("indicators", {}))
    values = indicator_values(scores, year, window, ind_cfg)
    ind, ev_ind = indicator_flags(values, ind_cfg)

    cl_cfg = dict(config.get("cluster", {}))
    means = _school_means(scores, year, window, procs)
    stat, low_is_bad = _cluster_statistic(means, values, str(cl_cfg.get("statistic", "mean_z")), ind_cfg)
    keys = cluster_keys(_school_register(inputs, ids), social, cl_cfg)
    cl, ev_cl = cluster_compare(stat, keys, cl_cfg, low_is_bad=low_is_bad)

    va, ev_va, va_note = (
        _value_added(inputs, scores, year, va_config) if with_value_added else (None, {}, None)
    )

    frame = _combine(ids, (risk, ind, cl, va), means, methods, combine)
    out = frame.select("school_id", "low_results", "risk_list", "cluster", "mean_z")
    if not with_evidence:
        return out, {}
    method_evidence = {"risk_rule": ev_risk, "indicators": ev_ind, "cluster": ev_cl, "value_added": ev_va}
    return out, _year_evidence(
        frame, year, keys, method_evidence, va_note, methods, combine, with_value_added
    )
