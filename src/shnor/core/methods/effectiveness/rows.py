"""The method's per-school rows (``OUTPUT_SCHEMA``): supported, unmatched and control schools."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from shnor.core.methods.effectiveness.cohort import Cohort, Fit
from shnor.core.methods.effectiveness.schema import (
    CONTROL,
    NAME,
    OUTPUT_SCHEMA,
    SUPPORTED,
    UNMATCHED,
    rounded,
)


def _supported_row(
    sid: str,
    outcomes: pl.DataFrame,
    cohort: Cohort,
    f: Mapping[str, Any],
    diff: float | None,
    controls: list[dict[str, Any]],
    exit_row: Mapping[str, Any],
) -> dict[str, Any]:
    """One supported school's row: matched (``difference`` set) or unmatched (with the reason)."""
    role = SUPPORTED if diff is not None else UNMATCHED
    change = f.get("change")
    ev = {
        "method": NAME,
        "role": role,
        "outcomes": {
            str(r["year"]): rounded(r["outcome"])
            for r in outcomes.filter(pl.col("school_id") == sid).iter_rows(named=True)
        },
        "controls": controls,
        "reason": None
        if role == SUPPORTED
        else (
            "нет результатов до или после начала сопровождения"
            if sid in cohort.no_data
            else "нет похожей школы без сопровождения в пределах калипера"
        ),
        "comparison_group": "похожие школы без сопровождения",
    }
    return {
        "school_id": sid,
        "role": role,
        "pre_mean": f.get("pre_mean"),
        "pre_last": f.get("pre_last"),
        "post_mean": f.get("post_mean"),
        "change": change,
        "control_change": None if diff is None or change is None else change - diff,
        "difference": diff,
        "n_controls": len(controls),
        "weight": None,
        "exit_year": exit_row.get("exit_year"),
        "list_status": exit_row.get("list_status"),
        "evidence": json.dumps(ev, ensure_ascii=False),
    }


def _control_row(pid: str, f: Mapping[str, Any], uses: int, weight: float, adjusted: float) -> dict[str, Any]:
    """One control school's row: its weight in the comparison group and how often it was used."""
    return {
        "school_id": pid,
        "role": CONTROL,
        "pre_mean": f["pre_mean"],
        "pre_last": f["pre_last"],
        "post_mean": f["post_mean"],
        "change": f["change"],
        "control_change": None,
        "difference": None,
        "n_controls": uses,
        "weight": weight,
        "exit_year": None,
        "list_status": None,
        "evidence": json.dumps(
            {
                "method": NAME,
                "role": CONTROL,
                "adjusted_change": rounded(adjusted),
                "comparison_group": "контрольная школа (без сопровождения)",
            },
            ensure_ascii=False,
        ),
    }


def school_rows(
    outcomes: pl.DataFrame, cohort: Cohort, fit: Fit, pairs: pl.DataFrame, exits: pl.DataFrame
) -> pl.DataFrame:
    """Every supported school (matched or not), then every control with a positive weight."""
    est = fit.est
    d_map = {fit.t_ids[i]: float(est.per_school[i]) for i in fit.matched}
    ex_map = {r["school_id"]: r for r in exits.iter_rows(named=True)}
    f_map = {r["school_id"]: r for r in cohort.feats.iter_rows(named=True)}
    ctrl_map: dict[str, list[dict[str, Any]]] = {}
    for r in pairs.iter_rows(named=True):
        ctrl_map.setdefault(r["school_id"], []).append(
            {"control_id": r["control_id"], "distance": rounded(r["distance"], 3)}
        )
    rows = [
        _supported_row(
            sid,
            outcomes,
            cohort,
            f_map.get(sid, {}),
            d_map.get(sid),
            ctrl_map.get(sid, []),
            ex_map.get(sid, {}),
        )
        for sid in cohort.supported
    ]
    users: dict[str, int] = {}
    for r in pairs.iter_rows(named=True):
        if r["school_id"] in d_map:
            users[r["control_id"]] = users.get(r["control_id"], 0) + 1
    for c, pid in enumerate(fit.pool_ids):
        if est.control_weights[c] <= 0:
            continue
        rows.append(
            _control_row(
                pid,
                f_map[pid],
                users.get(pid, 0),
                float(est.control_weights[c]),
                float(est.control_adjusted[c]),
            )
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
