"""From the tests' p-values to the flags: the empirical null, the combination of p-values per sign
and per school, and Benjamini–Hochberg across schools."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from shnor.core.methods.objectivity.records import _Tests
from shnor.core.methods.objectivity.signs.base import null_center_scale


def empirical_null(results: dict[str, dict[str, Any]], min_schools: int) -> dict[str, Any] | None:
    """Recalibrate p-values to the spread of z = Φ⁻¹(1 − p) across schools (Efron's empirical null,
    one-sided): z' = (z − max(0, median)) / max(1, (Q3 − median)/0.6745). Only the upper half of
    the z's enters (the tail tested) and p-values of 1 (nothing to test, e.g. no pupil near a cut)
    are left out; the recalibration never makes a test less conservative."""
    tested = [r for r in results.values() if r.get("tested")]
    z = stats.norm.isf(np.clip(np.array([r["p_value"] for r in tested], float), 1e-300, 1.0))
    informative = z[z > -8.0]
    if len(informative) < min_schools:
        return None
    center, scale = null_center_scale(informative)
    p_new = stats.norm.sf((z - center) / scale)
    for r, pi in zip(tested, p_new, strict=True):
        r["p_value_theoretical"] = r["p_value"]
        r["p_value"] = float(pi)
    return {"center": round(center, 4), "scale": round(scale, 4), "n_schools": len(informative)}


def combine(ps: list[float], method: str) -> float:
    """One p-value per school from its tests' p-values."""
    p = np.clip(np.asarray(ps, float), 1e-300, 1.0)
    k = len(p)
    if method == "bonferroni":
        return float(min(1.0, k * p.min()))
    if method == "cauchy":
        t = np.mean(np.tan((0.5 - p) * np.pi))
        return float(min(1.0, max(0.0, stats.cauchy.sf(t))))
    if method == "fisher":  # as scipy.stats.combine_pvalues(method="fisher"), without its overhead
        return float(p[0]) if k == 1 else float(stats.chi2.sf(-2.0 * np.log(p).sum(), 2 * k))
    if method == "stouffer":
        return float(stats.combine_pvalues(p, method="stouffer").pvalue)
    raise ValueError(f"неизвестный способ объединения p-значений: {method}")


def combine_many(groups: list[list[float]], method: str) -> np.ndarray:
    """``combine`` of every group at once (one p-value per group, no group empty): a country year
    has hundreds of thousands of them, and a scipy call each was slow."""
    if not groups:
        return np.empty(0)
    k = np.fromiter((len(g) for g in groups), np.int64, len(groups))
    if (k == 0).any():
        raise ValueError("пустая группа p-значений")
    if method == "stouffer":  # rare: scipy's own code, group by group
        return np.array([combine(g, method) for g in groups])
    p = np.clip(np.fromiter((x for g in groups for x in g), float, int(k.sum())), 1e-300, 1.0)
    start = np.r_[0, np.cumsum(k)[:-1]]
    if method == "bonferroni":
        return np.minimum(1.0, k * np.minimum.reduceat(p, start))
    if method == "cauchy":
        t = np.add.reduceat(np.tan((0.5 - p) * np.pi), start) / k
        return np.clip(stats.cauchy.sf(t), 0.0, 1.0)
    if method == "fisher":
        return np.where(k == 1, p[start], stats.chi2.sf(-2.0 * np.add.reduceat(np.log(p), start), 2 * k))
    raise ValueError(f"неизвестный способ объединения p-значений: {method}")


def sign_weights(config: Mapping[str, Any]) -> dict[str, float]:
    """The signs' weights in the weighted Bonferroni (``[sign_weights]``, version 2026.3), checked: every
    enabled sign has one, none is negative, and the enabled signs' weights do not all vanish."""
    raw = config.get("sign_weights") or {}
    enabled = [sg for sg, c in config.get("signs", {}).items() if c.get("enabled", True)]
    weights: dict[str, float] = {}
    for sg in enabled:
        if sg not in raw:
            raise ValueError(f"вес признака «{sg}» не задан (раздел sign_weights настроек объективности)")
        w = raw[sg]
        if isinstance(w, bool) or not isinstance(w, int | float) or not np.isfinite(w) or w < 0:
            raise ValueError(f"вес признака «{sg}» должен быть неотрицательным числом, а не «{w}»")
        weights[sg] = float(w)
    if enabled and sum(weights.values()) <= 0:
        raise ValueError("веса включённых признаков не могут быть все нулевыми (раздел sign_weights)")
    return weights


