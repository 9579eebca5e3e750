"""Signs over the schools' standing across years and procedures: ``fluctuation`` (an unexpected gain,
or a gain then a fall; per procedure and pooled over a school's ВПР) and ``vpr_vs_gia`` (ВПР far
above what the school's ОГЭ/ЕГЭ predict). They read earlier years and other procedures, so they take
``Inputs`` rather than one procedure's ``Unit``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import polars as pl
from scipy import stats

from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.signs import base as signs_mod
from shnor.core.methods.objectivity.signs.base import Unit, not_tested
from shnor.core.methods.objectivity.units import _COUNTED, _present, _scale


def _school_percent(inputs: Inputs, procedure: str, year: int, subject: str, grade: int) -> pl.DataFrame:
    """Per school: mean percent of the maximum score minus the region's (e), its sampling variance (v)
    and n; from integer counts and sums, so the same whatever Polars' threads do."""
    scale = _scale(inputs, procedure, year, subject, grade)
    x = pl.col("primary_score").cast(pl.Int64)
    agg = (
        _present(inputs, procedure, year, subject, grade)
        .group_by("school_id")
        .agg(n=pl.len(), s1=x.sum(), s2=(x * x).sum(), top=x.max())
        .collect()
        .sort("school_id")
    )
    if agg.height == 0:
        return pl.DataFrame(
            schema={"school_id": pl.String(), "e": pl.Float64(), "v": pl.Float64(), "n": pl.UInt32()}
        )
    mx = float(scale.get("max_score") or cast("float | None", agg["top"].max()) or 1)
    n, s1, s2 = (agg[c].to_numpy().astype(np.int64) for c in ("n", "s1", "s2"))
    region_mean = float(s1.sum()) / float(n.sum()) / mx * 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, (n * s2 - s1 * s1) / (n * (n - 1.0)), np.nan) * (100.0 / mx) ** 2
    return agg.select(
        "school_id",
        e=pl.Series(s1 / n / mx * 100.0 - region_mean),
        v=pl.Series(var / n).fill_nan(None),
        n=pl.col("n").cast(pl.UInt32),
    )


