"""School outcomes per year and the pre-period features the matching compares."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from shnor.core.methods.effectiveness.schema import VARIABLES


def school_outcomes(
    results: pl.LazyFrame | pl.DataFrame,
    scales: pl.DataFrame | None = None,
    *,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
    min_pupils: int = 1,
) -> pl.DataFrame:
    """``school_id, year, outcome, n_pupils``: mean standardised pupil result per school and year."""
    from shnor.core.methods.value_added import pupil_scores

    scores = pupil_scores(results, scales, years=years, procedures=procedures, subjects=subjects)
    return (
        scores.filter(pl.col("z").is_not_null())
        .group_by("school_id", "year")
        .agg(pl.col("z").mean().alias("outcome"), pl.len().cast(pl.Int64).alias("n_pupils"))
        .filter(pl.col("n_pupils") >= min_pupils)
        .with_columns(pl.col("year").cast(pl.Int32))
        .sort("school_id", "year")
    )


def school_features(
    outcomes: pl.DataFrame,
    start_year: int,
    pre_years: int,
    *,
    schools: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``school_id, pre_mean, pre_last, n_pre_years, social_index, rural, log_pupils``.

    Only schools with an outcome in the last pre year (``start_year − 1``) are kept.
    """
    pre = outcomes.filter(pl.col("year").is_between(start_year - pre_years, start_year - 1))
    feats = pre.group_by("school_id").agg(
        pl.col("outcome").mean().alias("pre_mean"),
        pl.col("outcome").filter(pl.col("year") == start_year - 1).first().alias("pre_last"),
        pl.len().cast(pl.Int32).alias("n_pre_years"),
    )
    feats = feats.filter(pl.col("pre_last").is_not_null())
    if schools is not None and schools.height:
        reg = schools.select(
            pl.col("school_id").cast(pl.String),
            (pl.col("locality").str.strip_chars().str.to_lowercase() == "село")
            .cast(pl.Float64)
            .alias("rural"),
            pl.col("pupils").cast(pl.Float64).clip(1).log().alias("log_pupils"),
        ).unique("school_id", keep="first")
        feats = feats.join(reg, on="school_id", how="left")
    else:
        feats = feats.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in ("rural", "log_pupils"))
    if social is not None and social.height:
        feats = feats.join(
            social.select(
                pl.col("school_id").cast(pl.String), pl.col("index").cast(pl.Float64).alias("social_index")
            ),
            on="school_id",
            how="left",
        )
    else:
        feats = feats.with_columns(pl.lit(None, dtype=pl.Float64).alias("social_index"))
    return feats.select("school_id", "pre_mean", "pre_last", "n_pre_years", *VARIABLES[2:]).sort("school_id")


def feature_matrix(frame: pl.DataFrame, variables: Sequence[str]) -> np.ndarray:
    """The ``variables`` columns of ``frame`` as a float matrix (rows × variables; NaN = missing)."""
    if not variables:
        return np.zeros((frame.height, 0))
    return np.column_stack(
        [frame[v].cast(pl.Float64).fill_nan(None).to_numpy().astype(float) for v in variables]
    )
