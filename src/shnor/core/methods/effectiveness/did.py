"""The difference-in-differences estimate over matched schools, its cluster and bootstrap intervals."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from shnor.core.methods.effectiveness.matching import Matches, match_controls, standardised


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


def bootstrap_interval(
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
        zt, zc = standardised(xt_raw[it], xc_raw[jc], names, m.variables)
        est = did_estimate(yt[it], yc[jc], m, zt, zc, level=level, bias_adjustment=bias)
        if est.estimate is not None:
            vals.append(est.estimate)
    if len(vals) < 10:
        return None, None, None, len(vals)
    arr = np.asarray(vals)
    a = (1 - level) / 2
    return float(arr.std(ddof=1)), float(np.quantile(arr, a)), float(np.quantile(arr, 1 - a)), len(vals)


def t_interval(values: np.ndarray, level: float) -> tuple[float | None, float | None, float | None]:
    """(mean, lower, upper) of the non-NaN ``values`` with a Student t interval at ``level``."""
    v = values[~np.isnan(values)]
    if v.size == 0:
        return None, None, None
    m = float(v.mean())
    if v.size < 2:
        return m, None, None
    h = float(stats.t.ppf(0.5 + level / 2, df=v.size - 1)) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return m, m - h, m + h