def fluctuation(inputs: Inputs, unit: Unit, cfg: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Unexpected gain of a school's result (relative to the region) against its earlier years and
    its own cohort a year before, and a gain followed by a fall (spike in the previous year)."""
    y = unit.year
    min_n = int(cfg["min_pupils"])
    cur = _school_percent(inputs, unit.procedure, y, unit.subject, unit.grade).filter(pl.col("n") >= min_n)
    priors = {
        "prev_year": _school_percent(inputs, unit.procedure, y - 1, unit.subject, unit.grade),
        "two_years_ago": _school_percent(inputs, unit.procedure, y - 2, unit.subject, unit.grade),
        "cohort": _school_percent(inputs, unit.procedure, y - 1, unit.subject, unit.grade - 1),
    }
    frame = cur.rename({"e": "e0", "v": "v0", "n": "n0"})
    for name, pf in priors.items():
        pf = pf.filter(pl.col("n") >= min_n).rename({"e": f"e_{name}", "v": f"v_{name}", "n": f"n_{name}"})
        frame = frame.join(pf, on="school_id", how="left")
    frame = frame.sort("school_id")
    res: dict[str, dict[str, Any]] = {}
    prior_cols = [f"e_{k}" for k in priors]
    has_prior = frame.select(pl.any_horizontal([pl.col(c).is_not_null() for c in prior_cols])).to_series()
    frame = frame.with_columns(has_prior=has_prior)
    usable = frame.filter(pl.col("has_prior"))
    if usable.height < int(cfg["min_schools"]):
        reason = (
            "нет данных прошлых лет"
            if usable.height == 0
            else f"меньше {cfg['min_schools']} ОО с данными прошлых лет"
        )
        return {s: not_tested(reason) for s in unit.school_ids}
    e0 = usable["e0"].to_numpy()
    v0 = usable["v0"].fill_null(0).to_numpy()
    pe = np.stack([usable[c].to_numpy().astype(float) for c in prior_cols], 1)
    pv = np.stack(
        [usable[c.replace("e_", "v_")].fill_null(0).to_numpy().astype(float) for c in prior_cols], 1
    )
    k = np.isfinite(pe).sum(1)
    prior_mean = np.nanmean(pe, 1)
    prior_var = np.nansum(np.where(np.isfinite(pe), pv, 0), 1) / k**2
    gain = e0 - prior_mean
    z_gain = signs_mod.robust_standardise(gain, v0 + prior_var)
    # spike: previous year above both its neighbours
    e1, e2 = pe[:, 0], pe[:, 1]
    spike_ok = np.isfinite(e1) & np.isfinite(e2)
    z_spike = np.full(len(e0), np.nan)
    if spike_ok.sum() >= int(cfg["min_schools"]):
        spike = e1 - (e2 + e0) / 2
        sv = pv[:, 0] + (pv[:, 1] + v0) / 4
        z_spike[spike_ok] = signs_mod.robust_standardise(spike[spike_ok], sv[spike_ok])
    for i, sid in enumerate(usable["school_id"].to_list()):
        p_gain = float(stats.norm.sf(z_gain[i]))
        ps = [p_gain]
        if np.isfinite(z_spike[i]):
            ps.append(float(stats.norm.sf(z_spike[i])))
        res[sid] = {
            "tested": True,
            "n": int(usable["n0"][i]),
            "p_value": float(min(1.0, len(ps) * min(ps))),
            "statistic": {
                "z_gain": signs_mod._r(z_gain[i]),
                "z_spike_previous_year": signs_mod._r(z_spike[i]),
                "gain_points_pct": signs_mod._r(gain[i], 2),
            },
            "comparison_group": "изменения результатов (относительно региона) у ОО региона",
            "chart": {
                "relative_result_pct": {
                    "year": signs_mod._r(e0[i], 2),
                    **{name: signs_mod._r(pe[i, j], 2) for j, name in enumerate(priors)},
                }
            },
        }
    for sid in unit.school_ids:
        if sid not in res:
            res[sid] = not_tested(f"нет результатов прошлых лет (≥ {min_n} участников)")
    return res


def _standing(inputs: Inputs, procedures: list[str], years: list[int], min_n: int) -> pl.DataFrame:
    """Per school, year and procedure unit: the school's mean minus the region's in the region's pupil
    SD (z), its sampling variance and n; only schools with ≥ ``min_n`` present pupils.

    Computed from each school's count, Σx and Σx² (integers: exact and the same in any summation
    order, so the result does not depend on how Polars splits the work between threads), without
    holding the pupils of all the years in memory."""
    unit = ["procedure", "year", "subject", "grade"]
    x = pl.col("primary_score").cast(pl.Int64)
    agg = (
        inputs.results.filter(pl.col("procedure").is_in(procedures) & pl.col("year").is_in(years) & _COUNTED)
        .group_by([*unit, "school_id"])
        .agg(n=pl.len().cast(pl.Int64), s1=x.sum(), s2=(x * x).sum())
        .collect()
        .sort([*unit, "school_id"])
    )
    empty = {"z": pl.Float64(), "n": pl.Int64(), "s2": pl.Float64(), "v": pl.Float64()}
    if agg.height == 0:
        return pl.DataFrame(schema={**{c: agg.schema[c] for c in [*unit, "school_id"]}, **empty})
    n, s1, s2 = (agg[c].to_numpy() for c in ("n", "s1", "s2"))
    code = agg.select(pl.struct(unit).rank("dense") - 1).to_series().to_numpy().astype(np.int64)
    n_u, s1_u, s2_u = (np.bincount(code, weights=v.astype(float)) for v in (n, s1, s2))
    m_u = s1_u / n_u
    with np.errstate(invalid="ignore", divide="ignore"):
        sd_u = np.sqrt((s2_u - n_u * m_u * m_u) / (n_u - 1))
        sd = sd_u[code]
        z = (s1 / n - m_u[code]) / sd
        within = (n * s2 - s1 * s1) / n  # (n − 1)·variance of the school's scores, exact numerator
        s2_school = np.where(n > 1, within / (n - 1) / (sd * sd), np.nan)
    keep = (sd > 0) & (n >= min_n)
    # sampling variance from the unit's pooled within-school variance: a small school's own
    # variance is too noisy to standardise by (heavy tails under the null)
    kc = code[keep]
    pooled = np.bincount(kc, weights=within[keep] / sd[keep] ** 2, minlength=len(n_u)) / np.bincount(
        kc, weights=(n[keep] - 1).astype(float), minlength=len(n_u)
    )
    out = agg.filter(pl.Series(keep)).select([*unit, "school_id"])
    return out.with_columns(
        z=pl.Series(z[keep]),
        n=pl.Series(n[keep]),
        s2=pl.Series(s2_school[keep]),
        v=pl.Series(pooled[kc] / n[keep]),
    )


def _precision_weighted(st: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Precision-weighted mean standing over the tests of each ``by`` group (summed in a fixed order)."""
    if st.height == 0:
        return pl.DataFrame(
            schema={
                **{c: st.schema[c] for c in by},
                "e": pl.Float64(),
                "v": pl.Float64(),
                "n": pl.Int64(),
                "k": pl.UInt32(),
            }
        )
    st = st.sort([*by, *[c for c in ("procedure", "year", "subject", "grade") if c not in by]])
    keys = st.select(by)
    start = np.flatnonzero(
        np.r_[
            True,
            keys.select(pl.any_horizontal([pl.col(c) != pl.col(c).shift(1) for c in by]))
            .to_series()
            .fill_null(True)
            .to_numpy()[1:],
        ]
    )
    w = 1.0 / np.clip(st["v"].to_numpy(), 1e-6, None)
    sw = np.add.reduceat(w, start)
    return keys[start].with_columns(
        e=pl.Series(np.add.reduceat(st["z"].to_numpy() * w, start) / sw),
        v=pl.Series(1.0 / sw),
        n=pl.Series(np.add.reduceat(st["n"].to_numpy(), start)),
        k=pl.Series(np.diff(np.r_[start, st.height]).astype(np.uint32)),
    )


