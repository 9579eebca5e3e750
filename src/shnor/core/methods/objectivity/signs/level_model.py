"""The null models of the level-conditioned signs: the region's smooth shape at a cut, the school's
level as an exponential tilt of it or as a latent normal (``bunching``), the tilted moments
(``homogeneity``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import optimize, sparse, stats

from shnor.core.methods.objectivity.signs.base import _binom_pmf, _rl_rows


def smooth_counterfactual(hist: np.ndarray, lo: int, hi: int, cfg: Mapping[str, Any]) -> np.ndarray | None:
    """The region's histogram with the window [lo, hi] replaced by a polynomial fit of log counts outside
    it."""
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


def _latent_posterior(
    shist: np.ndarray, cut: int, lo: int, hi: int, g: np.ndarray, tau: float, block: int = 256
) -> dict[str, Any]:
    """The latent-normal level model of ``bunching`` for every school (rows of ``shist``, its score
    histogram) at one cut: the region's smooth scores g mapped to normal scores, each school's latent
    scores N(shift, sd²) on a (shift, sd) grid, the posterior from the school's pupils outside the
    window [lo, hi] under a log-normal prior on sd centred on the region's typical within-school sd,
    and from it per school: the posterior-mean share at/above the cut, the expected histogram, the
    posterior mean shift and sd, and the null pmf of the count at/above the cut given the window's
    count (the posterior mixture of binomials, the posterior binned on 400 values of that share).

    Schools are taken in blocks of ``block``, so the grid matrices (1,694 × block) are reused from
    the heap instead of a national-size matrix being faulted in afresh for every step, and a block
    stays in the processor's cache through the passes made over it. A block is held grid
    point by school (each school a column): the log-likelihood with the prior is one matrix product
    (the counts outside the window, −their number and 1 against log p, log(1 − p_window) and the log
    prior), the posterior is left unnormalised (exp(ll − the school's max)) and every sum of it —
    moments, expected histogram, mass per bin of p0 and the normalising total itself — is a product
    with it, divided by the total afterwards: four passes over the block instead of a dozen. Schools
    are taken in the order of their window counts, so the null pmfs of a block's schools with the
    same count are made at once as the block is done, not gathered for all schools and sorted by
    count afterwards (a country procedure's 5 million school-bin pairs: concatenating and sorting
    them was a third of the time). (Tested by ``test_latent_posterior_is_its_definition``.)"""
    grid_dl, grid_sg = np.meshgrid(np.linspace(-4.0, 4.0, 121), np.linspace(0.3, 1.6, 14), indexing="ij")
    dl, sg = grid_dl.ravel(), grid_sg.ravel()
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
    log_terms = np.column_stack(
        [np.log(prob[:, outside_cols]), np.log(np.maximum(1 - p_win, 1e-300)), np.zeros(len(dl))]
    )

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
    to_bins, nb = _p0_bins(p0)
    # the posterior's moments (p0, shift, sd), its total and its expected histogram, as one product
    sums = np.vstack([p0, dl, sg, np.ones(len(p0)), prob.T])
    f_scale = np.zeros(width)
    f_scale[outside_cols] = 1.0
    out: dict[str, Any] = {
        "sigma0": sigma0,
        "share": np.empty(ns),
        "shift": np.empty(ns),
        "sd": np.empty(ns),
        "pmf": [None] * ns,
        "expected": [None] * ns,
    }
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
        # the chart's expected histogram, scaled so that outside the window it matches the school (to a
        # tenth of a pupil, as a reader takes it off the chart)
        for i, e in zip(
            rows.tolist(), _rl_rows(fh / (fh @ f_scale)[:, None] * n_out[rows][:, None], 1), strict=True
        ):
            out["expected"][i] = e
        _block_null_pmfs(out["pmf"], rows, n_w[rows], (to_bins @ w / total).T, nb)
    return out


def _p0_bins(p0: np.ndarray) -> tuple[sparse.csr_array, int]:
    """The grid points' p0 on 400 bins: a sparse matrix that sums a posterior's mass per bin and p0
    within the bin in one product (rows: bins, then the same bins for p0), and the number of bins."""
    bins = np.unique(np.minimum((p0 * 400).astype(int), 399), return_inverse=True)[1].ravel()
    nb = int(bins.max()) + 1
    # posterior mass per bin and p0 summed within the bin, as one sparse product
    to_bins = sparse.csr_array(
        (
            np.r_[np.ones(len(p0)), p0],
            (np.r_[bins, bins + nb], np.r_[np.arange(len(p0)), np.arange(len(p0))]),
        ),
        shape=(2 * nb, len(p0)),
    )
    return to_bins, nb


def _block_null_pmfs(
    pmf_out: list[Any], rows: np.ndarray, m_of: np.ndarray, wbp: np.ndarray, nb: int
) -> None:
    """Into ``pmf_out``: each null pmf of a block's schools (``rows``, in window-count order, ``m_of``
    their window counts), from their posterior mass per bin and p0 summed per bin (``wbp``)."""
    wb = wbp[:, :nb]
    p0b = wbp[:, nb:] / np.maximum(wb, 1e-300)
    wb = np.where(wb > 1e-9, wb, 0.0)
    wb /= wb.sum(1, keepdims=True)
    # each school's null pmf: its bins' binomials weighted by their mass, for the block's
    # schools with the same window count at once
    seg = np.flatnonzero(np.r_[True, m_of[1:] != m_of[:-1], True])
    for s0, s1 in zip(seg[:-1].tolist(), seg[1:].tolist(), strict=True):
        mw = int(m_of[s0])
        if mw == 0:  # (no pupil in the window: no pmf)
            continue
        ri, bi = np.nonzero(wb[s0:s1])  # the bins that carry posterior mass, school by school
        starts = np.flatnonzero(np.r_[True, ri[1:] != ri[:-1]])
        terms = wb[s0 + ri, bi][:, None] * _binom_pmf(mw, p0b[s0 + ri, bi])
        for i, pmf in zip(
            rows[s0 + ri[starts]].tolist(), np.add.reduceat(terms, starts, axis=0), strict=True
        ):
            pmf_out[i] = pmf


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
