"""Canonical frame schemas shared by ingest, the warehouse, the demo generator and the methods.

Every pupil-level result, whatever layout it came from, becomes one row of RESULTS.
Task scores are kept as a list aligned with the task order of TASKS for the same
(procedure, year, subject, grade); a task the pupil did not attempt scores 0 and is
marked in ``not_attempted``.
"""

from __future__ import annotations

import polars as pl

from shnor.core.labels import SUBJECT_NAMES

PROCEDURES = ("vpr", "oge", "ege", "rdr")

#: Subject codes and their names (the labels live in core.labels).
SUBJECTS: dict[str, str] = SUBJECT_NAMES

#: One row per pupil per procedure (absent pupils included, flagged ``absent``).
RESULTS: dict[str, pl.DataType] = {
    "batch_id": pl.String(),
    "procedure": pl.String(),  # vpr | oge | ege | rdr
    "year": pl.Int16(),
    "subject": pl.String(),  # code from SUBJECTS
    "grade": pl.Int8(),
    "school_id": pl.String(),  # ФИС ОКО login, e.g. sch220206
    "class_name": pl.String(),  # as written by the school, may be null
    "pupil_key": pl.String(),  # keyed hash of (school_id, pupil code): never the code itself
    "gender": pl.String(),  # м | ж | null
    "variant": pl.String(),
    "absent": pl.Boolean(),
    "journal_mark": pl.Int8(),  # school's own mark for the previous term, 2..5 or null
    "primary_score": pl.Int16(),  # null when absent
    "mark": pl.Int8(),  # 2..5 by the scale, null when absent or no scale known
    "test_score": pl.Int16(),  # ЕГЭ test score 0..100, else null
    "below_min": pl.Boolean(),  # ГИА: below the minimum threshold, else null
    "task_scores": pl.List(pl.Int8()),  # aligned with TASKS.task_no; null when absent
    "not_attempted": pl.List(pl.Boolean()),  # same length as task_scores
    "source_row": pl.Int32(),  # row number in the source file (1-based, as a spreadsheet shows it)
}

#: Task structure of one procedure: one row per scored position.
TASKS: dict[str, pl.DataType] = {
    "procedure": pl.String(),
    "year": pl.Int16(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "task_no": pl.Int16(),  # 1-based position in task_scores
    "task_label": pl.String(),  # as printed on the test: "5(1)", "9.2", "12"
    "max_points": pl.Int8(),
    "level": pl.String(),  # Б | П | В | null
    "skill": pl.String(),  # умения, виды деятельности (may be null)
    "kes": pl.String(),  # код КЭС (may be null)
    "kt": pl.String(),  # код КТ (may be null)
}

#: Mark scale: primary score >= min_3 gives «3», >= min_4 «4», >= min_5 «5».
SCALES: dict[str, pl.DataType] = {
    "procedure": pl.String(),
    "year": pl.Int16(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "max_score": pl.Int16(),
    "min_3": pl.Int16(),
    "min_4": pl.Int16(),
    "min_5": pl.Int16(),
}

#: Registry of schools as the methods see it.
SCHOOLS: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "name": pl.String(),
    "municipality_id": pl.String(),
    "municipality": pl.String(),
    "region_id": pl.String(),
    "region": pl.String(),
    "kind": pl.String(),
    "locality": pl.String(),  # город | село
    "pupils": pl.Int32(),
    "is_small": pl.Boolean(),
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "website": pl.String(),
    "in_registry": pl.Boolean(),  # False for schools created from an assessment file
}

#: Yearly context indicators (shares in 0..1, flags as booleans); any subset may be present.
CONTEXT_SHARES = (
    "share_registered",
    "share_low_russian",
    "share_unattested",
    "share_truancy",
    "share_disabled",
    "share_low_income",
    "share_parents_higher_ed",
    "share_single_parent",
)
CONTEXT_FLAGS = ("is_remote", "is_small", "infrastructure_deficit", "internet_deficit", "staff_shortage")
CONTEXT: dict[str, pl.DataType] = {
    "year": pl.Int16(),
    "school_id": pl.String(),
    **{c: pl.Float64() for c in CONTEXT_SHARES},
    **{c: pl.Boolean() for c in CONTEXT_FLAGS},
}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with the given schema."""
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Add missing columns as nulls, cast to the schema's types and order columns as the schema does."""
    cols = []
    for name, dtype in schema.items():
        if name in frame.columns:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(cols)
