"""The whole analysis of one cohort, step by step: data, estimate, diagnostics, summary, rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from shnor.core.methods.effectiveness.cohort import Cohort, Fit, build_cohort, fit_matching
from shnor.core.methods.effectiveness.conclusions import conclude
from shnor.core.methods.effectiveness.diagnostics import balance, pairs_frame, regression_to_mean, trajectory
from shnor.core.methods.effectiveness.exits import exit_summary
from shnor.core.methods.effectiveness.rows import school_rows
from shnor.core.methods.effectiveness.schema import NAME, rounded


@dataclass(frozen=True)
class EffectivenessResult:
    """Everything the analysis produces; ``summary`` is JSON-ready, ``schools`` has ``OUTPUT_SCHEMA``."""

    summary: dict[str, Any]
    schools: pl.DataFrame
    pairs: pl.DataFrame  # school_id, control_id, distance, rank
    trajectory: pl.DataFrame  # year, supported_mean, control_mean, difference, n_supported, n_controls
    by_year: pl.DataFrame  # year, estimate, se, lower, upper, n_supported
    conclusions: list[str] = field(default_factory=list)

    @property
    def estimate(self) -> float | None:
        """The difference-in-differences estimate (pupil SD units)."""
        value: float | None = self.summary["estimate"]
        return value

    @property
    def interval(self) -> tuple[float | None, float | None]:
        """(lower, upper) of the estimate's interval."""
        return self.summary["lower"], self.summary["upper"]


def _matching_summary(fit: Fit, config: Mapping[str, Any]) -> dict[str, Any]:
    """The matching settings as used, with the variables kept and dropped."""
    mc = dict(config.get("matching", {}))
    return {
        "method": str(mc.get("method", "nearest")),
        "k": int(mc.get("k", 3)),
        "caliper": float(mc.get("caliper", 0.5)),
        "distance": fit.matches.scale_note,
        "variables": fit.matches.variables,
        "dropped_variables": fit.matches.dropped,
        "bias_adjustment": fit.bias,
    }


def _summary(
    cohort: Cohort,
    fit: Fit,
    config: Mapping[str, Any],
    diagnostics: Mapping[str, Any],
    trajectory_frame: pl.DataFrame,
    by_year: pl.DataFrame,
) -> dict[str, Any]:
    """The JSON-ready summary of the cohort (without the conclusions, which are drawn from it)."""
    start_year, est, unmatched_ids = cohort.start_year, fit.est, fit.unmatched_ids
    return {
        "method": NAME,
        "statistic": "разность разностей средних стандартизованных результатов (SD балла ученика)",
        "start_year": start_year,
        "pre_years": list(range(start_year - cohort.pre_years, start_year)),
        "post_years": cohort.post_years,
        "estimate": rounded(est.estimate),
        "se": rounded(fit.se),
        "lower": rounded(fit.lower),
        "upper": rounded(fit.upper),
        "level": fit.level,
        "inference": fit.inference,
        "bootstrap_samples": fit.n_boot,
        "n_supported": len(cohort.supported),
        "n_matched": est.n_supported,
        "n_unmatched": len(unmatched_ids),
        "unmatched": unmatched_ids,
        "no_data": cohort.no_data,
        "n_controls": est.n_controls,
        "n_pool": cohort.pool.height,
        "matching": _matching_summary(fit, config),
        "balance": diagnostics["balance"],
        "unbalanced": diagnostics["unbalanced"],
        "regression_to_mean": diagnostics["regression_to_mean"],
        "exits": diagnostics["exits"],
        "trajectory": trajectory_frame.to_dicts(),
        "by_year": by_year.to_dicts(),
        "version": config.get("version"),
    }


def evaluate(
    outcomes: pl.DataFrame,
    supported: Sequence[str],
    start_year: int,
    config: Mapping[str, Any],
    *,
    schools: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
    history: pl.DataFrame | None = None,
    exclude: Sequence[str] = (),
    end_year: int | None = None,
) -> EffectivenessResult:
    """The whole analysis from school-year outcomes (``school_outcomes`` output).

    ``supported``: schools supported from ``start_year``; ``exclude``: schools that may not serve
    as controls (supported in other cohorts or by other programmes); ``history``: list membership
    (``year, school_id, in_list``) for exits; ``end_year``: last post year (default: the last year
    in ``outcomes``).
    """
    cohort = build_cohort(
        outcomes,
        supported,
        start_year,
        config,
        schools=schools,
        social=social,
        exclude=exclude,
        end_year=end_year,
    )
    fit = fit_matching(cohort, config)
    pairs = pairs_frame(fit)
    bal, unbalanced = balance(fit, config)
    trajectory_frame, by_year = trajectory(outcomes, cohort, fit)
    rtm = regression_to_mean(cohort, config, fit.level)
    exits, exits_summary = exit_summary(history, fit.t_ids + cohort.no_data, cohort.supported, start_year)
    diagnostics = {
        "balance": bal,
        "unbalanced": unbalanced,
        "regression_to_mean": rtm,
        "exits": exits_summary,
    }
    summary = _summary(cohort, fit, config, diagnostics, trajectory_frame, by_year)
    conclusions = conclude(summary)
    summary["conclusions"] = conclusions
    frame = school_rows(outcomes, cohort, fit, pairs, exits)
    return EffectivenessResult(summary, frame, pairs, trajectory_frame, by_year, conclusions)
