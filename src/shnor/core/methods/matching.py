"""Partner (leader) schools for ШНОР: an optimal pairing under a capacity per leader.

Leader schools (школы-лидеры) are schools with good results — by default a context-adjusted
value-added interval entirely above zero and within the top quarter of the region
(``select_leaders``). Each supported school is paired with one reachable leader (same
municipality or within a maximum distance) so that the total cost

    cost = distance_weight · distance_km / distance_scale_km + context_weight · context_difference

is minimal while no leader takes more than ``capacity`` schools (``solve_assignment``:
``scipy.optimize.linear_sum_assignment`` on a leader-slot expansion with one "unpaired" column
per supported school, so the number of paired schools is maximised first and the cost second).
``context_difference`` (0..1) compares the social index, locality, size and kind of school.
Schools with no leader within reach, or left over when the reachable leaders are full, are
reported with a status and a Russian note, never hidden. Pure functions: no Django, no file I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import linear_sum_assignment

from shnor.core.methods.base import Inputs

NAME = "matching"

EARTH_RADIUS_KM = 6371.0088

#: Status codes of a supported school in the output.
ASSIGNED = "assigned"
NO_LEADER_IN_REACH = "no_leader_in_reach"
CAPACITY_EXHAUSTED = "capacity_exhausted"

STATUS_TEXT = {
    ASSIGNED: "Назначена школа-лидер",
    NO_LEADER_IN_REACH: "Нет школы-лидера в пределах досягаемости",
    CAPACITY_EXHAUSTED: "Все досягаемые школы-лидеры уже заняты (исчерпана вместимость)",
}

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "leader_id": pl.String(),
    "status": pl.String(),
    "note": pl.String(),
    "distance_km": pl.Float64(),
    "context_difference": pl.Float64(),
    "cost": pl.Float64(),
    "n_reachable": pl.Int32(),
    "evidence": pl.String(),
}

LEADER_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "measure": pl.Float64(),
    "n_pupils": pl.Int64(),
    "is_leader": pl.Boolean(),
    "reason": pl.String(),
}

REACH_RULES = ("municipality_or_distance", "municipality", "distance", "municipality_and_distance")


# --------------------------------------------------------------------------------------------
# Geometry and context
# --------------------------------------------------------------------------------------------


def haversine_km(
    lat1: np.ndarray | float, lon1: np.ndarray | float, lat2: np.ndarray | float, lon2: np.ndarray | float
) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasting numpy arrays)."""
    p1, p2 = np.radians(np.asarray(lat1, dtype=float)), np.radians(np.asarray(lat2, dtype=float))
    dphi = p2 - p1
    dlam = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def school_profiles(
    schools: pl.DataFrame, social: pl.DataFrame | None, config: Mapping[str, Any]
) -> pl.DataFrame:
    """``school_id, municipality_id, latitude, longitude, social_index, locality, pupils, kind_group``.

    ``social`` is a ``social_index.compute`` output (``school_id, index``); without it the
    social index is null (the component then counts as unknown).
    """
    groups = {
        str(k).lower(): str(v) for k, v in dict(config.get("context", {}).get("kind_groups", {})).items()
    }
    base = schools.select(
        pl.col("school_id").cast(pl.String),
        pl.col("municipality_id").cast(pl.String),
        pl.col("latitude").cast(pl.Float64),
        pl.col("longitude").cast(pl.Float64),
        pl.col("locality").cast(pl.String).str.strip_chars().str.to_lowercase().alias("locality"),
        pl.col("pupils").cast(pl.Float64),
        pl.col("kind")
        .cast(pl.String)
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(groups, default="прочие", return_dtype=pl.String)
        .alias("kind_group"),
    )
    if social is not None and social.height:
        si = social.select(
            pl.col("school_id").cast(pl.String), pl.col("index").cast(pl.Float64).alias("social_index")
        )
        base = base.join(si, on="school_id", how="left")
    else:
        base = base.with_columns(pl.lit(None, dtype=pl.Float64).alias("social_index"))
    return base.unique("school_id", keep="first").sort("school_id")


