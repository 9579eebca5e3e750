"""Effectiveness of support: difference in differences against matched unsupported schools.

The outcome is a school's mean standardised result per year (``school_outcomes``). For a cohort
of schools supported from ``start_year`` the change ``Δ = mean(post years) − mean(pre years)`` of
each supported school is compared with the change of its k most similar unsupported schools
(``match_controls``: nearest neighbours on pre-period results and context, or on the propensity
score, with a caliper; with replacement). The controls' changes are optionally regression-adjusted
for what matching left over (Abadie–Imbens bias adjustment). The effect is the mean difference
over the matched supported schools, with a cluster-by-school interval (paired variance plus the
covariance from controls used more than once) or a bootstrap over schools.

Alongside: the trajectories of both groups (a chart of parallel pre-trends), the effect per post
year, regression to the mean estimated from unsupported schools near the selection cut, exits
from the list, covariate balance, and plain-language Russian conclusions that say what the
comparison can and cannot show. Pure functions: no Django, no file I/O.

The package: ``schema`` (names, roles, output schema), ``features`` (outcomes and matching
variables), ``matching``, ``did`` (the estimate and its intervals), ``cohort`` (the data and the
fit of one cohort), ``diagnostics`` (pairs, balance, trajectories, regression to the mean),
``exits``, ``conclusions``, ``rows`` (per-school rows) and ``analysis`` (``evaluate``, the steps in
order). This module is the method: ``estimate`` and the contract's ``run``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.methods.effectiveness.analysis import EffectivenessResult, evaluate
from shnor.core.methods.effectiveness.conclusions import conclude
from shnor.core.methods.effectiveness.did import Estimate, did_estimate
from shnor.core.methods.effectiveness.exits import list_exits
from shnor.core.methods.effectiveness.features import school_features, school_outcomes
from shnor.core.methods.effectiveness.matching import Matches, match_controls
from shnor.core.methods.effectiveness.schema import (
    CONTROL,
    NAME,
    OUTPUT_SCHEMA,
    SUPPORTED,
    UNMATCHED,
    VARIABLE_LABELS,
    VARIABLES,
)


def estimate(
    inputs: Inputs,
    config: Mapping[str, Any],
    *,
    supported: Sequence[str],
    start_year: int,
    history: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
    exclude: Sequence[str] = (),
    social_index_config: Mapping[str, Any] | None = None,
) -> EffectivenessResult:
    """The analysis for schools supported from ``start_year`` up to ``inputs.year``.

    Outcomes come from ``inputs.results`` (configured procedures and subjects); ``social`` is the
    social index of the last pre year (computed from ``inputs.context`` with ``social_index_config``
    or the shipped defaults when omitted).
    """
    from shnor.core.config import default_config
    from shnor.core.methods import social_index

    pre_years = int(config.get("pre_years", 2))
    outcomes = school_outcomes(
        inputs.results,
        inputs.scales,
        years=list(range(start_year - pre_years, int(inputs.year) + 1)),
        procedures=config.get("procedures") or None,
        subjects=config.get("subjects") or None,
        min_pupils=int(config.get("min_pupils", 1)),
    )
    if social is None and inputs.context.height:
        social = social_index.compute(
            inputs.context,
            inputs.schools,
            start_year - 1,
            social_index_config or default_config()["social_index"],
        )
    return evaluate(
        outcomes,
        supported,
        start_year,
        config,
        schools=inputs.schools,
        social=social,
        history=history,
        exclude=exclude,
        end_year=int(inputs.year),
    )


def run(
    inputs: Inputs,
    config: Mapping[str, Any],
    *,
    supported: Sequence[str],
    start_year: int,
    history: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
    exclude: Sequence[str] = (),
) -> pl.DataFrame:
    """Method contract: per-school rows (``OUTPUT_SCHEMA``): supported, unmatched and control schools.

    The cohort summary (estimate, interval, conclusions) is in ``estimate(...).summary``.
    """
    return estimate(
        inputs,
        config,
        supported=supported,
        start_year=start_year,
        history=history,
        social=social,
        exclude=exclude,
    ).schools


__all__ = [
    "CONTROL",
    "NAME",
    "OUTPUT_SCHEMA",
    "SUPPORTED",
    "UNMATCHED",
    "VARIABLES",
    "VARIABLE_LABELS",
    "EffectivenessResult",
    "Estimate",
    "Matches",
    "conclude",
    "did_estimate",
    "estimate",
    "evaluate",
    "list_exits",
    "match_controls",
    "run",
    "school_features",
    "school_outcomes",
]
