"""Matching supported schools to similar unsupported ones: nearest neighbours or propensity score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


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


def standardised(
    xt: np.ndarray, xc: np.ndarray, names: Sequence[str], kept: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The ``kept`` variables of both groups, mean-imputed and standardised over both groups together."""
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
