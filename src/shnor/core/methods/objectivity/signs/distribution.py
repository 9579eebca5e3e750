"""Signs read off the school's score distribution: ``bunching`` (excess at/just above a cut score)
and ``homogeneity`` (a spread too low for the school's level), both against the region's shape
tilted to the school's level."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from shnor.core.methods.objectivity.signs.base import (
    Unit,
    _binom_pmf,
    _r,
    _rl,
    _rv,
    not_tested,
    reliability,
    upper_tail,
)
from shnor.core.methods.objectivity.signs.level_model import (
    _latent_posterior,
    _tilt_fit,
    smooth_counterfactual,
    tilted_moments,
)

#: One cut ``bunching`` tests at: the cut score, the window [lo, hi] around it and the region's
#: counterfactual histogram g (smooth inside the window).
_Cut = tuple[int, int, int, np.ndarray]

_GROUP = (
    "распределение баллов региона (сглаженное в окне у порога), "
    "перевзвешенное к уровню школы по её участникам вне окна"
)


def _region_cuts(
    unit: Unit, cfg: Mapping[str, Any], hist: np.ndarray
) -> tuple[list[dict[str, Any]], dict[str, _Cut]]:
    """The region-level row of every cut with a window in the scale and a counterfactual, and those cuts."""
    below, above = int(cfg["below"]), int(cfg["above"])
    region_rows: list[dict[str, Any]] = []
    per_cut: dict[str, _Cut] = {}
    for name in cfg["boundaries"]:
        cut = unit.cuts.get(name)
        if cut is None or cut - below < 0 or cut + above - 1 > unit.max_score:
            continue
        lo, hi = cut - below, cut + above - 1
        g = smooth_counterfactual(hist, lo, hi, cfg)
        if g is None:
            continue
        up = np.arange(cut, hi + 1)
        dn = np.arange(lo, cut)
        obs_up, exp_up = hist[up].sum(), g[up].sum()
        n_w = hist[lo : hi + 1].sum()
        p0 = g[up].sum() / g[lo : hi + 1].sum()
        p_region = float(stats.binom.sf(obs_up - 1, n_w, p0)) if n_w else 1.0
        region_rows.append(
            {
                "boundary": name,
                "cut": cut,
                "window": [lo, hi],
                "n_pupils": int(hist.sum()),
                "observed_at_or_above": int(obs_up),
                "expected_at_or_above": _r(exp_up, 1),
                "observed_below": int(hist[dn].sum()),
                "expected_below": _r(g[dn].sum(), 1),
                "excess_ratio": _r(obs_up / exp_up if exp_up > 0 else np.nan, 3),
                "excess_pupils": _r(obs_up - exp_up, 1),
                "share_of_window_at_or_above": _r(obs_up / n_w if n_w else np.nan),
                "expected_share": _r(p0),
                "p_value": p_region,
                "histogram": hist.astype(int).tolist(),
                "counterfactual": [_r(v, 1) for v in g],
            }
        )
        per_cut[name] = (cut, lo, hi, g)
    return region_rows, per_cut


def _latent_models(
    per_cut: dict[str, _Cut], shist_int: np.ndarray, cfg: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """The latent-normal level model's posterior per cut, when the settings ask for it (else none)."""
    latent = {}
    if cfg.get("level_model", "tilt") == "latent_normal" and cfg.get("null_shape", "smooth") != "region":
        shist_all = shist_int.astype(float)
        for name, (cut, lo, hi, g) in per_cut.items():
            latent[name] = _latent_posterior(
                shist_all, cut, lo, hi, g, float(cfg.get("latent_sd_prior", 0.15))
            )
    return latent


