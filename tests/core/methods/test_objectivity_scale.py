"""The national-scale paths of the objectivity signs agree with the plain per-school computations."""

from __future__ import annotations

import numpy as np
import pytest

from shnor.core.methods import objectivity_signs as sm


def _local_linear_loop(x, y, w, h):
    """The original per-school loop (the definition of the estimator)."""
    out = np.full(len(x), np.nan)
    ok = w > 0
    xs, ys, ws = x[ok], y[ok], w[ok]
    pos = np.cumsum(ok) - 1
    for i in range(len(x)):
        k = ws * np.exp(-0.5 * ((xs - x[i]) / max(h, 1e-9)) ** 2)
        if ok[i]:
            k[pos[i]] = 0.0
        d = xs - x[i]
        s0, s1, s2 = k.sum(), (k * d).sum(), (k * d * d).sum()
        den = s0 * s2 - s1 * s1
        if s0 <= 0:
            continue
        if den <= 1e-12 * max(s0 * s2, 1e-300):
            out[i] = (k * ys).sum() / s0
        else:
            out[i] = ((s2 * (k * ys).sum()) - s1 * (k * d * ys).sum()) / den
    return out


def _data(n, seed):
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(0, 0.6, n - 3), 4.0, -3.5, 0.1]  # two isolated schools
    y = 0.4 + 0.1 * x - 0.05 * x**2 + rng.normal(0, 0.15, n)
    w = rng.integers(0, 60, n).astype(float)
    w[rng.random(n) < 0.1] = 0.0
    return x, y, w


@pytest.mark.parametrize("n", [50, 700])
def test_local_linear_pairwise_path_is_the_loop(n):
    x, y, w = _data(n, n)
    h = 0.5 * float(np.std(x[w > 0]))
    a, b = sm._local_linear(x, y, w, h), _local_linear_loop(x, y, w, h)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)  # 1e-9 at an isolated school: ill-conditioned


def test_local_linear_grid_path_agrees_with_the_loop():
    x, y, w = _data(9000, 7)
    h = 0.5 * float(np.std(x[w > 0]))
    a, b = sm._local_linear(x, y, w, h), _local_linear_loop(x, y, w, h)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.nanmax(np.abs(a - b)) < 1e-7
    # and it really is the grid path (exact_max below n), not the pairwise one
    assert (w > 0).sum() > sm.LOCAL_LINEAR_EXACT_MAX


@pytest.mark.parametrize("method", ["fisher", "cauchy", "bonferroni", "stouffer"])
def test_combine_many_is_combine_group_by_group(method):
    from shnor.core.methods.objectivity import combine, combine_many

    rng = np.random.default_rng(7)
    groups = [list(rng.uniform(0, 1, rng.integers(1, 12)) ** 3) for _ in range(400)]
    groups[0] = [0.0, 1.0]  # the clip at 1e-300 and at 1
    groups[1] = [1e-320]
    got = combine_many(groups, method)
    want = np.array([combine(g, method) for g in groups])
    assert got.shape == (400,)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    with pytest.raises(ValueError, match="пустая группа"):
        combine_many([[0.5], []], method)
