"""Statistics of a mean of pupil shares: mean and SD from additive sums, and its interval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from scipy import stats


def _moments(n: pl.Expr, s1: pl.Expr, s2: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Mean and sample SD (ddof = 1) from n, Σs, Σs²."""
    mean = s1 / n
    var = pl.when(n > 1).then(((s2 - n * mean * mean) / (n - 1)).clip(lower_bound=0.0))
    return mean, var.sqrt()


def interval(
    p: np.ndarray,
    sd: np.ndarray,
    n: np.ndarray,
    max_points: np.ndarray,
    *,
    method: str = "wilson",
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of a mean of pupil shares (see ``[interval]`` in deficits.toml). Arrays in, arrays out."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    sd = np.nan_to_num(np.asarray(sd, dtype=float), nan=0.0)
    m = np.maximum(np.asarray(max_points, dtype=float), 1.0)
    alpha = 1.0 - float(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "t":
            tq = stats.t.ppf(1 - alpha / 2, np.maximum(n - 1, 1))
            half = tq * sd / np.sqrt(n)
            lo, hi = np.clip(p - half, 0, 1), np.clip(p + half, 0, 1)
        elif method == "wilson":
            z = stats.norm.ppf(1 - alpha / 2)
            se2 = sd**2 / n
            n_eff = np.where(se2 > 0, p * (1 - p) / se2, n * m)
            n_eff = np.clip(n_eff, 1.0, n * m)
            denom = 1 + z**2 / n_eff
            centre = (p + z**2 / (2 * n_eff)) / denom
            half = z / denom * np.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2))
            lo, hi = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
        else:
            raise ValueError(f"неизвестный метод интервала {method!r} (wilson или t)")
    bad = ~(n > 0)
    lo[bad] = np.nan
    hi[bad] = np.nan
    return lo, hi


def _with_interval(frame: pl.DataFrame, sec: Mapping[str, Any]) -> pl.DataFrame:
    lo, hi = interval(
        frame["success"].to_numpy(),
        frame["sd"].to_numpy(),
        frame["n_pupils"].to_numpy(),
        frame["max_points"].to_numpy(),
        method=str(sec["interval"]["method"]),
        confidence=float(sec["interval"]["confidence"]),
    )
    return frame.with_columns(
        pl.Series("lower", lo, dtype=pl.Float64).fill_nan(None),
        pl.Series("upper", hi, dtype=pl.Float64).fill_nan(None),
    )
