"""The ``similarity`` sign: identical task-score vectors beyond the region's vector frequencies among
pupils with the same total."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from shnor.core.methods.objectivity.signs.base import Unit, _r, not_tested


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


def _union_bound(
    table: np.ndarray, pv: np.ndarray, mult: np.ndarray, m: np.ndarray, window: int = 4
) -> np.ndarray:
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


def _region_vectors(unit: Unit) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each pupil's total, the region's distinct (total, vector) pairs (vectors coded as integers in
    mixed radix), each pupil's pair and each pair's number of pupils."""
    assert unit.tasks is not None
    assert unit.max_points is not None
    total = unit.tasks.sum(1)
    radix = unit.max_points.astype(np.int64) + 1
    code = np.zeros(len(total), np.int64)
    for j in range(unit.tasks.shape[1]):
        code = code * int(radix[j]) + unit.tasks[:, j].astype(np.int64)
    span = int(code.max()) + 1
    if span * (int(total.max()) + 1) < 2**62:  # (total, code) as one integer, in the same order
        ukey, inv, cnt = np.unique(
            total.astype(np.int64) * span + code, return_inverse=True, return_counts=True
        )
        uniq = np.stack([ukey // span, ukey % span], 1)
    else:
        uniq, inv, cnt = np.unique(
            np.stack([total, code], 1), axis=0, return_inverse=True, return_counts=True
        )
    return total, uniq, inv.ravel(), cnt


def _frequencies_by_total(
    uniq: np.ndarray, cnt: np.ndarray, n_by_total: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per total: the distinct region frequencies and how many vectors have each."""
    nt = len(n_by_total)
    freq_by_t: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    tu = uniq[:, 0]
    ord_t = np.argsort(tu, kind="stable")
    t_starts = np.searchsorted(tu[ord_t], np.arange(nt + 1))
    for t in range(nt):
        seg = ord_t[t_starts[t] : t_starts[t + 1]]
        if len(seg):
            vals, mult = np.unique(cnt[seg], return_counts=True)
            freq_by_t[t] = (vals / n_by_total[t], mult.astype(float))
    return freq_by_t


@dataclass
class _Repeats:
    """The groups of a school's pupils sharing a vector (two or more): per group its school, vector,
    size and total; per school the identical pairs, the pupils in groups, the smallest tail m_s and
    the first group attaining it (−1: no group)."""

    r_school: np.ndarray
    r_vec: np.ndarray
    r_cnt: np.ndarray
    r_t: np.ndarray
    n_identical: np.ndarray
    in_groups: np.ndarray
    m_s: np.ndarray
    worst_i: np.ndarray


def _repeats(
    school: np.ndarray, inv: np.ndarray, uniq: np.ndarray, n_st: np.ndarray, p_v: np.ndarray
) -> _Repeats:
    """Groups of pupils sharing a vector within a school, ordered by (school, vector), and each
    school's smallest binomial tail over them."""
    ns = n_st.shape[0]
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
    return _Repeats(r_school, r_vec, r_cnt, r_t, n_identical, in_groups, m_s, worst_i)


def _union_bounds(
    freq_by_t: dict[int, tuple[np.ndarray, np.ndarray]], n_st: np.ndarray, todo: np.ndarray, m_s: np.ndarray
) -> np.ndarray:
    """Per school, the union bound Σ_t acc[s, t], grouped by (t, n):
    acc[s, t] = Σ_v mult_v · P(N ≥ max(2, k_v(m_s)))."""
    acc_st = np.zeros(n_st.shape)
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
    return acc_st.sum(1)


def similarity(unit: Unit, cfg: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
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
    total, uniq, inv, cnt = _region_vectors(unit)
    nt = int(total.max()) + 1
    n_by_total = np.bincount(total, minlength=nt).astype(float)
    p_v = cnt / n_by_total[uniq[:, 0]]
    min_n = int(cfg["min_pupils"])
    counts = np.bincount(unit.school, minlength=ns)
    school = unit.school.astype(np.int64)
    # pupils per (school, total)
    n_st = np.bincount(school * nt + total, minlength=ns * nt).reshape(ns, nt)
    rp = _repeats(school, inv, uniq, n_st, p_v)
    has_rep = rp.worst_i >= 0
    tested = counts >= min_n
    acc = _union_bounds(_frequencies_by_total(uniq, cnt, n_by_total), n_st, tested & has_rep, rp.m_s)
    out = {}
    for si, sid in enumerate(unit.school_ids):
        if not tested[si]:
            out[sid] = not_tested(f"участников {int(counts[si])} < {min_n}", n=int(counts[si]))
            continue
        if not has_rep[si]:
            m, p_value, worst = 1.0, 1.0, None
        else:
            g = rp.worst_i[si]
            m = float(rp.m_s[si])
            tt = int(rp.r_t[g])
            worst = {
                "total": tt,
                "pupils": int(rp.r_cnt[g]),
                "of_pupils_with_total": int(n_st[si, tt]),
                "region_frequency": _r(p_v[rp.r_vec[g]], 5),
            }
            p_value = float(min(1.0, max(float(acc[si]), m)))
        out[sid] = {
            "tested": True,
            "n": int(counts[si]),
            "p_value": p_value,
            "statistic": {
                "min_tail_probability": m,
                "identical_pairs": int(rp.n_identical[si]),
                "pupils_sharing_a_vector": int(rp.in_groups[si]),
                "most_repeated": worst,
            },
            "comparison_group": (
                "частоты наборов баллов за задания у учеников региона с тем же первичным баллом"
            ),
        }
    return out
