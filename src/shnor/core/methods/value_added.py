"""Context-adjusted value added: shrunken school effects from a two-level model.

Pupil results are standardised within each procedure unit (procedure, year, subject, grade),
then ``z_ij = b0 + b·x_j + u_j + e_ij`` is fitted by statsmodels ``MixedLM`` (maximum
likelihood, Powell optimiser) with the school's context covariates ``x_j`` as fixed effects and
a random school intercept ``u_j``. The school effect is the EBLUP of ``u_j`` with an interval
from its conditional variance; a school is *low* only when the whole interval lies below the
configured margin. Pure functions: no Django, no file I/O.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from shnor.core.methods.base import Inputs

NAME = "value_added"

#: Columns of ``run`` / ``school_effects`` (one row per school with results in the window).
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "n_pupils": pl.Int64(),
    "effect": pl.Float64(),
    "se": pl.Float64(),
    "lower": pl.Float64(),
    "upper": pl.Float64(),
    "rank": pl.Int32(),
    "low_value_added": pl.Boolean(),
    "evidence": pl.String(),
}

#: Derived covariates computed from the school registry rather than the CONTEXT frame.
DERIVED_COVARIATES = ("rural", "log_pupils", "special_kind")
#: School kinds whose intake differs by design (``special_kind`` = 1).
SPECIAL_KINDS = ("вечерняя", "коррекционная")


# --------------------------------------------------------------------------------------------
# Pupil scores shared by the low-results methods
# --------------------------------------------------------------------------------------------

UNIT = ("procedure", "year", "subject", "grade")


def pupil_scores(
    results: pl.LazyFrame | pl.DataFrame,
    scales: pl.DataFrame | None = None,
    *,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Present pupils' results with the fail flag and the score standardised per unit.

    Returns ``procedure, year, subject, grade, school_id, score, test_score, fail, z`` — ``procedure``
    and ``subject`` categorical (they compare, filter and sort as text but do not join with text),
    ``year``, ``grade`` and ``test_score`` in the RESULTS schema's 16-, 8- and 16-bit integers:

    - ``score`` is the primary score (the ЕГЭ test score when no primary score is known);
    - ``fail`` is «below the upper bound of mark 2»: ``mark == 2`` when the mark is known, else
      ``below_min`` (ГИА), else ``primary_score < min_3`` from the scales; null when unknown;
    - ``z`` is ``score`` standardised within (procedure, year, subject, grade) over the region
      (sample SD); null when the unit has no spread.
    Absent pupils are dropped. The same data give the same frame, row for row and to the bit: the
    unit's mean and SD come from its count, Σ score and Σ score² (exact for whole-number scores,
    whatever order Polars' threads add them in; its windowed ``mean``/``std`` moved in the last bits
    from run to run, and the value-added fit with them), and the rows are sorted on every column
    that can tell two pupils apart.
    """
    lf = results.lazy() if isinstance(results, pl.DataFrame) else results
    if years is not None:
        lf = lf.filter(pl.col("year").cast(pl.Int16).is_in([int(y) for y in years]))
    if procedures:
        lf = lf.filter(pl.col("procedure").is_in(list(procedures)))
    if subjects:
        lf = lf.filter(pl.col("subject").is_in(list(subjects)))
    lf = lf.filter(~pl.col("absent").fill_null(False)).select(
        pl.col("procedure"),
        pl.col("year").cast(pl.Int16),
        pl.col("subject"),
        pl.col("grade").cast(pl.Int8),
        pl.col("school_id"),
        pl.col("primary_score").cast(pl.Float64),
        pl.col("test_score").cast(pl.Int16),
        pl.col("mark").cast(pl.Int32),
        pl.col("below_min"),
    )
    if scales is not None and scales.height:
        sc = (
            scales.lazy()
            .select(
                pl.col("procedure"),
                pl.col("year").cast(pl.Int16),
                pl.col("subject"),
                pl.col("grade").cast(pl.Int8),
                pl.col("min_3").cast(pl.Float64),
            )
            .unique(subset=list(UNIT), keep="last")
        )
        lf = lf.join(sc, on=list(UNIT), how="left")
    else:
        lf = lf.with_columns(pl.lit(None, dtype=pl.Float64).alias("min_3"))
    score = pl.coalesce("primary_score", "test_score")
    fail = (
        pl.when(pl.col("mark").is_not_null())
        .then(pl.col("mark") <= 2)
        .when(pl.col("below_min").is_not_null())
        .then(pl.col("below_min"))
        .when(pl.col("min_3").is_not_null() & pl.col("primary_score").is_not_null())
        .then(pl.col("primary_score") < pl.col("min_3"))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )
    lf = lf.with_columns(score.alias("score"), fail.alias("fail")).filter(
        pl.col("score").is_not_null() | pl.col("fail").is_not_null()
    )
    k = pl.col("score").count().over(list(UNIT)).cast(pl.Float64)
    s1 = pl.col("score").sum().over(list(UNIT))
    s2 = (pl.col("score") * pl.col("score")).sum().over(list(UNIT))
    sd = ((s2 - s1 * s1 / k) / (k - 1)).clip(lower_bound=0.0).sqrt()
    z = pl.when(sd > 0).then((pl.col("score") - s1 / k) / sd)
    order = [*UNIT, "school_id", "score", "test_score", "fail"]
    lf = lf.with_columns(z.alias("z")).select([*order, "z"])
    # One year at a time (a unit lies within one year): three country years sorted at once took about
    # twice the memory of one (docs/benchmarks.md).
    wanted = sorted({int(y) for y in years}) if years is not None else _years_of(lf)

    def built(part: pl.LazyFrame) -> pl.DataFrame:
        # the procedure and subject as categories (as text views, 16 bytes a pupil each)
        categories = pl.col("procedure", "subject").cast(pl.Categorical)
        return part.sort(order, nulls_last=True).with_columns(categories).collect()

    parts = [built(lf.filter(pl.col("year").eq_missing(y))) for y in wanted]
    if not parts:
        return built(lf)
    return _in_procedure_order(parts) if len(parts) > 1 else parts[0]


