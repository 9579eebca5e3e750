"""What the analysis shows beside the estimate: pairs, balance, trajectories, regression to the mean."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from shnor.core.methods.effectiveness.cohort import Cohort, Fit
from shnor.core.methods.effectiveness.did import did_estimate, t_interval
from shnor.core.methods.effectiveness.schema import VARIABLE_LABELS, rounded

TRAJECTORY_SCHEMA = {
    "year": pl.Int32,
    "supported_mean": pl.Float64,
    "control_mean": pl.Float64,
    "difference": pl.Float64,
    "n_supported": pl.Int32,
    "n_controls": pl.Int32,
    "period": pl.String,
}
BY_YEAR_SCHEMA = {
    "year": pl.Int32,
    "estimate": pl.Float64,
    "se": pl.Float64,
    "lower": pl.Float64,
    "upper": pl.Float64,
    "n_supported": pl.Int32,
}


def pairs_frame(fit: Fit) -> pl.DataFrame:
    """``school_id, control_id, distance, rank``: every treated school's matched controls."""
    t_ids, pool_ids, matches = fit.t_ids, fit.pool_ids, fit.matches
    return pl.DataFrame(
        [
            {"school_id": t_ids[i], "control_id": pool_ids[c], "distance": float(dv), "rank": r + 1}
            for i in range(len(t_ids))
            for r, (c, dv) in enumerate(zip(matches.controls[i], matches.distances[i], strict=True))
        ],
        schema={"school_id": pl.String, "control_id": pl.String, "distance": pl.Float64, "rank": pl.Int32},
    )


def balance(fit: Fit, config: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Standardised mean differences before and after matching, and the variables still unbalanced."""
    zt, zc, est, matched = fit.zt, fit.zc, fit.est, fit.matched
    out: dict[str, dict[str, Any]] = {}
    for j, v in enumerate(fit.matches.variables):
        after_c = float((est.control_weights * zc[:, j]).sum()) if est.control_weights.sum() else float("nan")
        after_t = float(zt[matched, j].mean()) if matched else float("nan")
        out[v] = {
            "label": VARIABLE_LABELS[v],
            "smd_before": rounded(
                float(zt[:, j].mean() - zc[:, j].mean()) if zt.size and zc.size else None, 3
            ),
            "smd_after": rounded(after_t - after_c, 3),
        }
    max_smd = float(config.get("balance", {}).get("max_smd", 0.25))
    unbalanced = [v for v, b in out.items() if b["smd_after"] is not None and abs(b["smd_after"]) > max_smd]
    return out, unbalanced


def _minus(a: float | None, b: float | None) -> float:
    return float("nan") if a is None or b is None else float(a) - float(b)


def _year_effect(
    year: int, val: Mapping[str, float], pre_mean: Mapping[str, float], fit: Fit
) -> dict[str, Any]:
    """The estimate for one post year: change from the pre mean to that year's outcome."""
    ytt = np.array([_minus(val.get(s), pre_mean.get(s)) for s in fit.t_ids], dtype=float)
    ycc = np.array([_minus(val.get(s), pre_mean.get(s)) for s in fit.pool_ids], dtype=float)
    e = did_estimate(ytt, ycc, fit.matches, fit.zt, fit.zc, level=fit.level, bias_adjustment=fit.bias)
    return {
        "year": year,
        "estimate": rounded(e.estimate),
        "se": rounded(e.se),
        "lower": rounded(e.lower),
        "upper": rounded(e.upper),
        "n_supported": e.n_supported,
    }


def trajectory(outcomes: pl.DataFrame, cohort: Cohort, fit: Fit) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The groups' mean outcome per year (a chart of parallel pre-trends) and the effect per post year."""
    est, pool_ids = fit.est, fit.pool_ids
    w_by_id = {
        pool_ids[c]: float(est.control_weights[c]) for c in range(len(pool_ids)) if est.control_weights[c] > 0
    }
    m_ids = [fit.t_ids[i] for i in fit.matched]
    traj_rows, year_rows = [], []
    feats = cohort.feats
    pre_mean_map = dict(zip(feats["school_id"].to_list(), feats["pre_mean"].to_list(), strict=True))
    for y in cohort.years:
        if y > cohort.last:
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
                "supported_mean": rounded(sm),
                "control_mean": rounded(cm),
                "difference": rounded(sm - cm) if sm is not None and cm is not None else None,
                "n_supported": len(sv),
                "n_controls": len(cw),
                "period": "после" if y >= cohort.start_year else "до",
            }
        )
        if y >= cohort.start_year:
            year_rows.append(_year_effect(y, val, pre_mean_map, fit))
    return pl.DataFrame(traj_rows, schema=TRAJECTORY_SCHEMA), pl.DataFrame(year_rows, schema=BY_YEAR_SCHEMA)


def regression_to_mean(cohort: Cohort, config: Mapping[str, Any], level: float) -> dict[str, Any]:
    """Regression to the mean, from unsupported schools near the selection cut and the pool's slope."""
    t_frame, pool = cohort.treated, cohort.pool
    rc = dict(config.get("regression_to_mean", {}))
    band = float(rc.get("band", 0.15))
    sup_raw = (t_frame["post_mean"] - t_frame["pre_last"]).to_numpy().astype(float)
    rtm: dict[str, Any] = {"band": band}
    if t_frame.height and pool.height:
        cut = float(t_frame["pre_last"].max())  # type: ignore[arg-type]
        near = pool.filter(pl.col("pre_last") <= cut + band)
        near_change = (near["post_mean"] - near["pre_last"]).to_numpy().astype(float)
        m, lo_r, hi_r = t_interval(near_change, level)
        pc = (pool["post_mean"] - pool["pre_last"]).to_numpy().astype(float)
        xl = pool["pre_last"].to_numpy().astype(float)
        slope, intercept = np.polyfit(xl, pc, 1) if pool.height > 2 else (float("nan"), float("nan"))
        predicted = float(np.mean(intercept + slope * t_frame["pre_last"].to_numpy().astype(float)))
        sm_raw, slo, shi = t_interval(sup_raw, level)
        rtm.update(
            {
                "cut": rounded(cut),
                "n_near_cut": near.height,
                "near_cut_change": rounded(m) if near.height >= int(rc.get("min_schools", 5)) else None,
                "near_cut_interval": [rounded(lo_r), rounded(hi_r)]
                if near.height >= int(rc.get("min_schools", 5))
                else None,
                "pool_slope": rounded(float(slope)),
                "predicted_change_without_support": rounded(predicted),
                "supported_raw_change": rounded(sm_raw),
                "supported_raw_interval": [rounded(slo), rounded(shi)],
                "statistic": "изменение от последнего года до сопровождения к годам после",
            }
        )
    return rtm
