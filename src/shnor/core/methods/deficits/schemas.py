"""Names, labels and output column schemas of the deficits method."""

from __future__ import annotations

import polars as pl

NAME = "deficits"

DIMENSIONS = ("task", "level", "skill", "kes", "kt")
UNITS = ("class", "school", "municipality", "region")
KEYS = ["procedure", "year", "subject", "grade"]
LEVEL_LABELS = {"Б": "базовый", "П": "повышенный", "В": "высокий"}
DIMENSION_LABELS = {"task": "Задание", "level": "Уровень", "skill": "Умение", "kes": "КЭС", "kt": "КТ"}
STATUSES = ("deficit", "possible", "ok", "insufficient", "no_comparison")
NO_CLASS = "—"

#: Columns of ``success``.
SUCCESS_SCHEMA: dict[str, pl.DataType] = {
    "procedure": pl.String(),
    "year": pl.Int16(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "unit": pl.String(),  # class | school | municipality | region
    "region": pl.String(),
    "municipality_id": pl.String(),
    "school_id": pl.String(),
    "class_name": pl.String(),
    "dimension": pl.String(),
    "element": pl.String(),
    "element_label": pl.String(),
    "element_order": pl.Int32(),
    "levels": pl.String(),
    "tasks": pl.String(),
    "max_points": pl.Int32(),
    "n_pupils": pl.Int64(),
    "n_schools": pl.Int64(),
    "success": pl.Float64(),
    "sd": pl.Float64(),
    "lower": pl.Float64(),
    "upper": pl.Float64(),
}

#: Columns of ``deficit_table`` (every school/class × element, with its verdict).
TABLE_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int16(),
    "procedure": pl.String(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "unit": pl.String(),  # school | class
    "school_id": pl.String(),
    "class_name": pl.String(),
    "municipality_id": pl.String(),
    "dimension": pl.String(),
    "element": pl.String(),
    "element_label": pl.String(),
    "element_order": pl.Int32(),
    "levels": pl.String(),
    "tasks": pl.String(),
    "skills": pl.String(),
    "kes_codes": pl.String(),
    "max_points": pl.Int32(),
    "n_pupils": pl.Int64(),
    "success": pl.Float64(),
    "sd": pl.Float64(),
    "lower": pl.Float64(),
    "upper": pl.Float64(),
    "comparison_kind": pl.String(),  # cluster | municipality | region
    "comparison_key": pl.String(),
    "comparison_success": pl.Float64(),
    "comparison_n_pupils": pl.Int64(),
    "comparison_n_schools": pl.Int64(),
    "gap": pl.Float64(),
    "z": pl.Float64(),
    "threshold_target": pl.Float64(),
    "threshold_min": pl.Float64(),
    "relative_deficit": pl.Boolean(),
    "absolute_status": pl.String(),  # mastered | borderline | not_mastered
    "deficit": pl.Boolean(),
    "status": pl.String(),  # see STATUSES
}

#: Columns of ``run`` (one row per deficit: school or class × element).
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    **{k: v for k, v in TABLE_SCHEMA.items() if k not in ("deficit", "status")},
    "topic": pl.String(),
    "recommendation_ids": pl.String(),
    "persists_grade": pl.Boolean(),
    "persists_cohort": pl.Boolean(),
    "evidence": pl.String(),
}

#: Columns of ``pupils_at_risk``.
RISK_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int16(),
    "procedure": pl.String(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "school_id": pl.String(),
    "class_name": pl.String(),
    "pupil_key": pl.String(),
    "primary_score": pl.Int16(),
    "mark": pl.Int8(),
    "basic_share": pl.Float64(),
    "reasons": pl.String(),  # ";"-joined: mark2, near_threshold, low_basic
    "weakest": pl.String(),  # "; "-joined labels of the weakest elements
    "weakest_elements": pl.String(),  # JSON: [{element, label, share, region}]
}

REASON_LABELS = {
    "mark2": "отметка «2»",
    "near_threshold": "на границе «2»/«3»",
    "low_basic": "не освоен базовый уровень",
}