def _years_of(lf: pl.LazyFrame) -> list[int | None]:
    years = lf.select(pl.col("year").unique()).collect()["year"].to_list()
    return sorted(y for y in years if y is not None) + [None] * (None in years)


def _in_procedure_order(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Frames of one year each (sorted, oldest first) as one sorted on procedure, then year: each
    procedure's rows of every year in turn, as slices (no copy)."""
    pieces: list[tuple[tuple[bool, str], int, pl.DataFrame]] = []
    for i, part in enumerate(parts):
        start = 0
        for proc, n in part.group_by("procedure", maintain_order=True).len().iter_rows():
            pieces.append(((proc is None, proc or ""), i, part.slice(start, n)))
            start += n
    pieces.sort(key=lambda t: (t[0], t[1]))
    if not pieces:
        return parts[0]
    return pl.concat([p for *_, p in pieces], rechunk=False)


def school_moments(scores: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Per school (sorted): ``n`` pupils with a ``z``, their mean ``ybar`` and ``ss`` = Σ (z − ybar)²,
    summed in the frame's row order (``pupil_scores``' order is fixed): a Polars ``group_by`` adds in
    an order its threads decide, and the value-added fit moved in the 8th digit from run to run.

    ``scores`` may be lazy (a filter of the pupil scores): only each pupil's school code and z are
    then made, never a copy of the selected pupils' school ids."""
    data = scores.lazy().select("school_id", "z").filter(pl.col("z").is_not_null())
    ids = data.select(pl.col("school_id").unique()).collect().to_series().sort()
    if ids.len() == 0:
        return pl.DataFrame(
            schema={"school_id": pl.String, "n": pl.UInt32, "ybar": pl.Float64, "ss": pl.Float64}
        )
    # each school's position among the sorted ids (an Enum of them: a third of ranking 14 M strings)
    coded = data.select(pl.col("school_id").cast(pl.Enum(ids.to_list())).to_physical(), "z").collect()
    code = coded["school_id"].to_numpy()
    z = coded["z"].to_numpy()
    n = np.bincount(code, minlength=ids.len())
    ybar = np.bincount(code, weights=z, minlength=ids.len()) / n
    dev = ybar[code]  # (z − ybar)² in one array of the pupils' length, not three
    np.subtract(z, dev, out=dev)
    np.square(dev, out=dev)
    ss = np.bincount(code, weights=dev, minlength=ids.len())
    return pl.DataFrame({"school_id": ids, "n": pl.Series(n, dtype=pl.UInt32), "ybar": ybar, "ss": ss})


# --------------------------------------------------------------------------------------------
# School covariates
# --------------------------------------------------------------------------------------------


def school_covariates(
    context: pl.DataFrame,
    schools: pl.DataFrame,
    year: int,
    names: Sequence[str],
    school_ids: Sequence[str] | None = None,
    special_kinds: Sequence[str] = SPECIAL_KINDS,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Context covariates per school for year ``year`` (the latest available year ≤ ``year``).

    Returns the frame ``school_id, <kept covariates…>`` (floats, missing values imputed with the
    mean) and a note: which covariates were kept, dropped (absent or constant) and how many
    values were imputed. ``school_ids`` fixes the set of rows (schools without context get the
    mean).
    """
    ids = (
        pl.DataFrame({"school_id": list(school_ids)}, schema={"school_id": pl.String})
        if (school_ids is not None)
        else pl.concat(
            [
                context.select(pl.col("school_id").cast(pl.String)),
                schools.select(pl.col("school_id").cast(pl.String)),
            ]
        ).unique()
    )
    frame = ids
    ctx_names = [n for n in names if n not in DERIVED_COVARIATES and n in context.columns]
    if ctx_names and context.height:
        latest = (
            context.filter(pl.col("year").cast(pl.Int32) <= year)
            .with_columns(pl.col("year").cast(pl.Int32))
            .sort(["school_id", "year"])
            .group_by("school_id", maintain_order=True)
            .last()
            .select(["school_id", *[pl.col(n).cast(pl.Float64) for n in ctx_names]])
        )
        frame = frame.join(latest, on="school_id", how="left")
    reg = (
        schools.select(pl.col("school_id").cast(pl.String), "locality", "pupils", "kind")
        if schools.height
        else None
    )
    if "rural" in names and reg is not None:
        rural = reg.select(
            "school_id",
            pl.when(pl.col("locality").is_null())
            .then(None)
            .otherwise(pl.col("locality").str.to_lowercase().str.strip_chars() == "село")
            .cast(pl.Float64)
            .alias("rural"),
        )
        frame = frame.join(rural, on="school_id", how="left")
    if "special_kind" in names and reg is not None:
        special = [k.lower() for k in special_kinds]
        frame = frame.join(
            reg.select(
                "school_id",
                pl.when(pl.col("kind").is_null())
                .then(None)
                .otherwise(pl.col("kind").str.to_lowercase().str.strip_chars().is_in(special))
                .cast(pl.Float64)
                .alias("special_kind"),
            ),
            on="school_id",
            how="left",
        )
    if "log_pupils" in names and reg is not None:
        frame = frame.join(
            reg.select("school_id", pl.col("pupils").cast(pl.Float64).clip(1).log().alias("log_pupils")),
            on="school_id",
            how="left",
        )
    kept: list[str] = []
    dropped: dict[str, str] = {}
    imputed: dict[str, int] = {}
    for n in names:
        if n not in frame.columns or frame[n].null_count() == frame.height:
            dropped[n] = "нет данных"
            continue
        col = frame[n]
        if col.drop_nulls().n_unique() < 2:
            dropped[n] = "одинаково у всех школ"
            continue
        nulls = col.null_count()
        if nulls:
            imputed[n] = int(nulls)
            frame = frame.with_columns(pl.col(n).fill_null(col.mean()))
        kept.append(n)
    out = frame.select(["school_id", *kept]).sort("school_id")
    return out, {"kept": kept, "dropped": dropped, "imputed": imputed}


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass
class Fit:
    """Fitted variance components and fixed effects of the two-level model."""

    tau2: float
    sigma2: float
    coefficients: dict[str, float]
    converged: bool
    log_likelihood: float
    n_pupils: int
    n_schools: int
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "between_school_variance": self.tau2,
            "within_school_variance": self.sigma2,
            "coefficients": self.coefficients,
            "converged": self.converged,
            "log_likelihood": self.log_likelihood,
            "n_pupils": self.n_pupils,
            "n_schools": self.n_schools,
            "warnings": self.warnings,
        }


def fit_random_intercept(
    y: np.ndarray,
    x: np.ndarray,
    groups: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    reml: bool = False,
    optimizer: Sequence[str] = ("powell",),
) -> tuple[Fit, pl.DataFrame]:
    """Fit ``y = X b + u_group + e`` by MixedLM and return the fit and the school effects.

    The effects frame has ``group, n, effect, cond_var``: ``effect`` is the EBLUP
    ``tau²·n/(tau²·n + sigma²) · mean(y − Xb)`` and ``cond_var = 1/(1/tau² + n/sigma²)`` its
    conditional variance (the same quantities as MixedLM's ``random_effects`` and
    ``random_effects_cov``, computed in one vectorised pass). ConvergenceWarnings are caught and
    returned in ``Fit.warnings``; other warnings propagate.
    """
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    names = list(names) if names is not None else [f"x{i}" for i in range(x.shape[1])]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = MixedLM(y, x, groups=groups)
        result = model.fit(reml=reml, method=list(optimizer))
    notes = [
        f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, ConvergenceWarning)
    ]
    for w in caught:  # anything else recorded is re-issued unchanged
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    beta = np.asarray(result.fe_params, dtype=float)
    tau2 = float(np.asarray(result.cov_re)[0, 0])
    sigma2 = float(result.scale)
    resid = y - x @ beta
    eff = (
        pl.DataFrame({"group": groups, "r": resid})
        .group_by("group")
        .agg(pl.len().alias("n"), pl.col("r").mean().alias("mean_resid"))
        .sort("group")
    )
    n = eff["n"].to_numpy().astype(float)
    if tau2 > 0:
        shrink = tau2 * n / (tau2 * n + sigma2)
        cond_var = 1.0 / (1.0 / tau2 + n / sigma2)
    else:
        shrink = np.zeros_like(n)
        cond_var = np.zeros_like(n)
    eff = eff.with_columns(
        pl.Series("effect", shrink * eff["mean_resid"].to_numpy()),
        pl.Series("cond_var", cond_var),
    ).select("group", "n", "effect", "cond_var")
    fit = Fit(
        tau2=tau2,
        sigma2=sigma2,
        coefficients={k: float(v) for k, v in zip(names, beta, strict=True)},
        converged=bool(getattr(result, "converged", True)),
        log_likelihood=float(result.llf),
        n_pupils=int(len(y)),
        n_schools=int(eff.height),
        warnings=notes,
    )
    return fit, eff


def _profile(
    gamma: float, n: np.ndarray, ybar: np.ndarray, within_ss: float, x: np.ndarray, reml: bool
) -> tuple[float, np.ndarray, float]:
    """-log-likelihood (ML or REML) at variance ratio gamma = tau²/sigma², with beta and sigma² profiled
    out."""
    big_n = float(n.sum())
    p = x.shape[1]
    d = 1.0 + n * gamma
    w = n / d
    xtwx = x.T @ (w[:, None] * x)
    beta = np.linalg.solve(xtwx, x.T @ (w * ybar))
    r = ybar - x @ beta
    q = within_ss + float(np.sum(w * r * r))
    dof = big_n - p if reml else big_n
    sigma2 = q / dof
    nll = 0.5 * (dof * np.log(2 * np.pi * sigma2) + float(np.sum(np.log(d))) + dof)
    if reml:
        nll += 0.5 * float(
            np.linalg.slogdet(xtwx)[1]
        )  # log|XᵀV⁻¹X| = log|XᵀV*⁻¹X| − p log σ², counted in dof
    return nll, beta, sigma2


def fit_random_intercept_school(
    n: np.ndarray,
    ybar: np.ndarray,
    within_ss: float,
    x: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    reml: bool = False,
) -> tuple[Fit, np.ndarray, np.ndarray]:
    """The random-intercept fit of ``fit_random_intercept`` when every covariate is school-level, exactly.

    With covariates constant within a school the likelihood depends on the pupils only through each
    school's count ``n_j`` and mean ``ybar_j`` and the pooled within-school sum of squares
    ``W = Σ_ij (y_ij − ybar_j)²``: for V_j = σ²(I + γ·11ᵀ), γ = τ²/σ²,
    ``−2 log L = N log 2πσ² + Σ_j log(1 + n_j γ) + [W + Σ_j n_j (ybar_j − x_jᵀb)² / (1 + n_j γ)] / σ²``.
    b (weighted least squares on the school means) and σ² are profiled out and the one-dimensional
    profile in γ is maximised (grid on log γ, then bounded Brent, and the boundary γ = 0), so fitting
    a country's schools is quick instead of a MixedLM over millions of pupil rows. ``x`` has one
    row per school. Returns the fit, the EBLUPs ``τ² n/(τ² n + σ²)·(ybar − x b)`` and their
    conditional variances ``1/(1/τ² + n/σ²)`` in the order of the inputs.
    """
    from scipy.optimize import minimize_scalar

    n = np.asarray(n, dtype=float)
    ybar = np.asarray(ybar, dtype=float)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    names = list(names) if names is not None else [f"x{i}" for i in range(x.shape[1])]

    def nll(t: float) -> float:
        return _profile(float(np.exp(t)), n, ybar, within_ss, x, reml)[0]

    grid = np.linspace(-18.0, 6.0, 49)
    vals = np.array([nll(t) for t in grid])
    k = int(np.argmin(vals))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    res = minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10, "maxiter": 500})
    gamma, best = (
        (float(np.exp(res.x)), float(res.fun)) if res.fun <= vals[k] else (float(np.exp(grid[k])), vals[k])
    )
    at_zero = _profile(0.0, n, ybar, within_ss, x, reml)[0]
    if at_zero <= best:
        gamma, best = 0.0, at_zero
    _, beta, sigma2 = _profile(gamma, n, ybar, within_ss, x, reml)
    tau2 = gamma * sigma2
    resid = ybar - x @ beta
    if tau2 > 0:
        effect = tau2 * n / (tau2 * n + sigma2) * resid
        cond_var = 1.0 / (1.0 / tau2 + n / sigma2)
    else:
        effect = np.zeros_like(n)
        cond_var = np.zeros_like(n)
    fit = Fit(
        tau2=float(tau2),
        sigma2=float(sigma2),
        coefficients={k_: float(v) for k_, v in zip(names, beta, strict=True)},
        converged=bool(res.success),
        log_likelihood=-best,
        n_pupils=int(n.sum()),
        n_schools=int(len(n)),
        warnings=[] if res.success else [f"оптимизация не сошлась: {res.message}"],
    )
    return fit, effect, cond_var


def _independent(covariates: pl.DataFrame) -> tuple[list[str], list[str]]:
    """Covariates kept in order while they add rank to the centred school-level matrix."""
    kept: list[str] = []
    dropped: list[str] = []
    cols = [c for c in covariates.columns if c != "school_id"]
    if not cols or covariates.height < 2:
        return [], cols
    m = covariates.select(cols).to_numpy().astype(float)
    m = m - m.mean(axis=0)
    sd = m.std(axis=0)
    for i, c in enumerate(cols):
        if sd[i] == 0:
            dropped.append(c)
            continue
        trial = [cols.index(k) for k in kept] + [i]
        sub = m[:, trial] / sd[trial]
        if np.linalg.matrix_rank(sub, tol=1e-8 * max(1, sub.shape[0])) == len(trial):
            kept.append(c)
        else:
            dropped.append(c)
    return kept, dropped


def school_effects(
    scores: pl.DataFrame,
    covariates: pl.DataFrame,
    config: Mapping[str, Any],
    *,
    covariate_note: Mapping[str, Any] | None = None,
) -> tuple[pl.DataFrame, Fit]:
    """School effects from pupil ``z`` scores (``pupil_scores`` output) and school covariates.

    Output: ``school_id, n_pupils, effect, se, lower, upper, rank, low_value_added, evidence``
    (``rank`` 1 = lowest effect; evidence holds the interval, the caterpillar point and the
    model summary).
    """
    eff, fit, evidence = school_effects_with_evidence(
        scores, covariates, config, covariate_note=covariate_note
    )
    eff = eff.with_columns(
        pl.Series("evidence", [json.dumps(e, ensure_ascii=False) for e in evidence], dtype=pl.String)
    )
    return eff, fit


def school_effects_with_evidence(
    scores: pl.DataFrame | pl.LazyFrame,
    covariates: pl.DataFrame,
    config: Mapping[str, Any],
    *,
    covariate_note: Mapping[str, Any] | None = None,
) -> tuple[pl.DataFrame, Fit, list[dict[str, Any]]]:
    """``school_effects`` without the evidence column: the frame, the fit and the evidence as dicts (row
    order)."""
    level = float(config.get("level", 0.95))
    margin = float(config.get("margin", 0.0))
    min_pupils = int(config.get("min_pupils", 10))
    moments = school_moments(scores)
    covariates = covariates.join(moments.select("school_id"), on="school_id", how="semi")
    note = dict(covariate_note or {})
    covs, collinear = _independent(covariates)
    if collinear:
        note["kept"] = covs
        note["dropped"] = {
            **dict(note.get("dropped", {})),
            **{c: "линейно зависит от других ковариат" for c in collinear},
        }
    covariate_note = note
    # every covariate is school-level: the fit needs only school counts, means and the pooled
    # within-school sum of squares (fit_random_intercept_school), not the pupil rows
    sch = moments.join(covariates, on="school_id", how="left").sort("school_id")
    if sch.height < 2:
        raise ValueError("Недостаточно данных для модели добавленной ценности: нужно не менее двух школ")
    n = sch["n"].to_numpy().astype(float)
    xs = sch.select(covs).to_numpy().astype(float) if covs else np.empty((sch.height, 0))
    # covariates standardised over pupils (school values weighted by their pupil counts)
    mu = (n @ xs) / n.sum() if covs else np.empty(0)
    sd = np.sqrt((n @ (xs - mu) ** 2) / n.sum()) if covs else np.empty(0)
    sd[sd == 0] = 1.0
    x = np.column_stack([np.ones(sch.height), (xs - mu) / sd]) if covs else np.ones((sch.height, 1))
    fit, effect, cond_var = fit_random_intercept_school(
        n,
        sch["ybar"].to_numpy(),
        float(sch["ss"].to_numpy().sum()),
        x,
        names=["intercept", *[f"{c} (на 1 SD)" for c in covs]],
        reml=bool(config.get("reml", False)),
    )
    eff = pl.DataFrame({"group": sch["school_id"], "n": sch["n"], "effect": effect, "cond_var": cond_var})
    q = float(stats.norm.ppf(0.5 + level / 2))
    eff = eff.rename({"group": "school_id", "n": "n_pupils"}).with_columns(
        pl.col("n_pupils").cast(pl.Int64),
        pl.col("cond_var").sqrt().alias("se"),
    )
    eff = eff.with_columns(
        (pl.col("effect") - q * pl.col("se")).alias("lower"),
        (pl.col("effect") + q * pl.col("se")).alias("upper"),
        pl.col("effect").rank("ordinal").cast(pl.Int32).alias("rank"),
    ).with_columns(((pl.col("upper") < margin) & (pl.col("n_pupils") >= min_pupils)).alias("low_value_added"))
    model = fit.as_dict()
    model["covariates"] = dict(covariate_note or {"kept": covs})
    model["level"] = level
    model["margin"] = margin
    n_schools = eff.height
    evidence = [
        {
            "method": "value_added",
            "statistic": "школьный эффект (EBLUP), SD балла",
            "effect": _r(row["effect"]),
            "interval": [_r(row["lower"]), _r(row["upper"])],
            "level": level,
            "threshold": f"верхняя граница интервала < {margin}",
            "comparison_group": "все школы региона с учётом контекста",
            "n_pupils": row["n_pupils"],
            "min_pupils": min_pupils,
            "too_few_pupils": row["n_pupils"] < min_pupils,
            "caterpillar": {
                "rank": row["rank"],
                "n_schools": n_schools,
                "effect": _r(row["effect"]),
                "lower": _r(row["lower"]),
                "upper": _r(row["upper"]),
            },
            "model": model,
        }
        for row in eff.iter_rows(named=True)
    ]
    eff = eff.select("school_id", "n_pupils", "effect", "se", "lower", "upper", "rank", "low_value_added")
    return eff, fit, evidence


def estimate(inputs: Inputs, config: Mapping[str, Any], year: int | None = None) -> tuple[pl.DataFrame, Fit]:
    """School effects for ``year`` (default ``inputs.year``) pooled over the configured window."""
    year = int(inputs.year if year is None else year)
    window = int(config.get("window_years", 2))
    scores = pupil_scores(
        inputs.results,
        inputs.scales,
        years=list(range(year - window + 1, year + 1)),
        procedures=config.get("procedures") or None,
        subjects=config.get("subjects") or None,
    )
    ids = scores["school_id"].unique().sort().to_list()
    covs, note = school_covariates(
        inputs.context,
        inputs.schools,
        year,
        list(config.get("covariates", [])),
        ids,
        special_kinds=list(config.get("special_kinds", SPECIAL_KINDS)),
    )
    return school_effects(scores, covs, config, covariate_note=note)


def run(inputs: Inputs, config: Mapping[str, Any]) -> pl.DataFrame:
    """Method contract: one row per school with results in the window.

    Columns ``OUTPUT_SCHEMA``; a window without any results gives an empty frame (no model to fit).
    """
    year = int(inputs.year)
    window = list(range(year - int(config.get("window_years", 2)) + 1, year + 1))
    if inputs.results.filter(pl.col("year").cast(pl.Int32).is_in(window)).head(1).collect().height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    frame, _ = estimate(inputs, config)
    return frame


def _r(x: float | None, nd: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd)


__all__ = [
    "NAME",
    "OUTPUT_SCHEMA",
    "Fit",
    "estimate",
    "fit_random_intercept",
    "fit_random_intercept_school",
    "pupil_scores",
    "run",
    "school_covariates",
    "school_effects",
    "school_effects_with_evidence",
]