def context_difference_matrix(
    a: pl.DataFrame, b: pl.DataFrame, config: Mapping[str, Any]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Context difference (0..1) between every school of profile ``a`` (rows) and ``b`` (columns).

    Returns the weighted mean matrix and the component matrices (each 0..1, NaN where unknown;
    unknown components count as 0.5 in the mean).
    """
    c = dict(config.get("context", {}))
    weights = {
        k: float(c.get(k, d))
        for k, d in (("social_index", 1.0), ("locality", 1.0), ("size", 0.5), ("kind", 0.5))
    }
    si_scale = float(c.get("social_index_scale", 30.0))
    size_scale = math.log(float(c.get("size_ratio_scale", 4.0)))

    def col(frame: pl.DataFrame, name: str) -> np.ndarray:
        return frame[name].to_numpy().astype(float)

    comps: dict[str, np.ndarray] = {}
    sa, sb = col(a, "social_index"), col(b, "social_index")
    comps["social_index"] = np.minimum(np.abs(sa[:, None] - sb[None, :]) / si_scale, 1.0)
    pa, pb = col(a, "pupils"), col(b, "pupils")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(np.log(np.clip(pa, 1, None)[:, None]) - np.log(np.clip(pb, 1, None)[None, :]))
    comps["size"] = np.minimum(ratio / size_scale, 1.0)
    for name, column in (("locality", "locality"), ("kind", "kind_group")):
        va = np.array(a[column].to_list(), dtype=object)
        vb = np.array(b[column].to_list(), dtype=object)
        known = (va != None)[:, None] & (vb != None)[None, :]  # noqa: E711 (object arrays)
        diff = (va[:, None] != vb[None, :]).astype(float)
        comps[name] = np.where(known, diff, np.nan)
    total_w = sum(weights.values()) or 1.0
    mean = sum(weights[k] * np.where(np.isnan(m), 0.5, m) for k, m in comps.items()) / total_w
    return np.asarray(mean, dtype=float), comps


# --------------------------------------------------------------------------------------------
# Leaders
# --------------------------------------------------------------------------------------------


def select_leaders(
    performance: pl.DataFrame,
    schools: pl.DataFrame,
    config: Mapping[str, Any],
    *,
    exclude: Sequence[str] = (),
) -> pl.DataFrame:
    """Which schools may be leaders: ``school_id, measure, n_pupils, is_leader, reason``.

    ``performance`` has ``school_id`` and the measure's column: ``lower`` (``va_lower``),
    ``effect`` (``va_effect``) or ``mean_z`` (``mean_z``), and optionally ``n_pupils``.
    ``exclude`` lists schools that may never lead (the supported schools themselves, schools on
    the risk list or with objectivity signs — the caller decides).
    """
    lc = dict(config.get("leaders", {}))
    measure = str(lc.get("measure", "va_lower"))
    column = {"va_lower": "lower", "va_effect": "effect", "mean_z": "mean_z"}.get(measure)
    if column is None:
        raise ValueError(f"matching.leaders.measure: неизвестная мера «{measure}»")
    if column not in performance.columns:
        raise ValueError(f"matching: для меры «{measure}» нужна колонка «{column}» в результатах школ")
    min_value = float(lc.get("min_value", 0.0))
    top_percent = float(lc.get("top_percent", 25))
    min_pupils = int(lc.get("min_pupils", 0))
    excluded_groups = {str(g) for g in lc.get("excluded_kind_groups", [])}
    groups = school_profiles(schools, None, config).select("school_id", "kind_group")
    perf = performance.select(
        pl.col("school_id").cast(pl.String),
        pl.col(column).cast(pl.Float64).alias("measure"),
        (
            pl.col("n_pupils").cast(pl.Int64)
            if "n_pupils" in performance.columns
            else pl.lit(None, dtype=pl.Int64)
        ).alias("n_pupils"),
    ).join(groups, on="school_id", how="left")
    valid = perf["measure"].drop_nulls().drop_nans()
    cut = (
        float(np.quantile(valid.to_numpy(), 1 - top_percent / 100))
        if valid.len() and top_percent < 100
        else -math.inf
    )
    excl = set(map(str, exclude))
    rows = []
    for r in perf.sort("school_id").iter_rows(named=True):
        m, n = r["measure"], r["n_pupils"]
        if r["school_id"] in excl:
            ok, reason = False, "исключена (сама в списке сопровождения или с особыми отметками)"
        elif m is None or math.isnan(m):
            ok, reason = False, "нет оценки результатов"
        elif n is not None and n < min_pupils:
            ok, reason = False, f"мало результатов ({n} < {min_pupils})"
        elif r["kind_group"] in excluded_groups:
            ok, reason = False, f"вид школы «{r['kind_group']}» не назначается лидером"
        elif m < min_value:
            ok, reason = False, f"мера {measure} = {m:.3f} < {min_value}"
        elif m < cut:
            ok, reason = False, f"мера {measure} = {m:.3f} ниже порога лучших {top_percent:g} % ({cut:.3f})"
        else:
            ok, reason = True, f"мера {measure} = {m:.3f} ≥ {max(min_value, cut):.3f}"
        rows.append(
            {"school_id": r["school_id"], "measure": m, "n_pupils": n, "is_leader": ok, "reason": reason}
        )
    return pl.DataFrame(rows, schema=LEADER_SCHEMA)


# --------------------------------------------------------------------------------------------
# Solvers
# --------------------------------------------------------------------------------------------


def _capacities(capacity: int | Sequence[int], n_leaders: int) -> np.ndarray:
    caps = (
        np.full(n_leaders, int(capacity))
        if isinstance(capacity, int | np.integer)
        else np.asarray(capacity, dtype=int)
    )
    if caps.shape != (n_leaders,) or (caps < 0).any():
        raise ValueError("matching: вместимость задаётся неотрицательным числом на каждую школу-лидера")
    return caps


def solve_assignment(cost: np.ndarray, feasible: np.ndarray, capacity: int | Sequence[int]) -> np.ndarray:
    """Optimal pairing: the leader index per supported school (row), −1 when unpaired.

    ``cost`` and ``feasible`` are (supported × leaders). Each leader takes at most its capacity.
    Lexicographic objective: as many paired schools as possible, then the least total cost.
    Solved exactly by ``linear_sum_assignment`` on the leader-slot expansion plus one
    "unpaired" column per row whose penalty exceeds any possible saving in cost.
    """
    cost = np.asarray(cost, dtype=float)
    feasible = np.asarray(feasible, dtype=bool) & np.isfinite(cost)
    n, m = cost.shape
    if n == 0:
        return np.zeros(0, dtype=int)
    caps = _capacities(capacity, m)
    slot_leader = np.repeat(np.arange(m), caps)
    max_cost = float(np.abs(cost[feasible]).max()) if feasible.any() else 0.0
    penalty = 1.0 + 2.0 * n * max(max_cost, 1.0)
    forbidden = 4.0 * penalty
    slots = np.where(feasible[:, slot_leader], np.where(feasible, cost, 0.0)[:, slot_leader], forbidden)
    big = np.hstack([slots, np.full((n, n), penalty)])
    rows, cols = linear_sum_assignment(big)
    out = np.full(n, -1, dtype=int)
    for r, c in zip(rows, cols, strict=True):
        if c < slot_leader.size and feasible[r, slot_leader[c]]:
            out[r] = slot_leader[c]
    return out


def greedy_assignment(cost: np.ndarray, feasible: np.ndarray, capacity: int | Sequence[int]) -> np.ndarray:
    """Baseline for comparison: take the cheapest remaining feasible pair while capacity lasts."""
    cost = np.asarray(cost, dtype=float)
    feasible = np.asarray(feasible, dtype=bool) & np.isfinite(cost)
    n, m = cost.shape
    caps = _capacities(capacity, m).copy()
    out = np.full(n, -1, dtype=int)
    order = sorted(zip(*np.nonzero(feasible), strict=True), key=lambda rc: (cost[rc], rc))
    for r, c in order:
        if out[r] < 0 and caps[c] > 0:
            out[r] = c
            caps[c] -= 1
    return out


def assignment_cost(cost: np.ndarray, assignment: np.ndarray) -> tuple[int, float]:
    """(number of paired schools, total cost of the pairs) of an assignment vector."""
    idx = np.nonzero(assignment >= 0)[0]
    return int(idx.size), float(np.asarray(cost)[idx, assignment[idx]].sum())


# --------------------------------------------------------------------------------------------
# Pairing
# --------------------------------------------------------------------------------------------


def pair_matrices(
    supported: pl.DataFrame, leaders: pl.DataFrame, config: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Distance, context difference, cost and reachability matrices (supported × leaders).

    Both frames are ``school_profiles`` outputs. Unknown coordinates give a NaN distance: such a
    pair is reachable only through the municipality rule and its distance term is charged as
    ``max_distance_km`` (pessimistic; reported in the evidence).
    """
    reach = str(config.get("reach", "municipality_or_distance"))
    if reach not in REACH_RULES:
        raise ValueError(f"matching.reach: неизвестное правило «{reach}»")
    max_km = float(config.get("max_distance_km", 60.0))
    dist = haversine_km(
        supported["latitude"].to_numpy().astype(float)[:, None],
        supported["longitude"].to_numpy().astype(float)[:, None],
        leaders["latitude"].to_numpy().astype(float)[None, :],
        leaders["longitude"].to_numpy().astype(float)[None, :],
    )
    dist = np.broadcast_to(dist, (supported.height, leaders.height)).astype(float)
    ma = np.array(supported["municipality_id"].to_list(), dtype=object)
    mb = np.array(leaders["municipality_id"].to_list(), dtype=object)
    same_mun = (ma[:, None] == mb[None, :]) & (ma != None)[:, None]  # noqa: E711
    near = np.where(np.isnan(dist), False, dist <= max_km)
    feasible = {
        "municipality_or_distance": same_mun | near,
        "municipality": same_mun,
        "distance": near,
        "municipality_and_distance": same_mun & near,
    }[reach]
    ctx, comps = context_difference_matrix(supported, leaders, config)
    dist_term = np.where(np.isnan(dist), max_km, dist) / float(config.get("distance_scale_km", 30.0))
    cost = (
        float(config.get("distance_weight", 1.0)) * dist_term + float(config.get("context_weight", 1.0)) * ctx
    )
    return {
        "distance": dist,
        "context": ctx,
        "cost": cost,
        "feasible": feasible,
        "same_municipality": same_mun,
        **{f"component_{k}": v for k, v in comps.items()},
    }


def _r(x: float | None, nd: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd)


def propose_pairs(
    supported: Sequence[str],
    leaders: Sequence[str],
    schools: pl.DataFrame,
    config: Mapping[str, Any],
    *,
    social: pl.DataFrame | None = None,
    n_alternatives: int = 3,
) -> pl.DataFrame:
    """One row per supported school with its proposed leader (columns of ``OUTPUT_SCHEMA``).

    ``supported`` and ``leaders`` are school ids (a school in both is dropped from the leaders);
    ``schools`` the SCHOOLS registry; ``social`` a ``social_index.compute`` output. Statuses:
    ``assigned``, ``no_leader_in_reach``, ``capacity_exhausted``; the evidence (JSON) holds the
    cost components, the rule, the capacity and the cheapest reachable alternatives.
    """
    profiles = school_profiles(schools, social, config)
    sup_ids = sorted(set(map(str, supported)))
    lead_ids = sorted(set(map(str, leaders)) - set(sup_ids))
    sup = pl.DataFrame({"school_id": sup_ids}, schema={"school_id": pl.String}).join(
        profiles, on="school_id", how="left"
    )
    lead = pl.DataFrame({"school_id": lead_ids}, schema={"school_id": pl.String}).join(
        profiles, on="school_id", how="left"
    )
    capacity = int(config.get("capacity", 2))
    mats = pair_matrices(sup, lead, config)
    assign = solve_assignment(mats["cost"], mats["feasible"], capacity)
    greedy_n, greedy_cost = assignment_cost(
        mats["cost"], greedy_assignment(mats["cost"], mats["feasible"], capacity)
    )
    opt_n, opt_cost = assignment_cost(mats["cost"], assign)
    rule = {
        "reach": str(config.get("reach", "municipality_or_distance")),
        "max_distance_km": float(config.get("max_distance_km", 60.0)),
        "capacity": capacity,
        "cost": "distance_weight·distance_km/distance_scale_km + context_weight·context_difference",
        "distance_weight": float(config.get("distance_weight", 1.0)),
        "context_weight": float(config.get("context_weight", 1.0)),
        "distance_scale_km": float(config.get("distance_scale_km", 30.0)),
        "solver": "scipy.optimize.linear_sum_assignment (leader-slot expansion)",
    }
    totals = {
        "paired": opt_n,
        "total_cost": _r(opt_cost),
        "greedy_paired": greedy_n,
        "greedy_total_cost": _r(greedy_cost),
        "n_supported": len(sup_ids),
        "n_leaders": len(lead_ids),
    }
    rows = []
    for i, sid in enumerate(sup_ids):
        reachable = np.nonzero(mats["feasible"][i])[0]
        j = int(assign[i])
        if j >= 0:
            status = ASSIGNED
        elif reachable.size == 0:
            status = NO_LEADER_IN_REACH
        else:
            status = CAPACITY_EXHAUSTED
        alts = sorted(reachable.tolist(), key=lambda c: (mats["cost"][i, c], lead_ids[c]))[:n_alternatives]
        nearest = (
            int(np.nanargmin(mats["distance"][i]))
            if lead_ids and not np.isnan(mats["distance"][i]).all()
            else None
        )
        ev: dict[str, Any] = {
            "method": NAME,
            "statistic": "стоимость пары (расстояние и различие контекста)",
            "status": status,
            "status_text": STATUS_TEXT[status],
            "rule": rule,
            "comparison_group": "школы-лидеры в пределах досягаемости",
            "n_reachable": int(reachable.size),
            "alternatives": [
                {
                    "leader_id": lead_ids[c],
                    "distance_km": _r(mats["distance"][i, c], 2),
                    "context_difference": _r(mats["context"][i, c]),
                    "cost": _r(mats["cost"][i, c]),
                    "same_municipality": bool(mats["same_municipality"][i, c]),
                }
                for c in alts
            ],
            "nearest_leader": None
            if nearest is None
            else {"leader_id": lead_ids[nearest], "distance_km": _r(mats["distance"][i, nearest], 2)},
            "totals": totals,
            "version": config.get("version"),
        }
        if j >= 0:
            ev["components"] = {
                k.removeprefix("component_"): _r(v[i, j])
                for k, v in mats.items()
                if k.startswith("component_")
            }
            ev["same_municipality"] = bool(mats["same_municipality"][i, j])
            if math.isnan(mats["distance"][i, j]):
                ev["note"] = "координаты неизвестны: расстояние в стоимости принято равным max_distance_km"
        note = STATUS_TEXT[status]
        if status == NO_LEADER_IN_REACH and ev["nearest_leader"]:
            note += f" (ближайшая школа-лидер в {ev['nearest_leader']['distance_km']} км)"
        rows.append(
            {
                "school_id": sid,
                "leader_id": lead_ids[j] if j >= 0 else None,
                "status": status,
                "note": note,
                "distance_km": _r(mats["distance"][i, j], 3) if j >= 0 else None,
                "context_difference": _r(mats["context"][i, j]) if j >= 0 else None,
                "cost": _r(mats["cost"][i, j]) if j >= 0 else None,
                "n_reachable": int(reachable.size),
                "evidence": json.dumps(ev, ensure_ascii=False),
            }
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)


def school_mean_z(inputs: Inputs, window_years: int = 2) -> pl.DataFrame:
    """``school_id, mean_z, n_pupils``: mean standardised result over the window ending ``inputs.year``."""
    from shnor.core.methods.value_added import pupil_scores

    year = int(inputs.year)
    scores = pupil_scores(inputs.results, inputs.scales, years=list(range(year - window_years + 1, year + 1)))
    return (
        scores.filter(pl.col("z").is_not_null())
        .group_by("school_id")
        .agg(pl.col("z").mean().alias("mean_z"), pl.len().cast(pl.Int64).alias("n_pupils"))
        .sort("school_id")
    )


def run(
    inputs: Inputs,
    config: Mapping[str, Any],
    *,
    supported: Sequence[str],
    performance: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
    exclude: Sequence[str] = (),
    value_added_config: Mapping[str, Any] | None = None,
    social_index_config: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """Method contract: proposed leader per supported school (columns of ``OUTPUT_SCHEMA``).

    ``performance`` is the leaders' measure per school (``value_added.run`` output for
    ``va_lower``/``va_effect``, ``school_mean_z`` for ``mean_z``); computed from ``inputs`` when
    omitted (value added with ``value_added_config`` or the shipped defaults). ``social`` is the
    social index for the year (computed from ``inputs.context`` when omitted). ``exclude``: ids
    that may never lead besides the supported schools (risk list, objectivity signs…).
    """
    from shnor.core.config import default_config
    from shnor.core.methods import social_index, value_added

    defaults = default_config()
    lc = dict(config.get("leaders", {}))
    if performance is None:
        if str(lc.get("measure", "va_lower")) == "mean_z":
            performance = school_mean_z(inputs, int(lc.get("window_years", 2)))
        else:
            performance, _ = value_added.estimate(inputs, value_added_config or defaults["value_added"])
    if social is None:
        social = social_index.compute(
            inputs.context, inputs.schools, int(inputs.year), social_index_config or defaults["social_index"]
        )
    leaders = select_leaders(performance, inputs.schools, config, exclude=[*supported, *exclude])
    leader_ids = leaders.filter(pl.col("is_leader"))["school_id"].to_list()
    return propose_pairs(supported, leader_ids, inputs.schools, config, social=social)


__all__ = [
    "ASSIGNED",
    "CAPACITY_EXHAUSTED",
    "NAME",
    "NO_LEADER_IN_REACH",
    "OUTPUT_SCHEMA",
    "assignment_cost",
    "context_difference_matrix",
    "greedy_assignment",
    "haversine_km",
    "pair_matrices",
    "propose_pairs",
    "run",
    "school_mean_z",
    "school_profiles",
    "select_leaders",
    "solve_assignment",
]
