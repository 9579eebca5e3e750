"""Names, roles, matching variables and the output schema of the effectiveness method."""

from __future__ import annotations

import math

import polars as pl

NAME = "effectiveness"

SUPPORTED = "supported"
UNMATCHED = "unmatched"
CONTROL = "control"

VARIABLES = ("pre_mean", "pre_last", "social_index", "rural", "log_pupils")
VARIABLE_LABELS = {
    "pre_mean": "средний результат до сопровождения",
    "pre_last": "результат последнего года до сопровождения",
    "social_index": "индекс социального неблагополучия",
    "rural": "сельская школа",
    "log_pupils": "размер школы (логарифм численности)",
}

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "role": pl.String(),  # supported | unmatched (supported, no control within the caliper) | control
    "pre_mean": pl.Float64(),
    "pre_last": pl.Float64(),
    "post_mean": pl.Float64(),
    "change": pl.Float64(),  # post_mean − pre_mean
    "control_change": pl.Float64(),  # supported: mean (adjusted) change of its controls
    "difference": pl.Float64(),  # supported: change − control_change
    "n_controls": pl.Int32(),  # supported: matched controls; control: times used
    "weight": pl.Float64(),  # control: its total weight in the comparison group (sums to 1)
    "exit_year": pl.Int32(),  # supported: first year off the list from start_year on
    "list_status": pl.String(),
    "evidence": pl.String(),
}


def rounded(x: float | None, nd: int = 4) -> float | None:
    """``x`` rounded to ``nd`` digits for the JSON summary; None for None and NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd)
