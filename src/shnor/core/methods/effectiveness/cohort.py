"""The first two steps of the analysis: the cohort's data, then the matched difference in differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from shnor.core.methods.effectiveness.did import Estimate, bootstrap_interval, did_estimate
from shnor.core.methods.effectiveness.features import feature_matrix, school_features
from shnor.core.methods.effectiveness.matching import Matches, match_controls, standardised
from shnor.core.methods.effectiveness.schema import VARIABLES


@dataclass(frozen=True)
class Cohort:
    """The schools and years compared: supported schools with results, and the pool of possible controls."""

    start_year: int
    pre_years: int
    years: list[int]  # every year in the outcomes
    last: int  # the last post year
    post_years: list[int]
    supported: list[str]  # every supported school, sorted
    feats: pl.DataFrame  # school_features + post_mean, change
    treated: pl.DataFrame  # supported schools with results before and after the start
    no_data: list[str]  # supported schools without them
    pool: pl.DataFrame  # unsupported, not excluded schools with results after the start


def build_cohort(
    outcomes: pl.DataFrame,
    supported: Sequence[str],
    start_year: int,
    config: Mapping[str, Any],
    *,
    schools: pl.DataFrame | None,
    social: pl.DataFrame | None,
    exclude: Sequence[str],
    end_year: int | None,
) -> Cohort:
    """Years, features and the split of schools into supported (with or without data) and the pool."""
    pre_years = int(config.get("pre_years", 2))
    post_cap = int(config.get("post_years", 0))
    years_all = sorted(int(y) for y in outcomes["year"].unique().to_list())
    last = int(end_year) if end_year is not None else (max(years_all) if years_all else start_year)
    if post_cap > 0:
        last = min(last, start_year + post_cap - 1)
    post_years = [y for y in years_all if start_year <= y <= last]
    sup_ids = sorted(set(map(str, supported)))
    excl = set(map(str, exclude)) | set(sup_ids)

    feats = school_features(outcomes, start_year, pre_years, schools=schools, social=social)
    post = (
        outcomes.filter(pl.col("year").is_in(post_years))
        .group_by("school_id")
        .agg(pl.col("outcome").mean().alias("post_mean"))
    )
    feats = feats.join(post, on="school_id", how="left").with_columns(
        (pl.col("post_mean") - pl.col("pre_mean")).alias("change")
    )
    t_frame = pl.DataFrame({"school_id": sup_ids}, schema={"school_id": pl.String}).join(
        feats, on="school_id", how="left"
    )
    no_data = t_frame.filter(pl.col("pre_last").is_null() | pl.col("post_mean").is_null())[
        "school_id"
    ].to_list()
    t_frame = t_frame.filter(pl.col("pre_last").is_not_null() & pl.col("post_mean").is_not_null())
    pool = feats.filter(~pl.col("school_id").is_in(list(excl)) & pl.col("post_mean").is_not_null())
    return Cohort(start_year, pre_years, years_all, last, post_years, sup_ids, feats, t_frame, no_data, pool)


@dataclass(frozen=True)
class Fit:
    """The matching and the estimate with its interval (cluster or bootstrap, as configured)."""

    level: float
    bias: bool
    inference: str
    matches: Matches
    zt: np.ndarray  # standardised matching variables of the treated schools
    zc: np.ndarray  # … and of the pool
    est: Estimate
    se: float | None
    lower: float | None
    upper: float | None
    n_boot: int | None
    t_ids: list[str]  # treated school ids, in row order
    pool_ids: list[str]  # pool school ids, in row order
    matched: list[int]  # treated rows that entered the estimate

    @property
    def unmatched_ids(self) -> list[str]:
        """Treated schools that did not enter the estimate (no control within the caliper)."""
        return [self.t_ids[i] for i in range(len(self.t_ids)) if np.isnan(self.est.per_school[i])]


def fit_matching(cohort: Cohort, config: Mapping[str, Any]) -> Fit:
    """Match the treated schools to the pool and estimate the difference in differences."""
    ic = dict(config.get("inference", {}))
    level = float(ic.get("level", 0.95))
    mc = dict(config.get("matching", {}))
    names = [v for v in mc.get("variables", list(VARIABLES)) if v in VARIABLES]
    t_frame, pool = cohort.treated, cohort.pool

    xt_raw, xc_raw = feature_matrix(t_frame, names), feature_matrix(pool, names)
    matches = match_controls(xt_raw, xc_raw, names, config)
    zt, zc = standardised(xt_raw, xc_raw, names, matches.variables)
    yt = t_frame["change"].to_numpy().astype(float)
    yc = pool["change"].to_numpy().astype(float)
    bias = bool(mc.get("bias_adjustment", True))
    est = did_estimate(yt, yc, matches, zt, zc, level=level, bias_adjustment=bias)
    inference = str(ic.get("method", "cluster"))
    se, lo, hi = est.se, est.lower, est.upper
    n_boot = None
    if inference == "bootstrap" and est.estimate is not None:
        se, lo, hi, n_boot = bootstrap_interval(yt, yc, xt_raw, xc_raw, names, config, level)
    elif inference != "cluster":
        raise ValueError(f"effectiveness.inference.method: неизвестный метод «{inference}»")

    t_ids = t_frame["school_id"].to_list()
    matched = [i for i in range(len(t_ids)) if not np.isnan(est.per_school[i])]
    return Fit(
        level,
        bias,
        inference,
        matches,
        zt,
        zc,
        est,
        se,
        lo,
        hi,
        n_boot,
        t_ids,
        pool["school_id"].to_list(),
        matched,
    )
