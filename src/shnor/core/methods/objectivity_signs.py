"""Statistical tests behind the objectivity signs: one function per sign over one procedure's pupils.

Every test returns, per school, a p-value under a null hypothesis that conditions on the school's
own level (so a strong school with a normal shape is not flagged), the statistic, the comparison
group and chart data. Pure numpy/scipy: no Django, no I/O. Used by ``objectivity.run``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, sparse, special, stats

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


def _rv(values: Any, nd: int = 4) -> list:
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


def _rl(values: np.ndarray, nd: int = 4) -> list:
    """``_r`` over an array (None for non-finite values)."""
    a = np.round(np.asarray(values, float), nd)
    return [v if np.isfinite(v) else None for v in a.tolist()]


def _rl_rows(values: np.ndarray, nd: int = 4) -> list[list]:
    """``_rl`` of every row of a matrix, rounded in one numpy call."""
    a = np.round(np.asarray(values, float), nd)
    if np.isfinite(a).all():
        return a.tolist()
    return [[v if np.isfinite(v) else None for v in row] for row in a.tolist()]


def reliability(n: int) -> str:
    """FIOKO guidance on histograms: informative at ≥ 50 pupils, rough at 20–49, limited below 20."""
    return "informative" if n >= 50 else "rough" if n >= 20 else "limited"


def not_tested(reason: str, **extra: Any) -> dict:
    """The record of a sign that was not tested, with the reason in Russian."""
    return {"tested": False, "reason": reason, **extra}


# ---------------------------------------------------------------------------------------------
# bunching at mark boundaries


def smooth_counterfactual(hist: np.ndarray, lo: int, hi: int, cfg: Mapping[str, Any]) -> np.ndarray | None:
    """The region's histogram with the window [lo, hi] replaced by a polynomial fit of log counts outside it."""
    k = int(cfg["fit_points"])
    xs = [s for s in range(lo - k, lo) if s >= 0] + [s for s in range(hi + 1, hi + 1 + k) if s < len(hist)]
    if len(xs) < int(cfg["fit_degree"]) + 2:
        return None
    x = np.array(xs, dtype=float)
    y = np.log(hist[xs] + 0.5)
    coef = np.polyfit(x - lo, y, int(cfg["fit_degree"]))
    g = hist.astype(float).copy()
    w = np.arange(lo, hi + 1)
    g[w] = np.exp(np.polyval(coef, w - lo))
    return g


def _tilt_fit(g: np.ndarray, support: np.ndarray, mean: float, n: int, bound: float) -> tuple[float, float]:
    """MLE of θ for ``n`` pupils' scores on ``support``, of mean ``mean``, under f(s) ∝ g(s)·exp(θ·s)
    (the mean is sufficient); returns (θ, se)."""
    s = support.astype(float)
    lg = np.log(np.maximum(g[support], 1e-12))
    target = float(mean)

    def moments(theta: float) -> tuple[float, float]:
        a = lg + theta * s
        w = np.exp(a - a.max())
        w /= w.sum()
        m = float(np.dot(w, s))
        return m, float(np.dot(w, (s - m) ** 2))

    lo_m, hi_m = moments(-bound)[0], moments(bound)[0]
    if target <= lo_m:
        theta = -bound
    elif target >= hi_m:
        theta = bound
    else:
        theta = optimize.brentq(lambda t: moments(t)[0] - target, -bound, bound, xtol=1e-8)
    var = moments(theta)[1]
    se = 1.0 / np.sqrt(max(var * n, 1e-9))
    return theta, se


def _latent_posterior(shist: np.ndarray, cut: int, lo: int, hi: int, g: np.ndarray, tau: float,
                      block: int = 256) -> dict[str, Any]:
    """The latent-normal level model of ``bunching`` for every school (rows of ``shist``, its score
    histogram) at one cut: the region's smooth scores g mapped to normal scores, each school's latent
    scores N(shift, sd²) on a (shift, sd) grid, the posterior from the school's pupils outside the
    window [lo, hi] under a log-normal prior on sd centred on the region's typical within-school sd,
    and from it per school: the posterior-mean share at/above the cut, the expected histogram, the
    posterior mean shift and sd, and the null pmf of the count at/above the cut given the window's
    count (the posterior mixture of binomials, the posterior binned on 400 values of that share).

    Schools are taken in blocks of ``block``, so the grid matrices (1,694 × block) are reused from
    the heap instead of a national-size matrix being faulted in afresh for every step, and a block
    (3.5 MB) stays in the processor's cache through the passes made over it. A block is held grid
    point by school (each school a column): the log-likelihood with the prior is one matrix product
    (the counts outside the window, −their number and 1 against log p, log(1 − p_window) and the log
    prior), the posterior is left unnormalised (exp(ll − the school's max)) and every sum of it —
    moments, expected histogram, mass per bin of p0 and the normalising total itself — is a product
    with it, divided by the total afterwards: four passes over the block instead of a dozen. Schools
    are taken in the order of their window counts, so the null pmfs of a block's schools with the
    same count are made at once as the block is done, not gathered for all schools and sorted by
    count afterwards (a country procedure's 5 million school-bin pairs: concatenating and sorting
    them was a third of the time). (A country procedure: 3.1 → 2.3 → 1.7 s;
    ``test_latent_posterior_is_its_definition``.)"""
    dl, sg = np.meshgrid(np.linspace(-4.0, 4.0, 121), np.linspace(0.3, 1.6, 14), indexing="ij")
    dl, sg = dl.ravel(), sg.ravel()
    ns, width = shist.shape
    cdf = np.clip(np.cumsum(g) / g.sum(), 1e-9, 1 - 1e-9)[:-1]
    edges = np.r_[-np.inf, stats.norm.ppf(cdf), np.inf]
    cum = stats.norm.cdf((edges[None, :] - dl[:, None]) / sg[:, None])
    prob = np.maximum(np.diff(cum, axis=1), 1e-300)
    p_win = prob[:, lo : hi + 1].sum(1)
    outside_cols = np.r_[0:lo, hi + 1 : width]
    c_out = shist[:, outside_cols]
    n_out = c_out.sum(1)
    n_w = shist[:, lo : hi + 1].sum(1).astype(np.int64)
    # log-likelihood (grid × schools) = [log p outside | log(1 − p_window) | log prior] @ [counts | −n | 1]ᵀ
    design = np.column_stack([c_out, -n_out, np.ones(ns)]).astype(float)
    k = len(outside_cols)
    log_terms = np.column_stack([np.log(prob[:, outside_cols]), np.log(np.maximum(1 - p_win, 1e-300)),
                                 np.zeros(len(dl))])

    def weights(rows: slice | np.ndarray, with_prior: bool) -> np.ndarray:
        """exp(log-likelihood − each school's max): the posterior up to each column's total."""
        ll = log_terms @ design[rows].T if with_prior else log_terms[:, : k + 1] @ design[rows, : k + 1].T
        ll -= ll.max(0)
        return np.exp(ll, out=ll)

    # prior on the school's latent sd: centred on the region's typical within-school sd (the
    # posterior-mean sd of schools with ≥ 30 pupils outside the window), log-sd spread set in TOML
    big = np.flatnonzero(n_out >= 30)
    sig_hat = np.empty(len(big))
    sd_and_total = np.stack([sg, np.ones(len(sg))])
    for a in range(0, len(big), block):
        rows = big[a : a + block]
        num, total = sd_and_total @ weights(rows, False)
        sig_hat[a : a + len(rows)] = num / total
    sigma0 = float(np.median(sig_hat)) if len(big) >= 5 else 1.0
    log_terms[:, k + 1] = -0.5 * ((np.log(sg) - np.log(sigma0)) / tau) ** 2
    # every school's posterior; its p0 (share at/above the cut within the window) on 400 bins, so
    # that the null pmf needs one binomial per bin, not one per grid point
    p0 = np.clip(prob[:, cut : hi + 1].sum(1) / np.maximum(p_win, 1e-300), 1e-12, 1 - 1e-12)
    bins = np.unique(np.minimum((p0 * 400).astype(int), 399), return_inverse=True)[1].ravel()
    nb = int(bins.max()) + 1
    # posterior mass per bin and p0 summed within the bin, as one sparse product
    to_bins = sparse.csr_array((np.r_[np.ones(len(p0)), p0], (np.r_[bins, bins + nb],
                                                             np.r_[np.arange(len(p0)), np.arange(len(p0))])),
                               shape=(2 * nb, len(p0)))
    # the posterior's moments (p0, shift, sd), its total and its expected histogram, as one product
    sums = np.vstack([p0, dl, sg, np.ones(len(p0)), prob.T])
    f_scale = np.zeros(width)
    f_scale[outside_cols] = 1.0
    out: dict[str, Any] = {"sigma0": sigma0, "share": np.empty(ns), "shift": np.empty(ns), "sd": np.empty(ns),
                           "pmf": [None] * ns, "expected": [None] * ns}
    # schools in the order of their window counts (stable): a block's schools with the same count
    # are neighbours, and their null pmfs are made together right away
    by_m = np.argsort(n_w, kind="stable")
    for a in range(0, ns, block):
        rows = by_m[a : a + block]
        w = weights(rows, True)
        m = sums @ w
        total = m[3]
        out["share"][rows], out["shift"][rows], out["sd"][rows] = m[:3] / total
        fh = m[4:].T  # (the scale cancels below)
        # the chart's expected histogram, scaled so that outside the window it matches the school
        for i, e in zip(rows.tolist(), _rl_rows(fh / (fh @ f_scale)[:, None] * n_out[rows][:, None], 2),
                        strict=True):
            out["expected"][i] = e
        wbp = (to_bins @ w / total).T
        wb = wbp[:, :nb]
        p0b = wbp[:, nb:] / np.maximum(wb, 1e-300)
        wb = np.where(wb > 1e-9, wb, 0.0)
        wb /= wb.sum(1, keepdims=True)
        # each school's null pmf: its bins' binomials weighted by their mass, for the block's
        # schools with the same window count at once
        m_of = n_w[rows]
        seg = np.flatnonzero(np.r_[True, m_of[1:] != m_of[:-1], True])
        for s0, s1 in zip(seg[:-1].tolist(), seg[1:].tolist(), strict=True):
            mw = int(m_of[s0])
            if mw == 0:  # (no pupil in the window: no pmf)
                continue
            ri, bi = np.nonzero(wb[s0:s1])  # the bins that carry posterior mass, school by school
            starts = np.flatnonzero(np.r_[True, ri[1:] != ri[:-1]])
            terms = wb[s0 + ri, bi][:, None] * _binom_pmf(mw, p0b[s0 + ri, bi])
            for i, pmf in zip(rows[s0 + ri[starts]].tolist(), np.add.reduceat(terms, starts, axis=0), strict=True):
                out["pmf"][i] = pmf
    return out