def sign_shares(signs: Iterable[str], weights: Mapping[str, float]) -> dict[str, float]:
    """Each of a school's tested signs' share of alpha: its weight over the sum of the weights of the
    signs the school was tested on (1/k each when those weights are equal, exactly as Bonferroni)."""
    ws = {sg: float(weights.get(sg, 1.0)) for sg in signs}
    if not ws:
        return {}
    if len(set(ws.values())) == 1:  # equal weights: exactly 1/k (no rounding in Σw / w)
        return {sg: 1.0 / len(ws) for sg in ws}
    total = sum(ws.values())
    return {sg: w / total for sg, w in ws.items()}


def weighted_bonferroni(ps: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """min(1, min over signs of p_s / share_s): a school is flagged at alpha exactly when some sign has
    p_s ≤ alpha · share_s — the family-wise error stays ≤ alpha whatever the dependence between signs.
    With equal weights min(1, k · min p), today's Bonferroni."""
    shares = sign_shares(ps, weights)
    if len(set(shares.values())) == 1:
        return float(min(1.0, len(ps) * max(min(ps.values()), 1e-300)))
    return float(
        min(1.0, min(max(p, 1e-300) / shares[sg] if shares[sg] > 0 else np.inf for sg, p in ps.items()))
    )


@dataclass
class Combined:
    """Per school of ``_Tests.schools``: its signs' p-values (in the order the signs were first
    tested), the combined p-value, whether it was tested, the BH q-value and the flag; and the
    largest combined p-value flagged (the BH cutoff, 0 when none is)."""

    sign_p: list[dict[str, float]]
    p_comb: np.ndarray
    tested: np.ndarray
    q: np.ndarray
    flagged: np.ndarray
    cutoff: float


def combine_schools(
    tests: _Tests, pooled: dict[str, dict[str, dict[str, Any]]], config: Mapping[str, Any]
) -> Combined:
    """Each sign's tested p-values combined per school (a pooled record's p-value in place of its
    sign's), the signs combined per school, and Benjamini–Hochberg across the schools."""
    sids = tests.schools
    # a sign's tested p-values per school, the signs in the order they were first tested
    done_rows = np.flatnonzero(np.array(tests.tested, dtype=bool))
    by_sign = (
        pl.DataFrame(
            {
                "school": np.searchsorted(np.asarray(tests.bounds[1:]), done_rows, side="right"),
                "sign": pl.Series([tests.signs[j] for j in done_rows.tolist()], dtype=pl.String),
                "p": pl.Series([tests.p_values[j] for j in done_rows.tolist()], dtype=pl.Float64),
                "made": tests.made[done_rows],
            }
        )
        .group_by("school", "sign")
        .agg(pl.col("p"), pl.col("made").min())
        .sort("school", "made")
    )
    sign_p: list[dict[str, float]] = [{} for _ in sids]
    combined = combine_many(by_sign["p"].to_list(), config["combine_units"]).tolist()
    for i, sg, p in zip(by_sign["school"].to_list(), by_sign["sign"].to_list(), combined, strict=True):
        sign_p[i][sg] = p
    for i, sid in enumerate(sids):
        for sg, rec in pooled.get(sid, {}).items():
            if rec.get("tested"):
                sign_p[i][sg] = rec["p_value"]
    p_comb = np.full(len(sids), np.nan)
    has = np.array([bool(ps) for ps in sign_p], bool)
    if has.any() and config["combine"] == "bonferroni" and config.get("sign_weights"):
        weights = sign_weights(config)
        p_comb[has] = [weighted_bonferroni(ps, weights) for ps in sign_p if ps]
    elif has.any():
        p_comb[has] = combine_many([list(ps.values()) for ps in sign_p if ps], config["combine"])
    tested = np.isfinite(p_comb)
    q = np.full(len(sids), np.nan)
    if tested.any():
        q[tested] = stats.false_discovery_control(p_comb[tested], method=config["fdr_method"])
    if config.get("decision", "bh") == "alpha":
        # a per-school error rate: the cut-off is alpha itself, whatever the other schools show
        flagged = tested & (p_comb <= float(config["alpha"]))
        cutoff = float(config["alpha"])
    else:
        flagged = tested & (q <= float(config["q"]))
        cutoff = float(p_comb[flagged].max()) if flagged.any() else 0.0
    return Combined(sign_p, p_comb, tested, q, flagged, cutoff)
