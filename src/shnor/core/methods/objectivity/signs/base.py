"""What every objectivity sign shares: one procedure's pupils (``Unit``), rounding for the evidence,
binomial tails and the record of a sign not tested. Pure numpy/scipy: no Django, no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

NOT_TESTED = "not_tested"


@dataclass
class Unit:
    """Present pupils of one procedure/year/subject/grade, as arrays aligned by pupil."""

    procedure: str
    year: int
    subject: str
    grade: int
    school_ids: list[str]  # distinct schools, sorted
    school: np.ndarray  # pupil -> index into school_ids
    total: np.ndarray  # primary score (int)
    max_score: int
    cuts: dict[str, int]  # min_3/min_4/min_5 present in SCALES
    mark: np.ndarray  # ВПР mark 2..5 (0 when unknown)
    journal: np.ndarray  # journal mark 2..5 (0 when unknown)
    tasks: np.ndarray | None  # pupils × tasks matrix of points (any integer type), None when not available
    max_points: np.ndarray | None
    levels: list[str | None] | None

    @property
    def key(self) -> str:
        """Short id used in sign names, e.g. 'vpr:ma:4'."""
        return f"{self.procedure}:{self.subject}:{self.grade}"


def _r(x: Any, nd: int = 4) -> Any:
    if x is None:
        return None
    x = float(x)
    return round(x, nd) if math.isfinite(x) else None  # (math's test: numpy's costs ~1 µs a call)


def _rv(values: Any, nd: int = 4) -> list[Any]:
    """``[_r(v, nd) for v in values]`` in a few numpy passes, the same floats to the bit: rint(x·10ⁿ)/10ⁿ
    is the double nearest the decimal Python's ``round`` gives, except where x·10ⁿ lies so near a
    half that the product's own rounding could decide (or is too large for the test): those values go
    through ``round`` itself. (A country procedure rounds ≈ 0.8 M statistics.)"""
    a = np.asarray(values, dtype=float).ravel()
    scale = 10.0**nd
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = a * scale
        out = np.rint(scaled) / scale
        near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    finite = np.isfinite(a)
    for i in np.flatnonzero(finite & (near_half | ~(np.abs(scaled) < 1e8))).tolist():
        out[i] = round(float(a[i]), nd)
    res = out.tolist()
    if not finite.all():
        for i in np.flatnonzero(~finite).tolist():
            res[i] = None
    return res


def _binom_pmf(n: int, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p_i) pmf over k = 0..n for every p_i (rows); plain numpy, no scipy call overhead."""
    k = np.arange(n + 1)
    lc = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    p = np.clip(np.asarray(p, float), 1e-300, 1 - 1e-16)[:, None]
    return np.exp(lc[None, :] + k[None, :] * np.log(p) + (n - k)[None, :] * np.log1p(-p))


def upper_tail(pmf: np.ndarray, x: int) -> float:
    """P(X ≥ x) for X with the pmf on 0, 1, …: exactly 1 for x ≤ 0 (a pmf's sum is 1 only to a few
    ulps, which machines round apart, and a p-value of 1 − 1e-15 would count as informative in the
    empirical null), 0 beyond the support, else the tail's sum within [0, 1]."""
    if x <= 0:
        return 1.0
    if x >= len(pmf):
        return 0.0
    return float(min(1.0, max(0.0, pmf[x:].sum())))


def _rl(values: np.ndarray, nd: int = 4) -> list[Any]:
    """``_r`` over an array (None for non-finite values)."""
    a = np.round(np.asarray(values, float), nd)
    return [v if np.isfinite(v) else None for v in a.tolist()]


def _rl_rows(values: np.ndarray, nd: int = 4) -> list[list[Any]]:
    """``_rl`` of every row of a matrix, rounded in one numpy call."""
    a = np.round(np.asarray(values, float), nd)
    if np.isfinite(a).all():
        return a.tolist()
    return [[v if np.isfinite(v) else None for v in row] for row in a.tolist()]


def _rl_whole(values: np.ndarray) -> list[Any]:
    """Values (a vector or a matrix, as nested lists) rounded to whole numbers and written as integers
    (``67``, not ``67.0``), None for non-finite: a chart's percentages, as a reader takes them off it."""
    a = np.rint(np.asarray(values, float))
    finite = np.isfinite(a)
    if finite.all():
        whole: list[Any] = a.astype(np.int64).tolist()
        return whole
    out = a.astype(object)
    out[finite] = a[finite].astype(np.int64)
    out[~finite] = None
    res: list[Any] = out.tolist()
    return res


def reliability(n: int) -> str:
    """FIOKO guidance on histograms: informative at ≥ 50 pupils, rough at 20–49, limited below 20."""
    return "informative" if n >= 50 else "rough" if n >= 20 else "limited"


def not_tested(reason: str, **extra: Any) -> dict[str, Any]:
    """The record of a sign that was not tested, with the reason in Russian."""
    return {"tested": False, "reason": reason, **extra}


# ---------------------------------------------------------------------------------------------


def between_variance(values: np.ndarray, samp_var: np.ndarray) -> float:
    """τ², the schools' variance beyond sampling: the normal-scaled MAD of ``values`` squared minus
    their median sampling variance, at least 0."""
    mad = stats.median_abs_deviation(values, scale="normal")
    return max(0.0, mad**2 - float(np.median(samp_var)))


def robust_standardise(values: np.ndarray, samp_var: np.ndarray) -> np.ndarray:
    """(v − median) / sqrt(τ² + sampling variance), τ² from the robust spread minus typical sampling
    variance (``between_variance``)."""
    med = np.median(values)
    return (values - med) / np.sqrt(between_variance(values, samp_var) + samp_var)


def null_center_scale(z: np.ndarray) -> tuple[float, float]:
    """Efron's empirical null, one-sided and never less conservative: (max(0, median), max(1,
    (Q3 − median)/0.6745)) of the z's across schools; z' = (z − center)/scale."""
    med, q3 = np.quantile(z, [0.5, 0.75])
    return max(0.0, float(med)), max(1.0, float(q3 - med) / 0.6745)