def _school_year_standing(st: pl.DataFrame) -> pl.DataFrame:
    """Precision-weighted mean standing per school and year over its tests."""
    return _precision_weighted(st, ["school_id", "year"])


def fluctuation_pooled(inputs: Inputs, config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Gain / gain-then-fall per school over all its ВПР tests at once.

    A school's yearly standing E_t is the precision-weighted mean over its tests of (school mean −
    region mean)/region SD. Statistics: gain = E_y − mean(E_{y−1}, E_{y−2}) and spike =
    E_{y−1} − mean(E_y, E_{y−2}) (the previous year above its neighbours: a gain followed by a fall),
    each robustly standardised across schools (median, MAD minus sampling variance); Bonferroni over
    the two. Pooling the tests of a year averages out the pupils' sampling noise that makes a single
    test's change uninformative in a small school.
    """
    cfg = config["signs"]["fluctuation"]
    y = inputs.year
    st = _standing(inputs, ["vpr"], [y - 2, y - 1, y], int(cfg.get("pooled_min_pupils", cfg["min_pupils"])))
    if st.height == 0:
        return {}
    sy = _school_year_standing(st)
    wide = {
        yy: dict(
            zip(
                sy.filter(pl.col("year") == yy)["school_id"].to_list(),
                zip(
                    sy.filter(pl.col("year") == yy)["e"].to_list(),
                    sy.filter(pl.col("year") == yy)["v"].to_list(),
                    sy.filter(pl.col("year") == yy)["k"].to_list(),
                    strict=True,
                ),
                strict=True,
            )
        )
        for yy in (y - 2, y - 1, y)
    }
    sids = sorted(wide[y])
    stats_: dict[str, list[Any]] = {"gain": [], "spike": []}
    for sid in sids:
        e0, v0, _ = wide[y][sid]
        e1 = wide[y - 1].get(sid)
        e2 = wide[y - 2].get(sid)
        prior = [e for e in (e1, e2) if e is not None]
        if prior:
            stats_["gain"].append(
                (sid, e0 - np.mean([e[0] for e in prior]), v0 + sum(e[1] for e in prior) / len(prior) ** 2)
            )
        if e1 is not None:
            refs = [(e0, v0)] + ([(e2[0], e2[1])] if e2 is not None else [])
            stats_["spike"].append(
                (sid, e1[0] - np.mean([r[0] for r in refs]), e1[1] + sum(r[1] for r in refs) / len(refs) ** 2)
            )
    min_s = int(cfg["min_schools"])
    z: dict[str, dict[str, float]] = {}
    raw: dict[str, dict[str, float]] = {}
    for name, rows in stats_.items():
        if len(rows) < min_s:
            continue
        vals = np.array([r[1] for r in rows])
        var = np.array([r[2] for r in rows])
        zz = signs_mod.robust_standardise(vals, var)
        for (sid, val, _), zi in zip(rows, zz, strict=True):
            z.setdefault(sid, {})[name] = float(zi)
            raw.setdefault(sid, {})[name] = float(val)
    out = {}
    for sid, zs in z.items():
        ps = [float(stats.norm.sf(v)) for v in zs.values()]
        out[sid] = {
            "tested": True,
            "p_value": float(min(1.0, len(ps) * min(ps))),
            "statistic": {
                "z_gain": signs_mod._r(zs.get("gain")),
                "z_spike_previous_year": signs_mod._r(zs.get("spike")),
                "gain_sd": signs_mod._r(raw[sid].get("gain"), 3),
                "spike_sd": signs_mod._r(raw[sid].get("spike"), 3),
            },
            "standing_by_year": {
                str(yy): signs_mod._r(wide[yy][sid][0], 3) if sid in wide[yy] else None
                for yy in (y - 2, y - 1, y)
            },
            "tests_by_year": {
                str(yy): wide[yy][sid][2] if sid in wide[yy] else 0 for yy in (y - 2, y - 1, y)
            },
            "comparison_group": (
                "изменения положения ОО относительно региона (все ВПР школы за год) у ОО региона"
            ),
        }
    return out


def vpr_vs_gia(inputs: Inputs, config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """ВПР standing far above the standing the school's externally controlled ГИА results predict.

    Standings (school mean − region mean in region pupil SDs, precision-weighted over tests): ВПР of
    this year, ОГЭ/ЕГЭ of this and the earlier pooled years. Across schools with both, the ВПР
    standing is regressed on the ГИА standing (weighted least squares), so a school strong in both
    (a lyceum) is expected to be strong in ВПР; the residual is standardised by its sampling variance
    plus the robust between-school spread. One-sided: ВПР above the prediction.
    """
    cfg = config["signs"]["vpr_vs_gia"]
    min_n = int(cfg["min_pupils"])
    years = list(range(inputs.year - max(1, int(cfg["gia_years"])) + 1, inputs.year + 1))
    v = _school_year_standing(_standing(inputs, ["vpr"], [inputs.year], min_n)).drop("year")
    g_st = _standing(inputs, list(cfg["gia_procedures"]), years, min_n)
    if v.height == 0 or g_st.height == 0:
        return {}
    g = _precision_weighted(g_st, ["school_id"])
    both = v.join(g, on="school_id", suffix="_gia").sort("school_id")
    if both.height < int(cfg["min_schools"]):
        return {}
    ev, vv = both["e"].to_numpy(), both["v"].to_numpy()
    eg, vg = both["e_gia"].to_numpy(), both["v_gia"].to_numpy()
    # robust line: OLS, then refit without the schools whose residual is beyond 3 robust SDs
    design = np.stack([np.ones(len(eg)), eg], 1)
    keep = np.ones(len(eg), bool)
    for _ in range(2):
        coef, *_ = np.linalg.lstsq(design[keep], ev[keep], rcond=None)
        res = ev - design @ coef
        mad = stats.median_abs_deviation(res, scale="normal")
        keep = np.abs(res - np.median(res)) <= 3 * max(mad, 1e-6)
    samp = vv + coef[1] ** 2 * vg
    z = signs_mod.robust_standardise(res, samp)
    out = {}
    for i, sid in enumerate(both["school_id"].to_list()):
        out[sid] = {
            "tested": True,
            "n": int(both["n"][i]),
            "n_gia": int(both["n_gia"][i]),
            "p_value": float(stats.norm.sf(z[i])),
            "statistic": {
                "z": signs_mod._r(z[i]),
                "vpr_standing_sd": signs_mod._r(ev[i], 3),
                "gia_standing_sd": signs_mod._r(eg[i], 3),
                "expected_vpr_standing_sd": signs_mod._r(coef[0] + coef[1] * eg[i], 3),
                "slope": signs_mod._r(coef[1], 3),
            },
            "comparison_group": "ОО региона с тем же положением по ГИА (ОГЭ/ЕГЭ за "
            + ", ".join(str(y) for y in years)
            + "): регрессия положения по ВПР на положение по ГИА",
            "chart": {
                "standing": {
                    "vpr": signs_mod._r(ev[i], 3),
                    "gia": signs_mod._r(eg[i], 3),
                    "expected_vpr": signs_mod._r(coef[0] + coef[1] * eg[i], 3),
                }
            },
        }
    return out
