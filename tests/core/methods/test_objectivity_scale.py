"""The national-scale paths of the objectivity signs agree with the plain per-school computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# --- rounding, the union bound and the same-total cells: vectorised paths vs their definitions ----


@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.integers(-(10**6), 10**6).map(lambda k: k / 2000),  # exact halves at 3 decimals
            st.integers(-(10**9), 10**9).map(lambda k: k / 10**5),
        ),
        max_size=40,
    ),
    st.integers(0, 5),
)
def test_rv_is_r_value_by_value(values, nd):
    got = sm._rv(np.array(values, dtype=float), nd)
    want = [sm._r(v, nd) for v in values]
    assert [None if g is None else repr(g) for g in got] == [None if w is None else repr(w) for w in want]


def _union_tables(seed):
    rng = np.random.default_rng(seed)
    for n in (2, 3, 7, 19):
        pv = np.sort(rng.uniform(1e-4, 0.6, rng.integers(1, 40)))
        mult = rng.integers(1, 6, len(pv)).astype(float)
        table = sm.stats.binom.sf(np.arange(n + 1)[:, None], n, pv[None, :])
        entries = table[(table > 0) & (table < 1)]
        # every kind of m: the table's own entries (a school's minimum is one), near them, between, tiny
        near = rng.choice(entries, 40) * rng.choice([1 - 1e-13, 1 - 5e-16, 1 + 5e-16, 1 + 1e-13], 40)
        m = np.r_[rng.choice(entries, 30), near, 10.0 ** -rng.uniform(0, 12, 30), 1e-17, 3e-300, 0.999999]
        yield table, pv, mult, m


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_union_bound_sorted_table_is_the_direct_bound(seed):
    for table, pv, mult, m in _union_tables(seed):
        fast = sm._union_bound(table, pv, mult, m)
        direct = sm._union_bound_direct(table, pv, mult, m)
        np.testing.assert_allclose(fast, direct, rtol=1e-12, atol=0)


def _loo_conditional(value, total, school, n_schools, max_total, min_ref):
    """Per pupil: mean and variance of ``value`` among other schools' pupils with the same total
    (the per-pupil definition the cells of ``task_signs`` compute once per (school, total))."""
    nt = max_total + 1
    idx = total.astype(np.int64)
    c = np.bincount(idx, minlength=nt).astype(float)
    s1 = np.bincount(idx, weights=value, minlength=nt)
    s2 = np.bincount(idx, weights=value * value, minlength=nt)
    key = school.astype(np.int64) * nt + idx
    cs = np.bincount(key, minlength=n_schools * nt).astype(float)
    s1s = np.bincount(key, weights=value, minlength=n_schools * nt)
    s2s = np.bincount(key, weights=value * value, minlength=n_schools * nt)
    cr = c[idx] - cs[key]
    m = (s1[idx] - s1s[key]) / np.maximum(cr, 1)
    v = (s2[idx] - s2s[key]) / np.maximum(cr, 1) - m * m
    return m, np.maximum(v, 0.0), cr >= min_ref


def test_same_total_cells_are_the_per_pupil_comparison():
    rng = np.random.default_rng(5)
    n, ns, maxp = 6000, 140, np.array([1, 2, 1, 3, 2])
    school = rng.permutation(np.repeat(np.arange(ns), n // ns))  # pupils in no particular order
    tasks = np.minimum(rng.binomial(maxp[None, :], rng.uniform(0.2, 0.9, (len(school), 1))), maxp)
    total = tasks.sum(1)
    value = tasks[:, 3:].sum(1).astype(float)
    cells = sm._Cells(school, total, ns, int(maxp.sum()) + 1)
    t, var, n_ok, z, e = sm._cell_sum_test(cells, value, 150)
    m, v, ok = _loo_conditional(value, total, school, ns, int(maxp.sum()), 150)
    per = lambda w: np.bincount(school, weights=np.where(ok, w, 0.0), minlength=ns)  # noqa: E731
    assert (n_ok > 0).any()  # both kinds of pupils occur: with and without enough others of their total
    assert (n_ok < np.bincount(school)).any()
    np.testing.assert_allclose(t, per(value - m), rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(var, per(v), rtol=1e-10, atol=1e-9)
    np.testing.assert_array_equal(n_ok, per(np.ones(len(school))))
    np.testing.assert_allclose(e, per(m), rtol=1e-12)
    np.testing.assert_allclose(z, np.where(var > 0, t / np.sqrt(np.maximum(var, 1e-12)), 0.0), rtol=1e-12)
    col = tasks[:, 1].astype(float)
    mean, _, _ = cells.loo(cells.sums(col))
    np.testing.assert_allclose(
        cells.per_school(cells.n * mean),
        np.bincount(
            school, weights=_loo_conditional(col, total, school, ns, int(maxp.sum()), 20)[0], minlength=ns
        ),
        rtol=1e-12,
    )


def test_union_bound_takes_near_ties_from_binom_isf_as_the_direct_bound(monkeypatch):
    """Where m is within 10⁻¹² of an entry, k comes from ``binom.isf`` in both paths (here made to
    differ from counting, which it does not do for real ties away from m ≈ 0)."""
    isf = sm.stats.binom.isf
    monkeypatch.setattr(sm.stats.binom, "isf", lambda q, n, p: isf(q, n, p) + 1)
    for table, pv, mult, m in _union_tables(3):
        np.testing.assert_allclose(
            sm._union_bound(table, pv, mult, m),
            sm._union_bound_direct(table, pv, mult, m),
            rtol=1e-12,
            atol=0,
        )


def test_chart_percentages_are_whole_numbers_written_as_integers():
    """A task-success chart's school and expected profiles: whole percent, ``67`` not ``67.0`` (the bytes
    a stored school takes), None where a value is not a number; vectors and matrices alike."""
    from shnor.core.methods.objectivity.signs.base import _rl_whole

    got = _rl_whole(np.array([[0.4, 66.67, 99.5, 100.0], [12.5, 13.5, 0.0, 50.2]]))
    assert got == [[0, 67, 100, 100], [12, 14, 0, 50]]
    assert all(type(v) is int for row in got for v in row)
    with_gaps = _rl_whole(np.array([3.6, np.nan, -0.2, np.inf]))
    assert with_gaps == [4, None, 0, None]
    assert [type(v) for v in with_gaps] == [int, type(None), int, type(None)]
