"""The original per-school loop of ``similarity``: an oracle the vectorised sign is checked against.

It lived in ``objectivity.signs.vectors`` until the restructure; a reference implementation belongs
with the tests, not in the product.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats

from shnor.core.methods.objectivity.signs.base import Unit, _r, not_tested
from shnor.core.methods.objectivity.signs.vectors import _p_at_least


def similarity_reference(unit: Unit, cfg: Mapping[str, Any]) -> dict[str, dict]:
    """The original per-school loop of ``similarity``.

    Identical task-score vectors beyond the region's vector frequencies among pupils with the same total.

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
            worst = {
                "total": int(tt[i]),
                "pupils": int(cc[rep][i]),
                "of_pupils_with_total": int(n_t[tt[i]]),
                "region_frequency": _r(p_v[vv[rep]][i], 5),
            }
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
            "statistic": {
                "min_tail_probability": m,
                "identical_pairs": n_identical,
                "pupils_sharing_a_vector": pupils_in_groups,
                "most_repeated": worst,
            },
            "comparison_group": (
                "частоты наборов баллов за задания у учеников региона с тем же первичным баллом"
            ),
        }
    return out