def _tilt_grids(
    per_cut: dict[str, _Cut], latent: dict[str, dict[str, Any]], cfg: Mapping[str, Any], max_score: int
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per cut of the tilt model: the tilted mean and variance on a grid of θ, so that the MLE is read
    off it (smooth null shape only)."""
    tilt_grid = {}
    bound = float(cfg["theta_bound"])
    tgrid = np.linspace(-bound, bound, 2401)
    for name, (_cut, lo, hi, g) in per_cut.items():
        if name in latent or cfg.get("null_shape", "smooth") == "region":
            continue
        sup = np.r_[0:lo, hi + 1 : max_score + 1]
        a = np.log(np.maximum(g[sup], 1e-12))[None, :] + tgrid[:, None] * sup[None, :]
        w = np.exp(a - a.max(1, keepdims=True))
        w /= w.sum(1, keepdims=True)
        m = w @ sup
        tilt_grid[name] = (m, np.maximum(w @ (sup * sup) - m * m, 1e-12), tgrid)
    return tilt_grid


def _cut_counts(
    per_cut: dict[str, _Cut], shist_int: np.ndarray, sizes: np.ndarray
) -> dict[str, tuple[Any, ...]]:
    """Per cut and school: pupils in the window, at/above the cut, outside the window, and the sum of
    the scores outside it (their mean is all the tilt model needs of them); and the scores outside."""
    width = shist_int.shape[1]
    support_all = np.arange(width)
    counts = {}
    for name, (cut, lo, hi, _g) in per_cut.items():
        n_win = shist_int[:, lo : hi + 1].sum(1)
        counts[name] = (
            n_win.tolist(),
            shist_int[:, cut : hi + 1].sum(1).tolist(),
            (sizes - n_win).tolist(),
            (shist_int @ support_all - shist_int[:, lo : hi + 1] @ support_all[lo : hi + 1]).tolist(),
            np.r_[0:lo, hi + 1 : width],
        )  # the scores outside the window
    return counts


def _shown(
    per_cut: dict[str, _Cut], counts: dict[str, tuple[Any, ...]], latent: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """What every school's record shows per cut, rounded for all schools at once (``_rv`` is ``_r``)."""
    shown: dict[str, dict[str, Any]] = {}
    for name in per_cut:
        n_w_a = np.asarray(counts[name][0], dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            observed = np.where(n_w_a > 0, np.asarray(counts[name][1], dtype=float) / n_w_a, np.nan)
        shown[name] = {"observed_share": _rv(observed)}
        if name in latent:
            lat = latent[name]
            shown[name].update(
                expected_share=_rv(lat["share"]),
                latent_shift=_rv(lat["shift"]),
                latent_sd=_rv(lat["sd"]),
                sigma0=_r(lat["sigma0"]),
            )
    return shown


@dataclass
class _Models:
    """Everything ``bunching`` tests the schools of one procedure against, made once for all of them."""

    cfg: Mapping[str, Any]
    hist: np.ndarray  # the region's histogram
    shist_int: np.ndarray  # schools × scores
    per_cut: dict[str, _Cut]
    latent: dict[str, dict[str, Any]]  # latent-normal posteriors per cut (when that level model is used)
    tilt_grid: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    counts: dict[str, tuple[Any, ...]]  # ``_cut_counts``
    shown: dict[str, dict[str, Any]]  # ``_shown``
    gh_x: np.ndarray  # Gauss–Hermite nodes and weights (summing to 1) over θ's sampling distribution
    gh_w: np.ndarray


def _p0_of(t: np.ndarray | float, win: np.ndarray, lg: np.ndarray, is_up: np.ndarray) -> np.ndarray:
    """The share at/above the cut within the window under the shape exp(lg) tilted by each θ of ``t``."""
    a = lg[win][None, :] + np.atleast_1d(t)[:, None] * win[None, :]
    w = np.exp(a - a.max(1, keepdims=True))
    return w[:, is_up].sum(1) / w.sum(1)


def _tilt_null(
    md: _Models, name: str, si: int, n_w: int, n_outside: int, mean_out: float, support: np.ndarray
) -> tuple[Any, dict[str, Any], np.ndarray, Any, Any]:
    """The tilt model's null at one cut for one school: expected share, extra fields, the null pmf of
    the count at/above the cut, the chart (unrounded) and θ."""
    cfg = md.cfg
    cut, lo, hi, g = md.per_cut[name]
    if cfg.get("null_shape", "smooth") == "region":
        g = np.maximum(md.hist - md.shist_int[si], 0.0) + 0.5
        theta, se = _tilt_fit(g, support, mean_out, n_outside, float(cfg["theta_bound"]))
    else:  # the same MLE, read off a grid of the tilted mean (one grid per cut)
        gm, gv, grid = md.tilt_grid[name]
        theta = float(np.interp(mean_out, gm, grid))
        se = 1.0 / np.sqrt(max(float(np.interp(theta, grid, gv)) * n_outside, 1e-9))
    lg = np.log(np.maximum(g, 1e-12))
    win = np.arange(lo, hi + 1)
    is_up = win >= cut
    expected_share = _r(float(_p0_of(theta, win, lg, is_up)[0]))
    if n_w:
        p0s = np.clip(_p0_of(theta + md.gh_x * se, win, lg, is_up), 1e-12, 1 - 1e-12)
        pmf = md.gh_w @ _binom_pmf(n_w, p0s)
    else:
        pmf = np.ones(1)
    a = lg + theta * np.arange(md.shist_int.shape[1])
    f = np.exp(a - a.max())
    chart = (f, support, n_outside)  # rounded only if it is the one shown
    return expected_share, {}, pmf, chart, _r(theta)


def _latent_null(
    md: _Models, name: str, si: int, n_w: int
) -> tuple[Any, dict[str, Any], np.ndarray, Any, None]:
    """The latent-normal model's null at one cut for one school (as ``_tilt_null``): the posterior over
    (shift, sd) from the pupils outside the window."""
    lat, sh = md.latent[name], md.shown[name]
    extra: dict[str, Any] = {
        "latent_shift": sh["latent_shift"][si],
        "latent_sd": sh["latent_sd"][si],
        "latent_sd_region_typical": sh["sigma0"],
    }
    pmf = lat["pmf"][si] if n_w else np.ones(1)
    return sh["expected_share"][si], extra, pmf, lat["expected"][si], None


def _school_tests(
    md: _Models, si: int, sid: str, n: int, null_pmfs: dict[tuple[str, str], dict[str, Any]] | None
) -> tuple[list[dict[str, Any]], list[Any]]:
    """One school's test at every cut, and each tested cut's expected histogram (the best one's is shown)."""
    min_outside = int(md.cfg["min_outside"])
    tests = []
    charts = []
    for name, (cut, lo, hi, _g) in md.per_cut.items():
        n_win, n_up, n_out, sum_out, support = md.counts[name]
        n_w, x, n_outside = n_win[si], n_up[si], n_out[si]
        if n_outside < min_outside:
            tests.append({"boundary": name, "tested": False, "reason": "мало участников вне окна"})
            continue
        if name in md.latent:
            expected_share, extra, pmf, chart, theta = _latent_null(md, name, si, n_w)
        else:
            expected_share, extra, pmf, chart, theta = _tilt_null(
                md, name, si, n_w, n_outside, sum_out[si] / n_outside, support
            )
        p = upper_tail(pmf, x)
        if null_pmfs is not None:
            null_pmfs[(sid, name)] = {
                "x": x,
                "n_window": n_w,
                "n": n,
                "pmf": pmf,
                "expected": float(np.arange(n_w + 1) @ pmf),
            }
        tests.append(
            {
                "boundary": name,
                "tested": True,
                "cut": cut,
                "window": [lo, hi],
                "n_window": n_w,
                "at_or_above": x,
                "expected_share": expected_share,
                "observed_share": md.shown[name]["observed_share"][si],
                "theta": theta,
                **extra,
                "p_value": p,
            }
        )
        charts.append(chart)
    return tests, charts


def _school_record(
    tests: list[dict[str, Any]], charts: list[Any], n: int, hist_row: list[Any]
) -> dict[str, Any]:
    """A school's bunching record from its tests at the cuts: the best cut, Bonferroni across them."""
    done = [i for i, t in enumerate(tests) if t["tested"]]
    if not done:
        return not_tested("мало участников вне окна вокруг порога", n=n)
    best_i = min(done, key=lambda i: tests[i]["p_value"])
    best = tests[best_i]
    chart = charts[done.index(best_i)]
    if isinstance(chart, tuple):  # scaled so that outside the window it matches the school
        f, support, n_outside = chart
        chart = _rl(f / f[support].sum() * n_outside, 1)  # a tenth of a pupil
    p = min(1.0, len(done) * best["p_value"])
    return {
        "tested": True,
        "n": n,
        "reliability": reliability(n),
        "p_value": p,
        "statistic": {
            "boundary": best["boundary"],
            "at_or_above": best["at_or_above"],
            "n_window": best["n_window"],
            "observed_share": best["observed_share"],
            "expected_share": best["expected_share"],
        },
        "comparison_group": _GROUP,
        "boundaries": tests,
        "chart": {"histogram": hist_row, "expected": chart},
    }


def bunching(
    unit: Unit, cfg: Mapping[str, Any], null_pmfs: dict[tuple[str, str], dict[str, Any]] | None = None
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Excess of pupils at/just above each cut score against the region's smooth shape tilted to the school.

    Region: the histogram outside the window [cut − below, cut + above − 1] is fitted by a polynomial
    in log counts; inside the window the fit is the counterfactual g. School: f(s) ∝ g(s)·exp(θ·s),
    θ fitted by maximum likelihood to the school's pupils outside the window (where moving pupils
    across the cut leaves no trace), so the counterfactual has the school's level. Given the N pupils
    in the window, the number at/above the cut is Binomial(N, p0(θ)) under the null; the p-value
    averages the binomial tail over θ's sampling distribution (Gauss–Hermite), so the estimated
    level does not make the test anti-conservative. Several cuts: Bonferroni across them.

    ``cfg["null_shape"]``: "smooth" (default, the polynomial counterfactual above) or "region" (the
    region's own histogram without the school: tests bunching beyond the region's, robust to a
    region-wide pile at the cut). ``null_pmfs``, when given, receives per (school, boundary) the
    observed count and its null distribution (for pooling over a school's tests and years).
    """
    hist = np.bincount(unit.total, minlength=unit.max_score + 1)[: unit.max_score + 1].astype(float)
    region_rows, per_cut = _region_cuts(unit, cfg, hist)
    if hist.sum() < int(cfg["region_min_pupils"]):
        reason = f"в регионе меньше {cfg['region_min_pupils']} участников: форма распределения не оценивается"
        return {sid: not_tested(reason) for sid in unit.school_ids}, region_rows
    if not per_cut:
        return {
            sid: not_tested("нет шкалы отметок или окна вокруг порога") for sid in unit.school_ids
        }, region_rows
    width = unit.max_score + 1
    # every school's score histogram (schools × scores): all the per-school counts below come off it
    shist_int = np.bincount(
        unit.school.astype(np.int64) * width + unit.total, minlength=len(unit.school_ids) * width
    ).reshape(len(unit.school_ids), width)
    latent = _latent_models(per_cut, shist_int, cfg)
    gh_x, gh_w = np.polynomial.hermite_e.hermegauss(int(cfg["quadrature_nodes"]))
    sizes = shist_int.sum(1)
    counts = _cut_counts(per_cut, shist_int, sizes)
    md = _Models(
        cfg=cfg,
        hist=hist,
        shist_int=shist_int,
        per_cut=per_cut,
        latent=latent,
        tilt_grid=_tilt_grids(per_cut, latent, cfg, unit.max_score),
        counts=counts,
        shown=_shown(per_cut, counts, latent),
        gh_x=gh_x,
        gh_w=gh_w / gh_w.sum(),
    )
    out: dict[str, dict[str, Any]] = {}
    min_n = int(cfg["min_pupils"])
    hist_rows = shist_int.tolist()
    for si, (sid, n) in enumerate(zip(unit.school_ids, sizes.tolist(), strict=True)):
        if n < min_n:
            out[sid] = not_tested(f"участников {n} < {min_n}: гистограмма неинформативна", n=n)
            continue
        tests, charts = _school_tests(md, si, sid, n, null_pmfs)
        out[sid] = _school_record(tests, charts, n, hist_rows[si])
    return out, region_rows


def homogeneity(unit: Unit, cfg: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Spread of primary scores too low for the school's level.

    The school's expected distribution is the region's score histogram exponentially tilted to the
    school's mean (f_θ(s) ∝ h(s)·exp(θ·s), the model of ``bunching``): it is squeezed against the
    maximum score as a real strong school's results are, so ceiling effects do not read as
    homogeneity (a quadratic regression of log sd on the mean, used before, extrapolated badly for
    lyceums near the ceiling). Under the null s²/σ²_θ ~ χ²_d/d with Satterthwaite's
    d = 2 / (2/(n−1) + (κ_θ − 3)/n) (κ_θ the tilted kurtosis), scaled by the region's median ratio
    (a school is narrower than the region, which mixes schools); lower tail. The empirical null (TOML)
    absorbs the honest between-school spread.
    """
    ns = len(unit.school_ids)
    min_n = int(cfg["min_pupils"])
    counts = np.bincount(unit.school, minlength=ns).astype(float)
    s1 = np.bincount(unit.school, weights=unit.total, minlength=ns)
    s2 = np.bincount(unit.school, weights=unit.total.astype(float) ** 2, minlength=ns)
    mean = s1 / np.maximum(counts, 1)
    var = np.maximum((s2 - counts * mean**2) / np.maximum(counts - 1, 1), 0.0)
    sd = np.sqrt(var)
    ok = counts >= min_n
    if ok.sum() < int(cfg["min_schools"]):
        return {
            s: not_tested(f"в регионе меньше {cfg['min_schools']} ОО с ≥ {min_n} участниками")
            for s in unit.school_ids
        }
    hist = np.bincount(unit.total, minlength=unit.max_score + 1)[: unit.max_score + 1].astype(float)
    grid = np.linspace(-6.0, 6.0, 1201)
    gm, gv, g4 = tilted_moments(hist, grid)
    theta = np.interp(mean, gm, grid)
    ev = np.interp(theta, grid, gv)
    kurt = np.interp(theta, grid, g4) / ev**2
    ratio = var / ev
    d = np.clip(2.0 / (2.0 / np.maximum(counts - 1, 1) + (kurt - 3.0) / np.maximum(counts, 1)), 1.0, None)
    floor = 0.25 / np.maximum(ev, 1e-9)  # keeps log finite when all pupils share one score
    centre = float(np.median(np.log(np.maximum(ratio[ok], floor[ok]))))
    p = stats.chi2.cdf(d * ratio / np.exp(centre), d)
    z = stats.norm.ppf(np.clip(p, 1e-300, 1.0))
    out = {}
    for si, sid in enumerate(unit.school_ids):
        if not ok[si]:
            out[sid] = not_tested(f"участников {int(counts[si])} < {min_n}", n=int(counts[si]))
            continue
        out[sid] = {
            "tested": True,
            "n": int(counts[si]),
            "p_value": float(p[si]),
            "statistic": {
                "z": _r(z[si]),
                "sd": _r(sd[si], 3),
                "expected_sd": _r(np.sqrt(ev[si] * np.exp(centre)), 3),
                "mean": _r(mean[si], 2),
                "variance_ratio": _r(ratio[si] / np.exp(centre)),
                "df": _r(d[si], 1),
                "theta": _r(theta[si]),
            },
            "comparison_group": "распределение баллов региона, перевзвешенное к среднему баллу школы "
            "(с учётом потолка шкалы)",
        }
    return out