def bunching(unit: Unit, cfg: Mapping[str, Any],
             null_pmfs: dict[tuple[str, str], dict] | None = None) -> tuple[dict[str, dict], list[dict]]:
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
    below, above = int(cfg["below"]), int(cfg["above"])
    hist = np.bincount(unit.total, minlength=unit.max_score + 1)[: unit.max_score + 1].astype(float)
    region_rows, per_cut = [], {}
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
    if hist.sum() < int(cfg["region_min_pupils"]):
        reason = f"в регионе меньше {cfg['region_min_pupils']} участников: форма распределения не оценивается"
        return {sid: not_tested(reason) for sid in unit.school_ids}, region_rows
    if not per_cut:
        return {sid: not_tested("нет шкалы отметок или окна вокруг порога")
                for sid in unit.school_ids}, region_rows
    latent = {}
    width = unit.max_score + 1
    # every school's score histogram (schools × scores): all the per-school counts below come off it
    shist_int = np.bincount(unit.school.astype(np.int64) * width + unit.total,
                            minlength=len(unit.school_ids) * width).reshape(len(unit.school_ids), width)
    if cfg.get("level_model", "tilt") == "latent_normal" and cfg.get("null_shape", "smooth") != "region":
        shist_all = shist_int.astype(float)
        for name, (cut, lo, hi, g) in per_cut.items():
            latent[name] = _latent_posterior(shist_all, cut, lo, hi, g, float(cfg.get("latent_sd_prior", 0.15)))
    tilt_grid = {}  # the tilt model's MLE read off a grid of the tilted mean (smooth null shape only)
    bound = float(cfg["theta_bound"])
    tgrid = np.linspace(-bound, bound, 2401)
    for name, (_cut, lo, hi, g) in per_cut.items():
        if name in latent or cfg.get("null_shape", "smooth") == "region":
            continue
        sup = np.r_[0:lo, hi + 1 : unit.max_score + 1]
        a = np.log(np.maximum(g[sup], 1e-12))[None, :] + tgrid[:, None] * sup[None, :]
        w = np.exp(a - a.max(1, keepdims=True))
        w /= w.sum(1, keepdims=True)
        m = w @ sup
        tilt_grid[name] = (m, np.maximum(w @ (sup * sup) - m * m, 1e-12), tgrid)
    gh_x, gh_w = np.polynomial.hermite_e.hermegauss(int(cfg["quadrature_nodes"]))
    gh_w = gh_w / gh_w.sum()
    out: dict[str, dict] = {}
    min_n = int(cfg["min_pupils"])
    support_all = np.arange(width)
    sizes = shist_int.sum(1)
    # per cut and school: pupils in the window, at/above the cut, outside the window, and the sum of
    # the scores outside it (their mean is all the tilt model needs of them)
    counts = {}
    for name, (cut, lo, hi, _g) in per_cut.items():
        n_win = shist_int[:, lo : hi + 1].sum(1)
        counts[name] = (n_win.tolist(), shist_int[:, cut : hi + 1].sum(1).tolist(), (sizes - n_win).tolist(),
                        (shist_int @ support_all - shist_int[:, lo : hi + 1] @ support_all[lo : hi + 1]).tolist(),
                        np.r_[0:lo, hi + 1 : width])  # the scores outside the window
    hist_rows = shist_int.tolist()
    min_outside = int(cfg["min_outside"])
    # what every school's record shows, rounded for all schools at once (``_rv`` is ``_r`` exactly)
    shown: dict[str, dict[str, list]] = {}
    for name, (_cut, _lo, _hi, _g) in per_cut.items():
        n_w_a = np.asarray(counts[name][0], dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            observed = np.where(n_w_a > 0, np.asarray(counts[name][1], dtype=float) / n_w_a, np.nan)
        shown[name] = {"observed_share": _rv(observed)}
        if name in latent:
            lat = latent[name]
            shown[name].update(expected_share=_rv(lat["share"]), latent_shift=_rv(lat["shift"]),
                               latent_sd=_rv(lat["sd"]), sigma0=_r(lat["sigma0"]))
    group = ("распределение баллов региона (сглаженное в окне у порога), "
             "перевзвешенное к уровню школы по её участникам вне окна")
    for si, (sid, n) in enumerate(zip(unit.school_ids, sizes.tolist(), strict=True)):
        if n < min_n:
            out[sid] = not_tested(f"участников {n} < {min_n}: гистограмма неинформативна", n=n)
            continue
        tests = []
        charts = []  # each tested boundary's expected histogram (the record shows the best one's)
        for name, (cut, lo, hi, g) in per_cut.items():
            n_win, n_up, n_out, sum_out, support = counts[name]
            n_w, x, n_outside = n_win[si], n_up[si], n_out[si]
            if n_outside < min_outside:
                tests.append({"boundary": name, "tested": False, "reason": "мало участников вне окна"})
                continue
            lat = latent.get(name)
            sh = shown[name]
            if lat is not None:
                # latent-normal level model: posterior over (shift, sd) from the pupils outside the window
                expected_share = sh["expected_share"][si]
                extra: dict[str, Any] = {"latent_shift": sh["latent_shift"][si], "latent_sd": sh["latent_sd"][si],
                                         "latent_sd_region_typical": sh["sigma0"]}
                pmf = lat["pmf"][si] if n_w else np.ones(1)
                chart = lat["expected"][si]
                theta = None
            else:
                mean_out = sum_out[si] / n_outside
                if cfg.get("null_shape", "smooth") == "region":
                    g = np.maximum(hist - shist_int[si], 0.0) + 0.5
                    theta, se = _tilt_fit(g, support, mean_out, n_outside, float(cfg["theta_bound"]))
                else:  # the same MLE, read off a grid of the tilted mean (one grid per cut)
                    gm, gv, grid = tilt_grid[name]
                    theta = float(np.interp(mean_out, gm, grid))
                    se = 1.0 / np.sqrt(max(float(np.interp(theta, grid, gv)) * n_outside, 1e-9))
                lg = np.log(np.maximum(g, 1e-12))
                win = np.arange(lo, hi + 1)
                is_up = win >= cut

                def p0_of(t: np.ndarray | float, win: np.ndarray = win, lg: np.ndarray = lg,
                          is_up: np.ndarray = is_up) -> np.ndarray:
                    a = lg[win][None, :] + np.atleast_1d(t)[:, None] * win[None, :]
                    w = np.exp(a - a.max(1, keepdims=True))
                    return w[:, is_up].sum(1) / w.sum(1)

                expected_share = _r(float(p0_of(theta)[0]))
                extra = {}
                if n_w:
                    p0s = np.clip(p0_of(theta + gh_x * se), 1e-12, 1 - 1e-12)
                    pmf = gh_w @ _binom_pmf(n_w, p0s)
                else:
                    pmf = np.ones(1)
                a = lg + theta * support_all
                f = np.exp(a - a.max())
                chart = (f, support, n_outside)  # rounded only if it is the one shown
                theta = _r(theta)
            p = upper_tail(pmf, x)
            if null_pmfs is not None:
                null_pmfs[(sid, name)] = {"x": x, "n_window": n_w, "n": n, "pmf": pmf,
                                           "expected": float(np.arange(n_w + 1) @ pmf)}
            tests.append(
                {
                    "boundary": name,
                    "tested": True,
                    "cut": cut,
                    "window": [lo, hi],
                    "n_window": n_w,
                    "at_or_above": x,
                    "expected_share": expected_share,
                    "observed_share": sh["observed_share"][si],
                    "theta": theta,
                    **extra,
                    "p_value": p,
                }
            )
            charts.append(chart)
        done = [i for i, t in enumerate(tests) if t["tested"]]
        if not done:
            out[sid] = not_tested("мало участников вне окна вокруг порога", n=n)
            continue
        best_i = min(done, key=lambda i: tests[i]["p_value"])
        best = tests[best_i]
        chart = charts[done.index(best_i)]
        if isinstance(chart, tuple):  # scaled so that outside the window it matches the school
            f, support, n_outside = chart
            chart = _rl(f / f[support].sum() * n_outside, 2)
        p = min(1.0, len(done) * best["p_value"])
        out[sid] = {
            "tested": True,
            "n": n,
            "reliability": reliability(n),
            "p_value": p,
            "statistic": {"boundary": best["boundary"], "at_or_above": best["at_or_above"],
                          "n_window": best["n_window"], "observed_share": best["observed_share"],
                          "expected_share": best["expected_share"]},
            "comparison_group": group,
            "boundaries": tests,
            "chart": {"histogram": hist_rows[si], "expected": chart},
        }
    return out, region_rows


# ---------------------------------------------------------------------------------------------
# task-level signs: hard vs easy tasks, Guttman errors (both conditional on the pupil's total)


class _Cells:
    """The pupils of a unit grouped by (school, total): what the same-total comparisons of
    ``task_signs`` need is constant within such a cell, so they are computed once per cell (a country
    procedure has ≈ 0.5 M cells for 1.4 M pupils) instead of once per pupil."""

    def __init__(self, school: np.ndarray, total: np.ndarray, n_schools: int, n_totals: int) -> None:
        key = school.astype(np.int64) * n_totals + total.astype(np.int64)
        per_key = np.bincount(key, minlength=n_schools * n_totals)
        used = np.flatnonzero(per_key)
        self.of_pupil = (np.cumsum(per_key > 0) - 1)[key]
        self.n = per_key[used].astype(float)
        self.school, self.total = used // n_totals, used % n_totals
        self.n_cells, self.n_schools, self.n_totals = len(used), n_schools, n_totals
        self.region_n = np.bincount(self.total, weights=self.n, minlength=n_totals)

    def sums(self, value: np.ndarray) -> np.ndarray:
        """Σ ``value`` over each cell's pupils."""
        return np.bincount(self.of_pupil, weights=value, minlength=self.n_cells)

    def per_school(self, cell_value: np.ndarray) -> np.ndarray:
        """Σ over each school's cells."""
        return np.bincount(self.school, weights=cell_value, minlength=self.n_schools)

    def loo(self, s1: np.ndarray, s2: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Per cell, from the cells' Σx (and Σx²): the mean (and variance) of x among the other schools'
        pupils with the same total, and how many such pupils there are."""
        t = self.total
        ref = self.region_n[t] - self.n
        div = np.maximum(ref, 1)
        m = (np.bincount(t, weights=s1, minlength=self.n_totals)[t] - s1) / div
        v = None
        if s2 is not None:
            v = np.maximum((np.bincount(t, weights=s2, minlength=self.n_totals)[t] - s2) / div - m * m, 0.0)
        return m, v, ref


def _cell_sum_test(cells: _Cells, value: np.ndarray, min_ref: int):
    """``_sum_test`` of ``value`` minus its same-total expectation, summed per school over the pupils
    with at least ``min_ref`` same-total pupils in other schools: (Σ excess, Σ variance, n, z, Σ
    expectation)."""
    s1 = cells.sums(value)
    m, v, ref = cells.loo(s1, cells.sums(value * value))
    ok = ref >= min_ref
    t = cells.per_school(np.where(ok, s1 - cells.n * m, 0.0))
    var = cells.per_school(np.where(ok, cells.n * v, 0.0))
    n = cells.per_school(np.where(ok, cells.n, 0.0))
    z = np.where(var > 0, t / np.sqrt(np.maximum(var, 1e-12)), 0.0)
    return t, var, n, z, cells.per_school(np.where(ok, cells.n * m, 0.0))


def task_signs(unit: Unit, cfg_pattern: Mapping[str, Any], cfg_fit: Mapping[str, Any]) -> tuple[dict, dict]:
    """``task_pattern`` (hard П/В points beyond the region's pupils with the same total) and
    ``person_fit`` (Guttman errors beyond the same expectation), per school."""
    ns = len(unit.school_ids)
    if unit.tasks is None or unit.max_points is None:
        reason = "нет баллов за задания"
        return ({s: not_tested(reason) for s in unit.school_ids}, {s: not_tested(reason) for s in unit.school_ids})
    tasks = unit.tasks
    n_tasks = tasks.shape[1]
    total = tasks.sum(1)
    school = unit.school
    counts = np.bincount(school, minlength=ns)
    maxp = unit.max_points.astype(float)
    cells = _Cells(school, total, ns, int(maxp.sum()) + 1)
    # region and school task-success profiles (percent of max points); the expected profile of each
    # school's pupils given their totals (leave-school-out), summed per school
    sums = np.zeros((ns, n_tasks))
    esums = np.zeros((ns, n_tasks))
    region_sums = np.zeros(n_tasks)
    for j in range(n_tasks):
        s1 = cells.sums(tasks[:, j].astype(float))
        m, _, _ref = cells.loo(s1)
        sums[:, j] = cells.per_school(s1)
        esums[:, j] = cells.per_school(cells.n * m)
        region_sums[j] = s1.sum()
    region_profile = 100 * (region_sums / len(total)) / maxp

    n_div = np.maximum(counts, 1)[:, None]
    school_pr = _rl_rows(100 * sums / n_div / maxp[None, :], 1)
    expected_pr = _rl_rows(100 * esums / n_div / maxp[None, :], 1)
    region_pr = _rl(region_profile, 1)

    def profile(si: int) -> dict:
        return {
            "school": school_pr[si],
            "region": region_pr,
            "expected_same_total": expected_pr[si],
            "levels": unit.levels,
        }

    # task_pattern
    pattern: dict[str, dict] = {}
    levels = unit.levels or [None] * n_tasks
    hard = np.array([lv in tuple(cfg_pattern["hard_levels"]) for lv in levels])
    min_n = int(cfg_pattern["min_pupils"])
    if not hard.any() or hard.all():
        for sid in unit.school_ids:
            pattern[sid] = not_tested("нет заданий и базового, и повышенного/высокого уровня")
    else:
        h = tasks[:, hard].sum(1).astype(float)
        t, _var, n_ok, z, _e = _cell_sum_test(cells, h, int(cfg_pattern["min_reference"]))
        p_sf = stats.norm.sf(z).tolist()
        with np.errstate(invalid="ignore", divide="ignore"):
            per_pupil = t / n_ok
        stat = zip(_rv(z), _rv(t, 2), _rv(per_pupil, 3), strict=True)
        for si, (sid, n, (zr, tr, pr)) in enumerate(zip(unit.school_ids, n_ok.tolist(), stat, strict=True)):
            if n < min_n:
                pattern[sid] = not_tested(f"участников {int(n)} < {min_n}", n=int(counts[si]))
                continue
            pattern[sid] = {
                "tested": True,
                "n": int(n),
                "p_value": p_sf[si],
                "statistic": {"z": zr, "excess_hard_points": tr, "excess_hard_points_per_pupil": pr},
                "comparison_group": "ученики региона (других ОО) с тем же первичным баллом",
                "chart": {"task_success": profile(si)},
            }
    # person_fit: Guttman errors over score steps ordered by the region's popularity. A pupil's errors
    # are Σ over the steps passed of the steps failed before them = Σ rank(step passed) − r(r − 1)/2
    # (r steps passed, the i-th passed one has i passed before it), so no pupils × steps matrix is needed.
    fit: dict[str, dict] = {}
    n_pupils = len(total)
    pop = []
    for j in range(n_tasks):  # pupils with at least k points on task j, k = 1..max
        at = np.bincount(np.clip(tasks[:, j], 0, int(maxp[j])), minlength=int(maxp[j]) + 1)
        pop += np.cumsum(at[::-1])[::-1][1:].tolist()
    pop = np.array(pop, float) / n_pupils
    rank = np.empty(len(pop), np.int64)
    rank[np.argsort(-pop, kind="stable")] = np.arange(len(pop))
    guttman = np.zeros(n_pupils, np.int64)
    passed = np.zeros(n_pupils, np.int64)
    i = 0
    for j in range(n_tasks):
        mj = int(maxp[j])
        cum = np.r_[0, np.cumsum(rank[i : i + mj])]  # rank sum of steps 1..k of task j
        tj = np.clip(tasks[:, j], 0, mj)
        guttman += cum[tj]
        passed += tj
        i += mj
    guttman = (guttman - passed * (passed - 1) // 2).astype(float)
    t, _var, n_ok, z, msum = _cell_sum_test(cells, guttman, int(cfg_fit["min_reference"]))
    gsum = cells.per_school(cells.sums(guttman))
    min_n = int(cfg_fit["min_pupils"])
    p_sf = stats.norm.sf(z).tolist()
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = zip(_rv(z), _rv(gsum / counts, 2), _rv(msum / np.maximum(n_ok, 1), 2), strict=True)
    for si, (sid, n, (zr, gr, mr)) in enumerate(zip(unit.school_ids, n_ok.tolist(), stat, strict=True)):
        if n < min_n:
            fit[sid] = not_tested(f"участников {int(n)} < {min_n}", n=int(counts[si]))
            continue
        fit[sid] = {
            "tested": True,
            "n": int(n),
            "p_value": p_sf[si],
            "statistic": {"z": zr, "mean_guttman_errors": gr, "expected_guttman_errors": mr},
            "comparison_group": "ученики региона (других ОО) с тем же первичным баллом",
            "chart": {"task_success": profile(si)},
        }
    return pattern, fit


# ---------------------------------------------------------------------------------------------
# identical answer vectors


def _p_at_least(n: np.ndarray, p: np.ndarray, k: np.ndarray) -> np.ndarray:
    return stats.binom.sf(k - 1, n, p)


def _union_bound_direct(table: np.ndarray, pv: np.ndarray, mult: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Σ_v mult_v · P(N_v ≥ max(2, k_v(m))) for each m, column by column (``table[x, v]`` = P(N_v > x),
    x = 0..n, N_v ~ Bin(n, pv_v)): k_v(m) is the smallest x with P(N_v > x) ≤ m, as
    ``scipy.stats.binom.isf`` returns it (n when 1 − m rounds to 1; near-ties decided by ``binom.isf``)."""
    n = table.shape[0] - 1
    cols = np.arange(table.shape[1])
    out = np.empty(len(m))
    step = max(1, 4_000_000 // max(1, table.size))
    for a in range(0, len(m), step):
        mm = m[a : a + step]
        x = (table[None, :, :] > mm[:, None, None]).sum(1)  # smallest x with P(N > x) ≤ m
        x[(1.0 - mm) == 1.0, :] = n
        xc = np.minimum(x, n)
        at = table[xc, cols[None, :]]
        before = table[np.maximum(xc - 1, 0), cols[None, :]]
        tol = 1e-12 * mm[:, None]
        near = (np.abs(at - mm[:, None]) <= tol) | ((xc > 0) & (np.abs(before - mm[:, None]) <= tol))
        if near.any():
            r_i, c_i = np.nonzero(near)
            x[r_i, c_i] = stats.binom.isf(mm[r_i], n, pv[c_i]).astype(np.int64)
        k = np.clip(x, 1, n)
        out[a : a + step] = (table[k, cols[None, :]] * mult[None, :]).sum(1)
    return out


def _union_bound(table: np.ndarray, pv: np.ndarray, mult: np.ndarray, m: np.ndarray, window: int = 4) -> np.ndarray:
    """``_union_bound_direct`` read off one sorted table instead of a schools × x × vectors comparison.

    Column v contributes mult_v·P(N_v > clip(x_v, 1, n)), x_v the number of its entries above m; that
    is mult_v·P(N_v > n) plus the non-negative steps d(x) = P(N_v > clip(x, 1, n)) − P(N_v > clip(x + 1,
    1, n)) of its entries ≤ m (they telescope). So with every entry sorted and its step summed in
    ascending order (small terms first: no cancellation), the bound for any m is one prefix sum.
    A column with an entry within 10⁻¹² of m (a school's own minimum is always one) takes its k from
    ``binom.isf``, as the direct computation does; where more entries than ``window`` on a side are
    that near, or 1 − m rounds to 1, the direct computation is used."""
    n, n_cols = table.shape[0] - 1, table.shape[1]
    x = np.arange(n + 1)
    steps = (table[np.clip(x, 1, n)] - table[np.clip(x + 1, 1, n)]) * mult[None, :]
    order = np.argsort(table, axis=None, kind="stable")
    values = table.ravel()[order]
    prefix = np.r_[0.0, np.cumsum(steps.ravel()[order])]
    pos = np.searchsorted(values, m, side="right")  # entries ≤ m
    out = float(np.dot(mult, table[n])) + prefix[pos]
    # the sorted entries around each m: near ones name the columns whose k binom.isf decides
    idx = pos[:, None] + np.arange(-window, window)[None, :]
    inside = (idx >= 0) & (idx < len(values))
    near = inside & (np.abs(values[np.clip(idx, 0, len(values) - 1)] - m[:, None]) <= 1e-12 * m[:, None])
    direct = near[:, 0] | near[:, -1] | ((1.0 - m) == 1.0)
    near[direct] = False
    if near.any():
        r_i, w_i = np.nonzero(near)
        pair = np.unique(r_i * n_cols + order[idx[r_i, w_i]] % n_cols)  # (school, column), each once
        r_i, c_i = pair // n_cols, pair % n_cols
        counted = (table[:, c_i] > m[r_i][None, :]).sum(0)
        decided = stats.binom.isf(m[r_i], n, pv[c_i]).astype(np.int64)
        fix = mult[c_i] * (table[np.clip(decided, 1, n), c_i] - table[np.clip(counted, 1, n), c_i])
        out += np.bincount(r_i, weights=fix, minlength=len(m))
    if direct.any():
        out[direct] = _union_bound_direct(table, pv, mult, m[direct])
    return out


def similarity(unit: Unit, cfg: Mapping[str, Any]) -> dict[str, dict]:
    """Identical task-score vectors beyond the region's vector frequencies among pupils with the same total.

    Statistic: m = the smallest binomial tail P(N_v ≥ c_v) over the school's repeated vectors v
    (c_v ≥ 2 pupils with vector v among the school's n_t pupils with total t; N_v ~ Bin(n_t, p_v),
    p_v the region's frequency of v among pupils with total t). p-value: the union bound
    Σ_t Σ_v P(N_v ≥ max(2, k_v(m))) over every vector v of the region's support, where k_v(m) is the
    smallest count whose tail is ≤ m — valid whatever the dependence, and exact in the far tail.

    Computed for all schools at once: the bound depends on a school only through (t, n_t, m), and on
    a vector only through its frequency, so per (t, n) the tails P(N ≥ x) of every distinct frequency
    are tabulated once and k_v(m) is read off the table (``scipy.stats.binom.isf`` semantics, which
    return n when 1 − m rounds to 1; near-ties are resolved by ``binom.isf`` itself).
    """
    if unit.tasks is None:
        return {s: not_tested("нет баллов за задания") for s in unit.school_ids}
    ns = len(unit.school_ids)
    total = unit.tasks.sum(1)
    radix = (unit.max_points.astype(np.int64) + 1) if unit.max_points is not None else None
    code = np.zeros(len(total), np.int64)
    for j in range(unit.tasks.shape[1]):
        code = code * int(radix[j]) + unit.tasks[:, j].astype(np.int64)
    span = int(code.max()) + 1
    if span * (int(total.max()) + 1) < 2**62:  # (total, code) as one integer, in the same order
        ukey, inv, cnt = np.unique(total.astype(np.int64) * span + code, return_inverse=True, return_counts=True)
        uniq = np.stack([ukey // span, ukey % span], 1)
    else:
        uniq, inv, cnt = np.unique(np.stack([total, code], 1), axis=0, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    nt = int(total.max()) + 1
    n_by_total = np.bincount(total, minlength=nt).astype(float)
    p_v = cnt / n_by_total[uniq[:, 0]]
    # per total: the distinct region frequencies and how many vectors have each
    freq_by_t: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    tu = uniq[:, 0]
    ord_t = np.argsort(tu, kind="stable")
    t_starts = np.searchsorted(tu[ord_t], np.arange(nt + 1))
    for t in range(nt):
        seg = ord_t[t_starts[t] : t_starts[t + 1]]
        if len(seg):
            vals, mult = np.unique(cnt[seg], return_counts=True)
            freq_by_t[t] = (vals / n_by_total[t], mult.astype(float))
    min_n = int(cfg["min_pupils"])
    counts = np.bincount(unit.school, minlength=ns)
    school = unit.school.astype(np.int64)
    # pupils per (school, total)
    n_st = np.bincount(school * nt + total, minlength=ns * nt).reshape(ns, nt)
    # groups of pupils sharing a vector within a school, ordered by (school, vector)
    g_key, g_cnt = np.unique(school * len(uniq) + inv, return_counts=True)
    g_school = g_key // len(uniq)
    g_vec = g_key % len(uniq)
    rep = g_cnt >= 2
    r_school, r_vec, r_cnt = g_school[rep], g_vec[rep], g_cnt[rep]
    n_identical = np.bincount(r_school, weights=r_cnt * (r_cnt - 1) // 2, minlength=ns)
    in_groups = np.bincount(r_school, weights=r_cnt, minlength=ns)
    r_t = uniq[r_vec, 0]
    tails = _p_at_least(n_st[r_school, r_t], p_v[r_vec], r_cnt) if len(r_cnt) else np.zeros(0)
    m_s = np.ones(ns)
    worst_i = np.full(ns, -1)
    if len(r_cnt):
        np.minimum.at(m_s, r_school, tails)
        # first group (in vector order) attaining the school's minimum, as np.argmin does
        hit = np.flatnonzero(tails == m_s[r_school])
        first = np.unique(r_school[hit], return_index=True)
        worst_i[first[0]] = hit[first[1]]
    has_rep = worst_i >= 0
    tested = counts >= min_n
    todo = tested & has_rep
    # the union bound, grouped by (t, n): acc[s, t] = Σ_v mult_v · P(N ≥ max(2, k_v(m_s)))
    acc_st = np.zeros((ns, nt))
    for t, (pv, mult) in freq_by_t.items():
        col = n_st[:, t]
        use = todo & (col >= 2)
        if not use.any():
            continue
        sel = np.flatnonzero(use)
        nn = col[sel]
        for n in np.unique(nn):
            n = int(n)
            ss = sel[nn == n]
            table = stats.binom.sf(np.arange(n + 1)[:, None], n, pv[None, :])  # P(N > x), x = 0..n
            acc_st[ss, t] = _union_bound(table, pv, mult, m_s[ss])
    acc = acc_st.sum(1)
    out = {}
    for si, sid in enumerate(unit.school_ids):
        if not tested[si]:
            out[sid] = not_tested(f"участников {int(counts[si])} < {min_n}", n=int(counts[si]))
            continue
        if not has_rep[si]:
            m, p_value, worst = 1.0, 1.0, None
        else:
            g = worst_i[si]
            m = float(m_s[si])
            tt = int(r_t[g])
            worst = {"total": tt, "pupils": int(r_cnt[g]), "of_pupils_with_total": int(n_st[si, tt]),
                     "region_frequency": _r(p_v[r_vec[g]], 5)}
            p_value = float(min(1.0, max(float(acc[si]), m)))
        out[sid] = {
            "tested": True,
            "n": int(counts[si]),
            "p_value": p_value,
            "statistic": {"min_tail_probability": m, "identical_pairs": int(n_identical[si]),
                          "pupils_sharing_a_vector": int(in_groups[si]), "most_repeated": worst},
            "comparison_group": "частоты наборов баллов за задания у учеников региона с тем же первичным баллом",
        }
    return out


def _similarity_reference(unit: Unit, cfg: Mapping[str, Any]) -> dict[str, dict]:
    """The original per-school loop of ``similarity`` (kept for the equivalence tests). Identical task-score vectors beyond the region's vector frequencies among pupils with the same total.

    Statistic: m = the smallest binomial tail P(N_v ≥ c_v) over the school's repeated vectors v
    (c_v ≥ 2 pupils with vector v among the school's n_t pupils with total t; N_v ~ Bin(n_t, p_v),
    p_v the region's frequency of v among pupils with total t). p-value: the union bound
    Σ_t Σ_v P(N_v ≥ max(2, k_v(m))) over every vector v of the region's support, where k_v(m) is the
    smallest count whose tail is ≤ m — valid whatever the dependence, and exact in the far tail.
    """
    if unit.tasks is None:
        return {s: not_tested("нет баллов за задания") for s in unit.school_ids}
    ns = len(unit.school_ids)
    total = unit.tasks.sum(1)
    # encode vectors as integers (mixed radix)
    radix = (unit.max_points.astype(np.int64) + 1) if unit.max_points is not None else None
    code = np.zeros(len(total), np.int64)
    for j in range(unit.tasks.shape[1]):
        code = code * int(radix[j]) + unit.tasks[:, j].astype(np.int64)
    # region frequencies of (total, vector)
    pair = np.stack([total, code], 1)
    uniq, inv, cnt = np.unique(pair, axis=0, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    n_by_total = np.bincount(total, minlength=int(total.max()) + 1).astype(float)
    p_v = cnt / n_by_total[uniq[:, 0]]
    support_by_t = {int(t): p_v[uniq[:, 0] == t] for t in np.unique(uniq[:, 0])}
    min_n = int(cfg["min_pupils"])
    counts = np.bincount(unit.school, minlength=ns)
    out = {}
    order = np.argsort(unit.school, kind="stable")
    bounds = np.searchsorted(unit.school[order], np.arange(ns + 1))
    for si, sid in enumerate(unit.school_ids):
        if counts[si] < min_n:
            out[sid] = not_tested(f"участников {int(counts[si])} < {min_n}", n=int(counts[si]))
            continue
        rows = order[bounds[si] : bounds[si + 1]]
        t_s = total[rows]
        v_s = inv[rows]
        n_t = np.bincount(t_s, minlength=len(n_by_total))
        vv, cc = np.unique(v_s, return_counts=True)
        rep = cc >= 2
        n_identical = int((cc[rep] * (cc[rep] - 1) // 2).sum())
        pupils_in_groups = int(cc[rep].sum())
        if not rep.any():
            m, p_value = 1.0, 1.0
            worst = None
        else:
            tt = uniq[vv[rep], 0]
            tails = _p_at_least(n_t[tt], p_v[vv[rep]], cc[rep])
            i = int(np.argmin(tails))
            m = float(tails[i])
            worst = {"total": int(tt[i]), "pupils": int(cc[rep][i]), "of_pupils_with_total": int(n_t[tt[i]]),
                     "region_frequency": _r(p_v[vv[rep]][i], 5)}
            acc = 0.0
            for t in np.flatnonzero(n_t):
                pv = support_by_t[int(t)]
                n = int(n_t[t])
                if n < 2:
                    continue
                k = stats.binom.isf(m, n, pv) + 1  # smallest k with P(N ≥ k) ≤ m
                k = np.maximum(k, 2)
                acc += float(_p_at_least(np.full(len(pv), n), pv, k).sum())
                if acc >= 1:
                    break
            p_value = float(min(1.0, max(acc, m)))
        out[sid] = {
            "tested": True,
            "n": int(counts[si]),
            "p_value": p_value,
            "statistic": {"min_tail_probability": m, "identical_pairs": n_identical,
                          "pupils_sharing_a_vector": pupils_in_groups, "most_repeated": worst},
            "comparison_group": "частоты наборов баллов за задания у учеников региона с тем же первичным баллом",
        }
    return out


# ---------------------------------------------------------------------------------------------
# within-school homogeneity (variance too low for the school's level)


def tilted_moments(hist: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, variance and 4th central moment of f_θ(s) ∝ hist(s)·exp(θ·s) for every θ of ``grid``."""
    s = np.arange(len(hist), dtype=float)
    a = np.log(np.maximum(hist, 0.5))[None, :] + grid[:, None] * s[None, :]
    w = np.exp(a - a.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    m = w @ s
    v = np.maximum(w @ (s * s) - m * m, 1e-9)
    m4 = (w * (s[None, :] - m[:, None]) ** 4).sum(1)
    return m, v, m4


def homogeneity(unit: Unit, cfg: Mapping[str, Any]) -> dict[str, dict]:
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
        return {s: not_tested(f"в регионе меньше {cfg['min_schools']} ОО с ≥ {min_n} участниками")
                for s in unit.school_ids}
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
            "statistic": {"z": _r(z[si]), "sd": _r(sd[si], 3),
                          "expected_sd": _r(np.sqrt(ev[si] * np.exp(centre)), 3), "mean": _r(mean[si], 2),
                          "variance_ratio": _r(ratio[si] / np.exp(centre)), "df": _r(d[si], 1),
                          "theta": _r(theta[si])},
            "comparison_group": "распределение баллов региона, перевзвешенное к среднему баллу школы "
            "(с учётом потолка шкалы)",
        }
    return out


# ---------------------------------------------------------------------------------------------
# ВПР marks vs journal marks


try:  # the ufunc behind stats.binom.pmf (same values, without the per-call argument checks)
    from scipy.special._ufuncs import _binom_pmf as _binom_pmf_ufunc
except ImportError:  # pragma: no cover - other scipy layouts
    _binom_pmf_ufunc = None


@functools.lru_cache(maxsize=4096)
def _support(n: int) -> np.ndarray:
    """0.0, 1.0, …, n (read only: shared by every call)."""
    k = np.arange(n + 1, dtype=float)
    k.flags.writeable = False
    return k


def _binom_pmf_exact(n: int, p: float) -> np.ndarray:
    if _binom_pmf_ufunc is None or not 0.0 <= p <= 1.0:
        return stats.binom.pmf(np.arange(n + 1), n, p)
    return _binom_pmf_ufunc(_support(n), float(n), float(p))


def _binom_sum_sf(ns: list[int], ps: list[float], x: int) -> float:
    """P(Σ Bin(n_i, p_i) ≥ x), by exact convolution (``upper_tail``'s ends without it)."""
    if x <= 0 or x > sum(ns):
        return 1.0 if x <= 0 else 0.0
    pmf = None
    for n, p in zip(ns, ps, strict=True):
        b = _binom_pmf_exact(n, p)
        pmf = b if pmf is None else np.convolve(pmf, b)
    return upper_tail(pmf, x)


def _local_linear_solve(t0, t1, t2, u0, u1, x):
    """Local-linear estimate at ``x`` from the kernel sums T_p = Σ k·x_j^p and U_p = Σ k·y_j·x_j^p."""
    s0, s1, s2 = t0, t1 - x * t0, t2 - 2 * x * t1 + x * x * t0
    sy, sdy = u0, u1 - x * u0
    den = s0 * s2 - s1 * s1
    with np.errstate(invalid="ignore", divide="ignore"):
        flat = den <= 1e-12 * np.maximum(s0 * s2, 1e-300)
        out = np.where(flat, sy / s0, (s2 * sy - s1 * sdy) / np.where(flat, 1.0, den))
    return np.where(s0 > 0, out, np.nan)


#: Above this many schools with weight the leave-one-out kernel sums are read off a grid (see below).
LOCAL_LINEAR_EXACT_MAX = 4000


def _local_linear(x: np.ndarray, y: np.ndarray, w: np.ndarray, h: float,
                  exact_max: int = LOCAL_LINEAR_EXACT_MAX) -> np.ndarray:
    """Leave-one-out local-linear kernel regression of y on x (Gaussian kernel, bandwidth h, weights w).

    Up to ``exact_max`` weighted points the kernel sums are computed pairwise (O(n²), in blocks).
    Beyond, the sums T_p(x) = Σ_j w_j·K((x_j − x)/h)·x_j^p (p = 0..2) and U_p (with y_j, p = 0..1) are
    smooth functions of x (Gaussian convolutions of the points): they are computed exactly on a grid
    of spacing h/40 and interpolated by cubic splines, and the school's own term (K(0) = 1) is taken
    out exactly. Where the school's own term dominates its sums (an isolated school), the pairwise
    sums are used. Agreement with the pairwise path: ``tests/core/methods/test_objectivity_scale.py``.
    """
    from scipy.interpolate import CubicSpline

    out = np.full(len(x), np.nan)
    ok = w > 0
    if not ok.any():
        return out
    hh = max(h, 1e-9)
    centre = float(np.mean(x[ok]))
    xc = (x - centre) / hh  # kernel in units of h, centred: no cancellation in s1, s2
    xs, ys, ws = xc[ok], y[ok], w[ok]
    own = np.where(ok, w, 0.0)

    def sums_at(q: np.ndarray) -> tuple[np.ndarray, ...]:
        acc = [np.zeros(len(q)) for _ in range(5)]
        step = max(1, 262_144 // max(len(xs), 1))
        for a in range(0, len(q), step):
            qq = q[a : a + step]
            k = ws[None, :] * np.exp(-0.5 * (xs[None, :] - qq[:, None]) ** 2)
            kx = k * xs[None, :]
            acc[0][a : a + step] = k.sum(1)
            acc[1][a : a + step] = kx.sum(1)
            acc[2][a : a + step] = (kx * xs[None, :]).sum(1)
            acc[3][a : a + step] = k @ ys
            acc[4][a : a + step] = kx @ ys
        return tuple(acc)

    def loo(sums: tuple[np.ndarray, ...], idx: np.ndarray) -> tuple[np.ndarray, ...]:
        o, xi, yi = own[idx], xc[idx], np.where(ok[idx], y[idx], 0.0)
        return (sums[0] - o, sums[1] - o * xi, sums[2] - o * xi * xi, sums[3] - o * yi, sums[4] - o * xi * yi)

    idx = np.arange(len(x))
    pos = np.cumsum(ok) - 1

    def pairwise(qi: np.ndarray) -> None:
        """out[qi] from the centred differences d = x_j − x_i (no cancellation), the school left out."""
        step = max(1, 262_144 // len(xs))
        for a in range(0, len(qi), step):
            q = qi[a : a + step]
            d = xs[None, :] - xc[q][:, None]
            k = ws[None, :] * np.exp(-0.5 * d * d)
            k[np.flatnonzero(ok[q]), pos[q][ok[q]]] = 0.0
            kd = k * d
            out[q] = _local_linear_solve(k.sum(1), kd.sum(1), (kd * d).sum(1), k @ ys, kd @ ys, 0.0)

    if ok.sum() <= exact_max:
        pairwise(idx)
        return out
    grid = np.arange(xc.min() - 0.5, xc.max() + 0.5 + 1 / 40, 1 / 40)
    on_grid = sums_at(grid)
    t = loo(tuple(CubicSpline(grid, s)(xc) for s in on_grid), idx)
    out[:] = _local_linear_solve(*t, xc)
    # schools in the sparse tails (sums far below their peak, where the spline's absolute error is no
    # longer small relative to them) and isolated ones (their own term is most of the sum): pairwise
    lonely = ~((t[0] > 1e-3 * (t[0] + own)) & (t[0] > 0.02 * on_grid[0].max()))
    if lonely.any():
        pairwise(np.flatnonzero(lonely))
    return out


def _up_given_level(trials: np.ndarray, ups: np.ndarray, level: np.ndarray) -> dict[int, np.ndarray]:
    """Per journal mark j: P(ВПР mark above j) for each school from a logistic regression of the
    region's pupils on their school's level, logit p = a_j + b_j·level (grouped IRLS). A strong
    school's pupils with a given journal mark are abler than the region's (marks are coarse), so
    "raised" is more common there honestly; conditioning on the level removes that."""
    out: dict[int, np.ndarray] = {}
    for j in range(2, 6):
        n, y = trials[:, j], ups[:, j]
        use = n > 0
        if y[use].sum() == 0 or y[use].sum() == n[use].sum():
            out[j] = np.full(len(level), float(y[use].sum() / max(n[use].sum(), 1)))
            continue
        x = np.stack([np.ones(use.sum()), level[use]], 1)
        beta = np.array([np.log((y[use].sum() + 0.5) / (n[use].sum() - y[use].sum() + 0.5)), 0.0])
        for _ in range(25):
            eta = np.clip(x @ beta, -30, 30)
            p = 1.0 / (1.0 + np.exp(-eta))
            w = n[use] * p * (1 - p) + 1e-9
            grad = x.T @ (y[use] - n[use] * p)
            hess = x.T @ (x * w[:, None]) + 1e-6 * np.eye(2)
            step = np.linalg.solve(hess, grad)
            beta += step
            if np.abs(step).max() < 1e-8:
                break
        out[j] = 1.0 / (1.0 + np.exp(-np.clip(beta[0] + beta[1] * level, -30, 30)))
    return out


def _group_average_ranks(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``value`` within each group, ties averaged (``scipy.stats.rankdata`` per group)."""
    order = np.lexsort((value, group))
    g, v = group[order], value[order]
    n = len(order)
    new_group = np.r_[True, g[1:] != g[:-1]]
    new_run = new_group | np.r_[True, v[1:] != v[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    run_id = np.cumsum(new_run) - 1
    run_start = np.flatnonzero(new_run)
    run_end = np.r_[run_start[1:], n]
    # average of positions run_start..run_end-1 (1-based within the group)
    avg = (run_start + run_end - 1) / 2.0 - group_start[run_start] + 1.0
    ranks = np.empty(n)
    ranks[order] = avg[run_id]
    return ranks


def _within_group_spearman(group: np.ndarray, x: np.ndarray, y: np.ndarray, n_groups: int,
                           min_n: int) -> np.ndarray:
    """Spearman's rs (Pearson's r of average ranks) of x and y within each group; NaN for groups with
    fewer than ``min_n`` members or a constant variable. The rank sums are exact (half-integers)."""
    rs = np.full(n_groups, np.nan)
    if len(group) == 0:
        return rs
    a, b = _group_average_ranks(group, x), _group_average_ranks(group, y)
    n = np.bincount(group, minlength=n_groups).astype(float)
    sa, sb = np.bincount(group, a, n_groups), np.bincount(group, b, n_groups)
    va = n * np.bincount(group, a * a, n_groups) - sa * sa
    vb = n * np.bincount(group, b * b, n_groups) - sb * sb
    cov = n * np.bincount(group, a * b, n_groups) - sa * sb
    ok = (n >= min_n) & (va > 0) & (vb > 0)
    rs[ok] = np.clip(cov[ok] / np.sqrt(va[ok] * vb[ok]), -1.0, 1.0)
    return rs


def journal(unit: Unit, cfg: Mapping[str, Any]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Two signs: ``journal`` — share «повысили» (ВПР mark above the journal mark) beyond the region's
    rate for the same journal marks (exact sum of binomials); ``journal_corr`` — a journal–score
    Spearman correlation weaker than the region's pooled within-school one (Fisher z). They are kept
    apart because schools' marking leniency varies far more than their correlation does."""
    ns = len(unit.school_ids)
    has = (unit.journal >= 2) & (unit.mark >= 2)
    min_n = int(cfg["min_pupils"])
    # region rates of "up" by journal mark, leave-school-out
    up = (unit.mark > unit.journal) & has
    key = unit.school * 6 + unit.journal
    c_all = np.bincount(unit.journal[has], minlength=6).astype(float)
    u_all = np.bincount(unit.journal[has], weights=up[has], minlength=6)
    c_s = np.bincount(key[has], minlength=ns * 6).astype(float).reshape(ns, 6)
    u_s = np.bincount(key[has], weights=up[has], minlength=ns * 6).reshape(ns, 6)
    # 4×4 tables
    table = np.bincount(unit.school[has].astype(np.int64) * 16 + (unit.journal[has] - 2) * 4 + (unit.mark[has] - 2),
                        minlength=ns * 16).reshape(ns, 4, 4)
    region_table = table.sum(0)
    # pooled within-school Spearman (ranks within school) as reference
    rs = _within_group_spearman(unit.school[has], unit.journal[has], unit.total[has], ns, min_n=3)
    n_has = c_s.sum(1)
    # the school's level: mean primary score in region SDs (all its present pupils)
    cnt = np.bincount(unit.school, minlength=ns).astype(float)
    # the region's mean and SD from exact integer sums: the same whatever order the pupils come in
    tot = unit.total.astype(np.int64)
    n_all, s1_all, s2_all = len(tot), int(tot.sum()), int((tot * tot).sum())
    mean_region = s1_all / n_all
    sd_region = math.sqrt(max(s2_all - s1_all * s1_all / n_all, 0.0) / n_all) or 1.0
    level = (np.bincount(unit.school, weights=unit.total, minlength=ns) / np.maximum(cnt, 1)
             - mean_region) / sd_region
    level_model = _up_given_level(c_s, u_s, level) if cfg.get("condition_on_level", True) else None
    good = np.isfinite(rs) & (n_has >= min_n)
    ref = np.tanh(np.average(np.arctanh(np.clip(rs[good], -0.999, 0.999)), weights=n_has[good] - 3)) if good.any() else np.nan
    ref_at = np.full(ns, ref)
    bw = float(cfg.get("corr_level_bandwidth", 0.0))
    if bw > 0 and good.sum() >= 10:
        ref_at = _local_linear(level, np.arctanh(np.clip(rs, -0.999, 0.999)), np.where(good, n_has - 3, 0.0),
                               bw * float(np.std(level[good])))
        ref_at = np.tanh(ref_at)

    def shares(tab: np.ndarray) -> dict:
        tot = tab.sum()
        lower = np.tril(tab, -1).sum()  # ВПР mark below the journal mark
        upper = np.triu(tab, 1).sum()
        same = np.trace(tab)
        f = (lambda v: _r(100 * v / tot, 1)) if tot else (lambda v: None)
        return {"понизили": f(lower), "подтвердили": f(same), "повысили": f(upper), "n": int(tot)}

    region_list, region_shares = region_table.tolist(), shares(region_table)  # the same for every school
    # the same shares for every school at once (Python's round on each, as ``_r`` does)
    tot_s = table.sum((1, 2))
    share_cols = {"понизили": np.tril(np.ones((4, 4), bool), -1), "подтвердили": np.eye(4, dtype=bool),
                  "повысили": np.triu(np.ones((4, 4), bool), 1)}
    pct = {k: (100 * table[:, mask].sum(1) / np.maximum(tot_s, 1)).tolist() for k, mask in share_cols.items()}
    tables = table.tolist()
    with np.errstate(invalid="ignore", divide="ignore"):
        zc_all = (np.arctanh(np.clip(rs, -0.999, 0.999)) - np.arctanh(ref_at)) * np.sqrt((n_has - 3) / 1.06)
    p_corr = stats.norm.cdf(zc_all)
    out: dict[str, dict] = {}
    corr: dict[str, dict] = {}
    # per school and journal mark 2..5: pupils and the expected rate of «повысили»; what the records
    # show, rounded for all schools at once (``_rv`` is ``_r`` exactly)
    counts = c_s[:, 2:6]
    if level_model is not None:
        rates = np.stack([level_model[j] for j in range(2, 6)], 1)
    else:
        rest = c_all[None, 2:6] - counts
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = np.where(rest > 0, (u_all[None, 2:6] - u_s[:, 2:6]) / rest, 0.0)
    counts_l, rates_l = counts.astype(np.int64).tolist(), rates.tolist()
    raised = u_s.sum(1).astype(np.int64).tolist()
    expected = _rv((counts * rates).sum(1), 2)
    level_r = _rv(level, 3)
    shares_r = {k: [round(x, 1) for x in v] for k, v in pct.items()}
    tot_l = tot_s.astype(np.int64).tolist()
    corr_ok = (np.isfinite(rs) & np.isfinite(ref_at) & (n_has > 3)).tolist()
    rs_r, z_r, ref_at_r, ref_r = _rv(rs), _rv(zc_all), _rv(ref_at), _r(ref)
    p_corr_l = p_corr.tolist()
    group_up = ("ученики региона с той же отметкой по журналу в ОО того же уровня "
                "(логистическая регрессия «повысили» на средний балл ОО)" if level_model is not None
                else "ученики региона (других ОО) с той же отметкой по журналу")
    group_corr = ("внутришкольная корреляция отметок по журналу и баллов в ОО региона того же "
                  "уровня (локально-линейная регрессия по среднему баллу ОО)" if bw > 0
                  else "средняя внутришкольная корреляция отметок по журналу и баллов в регионе")
    for si, (sid, n) in enumerate(zip(unit.school_ids, n_has.astype(np.int64).tolist(), strict=True)):
        if n < min_n:
            out[sid] = not_tested(f"участников с отметкой по журналу {n} < {min_n}", n=n)
            corr[sid] = out[sid]
            continue
        ks, ps = counts_l[si], rates_l[si]
        u_obs = raised[si]
        p_up = _binom_sum_sf([k for k in ks if k], [p for k, p in zip(ks, ps, strict=True) if k], u_obs)
        tot = tot_l[si]
        chart = {"journal_vs_vpr": {"rows": "отметка по журналу 2..5", "columns": "отметка ВПР 2..5",
                                    "school": tables[si], "region": region_list},
                 "shares": {"school": {**{k: v[si] if tot else None for k, v in shares_r.items()}, "n": tot},
                            "region": region_shares}}
        out[sid] = {
            "tested": True,
            "n": n,
            "p_value": p_up,
            "statistic": {"raised": u_obs, "expected_raised": expected[si], "school_level_sd": level_r[si]},
            "comparison_group": group_up,
            "chart": chart,
        }
        if corr_ok[si]:
            corr[sid] = {
                "tested": True,
                "n": n,
                "p_value": p_corr_l[si],
                "statistic": {"spearman": rs_r[si], "region_spearman": ref_r, "z": z_r[si],
                              "expected_spearman_at_level": ref_at_r[si], "school_level_sd": level_r[si]},
                "comparison_group": group_corr,
                "chart": chart,
            }
        else:
            corr[sid] = not_tested("корреляция не определена (одинаковые отметки или баллы)", n=n)
    return out, corr


# ---------------------------------------------------------------------------------------------
# helpers used by the orchestrator


def robust_standardise(values: np.ndarray, samp_var: np.ndarray) -> np.ndarray:
    """(v − median) / sqrt(τ² + sampling variance), τ² from the robust spread minus typical sampling variance."""
    med = np.median(values)
    mad = stats.median_abs_deviation(values, scale="normal")
    tau2 = max(0.0, mad**2 - float(np.median(samp_var)))
    return (values - med) / np.sqrt(tau2 + samp_var)
