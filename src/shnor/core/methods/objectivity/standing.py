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
    # the tails of all schools at once (a SciPy call per school was most of the sign's time)
    p_gain_all = stats.norm.sf(z_gain).tolist()
    p_spike_all = stats.norm.sf(z_spike).tolist()
    spiked = np.isfinite(z_spike).tolist()
    n0 = usable["n0"].to_list()
    for i, sid in enumerate(usable["school_id"].to_list()):
        ps = [p_gain_all[i]]
        if spiked[i]:
            ps.append(p_spike_all[i])
        res[sid] = {
            "tested": True,
            "n": int(n0[i]),
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


def _reduce_groups(frame: pl.DataFrame, by: list[str], order: list[str]) -> tuple[pl.DataFrame, np.ndarray]:
    """``frame`` sorted by ``by`` then ``order`` and the first row of each ``by`` group (for
    ``np.add.reduceat``: sums in a fixed order, the same whatever Polars' threads do)."""
    frame = frame.sort([*by, *order])
    new = frame.select(pl.any_horizontal([pl.col(c) != pl.col(c).shift(1) for c in by])).to_series()
    return frame, np.flatnonzero(np.r_[True, new.fill_null(True).to_numpy()[1:]])


def _grade_year_standing(st: pl.DataFrame) -> pl.DataFrame:
    """Per school, year and grade: the mean standing over its subjects (the same pupils sit them,
    so a grade-year is one measurement of the school, not one per subject), its nominal sampling
    variance Σv/k² (the subjects as if independent; the variance model below corrects the scale)
    and the number of tests k."""
    st, start = _reduce_groups(st, ["school_id", "year", "grade"], ["procedure", "subject"])
    k = np.diff(np.r_[start, st.height]).astype(float)
    return (
        st[start]
        .select("school_id", "year", "grade")
        .with_columns(
            e=pl.Series(np.add.reduceat(st["z"].to_numpy(), start) / k),
            v=pl.Series(np.add.reduceat(st["v"].to_numpy(), start) / k**2),
            k=pl.Series(k.astype(np.int64)),
        )
    )


def fit_change_variance(
    change: np.ndarray, nominal: np.ndarray, min_schools: int, min_c: float = 1.0
) -> tuple[float, float]:
    """(a, c) of Var(change) = a + c·nominal across schools, fitted robustly: the schools in up to five
    equal bins by ``nominal`` (at least 40 a bin), the normal-scaled MAD² of each bin's changes about
    the overall median against the bin's mean nominal variance, weighted least squares; c ≥ 1 (the
    sampling variance is never taken as smaller than computed), a ≥ 0. With fewer than
    ``min_schools`` schools: (max(0, MAD² − median nominal), 1), as ``robust_standardise``."""
    ok = np.isfinite(change) & np.isfinite(nominal)
    d, s = change[ok], nominal[ok]
    if len(d) < max(min_schools, 2):
        return 0.0, 1.0
    med = float(np.median(d))
    order = np.argsort(s, kind="stable")
    bins = np.array_split(order, max(1, min(5, len(d) // 40)))
    y = np.array([float(np.median(np.abs(d[b] - med))) ** 2 * 1.482602218505602**2 for b in bins])
    x = np.array([float(s[b].mean()) for b in bins])
    w = np.array([len(b) for b in bins], float)
    if len(bins) == 1:
        return max(0.0, float(y[0] - x[0])), 1.0
    sw = np.sqrt(w)
    (a, c), *_ = np.linalg.lstsq(np.stack([sw, x * sw], 1), y * sw, rcond=None)
    if c < min_c:
        c = min_c
        a = float(np.sum(w * (y - c * x)) / w.sum())
    if a < 0.0:
        a = 0.0
        c = max(min_c, float(np.sum(w * x * y) / np.sum(w * x * x)))
    return float(a), float(c)


def _weighted(gy: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Per ``by`` group of grade-year standings: Σw·e/Σw, its variance 1/Σw, its sampling variance
    Σw²·cv/(Σw)² (``cv``: a grade-year's corrected sampling variance) and the tests Σk."""
    if gy.height == 0:
        return gy.select(by).with_columns(
            e=pl.lit(None, pl.Float64),
            v=pl.lit(None, pl.Float64),
            s=pl.lit(None, pl.Float64),
            k=pl.lit(None, pl.Int64),
        )
    gy, start = _reduce_groups(gy, by, [c for c in ("year", "grade") if c not in by])
    w = gy["w"].to_numpy()
    sw = np.add.reduceat(w, start)
    return (
        gy[start]
        .select(by)
        .with_columns(
            e=pl.Series(np.add.reduceat(w * gy["e"].to_numpy(), start) / sw),
            v=pl.Series(1.0 / sw),
            s=pl.Series(np.add.reduceat(w * w * gy["cv"].to_numpy(), start) / sw**2),
            k=pl.Series(np.add.reduceat(gy["k"].to_numpy(), start)),
        )
    )


#: The least factor on the spike's nominal sampling variance (``_pooled_changes``).
MIN_C_SPIKE = 0.25


def _pooled_changes(
    st: pl.DataFrame, y: int, cfg: Mapping[str, Any]
) -> tuple[dict[int, dict[str, tuple[float, float, int]]], dict[str, list[tuple[str, float, float]]], float]:
    """The school's standing per year, its gain and spike statistics with their variances, and the
    scale the earlier years' changes ask for (≥ 1).

    ``model = "drift"``: subject-mean grade-year standings; Var(a grade's change between the two
    earlier years) = 2δ² + c·nominal fitted across schools (``fit_change_variance``: δ² the honest
    drift of a grade-year, c ≥ 1 the sampling variance's correction — the subjects share pupils);
    grade-years weighted by 1/(δ² + c·v); gain = this year − all earlier grade-years (one level,
    each grade-year by its precision), its variance from the model; the model is checked on the
    school's change between the earlier years, standardised by it (the gain's z's are divided by
    max(1, MAD of those)). Spike = last year − mean(this year, two years ago) of the year standings,
    its sampling variance (× a factor fitted to the earlier years' change, ≥ ``MIN_C_SPIKE``) plus
    the spikes' own between-school variance (``robust_standardise``), as before. ``model = "mean"``
    (before version 2026.2): each year the precision-weighted mean over its tests, gain against the
    mean of the earlier years, both standardised by ``robust_standardise``."""
    min_s = int(cfg["min_schools"])
    years = (y - 2, y - 1, y)
    stats_: dict[str, list[tuple[str, float, float]]] = {"gain": [], "spike": []}
    if cfg.get("pooled_model", "mean") != "drift":
        sy = _school_year_standing(st)
        wide = {
            yy: {
                r[0]: (r[1], r[2], r[3])
                for r in sy.filter(pl.col("year") == yy).select("school_id", "e", "v", "k").iter_rows()
            }
            for yy in years
        }
        for sid in sorted(wide[y]):
            e0, v0, _ = wide[y][sid]
            e1, e2 = wide[y - 1].get(sid), wide[y - 2].get(sid)
            prior = [e for e in (e1, e2) if e is not None]
            if prior:
                stats_["gain"].append(
                    (
                        sid,
                        e0 - float(np.mean([e[0] for e in prior])),
                        v0 + sum(e[1] for e in prior) / len(prior) ** 2,
                    )
                )
            if e1 is not None:
                refs = [(e0, v0)] + ([(e2[0], e2[1])] if e2 is not None else [])
                stats_["spike"].append(
                    (
                        sid,
                        e1[0] - float(np.mean([r[0] for r in refs])),
                        e1[1] + sum(r[1] for r in refs) / len(refs) ** 2,
                    )
                )
        return wide, stats_, 0.0
    gy = _grade_year_standing(st)
    both = (
        gy.filter(pl.col("year") == y - 1)
        .join(gy.filter(pl.col("year") == y - 2), on=["school_id", "grade"], suffix="_2")
        .sort("school_id", "grade")
    )
    a, c = fit_change_variance(
        (both["e"] - both["e_2"]).to_numpy(), (both["v"] + both["v_2"]).to_numpy(), min_s
    )
    gy = gy.with_columns(w=1.0 / (a / 2.0 + c * pl.col("v")), cv=c * pl.col("v"))
    sy = _weighted(gy, ["school_id", "year"])
    ys = {yy: sy.filter(pl.col("year") == yy) for yy in years}
    wide = {
        yy: {r[0]: (r[1], r[2], r[3]) for r in ys[yy].select("school_id", "e", "v", "k").iter_rows()}
        for yy in years
    }
    before = {
        r[0]: (r[1], r[2])
        for r in _weighted(gy.filter(pl.col("year") < y), ["school_id"])
        .select("school_id", "e", "v")
        .iter_rows()
    }
    # the spike's sampling variance may be below the nominal one (``MIN_C_SPIKE``): the years around
    # last year share its cohorts (grade 4 one year is grade 5 the next), so their pupils' errors
    # partly cancel; the factor is fitted to the year standings' change between the earlier years
    both_y = ys[y - 1].join(ys[y - 2], on="school_id", suffix="_2").sort("school_id")
    c_spike = fit_change_variance(
        (both_y["e"] - both_y["e_2"]).to_numpy(), (both_y["s"] + both_y["s_2"]).to_numpy(), min_s, MIN_C_SPIKE
    )[1]
    samp = {yy: dict(zip(ys[yy]["school_id"].to_list(), ys[yy]["s"].to_list(), strict=True)) for yy in years}
    for sid in sorted(wide[y]):
        e0, v0, _ = wide[y][sid]
        if sid in before:
            stats_["gain"].append((sid, e0 - before[sid][0], v0 + before[sid][1]))
        e1, e2 = wide[y - 1].get(sid), wide[y - 2].get(sid)
        if e1 is not None:  # sampling variance only: the spread between schools is the spikes' own
            refs = [(e0, samp[y][sid])] + ([(e2[0], samp[y - 2][sid])] if e2 is not None else [])
            stats_["spike"].append(
                (
                    sid,
                    e1[0] - float(np.mean([r[0] for r in refs])),
                    c_spike * (samp[y - 1][sid] + sum(r[1] for r in refs) / len(refs) ** 2),
                )
            )
    earlier = np.array(
        [
            (e1[0] - wide[y - 2][s][0]) / np.sqrt(e1[1] + wide[y - 2][s][1])
            for s, e1 in sorted(wide[y - 1].items())
            if s in wide[y - 2]
        ]
    )
    scale = (
        max(1.0, float(stats.median_abs_deviation(earlier, scale="normal"))) if len(earlier) >= min_s else 1.0
    )
    return wide, stats_, scale


def fluctuation_pooled(inputs: Inputs, config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Gain / gain-then-fall per school over all its ВПР tests at once.

    A school's standing in a test is (school mean − region mean)/region SD. Statistics: gain = this
    year's standing − the earlier years' and spike = last year − mean(this year, two years ago) (the
    previous year above its neighbours: a gain followed by a fall); Bonferroni over the two. How the
    tests are pooled and the changes standardised: ``_pooled_changes`` (``pooled_model``). Pooling
    the tests averages out the pupils' sampling noise that makes a single test's change
    uninformative in a small school.
    """
    cfg = config["signs"]["fluctuation"]
    y = inputs.year
    st = _standing(inputs, ["vpr"], [y - 2, y - 1, y], int(cfg.get("pooled_min_pupils", cfg["min_pupils"])))
    if st.height == 0:
        return {}
    drift_model = cfg.get("pooled_model", "mean") == "drift"
    wide, stats_, scale = _pooled_changes(st, y, cfg)
    min_s = int(cfg["min_schools"])
    z: dict[str, dict[str, float]] = {}
    raw: dict[str, dict[str, float]] = {}
    null_sd: dict[str, dict[str, float]] = {}
    p_of: dict[str, dict[str, float]] = {}
    for name, rows in stats_.items():
        if len(rows) < min_s:
            continue
        vals = np.array([r[1] for r in rows])
        var = np.array([r[2] for r in rows])
        if drift_model and name == "gain":
            sd = np.sqrt(var) * scale
            zz = (vals - np.median(vals)) / sd
        else:
            zz = signs_mod.robust_standardise(vals, var)
            sd = np.sqrt(signs_mod.between_variance(vals, var) + var)
        tails = stats.norm.sf(zz).tolist()  # (all schools at once: a SciPy call each was slow)
        for (sid, val, _), zi, si, pi in zip(rows, zz.tolist(), sd.tolist(), tails, strict=True):
            z.setdefault(sid, {})[name] = zi
            raw.setdefault(sid, {})[name] = float(val)
            null_sd.setdefault(sid, {})[name] = si
            p_of.setdefault(sid, {})[name] = pi
    out = {}
    for sid, zs in z.items():
        ps = list(p_of[sid].values())
        statistic = {
            "z_gain": signs_mod._r(zs.get("gain")),
            "z_spike_previous_year": signs_mod._r(zs.get("spike")),
            "gain_sd": signs_mod._r(raw[sid].get("gain"), 3),
            "spike_sd": signs_mod._r(raw[sid].get("spike"), 3),
        }
        if drift_model:  # the spread of an honest gain for this school, in region SDs
            statistic["gain_null_sd"] = signs_mod._r(null_sd[sid].get("gain"), 3)
        out[sid] = {
            "tested": True,
            "p_value": float(min(1.0, len(ps) * min(ps))),
            "statistic": statistic,
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
    tails = stats.norm.sf(z).tolist()
    n_vpr, n_gia = both["n"].to_list(), both["n_gia"].to_list()
    for i, sid in enumerate(both["school_id"].to_list()):
        out[sid] = {
            "tested": True,
            "n": int(n_vpr[i]),
            "n_gia": int(n_gia[i]),
            "p_value": tails[i],
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
