"""Effectiveness of support: difference in differences against matched unsupported schools.

The outcome is a school's mean standardised result per year (``school_outcomes``). For a cohort
of schools supported from ``start_year`` the change ``Δ = mean(post years) − mean(pre years)`` of
each supported school is compared with the change of its k most similar unsupported schools
(``match_controls``: nearest neighbours on pre-period results and context, or on the propensity
score, with a caliper; with replacement). The controls' changes are optionally regression-adjusted
for what matching left over (Abadie–Imbens bias adjustment). The effect is the mean difference
over the matched supported schools, with a cluster-by-school interval (paired variance plus the
covariance from controls used more than once) or a bootstrap over schools.

Alongside: the trajectories of both groups (a chart of parallel pre-trends), the effect per post
year, regression to the mean estimated from unsupported schools near the selection cut, exits
from the list, covariate balance, and plain-language Russian conclusions that say what the
comparison can and cannot show. Pure functions: no Django, no file I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from shnor.core.methods.base import Inputs

NAME = "effectiveness"

SUPPORTED = "supported"
UNMATCHED = "unmatched"
CONTROL = "control"

VARIABLES = ("pre_mean", "pre_last", "social_index", "rural", "log_pupils")
VARIABLE_LABELS = {
    "pre_mean": "средний результат до сопровождения",
    "pre_last": "результат последнего года до сопровождения",
    "social_index": "индекс социального неблагополучия",
    "rural": "сельская школа",
    "log_pupils": "размер школы (логарифм численности)",
}

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "role": pl.String(),  # supported | unmatched (supported, no control within the caliper) | control
    "pre_mean": pl.Float64(),
    "pre_last": pl.Float64(),
    "post_mean": pl.Float64(),
    "change": pl.Float64(),  # post_mean − pre_mean
    "control_change": pl.Float64(),  # supported: mean (adjusted) change of its controls
    "difference": pl.Float64(),  # supported: change − control_change
    "n_controls": pl.Int32(),  # supported: matched controls; control: times used
    "weight": pl.Float64(),  # control: its total weight in the comparison group (sums to 1)
    "exit_year": pl.Int32(),  # supported: first year off the list from start_year on
    "list_status": pl.String(),
    "evidence": pl.String(),
}


# --------------------------------------------------------------------------------------------
# Outcomes and features
# --------------------------------------------------------------------------------------------


def school_outcomes(
    results: pl.LazyFrame | pl.DataFrame,
    scales: pl.DataFrame | None = None,
    *,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
    min_pupils: int = 1,
) -> pl.DataFrame:
    """``school_id, year, outcome, n_pupils``: mean standardised pupil result per school and year."""
    from shnor.core.methods.value_added import pupil_scores

    scores = pupil_scores(results, scales, years=years, procedures=procedures, subjects=subjects)
    return (
        scores.filter(pl.col("z").is_not_null())
        .group_by("school_id", "year")
        .agg(pl.col("z").mean().alias("outcome"), pl.len().cast(pl.Int64).alias("n_pupils"))
        .filter(pl.col("n_pupils") >= min_pupils)
        .with_columns(pl.col("year").cast(pl.Int32))
        .sort("school_id", "year")
    )


def school_features(
    outcomes: pl.DataFrame,
    start_year: int,
    pre_years: int,
    *,
    schools: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``school_id, pre_mean, pre_last, n_pre_years, social_index, rural, log_pupils``.

    Only schools with an outcome in the last pre year (``start_year − 1``) are kept.
    """
    pre = outcomes.filter(pl.col("year").is_between(start_year - pre_years, start_year - 1))
    feats = pre.group_by("school_id").agg(
        pl.col("outcome").mean().alias("pre_mean"),
        pl.col("outcome").filter(pl.col("year") == start_year - 1).first().alias("pre_last"),
        pl.len().cast(pl.Int32).alias("n_pre_years"),
    )
    feats = feats.filter(pl.col("pre_last").is_not_null())
    if schools is not None and schools.height:
        reg = schools.select(
            pl.col("school_id").cast(pl.String),
            (pl.col("locality").str.strip_chars().str.to_lowercase() == "село")
            .cast(pl.Float64)
            .alias("rural"),
            pl.col("pupils").cast(pl.Float64).clip(1).log().alias("log_pupils"),
        ).unique("school_id", keep="first")
        feats = feats.join(reg, on="school_id", how="left")
    else:
        feats = feats.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in ("rural", "log_pupils"))
    if social is not None and social.height:
        feats = feats.join(
            social.select(
                pl.col("school_id").cast(pl.String), pl.col("index").cast(pl.Float64).alias("social_index")
            ),
            on="school_id",
            how="left",
        )
    else:
        feats = feats.with_columns(pl.lit(None, dtype=pl.Float64).alias("social_index"))
    return feats.select("school_id", "pre_mean", "pre_last", "n_pre_years", *VARIABLES[2:]).sort("school_id")


