"""ВПР marks against journal marks: the ``journal`` («повысили» beyond the region's rate) and
``journal_corr`` (a weak journal–score correlation) signs, and their exact binomial sums and
level-conditioned references."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import stats

from shnor.core.methods.objectivity.signs.base import Unit, _r, _rv, not_tested, upper_tail

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
    assert pmf is not None  # ns is not empty: 0 < x ≤ sum(ns)
    return upper_tail(pmf, x)


def _local_linear_solve(t0: Any, t1: Any, t2: Any, u0: Any, u1: Any, x: Any) -> Any:
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


def _local_linear(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, h: float, exact_max: int = LOCAL_LINEAR_EXACT_MAX
) -> np.ndarray:
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
    out[:] = _local_linear_solve(t[0], t[1], t[2], t[3], t[4], xc)
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


def _within_group_spearman(
    group: np.ndarray, x: np.ndarray, y: np.ndarray, n_groups: int, min_n: int
) -> np.ndarray:
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


def _school_level(unit: Unit) -> np.ndarray:
    """Each school's level: its mean primary score (all present pupils) minus the region's, in region SDs."""
    ns = len(unit.school_ids)
    cnt = np.bincount(unit.school, minlength=ns).astype(float)
    # the region's mean and SD from exact integer sums: the same whatever order the pupils come in
    tot = unit.total.astype(np.int64)
    n_all, s1_all, s2_all = len(tot), int(tot.sum()), int((tot * tot).sum())
    mean_region = s1_all / n_all
    sd_region = math.sqrt(max(s2_all - s1_all * s1_all / n_all, 0.0) / n_all) or 1.0
    return (
        np.bincount(unit.school, weights=unit.total, minlength=ns) / np.maximum(cnt, 1) - mean_region
    ) / sd_region


def _corr_reference(
    rs: np.ndarray, n_has: np.ndarray, level: np.ndarray, min_n: int, bw: float
) -> tuple[Any, np.ndarray]:
    """The region's pooled within-school journal–score correlation, and the one expected at each
    school's level (local-linear in the level when ``bw`` > 0, else the pooled one)."""
    good = np.isfinite(rs) & (n_has >= min_n)
    ref = (
        np.tanh(np.average(np.arctanh(np.clip(rs[good], -0.999, 0.999)), weights=n_has[good] - 3))
        if good.any()
        else np.nan
    )
    ref_at = np.full(len(rs), ref)
    if bw > 0 and good.sum() >= 10:
        ref_at = _local_linear(
            level,
            np.arctanh(np.clip(rs, -0.999, 0.999)),
            np.where(good, n_has - 3, 0.0),
            bw * float(np.std(level[good])),
        )
        ref_at = np.tanh(ref_at)
    return ref, ref_at


def _up_rates(
    c_all: np.ndarray,
    u_all: np.ndarray,
    c_s: np.ndarray,
    u_s: np.ndarray,
    level_model: dict[int, np.ndarray] | None,
) -> np.ndarray:
    """Per school and journal mark 2..5: the expected rate of «повысили» (at the school's level, or
    among the other schools' pupils)."""
    if level_model is not None:
        return np.stack([level_model[j] for j in range(2, 6)], 1)
    rest = c_all[None, 2:6] - c_s[:, 2:6]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rest > 0, (u_all[None, 2:6] - u_s[:, 2:6]) / rest, 0.0)


def _shares(tab: np.ndarray) -> dict[str, Any]:
    """Percent lowered, confirmed and raised (ВПР mark against the journal mark) in a 4×4 table, and its n."""
    tot = tab.sum()
    lower = np.tril(tab, -1).sum()  # ВПР mark below the journal mark
    upper = np.triu(tab, 1).sum()
    same = np.trace(tab)
    f = (lambda v: _r(100 * v / tot, 1)) if tot else (lambda v: None)
    return {"понизили": f(lower), "подтвердили": f(same), "повысили": f(upper), "n": int(tot)}


def _chart_maker(table: np.ndarray) -> Callable[[int], dict[str, Any]]:
    """The journal chart of each school (by index): its journal × ВПР marks table and shares, and the
    region's."""
    region_table = table.sum(0)
    region_list, region_shares = region_table.tolist(), _shares(region_table)  # the same for every school
    # the same shares for every school at once (Python's round on each, as ``_r`` does)
    tot_s = table.sum((1, 2))
    share_cols = {
        "понизили": np.tril(np.ones((4, 4), bool), -1),
        "подтвердили": np.eye(4, dtype=bool),
        "повысили": np.triu(np.ones((4, 4), bool), 1),
    }
    pct = {k: (100 * table[:, mask].sum(1) / np.maximum(tot_s, 1)).tolist() for k, mask in share_cols.items()}
    tables = table.tolist()
    shares_r = {k: [round(x, 1) for x in v] for k, v in pct.items()}
    tot_l = tot_s.astype(np.int64).tolist()

    def chart(si: int) -> dict[str, Any]:
        tot = tot_l[si]
        return {
            "journal_vs_vpr": {
                "rows": "отметка по журналу 2..5",
                "columns": "отметка ВПР 2..5",
                "school": tables[si],
                "region": region_list,
            },
            "shares": {
                "school": {**{k: v[si] if tot else None for k, v in shares_r.items()}, "n": tot},
                "region": region_shares,
            },
        }

    return chart