def _matrix(frame: pl.DataFrame, variables: Sequence[str]) -> np.ndarray:
    if not variables:
        return np.zeros((frame.height, 0))
    return np.column_stack(
        [frame[v].cast(pl.Float64).fill_nan(None).to_numpy().astype(float) for v in variables]
    )


def _usable_variables(all_x: np.ndarray, names: Sequence[str]) -> tuple[list[int], dict[str, str]]:
    keep, dropped = [], {}
    for j, n in enumerate(names):
        col = all_x[:, j]
        ok = col[~np.isnan(col)]
        if ok.size == 0:
            dropped[n] = "нет данных"
        elif np.ptp(ok) == 0:
            dropped[n] = "не различается между школами"
        else:
            keep.append(j)
    return keep, dropped


def _logit_fit(x: np.ndarray, y: np.ndarray, ridge: float = 1e-3, iters: int = 50) -> np.ndarray:
    """Ridge-stabilised logistic regression by Newton steps: coefficients (intercept first)."""
    xd = np.column_stack([np.ones(len(y)), x])
    b = np.zeros(xd.shape[1])
    pen = np.full(xd.shape[1], ridge)
    pen[0] = 0.0
    for _ in range(iters):
        eta = np.clip(xd @ b, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        grad = xd.T @ (y - p) - pen * b
        hess = (xd * (p * (1 - p))[:, None]).T @ xd + np.diag(pen) + 1e-9 * np.eye(xd.shape[1])
        step = np.linalg.solve(hess, grad)
        b = b + step
        if np.abs(step).max() < 1e-8:
            break
    return b


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Matches:
    """Matched controls: ``controls[i]`` are pool row indices for supported row ``i`` (empty = unmatched)."""

    controls: list[np.ndarray]
    distances: list[np.ndarray]
    variables: list[str]
    dropped: dict[str, str]
    scale_note: str


def match_controls(
    xt: np.ndarray, xc: np.ndarray, names: Sequence[str], config: Mapping[str, Any]
) -> Matches:
    """k nearest controls with replacement within the caliper (see ``[matching]`` in the config).

    ``xt`` (supported × variables) and ``xc`` (pool × variables) may hold NaN: missing values are
    replaced by the mean over both groups. Ties are broken by pool order (deterministic).
    """
    mc = dict(config.get("matching", {}))
    method = str(mc.get("method", "nearest"))
    k = int(mc.get("k", 3))
    caliper = float(mc.get("caliper", 0.5))
    allx = np.vstack([xt, xc]) if xt.size or xc.size else np.zeros((0, len(names)))
    keep, dropped = _usable_variables(allx, names)
    names_kept = [names[j] for j in keep]
    allx = allx[:, keep]
    means = np.nanmean(allx, axis=0) if allx.size else np.zeros(len(keep))
    allx = np.where(np.isnan(allx), means, allx)
    sds = allx.std(axis=0, ddof=1) if allx.shape[0] > 1 else np.ones(len(keep))
    sds = np.where(sds > 0, sds, 1.0)
    z = (allx - means) / sds
    zt, zc = z[: xt.shape[0]], z[xt.shape[0] :]
    if method == "nearest":
        wmap = dict(mc.get("weights", {}))
        w = np.array([float(wmap.get(n, 1.0)) for n in names_kept])
        diff = zt[:, None, :] - zc[None, :, :]
        dist = np.sqrt((diff**2 * w).sum(axis=2) / max(w.sum(), 1e-12))
        note = "стандартизованное евклидово расстояние (среднеквадратичное по переменным)"
    elif method == "propensity":
        y = np.r_[np.ones(zt.shape[0]), np.zeros(zc.shape[0])]
        b = _logit_fit(z, y)
        lt = np.column_stack([np.ones(z.shape[0]), z]) @ b
        sd = float(lt.std(ddof=1)) if lt.size > 1 else 1.0
        dist = np.abs(lt[: zt.shape[0], None] - lt[None, zt.shape[0] :]) / (sd if sd > 0 else 1.0)
        note = "разность логитов оценки склонности (в SD логита)"
    else:
        raise ValueError(f"effectiveness.matching.method: неизвестный метод «{method}»")
    controls, distances = [], []
    for i in range(zt.shape[0]):
        order = np.argsort(dist[i], kind="stable")[:k]
        order = order[dist[i, order] <= caliper]
        controls.append(order)
        distances.append(dist[i, order])
    return Matches(controls, distances, names_kept, dropped, note)


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """One difference-in-differences estimate with its interval."""

    estimate: float | None
    se: float | None
    lower: float | None
    upper: float | None
    n_supported: int
    n_controls: int
    per_school: np.ndarray  # d_i per supported row (NaN when not used)
    control_weights: np.ndarray  # per pool row, sums to 1 over used controls
    control_adjusted: np.ndarray  # per pool row: adjusted change (NaN when unused)


def _bias_beta(xc: np.ndarray, yc: np.ndarray) -> np.ndarray | None:
    ok = ~np.isnan(yc)
    if ok.sum() <= xc.shape[1] + 2:
        return None
    xd = np.column_stack([np.ones(ok.sum()), xc[ok]])
    beta, *_ = np.linalg.lstsq(xd, yc[ok], rcond=None)
    return np.asarray(beta[1:])


def did_estimate(
    yt: np.ndarray,
    yc: np.ndarray,
    matches: Matches,
    xt: np.ndarray,
    xc: np.ndarray,
    *,
    level: float = 0.95,
    bias_adjustment: bool = True,
) -> Estimate:
    """ATT = mean over supported schools of (Δ_i − mean adjusted Δ of its controls).

    ``yt``/``yc`` are the changes (NaN = missing); ``xt``/``xc`` the standardised matching
    variables (for the bias adjustment). Variance: the paired variance of d_i plus the covariance
    that controls used more than once add (Abadie & Imbens 2006), with σ² the residual variance of
    the pool regression; Student t with n − 1 degrees of freedom.
    """
    n_pool = yc.shape[0]
    beta = _bias_beta(xc, yc) if bias_adjustment and xc.shape[1] else None
    d = np.full(yt.shape[0], np.nan)
    usage = np.zeros(n_pool)
    usage_sq = np.zeros(n_pool)
    adj_sum = np.zeros(n_pool)
    for i, ctrl in enumerate(matches.controls):
        if np.isnan(yt[i]):
            continue
        ctrl = ctrl[~np.isnan(yc[ctrl])]
        if ctrl.size == 0:
            continue
        adj = yc[ctrl] + (0.0 if beta is None else (xt[i] - xc[ctrl]) @ beta)
        d[i] = yt[i] - adj.mean()
        usage[ctrl] += 1.0 / ctrl.size
        usage_sq[ctrl] += 1.0 / ctrl.size**2
        adj_sum[ctrl] += adj / ctrl.size
    used = ~np.isnan(d)
    n = int(used.sum())
    weights = usage / n if n else usage
    adjusted = np.where(usage > 0, adj_sum / np.where(usage > 0, usage, 1.0), np.nan)
    if n == 0:
        return Estimate(None, None, None, None, 0, 0, d, weights, adjusted)
    tau = float(d[used].mean())
    if n < 2:
        return Estimate(tau, None, None, None, n, int((usage > 0).sum()), d, weights, adjusted)
    var = float(((d[used] - tau) ** 2).sum() / (n * (n - 1)))
    ok = ~np.isnan(yc)
    if ok.sum() > 2:
        xd = np.column_stack([np.ones(ok.sum()), xc[ok]]) if xc.shape[1] else np.ones((ok.sum(), 1))
        coef, *_ = np.linalg.lstsq(xd, yc[ok], rcond=None)
        resid = yc[ok] - xd @ coef
        sigma2 = float(resid @ resid / max(ok.sum() - xd.shape[1], 1))
        var += float(((usage**2 - usage_sq).sum()) * sigma2 / n**2)
    se = math.sqrt(var)
    q = float(stats.t.ppf(0.5 + level / 2, df=n - 1))
    return Estimate(tau, se, tau - q * se, tau + q * se, n, int((usage > 0).sum()), d, weights, adjusted)


def _bootstrap(
    yt: np.ndarray,
    yc: np.ndarray,
    xt_raw: np.ndarray,
    xc_raw: np.ndarray,
    names: Sequence[str],
    config: Mapping[str, Any],
    level: float,
) -> tuple[float | None, float | None, float | None, int]:
    """Percentile interval: supported and pool schools resampled separately, matching redone."""
    ic = dict(config.get("inference", {}))
    rng = np.random.Generator(np.random.PCG64(int(ic.get("seed", 20240901))))
    reps = int(ic.get("bootstrap_samples", 999))
    bias = bool(config.get("matching", {}).get("bias_adjustment", True))
    vals = []
    nt, nc = yt.shape[0], yc.shape[0]
    for _ in range(reps):
        it = rng.integers(0, nt, nt)
        jc = rng.integers(0, nc, nc)
        m = match_controls(xt_raw[it], xc_raw[jc], names, config)
        zt, zc = _standardised(xt_raw[it], xc_raw[jc], names, m.variables)
        est = did_estimate(yt[it], yc[jc], m, zt, zc, level=level, bias_adjustment=bias)
        if est.estimate is not None:
            vals.append(est.estimate)
    if len(vals) < 10:
        return None, None, None, len(vals)
    arr = np.asarray(vals)
    a = (1 - level) / 2
    return float(arr.std(ddof=1)), float(np.quantile(arr, a)), float(np.quantile(arr, 1 - a)), len(vals)


def _standardised(
    xt: np.ndarray, xc: np.ndarray, names: Sequence[str], kept: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    idx = [list(names).index(v) for v in kept]
    allx = np.vstack([xt[:, idx], xc[:, idx]])
    if allx.shape[1] == 0 or allx.shape[0] == 0:
        return xt[:, idx], xc[:, idx]
    means = np.nanmean(allx, axis=0)
    allx = np.where(np.isnan(allx), means, allx)
    sds = allx.std(axis=0, ddof=1) if allx.shape[0] > 1 else np.ones(allx.shape[1])
    sds = np.where(sds > 0, sds, 1.0)
    z = (allx - means) / sds
    return z[: xt.shape[0]], z[xt.shape[0] :]


# --------------------------------------------------------------------------------------------
# Exits from the list
# --------------------------------------------------------------------------------------------


def list_exits(history: pl.DataFrame | None, school_ids: Sequence[str], start_year: int) -> pl.DataFrame:
    """``school_id, on_list_before, exit_year, list_status`` from the list history.

    ``history`` has ``year, school_id, in_list`` (``low_results.membership`` rows of every year).
    A school exits in the first year from ``start_year`` on in which it is not on the list.
    """
    ids = pl.DataFrame({"school_id": list(school_ids)}, schema={"school_id": pl.String})
    if history is None or history.height == 0:
        return ids.with_columns(
            pl.lit(None, dtype=pl.Boolean).alias("on_list_before"),
            pl.lit(None, dtype=pl.Int32).alias("exit_year"),
            pl.lit("нет данных о списке").alias("list_status"),
        )
    h = history.select(
        pl.col("year").cast(pl.Int32), pl.col("school_id").cast(pl.String), pl.col("in_list").cast(pl.Boolean)
    )
    rows = []
    for sid in school_ids:
        mine = h.filter(pl.col("school_id") == sid)
        before = mine.filter(pl.col("year") == start_year - 1)["in_list"].to_list()
        on_before = bool(before[0]) if before and before[0] is not None else None
        after = mine.filter(pl.col("year") >= start_year).sort("year")
        off = after.filter(~pl.col("in_list").fill_null(True))["year"].to_list()
        if after.height == 0:
            status, exit_year = "нет данных о списке после начала сопровождения", None
        elif off:
            exit_year = int(off[0])
            status = f"вышла из списка в {exit_year} г."
            last = after.sort("year").tail(1)
            if bool(last["in_list"][0]):
                status += f", но снова в списке в {int(last['year'][0])} г."
        else:
            status, exit_year = "остаётся в списке", None
        rows.append(
            {"school_id": sid, "on_list_before": on_before, "exit_year": exit_year, "list_status": status}
        )
    return pl.DataFrame(
        rows,
        schema={
            "school_id": pl.String,
            "on_list_before": pl.Boolean,
            "exit_year": pl.Int32,
            "list_status": pl.String,
        },
    )


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectivenessResult:
    """Everything the analysis produces; ``summary`` is JSON-ready, ``schools`` has ``OUTPUT_SCHEMA``."""

    summary: dict[str, Any]
    schools: pl.DataFrame
    pairs: pl.DataFrame  # school_id, control_id, distance, rank
    trajectory: pl.DataFrame  # year, supported_mean, control_mean, difference, n_supported, n_controls
    by_year: pl.DataFrame  # year, estimate, se, lower, upper, n_supported
    conclusions: list[str] = field(default_factory=list)

    @property
    def estimate(self) -> float | None:
        """The difference-in-differences estimate (pupil SD units)."""
        return self.summary["estimate"]

    @property
    def interval(self) -> tuple[float | None, float | None]:
        """(lower, upper) of the estimate's interval."""
        return self.summary["lower"], self.summary["upper"]


def _r(x: float | None, nd: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd)


def _minus(a: float | None, b: float | None) -> float:
    return float("nan") if a is None or b is None else float(a) - float(b)


def _t_interval(values: np.ndarray, level: float) -> tuple[float | None, float | None, float | None]:
    v = values[~np.isnan(values)]
    if v.size == 0:
        return None, None, None
    m = float(v.mean())
    if v.size < 2:
        return m, None, None
    h = float(stats.t.ppf(0.5 + level / 2, df=v.size - 1)) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return m, m - h, m + h


def evaluate(
    outcomes: pl.DataFrame,
    supported: Sequence[str],
    start_year: int,
    config: Mapping[str, Any],
    *,
    schools: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
    history: pl.DataFrame | None = None,
    exclude: Sequence[str] = (),
    end_year: int | None = None,
) -> EffectivenessResult:
    """The whole analysis from school-year outcomes (``school_outcomes`` output).

    ``supported``: schools supported from ``start_year``; ``exclude``: schools that may not serve
    as controls (supported in other cohorts or by other programmes); ``history``: list membership
    (``year, school_id, in_list``) for exits; ``end_year``: last post year (default: the last year
    in ``outcomes``).
    """
    pre_years = int(config.get("pre_years", 2))
    post_cap = int(config.get("post_years", 0))
    ic = dict(config.get("inference", {}))
    level = float(ic.get("level", 0.95))
    mc = dict(config.get("matching", {}))
    names = [v for v in mc.get("variables", list(VARIABLES)) if v in VARIABLES]
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

    xt_raw, xc_raw = _matrix(t_frame, names), _matrix(pool, names)
    matches = match_controls(xt_raw, xc_raw, names, config)
    zt, zc = _standardised(xt_raw, xc_raw, names, matches.variables)
    yt = t_frame["change"].to_numpy().astype(float)
    yc = pool["change"].to_numpy().astype(float)
    bias = bool(mc.get("bias_adjustment", True))
    est = did_estimate(yt, yc, matches, zt, zc, level=level, bias_adjustment=bias)
    inference = str(ic.get("method", "cluster"))
    se, lo, hi = est.se, est.lower, est.upper
    n_boot = None
    if inference == "bootstrap" and est.estimate is not None:
        se, lo, hi, n_boot = _bootstrap(yt, yc, xt_raw, xc_raw, names, config, level)
    elif inference != "cluster":
        raise ValueError(f"effectiveness.inference.method: неизвестный метод «{inference}»")

    pool_ids = pool["school_id"].to_list()
    t_ids = t_frame["school_id"].to_list()
    matched = [i for i in range(len(t_ids)) if not np.isnan(est.per_school[i])]
    unmatched_ids = [t_ids[i] for i in range(len(t_ids)) if np.isnan(est.per_school[i])]
    pairs = pl.DataFrame(
        [
            {"school_id": t_ids[i], "control_id": pool_ids[c], "distance": float(dv), "rank": r + 1}
            for i in range(len(t_ids))
            for r, (c, dv) in enumerate(zip(matches.controls[i], matches.distances[i], strict=True))
        ],
        schema={"school_id": pl.String, "control_id": pl.String, "distance": pl.Float64, "rank": pl.Int32},
    )

    # balance: standardised mean differences before and after matching
    balance = {}
    for j, v in enumerate(matches.variables):
        after_c = float((est.control_weights * zc[:, j]).sum()) if est.control_weights.sum() else float("nan")
        after_t = float(zt[matched, j].mean()) if matched else float("nan")
        balance[v] = {
            "label": VARIABLE_LABELS[v],
            "smd_before": _r(float(zt[:, j].mean() - zc[:, j].mean()) if zt.size and zc.size else None, 3),
            "smd_after": _r(after_t - after_c, 3),
        }
    max_smd = float(config.get("balance", {}).get("max_smd", 0.25))
    unbalanced = [
        v for v, b in balance.items() if b["smd_after"] is not None and abs(b["smd_after"]) > max_smd
    ]

    # trajectory (chart) and effect per post year
    w_by_id = {
        pool_ids[c]: float(est.control_weights[c]) for c in range(len(pool_ids)) if est.control_weights[c] > 0
    }
    m_ids = [t_ids[i] for i in matched]
    traj_rows, year_rows = [], []
    pre_mean_map = dict(zip(feats["school_id"].to_list(), feats["pre_mean"].to_list(), strict=True))
    for y in years_all:
        if y > last:
            continue
        oy = outcomes.filter(pl.col("year") == y)
        val = dict(zip(oy["school_id"].to_list(), oy["outcome"].to_list(), strict=True))
        sv = [val[s] for s in m_ids if s in val]
        cw = [(w, val[s]) for s, w in w_by_id.items() if s in val]
        cm = sum(w * x for w, x in cw) / sum(w for w, _ in cw) if cw else None
        sm = float(np.mean(sv)) if sv else None
        traj_rows.append(
            {
                "year": y,
                "supported_mean": _r(sm),
                "control_mean": _r(cm),
                "difference": _r(sm - cm) if sm is not None and cm is not None else None,
                "n_supported": len(sv),
                "n_controls": len(cw),
                "period": "после" if y >= start_year else "до",
            }
        )
        if y >= start_year:
            ytt = np.array([_minus(val.get(s), pre_mean_map.get(s)) for s in t_ids], dtype=float)
            ycc = np.array([_minus(val.get(s), pre_mean_map.get(s)) for s in pool_ids], dtype=float)
            e = did_estimate(ytt, ycc, matches, zt, zc, level=level, bias_adjustment=bias)
            year_rows.append(
                {
                    "year": y,
                    "estimate": _r(e.estimate),
                    "se": _r(e.se),
                    "lower": _r(e.lower),
                    "upper": _r(e.upper),
                    "n_supported": e.n_supported,
                }
            )
    trajectory = pl.DataFrame(
        traj_rows,
        schema={
            "year": pl.Int32,
            "supported_mean": pl.Float64,
            "control_mean": pl.Float64,
            "difference": pl.Float64,
            "n_supported": pl.Int32,
            "n_controls": pl.Int32,
            "period": pl.String,
        },
    )
    by_year = pl.DataFrame(
        year_rows,
        schema={
            "year": pl.Int32,
            "estimate": pl.Float64,
            "se": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "n_supported": pl.Int32,
        },
    )

    # regression to the mean, from unsupported schools near the selection cut
    rc = dict(config.get("regression_to_mean", {}))
    band = float(rc.get("band", 0.15))
    sup_raw = (t_frame["post_mean"] - t_frame["pre_last"]).to_numpy().astype(float)
    rtm: dict[str, Any] = {"band": band}
    if t_frame.height and pool.height:
        cut = float(t_frame["pre_last"].max())  # type: ignore[arg-type]
        near = pool.filter(pl.col("pre_last") <= cut + band)
        near_change = (near["post_mean"] - near["pre_last"]).to_numpy().astype(float)
        m, lo_r, hi_r = _t_interval(near_change, level)
        pc = (pool["post_mean"] - pool["pre_last"]).to_numpy().astype(float)
        xl = pool["pre_last"].to_numpy().astype(float)
        slope, intercept = np.polyfit(xl, pc, 1) if pool.height > 2 else (float("nan"), float("nan"))
        predicted = float(np.mean(intercept + slope * t_frame["pre_last"].to_numpy().astype(float)))
        sm_raw, slo, shi = _t_interval(sup_raw, level)
        rtm.update(
            {
                "cut": _r(cut),
                "n_near_cut": near.height,
                "near_cut_change": _r(m) if near.height >= int(rc.get("min_schools", 5)) else None,
                "near_cut_interval": [_r(lo_r), _r(hi_r)]
                if near.height >= int(rc.get("min_schools", 5))
                else None,
                "pool_slope": _r(float(slope)),
                "predicted_change_without_support": _r(predicted),
                "supported_raw_change": _r(sm_raw),
                "supported_raw_interval": [_r(slo), _r(shi)],
                "statistic": "изменение от последнего года до сопровождения к годам после",
            }
        )

    # exits
    ex = list_exits(history, t_ids + no_data, start_year)
    exit_summary: dict[str, Any] = {"available": history is not None and history.height > 0}
    if exit_summary["available"]:
        on_before = ex.filter(pl.col("on_list_before").fill_null(False))
        exited = on_before.filter(pl.col("exit_year").is_not_null())
        exit_summary.update({"on_list_before": on_before.height, "exited": exited.height})
        assert history is not None
        others = history.filter(
            (pl.col("year").cast(pl.Int32) == start_year - 1)
            & pl.col("in_list")
            & ~pl.col("school_id").is_in(sup_ids)
        )["school_id"].to_list()
        if others:
            ox = list_exits(history, others, start_year)
            exit_summary.update(
                {
                    "unsupported_on_list_before": len(others),
                    "unsupported_exited": ox.filter(pl.col("exit_year").is_not_null()).height,
                }
            )

    summary: dict[str, Any] = {
        "method": NAME,
        "statistic": "разность разностей средних стандартизованных результатов (SD балла ученика)",
        "start_year": start_year,
        "pre_years": list(range(start_year - pre_years, start_year)),
        "post_years": post_years,
        "estimate": _r(est.estimate),
        "se": _r(se),
        "lower": _r(lo),
        "upper": _r(hi),
        "level": level,
        "inference": inference,
        "bootstrap_samples": n_boot,
        "n_supported": len(sup_ids),
        "n_matched": est.n_supported,
        "n_unmatched": len(unmatched_ids),
        "unmatched": unmatched_ids,
        "no_data": no_data,
        "n_controls": est.n_controls,
        "n_pool": pool.height,
        "matching": {
            "method": str(mc.get("method", "nearest")),
            "k": int(mc.get("k", 3)),
            "caliper": float(mc.get("caliper", 0.5)),
            "distance": matches.scale_note,
            "variables": matches.variables,
            "dropped_variables": matches.dropped,
            "bias_adjustment": bias,
        },
        "balance": balance,
        "unbalanced": unbalanced,
        "regression_to_mean": rtm,
        "exits": exit_summary,
        "trajectory": trajectory.to_dicts(),
        "by_year": by_year.to_dicts(),
        "version": config.get("version"),
    }
    conclusions = conclude(summary)
    summary["conclusions"] = conclusions

    # per-school rows
    d_map = {t_ids[i]: float(est.per_school[i]) for i in matched}
    ex_map = {r["school_id"]: r for r in ex.iter_rows(named=True)}
    f_map = {r["school_id"]: r for r in feats.iter_rows(named=True)}
    ctrl_map: dict[str, list[dict[str, Any]]] = {}
    for r in pairs.iter_rows(named=True):
        ctrl_map.setdefault(r["school_id"], []).append(
            {"control_id": r["control_id"], "distance": _r(r["distance"], 3)}
        )
    rows = []
    for sid in sup_ids:
        f = f_map.get(sid, {})
        role = SUPPORTED if sid in d_map else UNMATCHED
        diff = d_map.get(sid)
        change = f.get("change")
        ev = {
            "method": NAME,
            "role": role,
            "outcomes": {
                str(r["year"]): _r(r["outcome"])
                for r in outcomes.filter(pl.col("school_id") == sid).iter_rows(named=True)
            },
            "controls": ctrl_map.get(sid, []),
            "reason": None
            if role == SUPPORTED
            else (
                "нет результатов до или после начала сопровождения"
                if sid in no_data
                else "нет похожей школы без сопровождения в пределах калипера"
            ),
            "comparison_group": "похожие школы без сопровождения",
        }
        rows.append(
            {
                "school_id": sid,
                "role": role,
                "pre_mean": f.get("pre_mean"),
                "pre_last": f.get("pre_last"),
                "post_mean": f.get("post_mean"),
                "change": change,
                "control_change": None if diff is None or change is None else change - diff,
                "difference": diff,
                "n_controls": len(ctrl_map.get(sid, [])),
                "weight": None,
                "exit_year": ex_map.get(sid, {}).get("exit_year"),
                "list_status": ex_map.get(sid, {}).get("list_status"),
                "evidence": json.dumps(ev, ensure_ascii=False),
            }
        )
    users: dict[str, int] = {}
    for r in pairs.iter_rows(named=True):
        if r["school_id"] in d_map:
            users[r["control_id"]] = users.get(r["control_id"], 0) + 1
    for c, pid in enumerate(pool_ids):
        if est.control_weights[c] <= 0:
            continue
        f = f_map[pid]
        rows.append(
            {
                "school_id": pid,
                "role": CONTROL,
                "pre_mean": f["pre_mean"],
                "pre_last": f["pre_last"],
                "post_mean": f["post_mean"],
                "change": f["change"],
                "control_change": None,
                "difference": None,
                "n_controls": users.get(pid, 0),
                "weight": float(est.control_weights[c]),
                "exit_year": None,
                "list_status": None,
                "evidence": json.dumps(
                    {
                        "method": NAME,
                        "role": CONTROL,
                        "adjusted_change": _r(float(est.control_adjusted[c])),
                        "comparison_group": "контрольная школа (без сопровождения)",
                    },
                    ensure_ascii=False,
                ),
            }
        )
    frame = pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
    return EffectivenessResult(summary, frame, pairs, trajectory, by_year, conclusions)


def _num(x: float | None, nd: int = 2) -> str:
    if x is None:
        return "—"
    return f"{x:+.{nd}f}".replace(".", ",").replace("-", "−")


def conclude(summary: Mapping[str, Any]) -> list[str]:
    """Plain-language Russian conclusions from an analysis summary (honest about its limits)."""
    out: list[str] = []
    n, nm = int(summary["n_supported"]), int(summary["n_matched"])
    est, lo, hi = summary["estimate"], summary["lower"], summary["upper"]
    pct = f"{round(float(summary['level']) * 100)} %"
    post = summary["post_years"]
    years = f"{post[0]}–{post[-1]}" if len(post) > 1 else (str(post[0]) if post else "—")
    out.append(
        "Результаты измерены как средний стандартизованный балл учеников школы по оценочным процедурам "
        "(0 — средний уровень региона, 1 — одно стандартное отклонение балла ученика)."
    )
    if est is None:
        out.append(
            f"Оценить эффект сопровождения нельзя: из {n} школ с сопровождением ни для одной не нашлось "
            "результатов до и после начала сопровождения и похожей школы без сопровождения."
        )
        return out
    traj = summary.get("trajectory") or []
    out.append(
        f"Сравнивались {nm} из {n} школ с сопровождением и {summary['n_controls']} похожих на них школ без "
        f"сопровождения (подобраны по результатам до начала сопровождения и по условиям работы) за {years} гг."
    )
    if summary["n_unmatched"] or summary["no_data"]:
        out.append(
            f"Не вошли в сравнение: {summary['n_unmatched']} школ(ы) — не нашлось похожей школы без сопровождения; "
            f"{len(summary['no_data'])} — нет результатов до или после начала сопровождения. Вывод относится только "
            "к вошедшим школам."
        )
    ci = (
        f"[{_num(lo)}; {_num(hi)}]"
        if lo is not None and hi is not None
        else "(интервал не вычислен: мало школ)"
    )
    out.append(f"Оценка эффекта сопровождения (разность разностей): {_num(est)} SD, {pct}-й интервал {ci}.")
    if lo is not None and hi is not None:
        if lo > 0:
            out.append(
                "Результаты школ с сопровождением выросли заметнее, чем у похожих школ без него; различие больше, "
                "чем можно объяснить случайными колебаниями."
            )
        elif hi < 0:
            out.append(
                "Результаты школ с сопровождением изменились хуже, чем у похожих школ без него; различие больше, "
                "чем можно объяснить случайными колебаниями. Стоит пересмотреть принятые меры."
            )
        else:
            half = (hi - lo) / 2
            out.append(
                "Данные не позволяют утверждать, что сопровождение изменило результаты: интервал включает ноль. "
                f"Это не доказательство отсутствия эффекта — при таком числе школ эффект меньше примерно "
                f"{_num(half).lstrip('+')} SD обнаружить нельзя."
            )
    rtm = summary.get("regression_to_mean") or {}
    if rtm.get("supported_raw_change") is not None:
        s = (
            f"Школы попадают в список по низким результатам, а низкий результат одного года отчасти случаен, "
            f"поэтому в следующие годы результаты таких школ обычно частично возвращаются к среднему и без помощи "
            f"(«возврат к среднему»). Относительно последнего года до сопровождения результаты школ с "
            f"сопровождением изменились на {_num(rtm['supported_raw_change'])} SD"
        )
        if rtm.get("near_cut_change") is not None:
            ni = rtm.get("near_cut_interval") or [None, None]
            s += (
                f"; у {rtm['n_near_cut']} школ без сопровождения с такими же низкими результатами — на "
                f"{_num(rtm['near_cut_change'])} SD [{_num(ni[0])}; {_num(ni[1])}]"
            )
        if rtm.get("predicted_change_without_support") is not None:
            s += (
                f"; по всем школам без сопровождения ожидаемое изменение при таком исходном уровне "
                f"{_num(rtm['predicted_change_without_support'])} SD"
            )
        s += (
            ". Поэтому простой рост результатов ШНОР нельзя целиком приписывать сопровождению; приведённая выше "
            "оценка эффекта это учитывает, так как сравнивает с похожими школами, у которых тоже был низкий результат."
        )
        out.append(s)
    pre = [t for t in traj if t.get("period") == "до" and t.get("difference") is not None]
    if len(pre) >= 2:
        gap = max(abs(t["difference"]) for t in pre)
        if gap > 0.1:
            out.append(
                f"До начала сопровождения результаты двух групп различались до {_num(gap).lstrip('+')} SD: "
                "подбор похожих школ неполный, оценку следует считать приблизительной."
            )
    if summary.get("unbalanced"):
        labels = ", ".join(VARIABLE_LABELS.get(v, v) for v in summary["unbalanced"])
        out.append(f"После подбора группы всё ещё заметно различаются по показателям: {labels}.")
    exits = summary.get("exits") or {}
    if exits.get("available") and exits.get("on_list_before"):
        s = (
            f"Из {exits['on_list_before']} школ с сопровождением, бывших в списке перед его началом, вышли из списка "
            f"{exits['exited']}"
        )
        if exits.get("unsupported_on_list_before"):
            s += (
                f"; из {exits['unsupported_on_list_before']} школ списка без сопровождения — "
                f"{exits['unsupported_exited']}"
            )
        s += ". Выход из списка сам по себе не доказывает действенность мер: часть школ выходит из него и без помощи."
        out.append(s)
    elif not exits.get("available"):
        out.append("Данных о составе списка по годам нет, поэтому выход из списка не оценивался.")
    out.append(
        "Ограничения: это наблюдательное сравнение, а не эксперимент — школы без сопровождения подобраны по "
        "результатам и условиям работы, но могут отличаться тем, что в данных не отражено (например, сменой "
        "руководителя). Если в школах с сопровождением изменились условия проведения оценочных процедур "
        "(наблюдатели, перепроверка), изменение результатов может отражать объективность оценивания, а не обучение."
    )
    return out


def estimate(
    inputs: Inputs,
    config: Mapping[str, Any],
    *,
    supported: Sequence[str],
    start_year: int,
    history: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
    exclude: Sequence[str] = (),
    social_index_config: Mapping[str, Any] | None = None,
) -> EffectivenessResult:
    """The analysis for schools supported from ``start_year`` up to ``inputs.year``.

    Outcomes come from ``inputs.results`` (configured procedures and subjects); ``social`` is the
    social index of the last pre year (computed from ``inputs.context`` with ``social_index_config``
    or the shipped defaults when omitted).
    """
    from shnor.core.config import default_config
    from shnor.core.methods import social_index

    pre_years = int(config.get("pre_years", 2))
    outcomes = school_outcomes(
        inputs.results,
        inputs.scales,
        years=list(range(start_year - pre_years, int(inputs.year) + 1)),
        procedures=config.get("procedures") or None,
        subjects=config.get("subjects") or None,
        min_pupils=int(config.get("min_pupils", 1)),
    )
    if social is None and inputs.context.height:
        social = social_index.compute(
            inputs.context,
            inputs.schools,
            start_year - 1,
            social_index_config or default_config()["social_index"],
        )
    return evaluate(
        outcomes,
        supported,
        start_year,
        config,
        schools=inputs.schools,
        social=social,
        history=history,
        exclude=exclude,
        end_year=int(inputs.year),
    )


def run(
    inputs: Inputs,
    config: Mapping[str, Any],
    *,
    supported: Sequence[str],
    start_year: int,
    history: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
    exclude: Sequence[str] = (),
) -> pl.DataFrame:
    """Method contract: per-school rows (``OUTPUT_SCHEMA``): supported, unmatched and control schools.

    The cohort summary (estimate, interval, conclusions) is in ``estimate(...).summary``.
    """
    return estimate(
        inputs,
        config,
        supported=supported,
        start_year=start_year,
        history=history,
        social=social,
        exclude=exclude,
    ).schools


__all__ = [
    "NAME",
    "OUTPUT_SCHEMA",
    "EffectivenessResult",
    "Estimate",
    "Matches",
    "conclude",
    "did_estimate",
    "estimate",
    "evaluate",
    "list_exits",
    "match_controls",
    "run",
    "school_features",
    "school_outcomes",
]