def _journal_records(
    unit: Unit,
    min_n: int,
    n_has: np.ndarray,
    sh: Mapping[str, Any],
    chart_of: Callable[[int], dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The ``journal`` and ``journal_corr`` records of every school from what they show (``sh``,
    rounded for all schools at once)."""
    out: dict[str, dict[str, Any]] = {}
    corr: dict[str, dict[str, Any]] = {}
    for si, (sid, n) in enumerate(zip(unit.school_ids, n_has.astype(np.int64).tolist(), strict=True)):
        if n < min_n:
            out[sid] = not_tested(f"участников с отметкой по журналу {n} < {min_n}", n=n)
            corr[sid] = out[sid]
            continue
        ks, ps = sh["counts"][si], sh["rates"][si]
        u_obs = sh["raised"][si]
        p_up = _binom_sum_sf([k for k in ks if k], [p for k, p in zip(ks, ps, strict=True) if k], u_obs)
        chart = chart_of(si)
        out[sid] = {
            "tested": True,
            "n": n,
            "p_value": p_up,
            "statistic": {
                "raised": u_obs,
                "expected_raised": sh["expected"][si],
                "school_level_sd": sh["level"][si],
            },
            "comparison_group": sh["group_up"],
            "chart": chart,
        }
        if sh["corr_ok"][si]:
            corr[sid] = {
                "tested": True,
                "n": n,
                "p_value": sh["p_corr"][si],
                "statistic": {
                    "spearman": sh["rs"][si],
                    "region_spearman": sh["ref"],
                    "z": sh["z"][si],
                    "expected_spearman_at_level": sh["ref_at"][si],
                    "school_level_sd": sh["level"][si],
                },
                "comparison_group": sh["group_corr"],
                "chart": chart,
            }
        else:
            corr[sid] = not_tested("корреляция не определена (одинаковые отметки или баллы)", n=n)
    return out, corr


def journal(
    unit: Unit, cfg: Mapping[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
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
    table = np.bincount(
        unit.school[has].astype(np.int64) * 16 + (unit.journal[has] - 2) * 4 + (unit.mark[has] - 2),
        minlength=ns * 16,
    ).reshape(ns, 4, 4)
    # pooled within-school Spearman (ranks within school) as reference
    rs = _within_group_spearman(unit.school[has], unit.journal[has], unit.total[has], ns, min_n=3)
    n_has = c_s.sum(1)
    level = _school_level(unit)
    level_model = _up_given_level(c_s, u_s, level) if cfg.get("condition_on_level", True) else None
    bw = float(cfg.get("corr_level_bandwidth", 0.0))
    ref, ref_at = _corr_reference(rs, n_has, level, min_n, bw)
    with np.errstate(invalid="ignore", divide="ignore"):
        zc_all = (np.arctanh(np.clip(rs, -0.999, 0.999)) - np.arctanh(ref_at)) * np.sqrt((n_has - 3) / 1.06)
    # per school and journal mark 2..5: pupils and the expected rate of «повысили»; what the records
    # show, rounded for all schools at once (``_rv`` is ``_r`` exactly)
    counts = c_s[:, 2:6]
    rates = _up_rates(c_all, u_all, c_s, u_s, level_model)
    shown = {
        "counts": counts.astype(np.int64).tolist(),
        "rates": rates.tolist(),
        "raised": u_s.sum(1).astype(np.int64).tolist(),
        "expected": _rv((counts * rates).sum(1), 2),
        "level": _rv(level, 3),
        "corr_ok": (np.isfinite(rs) & np.isfinite(ref_at) & (n_has > 3)).tolist(),
        "rs": _rv(rs),
        "z": _rv(zc_all),
        "ref_at": _rv(ref_at),
        "ref": _r(ref),
        "p_corr": stats.norm.cdf(zc_all).tolist(),
        "group_up": (
            "ученики региона с той же отметкой по журналу в ОО того же уровня "
            "(логистическая регрессия «повысили» на средний балл ОО)"
            if level_model is not None
            else "ученики региона (других ОО) с той же отметкой по журналу"
        ),
        "group_corr": (
            "внутришкольная корреляция отметок по журналу и баллов в ОО региона того же "
            "уровня (локально-линейная регрессия по среднему баллу ОО)"
            if bw > 0
            else "средняя внутришкольная корреляция отметок по журналу и баллов в регионе"
        ),
    }
    return _journal_records(unit, min_n, n_has, shown, _chart_maker(table))
