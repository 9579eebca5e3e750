"""Learning deficits by task, level, skill, КЭС and КТ, with targeted recommendations.

Everything starts from pupil-level ВПР (and other) results: ``task_scores`` (aligned with
``task_no``) is read against the task structure, which maps every task onto the groupings
("elements") of each *dimension*: the task itself, its level (Б/П/В), its skill (умение), each of
its КЭС and КТ codes (a task listing "1; 2; 4" counts fully towards each code). For every pupil
and element the pupil's *share* = points / maximum points of the element's tasks. Pupils are the
units of analysis:

* success of a class, school, municipality or region = mean of its pupils' shares (= points /
  maximum points, since every pupil of a test has the same tasks);
* the school's (class's) interval is computed from the pupil shares (Wilson with an effective
  number of observations, or t; see ``defaults/deficits.toml``).

Aggregation is additive: the one pass over pupils produces per-class sums (n, Σs, Σs²) from
which schools, municipalities, regions and leave-one-out comparison groups are rolled up. The
pupil-level work runs one test at a time, without exploding: a pupils × tasks Int8 matrix times
the tasks × elements incidence matrix gives every pupil's points per element; class sums are
sparse products (exact integers). The original explode → join → group-by path is kept behind the
private ``_REFERENCE`` flag, and the tests require both to agree.

A *deficit* is an element whose success is significantly below the comparison group (similar
schools: the same cluster, else the region; the school itself left out), by at least a minimum
gap; or, as options, below FIOKO-style absolute thresholds. Deficits are tracked across years
(same grade) and cohorts (grade g−1 in year Y−1 → grade g in Y). Pupils at risk of failure in
each class are listed by pseudonymous ``pupil_key`` with their weakest skills. Recommendations
from the configurable library (``shnor.core.recommendations``) are attached to every deficit.

Pure functions over frames; no Django, no file I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from shnor.core.methods.base import Inputs
from shnor.core.recommendations import Library, attach, shipped_library
from shnor.core.store import schema

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


# ---------------------------------------------------------------------------------------------
# configuration helpers


def _section(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The method's settings: shipped defaults with ``config`` merged over them (missing keys → defaults)."""
    from shnor.core.config import default_config

    base = default_config()[NAME]
    if not config:
        return base
    merged = dict(base)
    for key, value in config.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _lazy(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def _parse_unit(text: str) -> tuple[str, str, int]:
    procedure, subject, grade = text.split(":")
    return procedure, subject, int(grade)


# ---------------------------------------------------------------------------------------------
# task structure → elements

_HYPHEN_BREAK = re.compile(r"(\w)-\s+(\w)")
_SPACES = re.compile(r"\s+")


def normalise_skill(text: str | None) -> str | None:
    """Skill wording as one key: hyphenation breaks joined ("арифмети- ческие"), spaces collapsed, final dot dropped."""
    if text is None:
        return None
    t = _HYPHEN_BREAK.sub(r"\1\2", text)
    t = _SPACES.sub(" ", t).strip().rstrip(".").strip()
    return t or None


def _codes(col: str) -> pl.Expr:
    """';'-separated codes as a clean list (empty and blank items dropped)."""
    return (
        pl.col(col)
        .fill_null("")
        .str.split(";")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def element_map(tasks: pl.DataFrame, dimensions: Sequence[str] = DIMENSIONS) -> pl.DataFrame:
    """One row per (test, task, element): which elements of each dimension a task belongs to.

    Columns: KEYS, task_no, task_label, max_points, level, skill (normalised), kes_list,
    dimension, element, element_label, element_order.
    """
    unknown = [d for d in dimensions if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"неизвестное измерение {unknown[0]!r}; допустимы {', '.join(DIMENSIONS)}")
    t = schema.conform(tasks, schema.TASKS).with_columns(
        pl.col("task_label").fill_null(pl.col("task_no").cast(pl.String)),
        pl.col("skill").map_elements(normalise_skill, return_dtype=pl.String),
        pl.col("level").str.strip_chars().str.to_uppercase().replace({"": None}),
        _codes("kes").alias("kes_list"),
        _codes("kt").alias("kt_list"),
    )
    base = [*KEYS, "task_no", "task_label", "max_points", "level", "skill", "kes_list"]
    parts = []
    for dim in dimensions:
        if dim == "task":
            part = t.select(
                *base,
                pl.col("task_label").alias("element"),
                ("Задание " + pl.col("task_label")).alias("element_label"),
                pl.col("task_no").cast(pl.Int32).alias("element_order"),
            )
        elif dim == "level":
            part = t.filter(pl.col("level").is_not_null()).select(
                *base,
                pl.col("level").alias("element"),
                ("Задания уровня " + pl.col("level")).alias("element_label"),
                pl.col("level")
                .replace_strict({"Б": 1, "П": 2, "В": 3}, default=9, return_dtype=pl.Int32)
                .alias("element_order"),
            )
        elif dim == "skill":
            part = t.filter(pl.col("skill").is_not_null()).select(
                *base,
                pl.col("skill").alias("element"),
                pl.col("skill").alias("element_label"),
                pl.col("task_no").cast(pl.Int32).alias("element_order"),
            )
        else:
            listcol = "kes_list" if dim == "kes" else "kt_list"
            prefix = "КЭС " if dim == "kes" else "КТ "
            part = (
                t.select(*base, pl.col(listcol).alias("element"))
                .explode("element")
                .filter(pl.col("element").is_not_null())
                .with_columns(
                    (prefix + pl.col("element")).alias("element_label"),
                    pl.lit(0, dtype=pl.Int32).alias("element_order"),
                )
            )
        parts.append(part.with_columns(pl.lit(dim).alias("dimension")))
    if not parts:
        return pl.DataFrame()
    out = pl.concat(parts, how="vertical_relaxed")
    # order of a skill = its first task; of a code = its first task too (codes sorted as text otherwise)
    return out.with_columns(
        pl.when(pl.col("dimension").is_in(["skill", "kes", "kt"]))
        .then(pl.col("task_no").cast(pl.Int32).min().over([*KEYS, "dimension", "element"]))
        .otherwise(pl.col("element_order"))
        .alias("element_order")
    ).unique(subset=[*KEYS, "task_no", "dimension", "element"], keep="first", maintain_order=True)


def _thresholds(section: Mapping[str, Any]) -> tuple[pl.Expr, pl.Expr]:
    a = section["absolute"]
    basic = pl.col("level").fill_null("Б") == "Б"
    target = pl.when(basic).then(float(a["basic_target"])).otherwise(float(a["advanced_target"]))
    low = pl.when(basic).then(float(a["basic_min"])).otherwise(float(a["advanced_min"]))
    return target, low


def element_info(emap: pl.DataFrame, section: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """One row per (test, dimension, element): label, order, levels, tasks, skills, КЭС codes, maximum, thresholds."""
    sec = _section(section)
    target, low = _thresholds(sec)
    w = pl.col("max_points").cast(pl.Float64)
    lv = pl.col("level")
    return (
        emap.with_columns((target * w).alias("_tw"), (low * w).alias("_lw"))
        .group_by([*KEYS, "dimension", "element"], maintain_order=True)
        .agg(
            pl.col("element_label").first(),
            pl.col("element_order").min(),
            pl.concat_str(
                [
                    pl.when((lv == "Б").any()).then(pl.lit("Б")),
                    pl.when((lv == "П").any()).then(pl.lit("П")),
                    pl.when((lv == "В").any()).then(pl.lit("В")),
                ],
                separator="/",
                ignore_nulls=True,
            ).alias("levels"),
            pl.col("task_label").str.join(", ").alias("tasks"),
            pl.col("skill").drop_nulls().unique(maintain_order=True).str.join(" | ").alias("skills"),
            pl.col("kes_list")
            .explode()
            .drop_nulls()
            .unique(maintain_order=True)
            .str.join(";")
            .alias("kes_codes"),
            pl.col("max_points").cast(pl.Int32).sum().alias("max_points"),
            (pl.col("_tw").sum() / w.sum()).alias("threshold_target"),
            (pl.col("_lw").sum() / w.sum()).alias("threshold_min"),
        )
        .with_columns(
            pl.col("levels").replace({"": None}),
            pl.col("skills").replace({"": None}),
            pl.col("kes_codes").replace({"": None}),
        )
    )


# ---------------------------------------------------------------------------------------------
# pupil level


def class_key() -> pl.Expr:
    """Class name as a grouping key: trimmed, upper-case; empty / «нет» → null."""
    c = pl.col("class_name").str.strip_chars().str.to_uppercase()
    return (
        pl.when(c.is_null() | c.is_in(["", "НЕТ", "-", "—", "0"])).then(None).otherwise(c).alias("class_name")
    )


def _present(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None,
    procedures: Sequence[str] = (),
    school_ids: Sequence[str] | None = None,
    test: Sequence[Any] | None = None,
    extra: Sequence[str] = (),
) -> pl.LazyFrame:
    """Present pupils with a full task-score list of a test whose structure is known.

    ``test`` (procedure, year, subject, grade) restricts the scan to one test (pushed down to the
    Parquet scan); ``extra`` replaces the default columns after the keys (task_scores always last).
    """
    lf = _lazy(results)
    cond = ~pl.col("absent").fill_null(False) & pl.col("task_scores").is_not_null()
    if test is not None:
        for k, v in zip(KEYS, test, strict=True):
            cond &= pl.col(k) == v
    if year is not None:
        years = [year] if isinstance(year, int) else list(year)
        cond &= pl.col("year").is_in(years)
    if procedures:
        unit_cond = pl.lit(False)
        for text in procedures:
            p, s, g = _parse_unit(text)
            unit_cond |= (pl.col("procedure") == p) & (pl.col("subject") == s) & (pl.col("grade") == g)
        cond &= unit_cond
    if school_ids is not None:
        cond &= pl.col("school_id").is_in(list(school_ids))
    n_tasks = (
        schema.conform(tasks, schema.TASKS)
        .group_by(KEYS)
        .agg(pl.col("task_no").max().cast(pl.UInt32).alias("_n_tasks"))
    )
    cols = extra or ("school_id", "class_name", "pupil_key", "primary_score", "mark")
    pupils = (
        lf.filter(cond)
        .select(*KEYS, *(class_key() if c == "class_name" else pl.col(c) for c in cols), "task_scores")
        .with_columns(*(pl.col(k).cast(schema.RESULTS[k]) for k in KEYS))
    )
    if test is not None:  # one test: its task count is a number (a join on the keys cost 0.13 s a test)
        n = n_tasks.filter(*(pl.col(k) == v for k, v in zip(KEYS, test, strict=True)))["_n_tasks"]
        if n.len() == 0:
            return pupils.head(0)
        return pupils.filter(pl.col("task_scores").list.len() == int(n[0]))
    return (
        pupils.join(n_tasks.lazy(), on=KEYS, how="inner")
        .filter(pl.col("task_scores").list.len() == pl.col("_n_tasks"))
        .drop("_n_tasks")
    )


def _integer_core_ref(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None,
    dimensions: Sequence[str],
    procedures: Sequence[str],
    school_ids: Sequence[str] | None,
    keep_pupil: bool,
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.DataFrame]:
    """(pupils with integer ids, lazy (_pupil, _eid, points, max_points), elements _eid → KEYS, dimension, element).

    The heavy group-by runs on integer keys only (pupil row number and element id); strings are
    joined back on the small results.
    """
    emap = element_map(tasks, dimensions)
    elements = (
        emap.select(*KEYS, "dimension", "element")
        .unique(maintain_order=True)
        .with_row_index("_eid")
        .with_columns(pl.col("_eid").cast(pl.UInt32))
    )
    units = elements.select(KEYS).unique(maintain_order=True).with_row_index("_unit")
    link = (
        emap.join(elements, on=[*KEYS, "dimension", "element"])
        .join(units, on=KEYS)
        .select("_unit", pl.col("task_no").cast(pl.Int16), "_eid", pl.col("max_points").cast(pl.Int32))
    )
    cols = ["_pupil", "_unit", *KEYS, "school_id", "class_name"] + (["pupil_key"] if keep_pupil else [])
    pupils = (
        _present(results, tasks, year=year, procedures=procedures, school_ids=school_ids)
        .join(units.lazy(), on=KEYS, how="inner")
        .with_row_index("_pupil")
        .select(*cols, "task_scores")
        # materialised once: the row index must mean the same pupil in every query that uses it
        .collect()
    )
    shares = (
        pupils.lazy()
        .select("_pupil", "_unit", "task_scores")
        .with_columns(pl.int_ranges(1, pl.col("task_scores").list.len() + 1, dtype=pl.Int16).alias("task_no"))
        .explode("task_scores", "task_no")
        .join(link.lazy(), on=["_unit", "task_no"], how="inner")
        .group_by("_pupil", "_eid")
        .agg(
            pl.col("task_scores").cast(pl.Int32).sum().alias("points"),
            pl.col("max_points").sum().alias("max_points"),
        )
    )
    return pupils.drop("task_scores").lazy(), shares, elements


def pupil_shares(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    procedures: Sequence[str] = (),
    school_ids: Sequence[str] | None = None,
    keep_pupil: bool = False,
) -> pl.LazyFrame:
    """Lazy (pupil × element) shares: KEYS, school_id, class_name, [pupil_key], dimension, element, share.

    The pupil-level core: explode ``task_scores`` with ``task_no``, join the element map, sum
    points and maxima per pupil and element. Absent pupils and rows whose list length differs from
    the task structure are left out.
    """
    if not _REFERENCE:
        return _pupil_shares_fast(
            results,
            tasks,
            year=year,
            dimensions=dimensions,
            procedures=procedures,
            school_ids=school_ids,
            keep_pupil=keep_pupil,
        )
    pupils, shares, elements = _integer_core_ref(
        results,
        tasks,
        year=year,
        dimensions=dimensions,
        procedures=procedures,
        school_ids=school_ids,
        keep_pupil=keep_pupil,
    )
    return (
        shares.join(pupils.drop("_unit", *KEYS), on="_pupil")
        .join(elements.lazy(), on="_eid")
        .with_columns((pl.col("points") / pl.col("max_points")).alias("share"))
        .drop("_pupil", "_eid")
    )


def class_sums(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    procedures: Sequence[str] = (),
) -> pl.DataFrame:
    """Additive per-class sums of pupil shares: KEYS, school_id, class_name, dimension, element, n, s1, s2."""
    if not _REFERENCE:
        return _class_sums_fast(results, tasks, year=year, dimensions=dimensions, procedures=procedures)
    pupils, shares, elements = _integer_core_ref(
        results,
        tasks,
        year=year,
        dimensions=dimensions,
        procedures=procedures,
        school_ids=None,
        keep_pupil=False,
    )
    ids = pupils.collect().with_columns(
        pl.struct("_unit", "school_id", "class_name").rank("dense").cast(pl.UInt32).alias("_cls")
    )
    cls = ids.select("_cls", *KEYS, "school_id", "class_name").unique(subset="_cls")
    sums = (
        shares.join(ids.lazy().select("_pupil", "_cls"), on="_pupil")
        # integer sums are exact and independent of the summation order (deterministic results)
        .group_by("_cls", "_eid")
        .agg(
            pl.len().cast(pl.Int64).alias("n"),
            pl.col("points").cast(pl.Int64).sum().alias("_p1"),
            (pl.col("points").cast(pl.Int64) ** 2).sum().alias("_p2"),
            pl.col("max_points").first().cast(pl.Float64).alias("_m"),
        )
        .with_columns(
            (pl.col("_p1") / pl.col("_m")).alias("s1"), (pl.col("_p2") / pl.col("_m") ** 2).alias("s2")
        )
        .collect(engine="streaming")
    )
    return (
        sums.join(cls, on="_cls")
        .join(elements.drop(KEYS), on="_eid")
        .select(*KEYS, "school_id", "class_name", "dimension", "element", "n", "s1", "s2")
        .sort(*KEYS, "school_id", "class_name", "dimension", "element", nulls_last=True)
    )


# The pupil-level core, one test at a time: the test's pupils are read (only the needed columns,
# the scan filtered on the test's keys), ``task_scores`` becomes a pupils × tasks matrix and one
# matrix product with the tasks × elements incidence matrix gives every pupil's points per element.
# Nothing of size pupils × tasks or pupils × elements outlives a chunk of ``_CHUNK`` pupils except
# where the caller asks for pupil rows. ``_REFERENCE = True`` switches back to the original
# explode → join → group-by path (kept to check that both give identical results).

_REFERENCE = False
_CHUNK = 262_144


class _Block:
    """One test: its pupils (frame), elements (frame, E rows), incidence matrix (tasks × E), maxima (E)."""

    def __init__(
        self,
        key: tuple[Any, ...],
        pupils: pl.DataFrame,
        scores: np.ndarray,
        elements: pl.DataFrame,
        weights: np.ndarray,
        maxima: np.ndarray,
    ) -> None:
        self.key = key
        self.pupils = pupils
        self.scores = scores  # pupils × tasks, int8 (missing items → 0, as the sum of the explode path)
        self.elements = elements
        self.weights = weights  # tasks × E, float32 0/1
        self.maxima = maxima  # E, int64

    def points(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Points per pupil × element (int64; float32 products of small integers are exact)."""
        return np.rint(self.scores[rows].astype(np.float32) @ self.weights).astype(np.int64)


def _blocks(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None,
    dimensions: Sequence[str],
    procedures: Sequence[str],
    school_ids: Sequence[str] | None,
    columns: Sequence[str],
) -> Any:
    """Yield a ``_Block`` per test of the task structure that has present pupils (lazily, one at a time)."""
    emap = element_map(tasks, dimensions)
    if emap.height == 0:
        return
    years = None if year is None else ([year] if isinstance(year, int) else [int(y) for y in year])
    units = emap.select(KEYS).unique(maintain_order=True)
    if years is not None:
        units = units.filter(pl.col("year").is_in(years))
    for key in units.iter_rows():
        em = emap.filter(*(pl.col(k) == v for k, v in zip(KEYS, key, strict=True)))
        elements = em.select("dimension", "element").unique(maintain_order=True).with_row_index("_eid")
        link = em.join(elements, on=["dimension", "element"]).select(
            pl.col("task_no").cast(pl.Int64),
            pl.col("_eid").cast(pl.Int64),
            pl.col("max_points").cast(pl.Int64),
        )
        frame = _present(
            results, tasks, year=year, procedures=procedures, school_ids=school_ids, test=key, extra=columns
        ).collect()
        if frame.height == 0:
            continue
        n_tasks = int(frame["task_scores"].list.len()[0])
        scores = (  # a fixed-width array read by numpy (a column per task took 0.08 s a test)
            frame["task_scores"].list.eval(pl.element().fill_null(0)).list.to_array(n_tasks)
            .to_numpy().astype(np.int8, copy=False).reshape(frame.height, n_tasks)
        )
        frame = frame.drop("task_scores")
        e = elements.height
        weights = np.zeros((n_tasks, e), dtype=np.float32)
        ti, ei, mp = (link[c].to_numpy() for c in ("task_no", "_eid", "max_points"))
        weights[ti - 1, ei] = 1.0
        maxima = np.zeros(e, dtype=np.int64)
        np.add.at(maxima, ei, mp)
        yield _Block(tuple(key), frame, scores, elements.drop("_eid"), weights, maxima)


def _block_matrices(b: _Block) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The classes of one block (``_cls`` order, sorted by school then class: ``_cls``, school_id,
    class_name, n) and their per-element sums of points Σp and Σp² (int64, classes × elements)."""
    from scipy import sparse

    ids = b.pupils.with_columns(
        pl.struct("school_id", "class_name").rank("dense").cast(pl.Int64).alias("_cls") - 1
    )
    cls_idx = ids["_cls"].to_numpy()
    n_cls = int(cls_idx.max()) + 1
    e = b.elements.height
    p1 = np.zeros((n_cls, e), dtype=np.int64)
    p2 = np.zeros((n_cls, e), dtype=np.int64)
    for start in range(0, b.pupils.height, _CHUNK):
        rows = slice(start, start + _CHUNK)
        # points as float64 integers (float32 products of small integers are exact)
        pts = (b.scores[rows].astype(np.float32) @ b.weights).astype(np.float64)
        c = cls_idx[rows]
        g = sparse.csr_matrix(
            (np.ones(c.size, dtype=np.float64), (c, np.arange(c.size))), shape=(n_cls, c.size)
        )
        # integer sums (exact in float64 far beyond any real class) → independent of order
        p1 += np.rint(g @ pts).astype(np.int64)
        p2 += np.rint(g @ (pts * pts)).astype(np.int64)
    cls = (
        ids.group_by("_cls")
        .agg(pl.col("school_id").first(), pl.col("class_name").first(), pl.len().cast(pl.Int64).alias("n"))
        .sort("_cls")
    )
    return cls, p1, p2


def _block_class_sums(b: _Block) -> pl.DataFrame:
    """Per-class n, Σshare, Σshare² of one block (as ``class_sums``, unsorted)."""
    cls, p1, p2 = _block_matrices(b)
    n_cls, e = p1.shape
    n = cls["n"].to_numpy()
    frame = pl.DataFrame(
        {
            "_cls": np.repeat(np.arange(n_cls, dtype=np.int64), e),
            "_e": np.tile(np.arange(e, dtype=np.int64), n_cls),
            "n": np.repeat(n, e),
            "_p1": p1.ravel(),
            "_p2": p2.ravel(),
            "_m": np.tile(b.maxima.astype(np.float64), n_cls),
        }
    )
    return (
        frame.with_columns(
            (pl.col("_p1") / pl.col("_m")).alias("s1"), (pl.col("_p2") / pl.col("_m") ** 2).alias("s2")
        )
        .join(cls.select("_cls", "school_id", "class_name"), on="_cls")
        .join(b.elements.with_row_index("_e").with_columns(pl.col("_e").cast(pl.Int64)), on="_e")
        .with_columns(
            *(pl.lit(v, dtype=schema.RESULTS[k]).alias(k) for k, v in zip(KEYS, b.key, strict=True))
        )
        .select(*KEYS, "school_id", "class_name", "dimension", "element", "n", "s1", "s2")
    )


def _class_sums_fast(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None,
    dimensions: Sequence[str],
    procedures: Sequence[str],
) -> pl.DataFrame:
    parts = [
        _block_class_sums(b)
        for b in _blocks(
            results,
            tasks,
            year=year,
            dimensions=dimensions,
            procedures=procedures,
            school_ids=None,
            columns=("school_id", "class_name"),
        )
    ]
    if not parts:
        return pl.DataFrame(
            schema={
                **{k: schema.RESULTS[k] for k in KEYS},
                "school_id": pl.String(),
                "class_name": pl.String(),
                "dimension": pl.String(),
                "element": pl.String(),
                "n": pl.Int64(),
                "s1": pl.Float64(),
                "s2": pl.Float64(),
            }
        )
    return pl.concat(parts).sort(*KEYS, "school_id", "class_name", "dimension", "element", nulls_last=True)


def _block_shares(b: _Block, rows: np.ndarray | slice = slice(None)) -> pl.DataFrame:
    """Long (pupil × element) shares of some pupils of a block: pupil columns, dimension, element, share."""
    pts = b.points(rows)
    e = b.elements.height
    share = (pts / b.maxima[None, :]).ravel()
    pupils = b.pupils[rows] if isinstance(rows, slice) else b.pupils[pl.Series(rows)]
    idx = np.repeat(np.arange(pupils.height), e)
    eidx = np.tile(np.arange(e), pupils.height)
    return pl.concat(
        [
            pupils[pl.Series(idx)].with_columns(
                *(pl.lit(v, dtype=schema.RESULTS[k]).alias(k) for k, v in zip(KEYS, b.key, strict=True))
            ),
            b.elements[pl.Series(eidx)],
            pl.DataFrame(
                {
                    "points": pts.ravel().astype(np.int32),
                    "max_points": b.maxima[eidx].astype(np.int32),
                    "share": share,
                }
            ),
        ],
        how="horizontal",
    )


def _pupil_shares_fast(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None,
    dimensions: Sequence[str],
    procedures: Sequence[str],
    school_ids: Sequence[str] | None,
    keep_pupil: bool,
) -> pl.LazyFrame:
    cols = ("school_id", "class_name", "pupil_key") if keep_pupil else ("school_id", "class_name")
    parts = [
        _block_shares(b)
        for b in _blocks(
            results,
            tasks,
            year=year,
            dimensions=dimensions,
            procedures=procedures,
            school_ids=school_ids,
            columns=cols,
        )
    ]
    out_cols = ["points", "max_points", *cols, *KEYS, "dimension", "element", "share"]
    if not parts:
        return pl.LazyFrame(
            schema={
                "points": pl.Int32(),
                "max_points": pl.Int32(),
                **{c: pl.String() for c in cols},
                **{k: schema.RESULTS[k] for k in KEYS},
                "dimension": pl.String(),
                "element": pl.String(),
                "share": pl.Float64(),
            }
        )
    return pl.concat([p.select(out_cols) for p in parts]).lazy()


# ---------------------------------------------------------------------------------------------
# statistics


def _moments(n: pl.Expr, s1: pl.Expr, s2: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Mean and sample SD (ddof = 1) from n, Σs, Σs²."""
    mean = s1 / n
    var = pl.when(n > 1).then(((s2 - n * mean * mean) / (n - 1)).clip(lower_bound=0.0))
    return mean, var.sqrt()


def interval(
    p: np.ndarray,
    sd: np.ndarray,
    n: np.ndarray,
    max_points: np.ndarray,
    *,
    method: str = "wilson",
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of a mean of pupil shares (see ``[interval]`` in deficits.toml). Arrays in, arrays out."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    sd = np.nan_to_num(np.asarray(sd, dtype=float), nan=0.0)
    m = np.maximum(np.asarray(max_points, dtype=float), 1.0)
    alpha = 1.0 - float(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "t":
            tq = stats.t.ppf(1 - alpha / 2, np.maximum(n - 1, 1))
            half = tq * sd / np.sqrt(n)
            lo, hi = np.clip(p - half, 0, 1), np.clip(p + half, 0, 1)
        elif method == "wilson":
            z = stats.norm.ppf(1 - alpha / 2)
            se2 = sd**2 / n
            n_eff = np.where(se2 > 0, p * (1 - p) / se2, n * m)
            n_eff = np.clip(n_eff, 1.0, n * m)
            denom = 1 + z**2 / n_eff
            centre = (p + z**2 / (2 * n_eff)) / denom
            half = z / denom * np.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2))
            lo, hi = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
        else:
            raise ValueError(f"неизвестный метод интервала {method!r} (wilson или t)")
    bad = ~(n > 0)
    lo[bad] = np.nan
    hi[bad] = np.nan
    return lo, hi


def _with_interval(frame: pl.DataFrame, sec: Mapping[str, Any]) -> pl.DataFrame:
    lo, hi = interval(
        frame["success"].to_numpy(),
        frame["sd"].to_numpy(),
        frame["n_pupils"].to_numpy(),
        frame["max_points"].to_numpy(),
        method=str(sec["interval"]["method"]),
        confidence=float(sec["interval"]["confidence"]),
    )
    return frame.with_columns(
        pl.Series("lower", lo, dtype=pl.Float64).fill_nan(None),
        pl.Series("upper", hi, dtype=pl.Float64).fill_nan(None),
    )


# ---------------------------------------------------------------------------------------------
# registry


def _membership(
    school_ids: pl.Series, schools: pl.DataFrame, sec: Mapping[str, Any], clusters: pl.DataFrame | None
) -> pl.DataFrame:
    """school_id → region, municipality_id, cluster (null when unknown)."""
    ids = pl.DataFrame({"school_id": school_ids.unique().sort()})
    key = str(sec.get("region_key", "region_id"))
    cols = [pl.col("school_id")]
    cols.append(
        (pl.col(key).cast(pl.String) if key in schools.columns else pl.lit(None, dtype=pl.String)).alias(
            "region"
        )
    )
    cols.append(
        (
            pl.col("municipality_id").cast(pl.String)
            if "municipality_id" in schools.columns
            else pl.lit(None, dtype=pl.String)
        ).alias("municipality_id")
    )
    ccol = str(sec["comparison"].get("cluster_column", "cluster"))
    cols.append(
        (pl.col(ccol).cast(pl.String) if ccol in schools.columns else pl.lit(None, dtype=pl.String)).alias(
            "cluster"
        )
    )
    reg = schools.select(cols).unique(subset="school_id", keep="first") if schools.height else None
    out = (
        ids.join(reg, on="school_id", how="left")
        if reg is not None
        else ids.with_columns(
            pl.lit(None, dtype=pl.String).alias("region"),
            pl.lit(None, dtype=pl.String).alias("municipality_id"),
            pl.lit(None, dtype=pl.String).alias("cluster"),
        )
    )
    if clusters is not None and clusters.height:
        c = clusters.select(
            pl.col("school_id").cast(pl.String), pl.col("cluster").cast(pl.String).alias("_c")
        )
        out = (
            out.join(c, on="school_id", how="left")
            .with_columns(pl.coalesce("_c", "cluster").alias("cluster"))
            .drop("_c")
        )
    return out.with_columns(pl.col("region").fill_null(""))


# ---------------------------------------------------------------------------------------------
# success tables


def success(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    schools: pl.DataFrame | None = None,
    *,
    year: int | Sequence[int] | None = None,
    units: Sequence[str] = UNITS,
    dimensions: Sequence[str] = DIMENSIONS,
    procedures: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
    clusters: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Success (share of maximum points) per class, school, municipality and region, by every dimension.

    One row per unit × test × element (see ``SUCCESS_SCHEMA``); ``n_pupils`` counts present pupils
    with scores, ``sd`` is the SD of their shares, ``lower``/``upper`` the interval of the config.
    Municipality rows exist only for schools with a municipality in the registry.
    """
    sec = _section(config)
    bad = [u for u in units if u not in UNITS]
    if bad:
        raise ValueError(f"неизвестная единица {bad[0]!r}; допустимы {', '.join(UNITS)}")
    sums = class_sums(results, tasks, year=year, dimensions=dimensions, procedures=procedures)
    info = element_info(element_map(tasks, dimensions), sec).drop(
        "skills", "kes_codes", "threshold_target", "threshold_min"
    )
    member = _membership(
        sums["school_id"], schools if schools is not None else schema.empty(schema.SCHOOLS), sec, clusters
    )
    sums = sums.join(member, on="school_id", how="left")
    el = [*KEYS, "dimension", "element"]
    agg = [
        pl.col("n").sum(),
        pl.col("s1").sum(),
        pl.col("s2").sum(),
        pl.col("school_id").n_unique().cast(pl.Int64).alias("n_schools"),
    ]
    levels = {
        "class": ["region", "municipality_id", "school_id", "class_name"],
        "school": ["region", "municipality_id", "school_id"],
        "municipality": ["region", "municipality_id"],
        "region": ["region"],
    }
    parts = []
    for unit in units:
        by = levels[unit]
        frame = sums if unit != "municipality" else sums.filter(pl.col("municipality_id").is_not_null())
        g = frame.group_by([*el, *by]).agg(agg).with_columns(pl.lit(unit).alias("unit"))
        parts.append(g)
    out = pl.concat(parts, how="diagonal_relaxed")
    for col in ("municipality_id", "school_id", "class_name"):
        if col not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    mean, sd = _moments(pl.col("n").cast(pl.Float64), pl.col("s1"), pl.col("s2"))
    out = (
        out.with_columns(mean.alias("success"), sd.alias("sd"), pl.col("n").alias("n_pupils"))
        .join(info, on=el, how="left")
        .with_columns(
            pl.col("class_name").fill_null(pl.when(pl.col("unit") == "class").then(pl.lit(NO_CLASS)))
        )
    )
    out = _with_interval(out, sec)
    order = {u: i for i, u in enumerate(UNITS)}
    out = out.with_columns(pl.col("unit").replace_strict(order, return_dtype=pl.Int8).alias("_u"))
    out = out.sort(
        [
            *KEYS,
            "_u",
            "region",
            "municipality_id",
            "school_id",
            "class_name",
            "dimension",
            "element_order",
            "element",
        ],
        nulls_last=True,
    )
    return schema.conform(out, SUCCESS_SCHEMA)


# ---------------------------------------------------------------------------------------------
# deficits


def deficit_table(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    clusters: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every school and class × element of the year with success, interval, comparison and verdict.

    ``status``: ``deficit`` (by the configured rule), ``possible`` (below the comparison by at least
    the minimum gap but not significantly, or absolute "borderline"), ``ok``, ``insufficient`` (fewer
    than ``min_pupils``), ``no_comparison`` (relative rule with no comparison group large enough).
    Columns: ``TABLE_SCHEMA``.
    """
    sec = _section(config)
    year = inputs.year if year is None else int(year)
    if _REFERENCE:
        return _deficit_table_ref(inputs, sec, year, clusters)
    parts = list(_table_parts(inputs, sec, year, clusters, only_deficits=False))
    if not parts:
        return schema.empty(TABLE_SCHEMA)
    return pl.concat(parts)


def _table_parts(
    inputs: Inputs, sec: Mapping[str, Any], year: int, clusters: pl.DataFrame | None, *, only_deficits: bool
) -> Any:
    """``deficit_table`` one test at a time (comparison groups never cross tests), in the table's order.

    The verdict is computed on slim numeric rows; the element texts are joined afterwards, and with
    ``only_deficits`` only onto the deficit rows (what ``run`` needs).
    """
    dims = list(sec["deficit_dimensions"])
    info_all = element_info(element_map(inputs.tasks, dims), sec)
    blocks = _blocks(
        inputs.results,
        inputs.tasks,
        year=year,
        dimensions=dims,
        procedures=sec["procedures"],
        school_ids=None,
        columns=("school_id", "class_name"),
    )
    done = []
    for b in blocks:
        info = info_all.filter(*(pl.col(k) == v for k, v in zip(KEYS, b.key, strict=True)))
        table = _block_table(b, info, inputs, sec, clusters, only_deficits=only_deficits)
        # sorted after the filter: only the rows kept are sorted
        table = table.with_columns(
            pl.col("unit").replace_strict({"school": 0, "class": 1}, return_dtype=pl.Int8).alias("_u")
        ).sort(
            [*KEYS, "school_id", "_u", "class_name", "dimension", "element_order", "element"], nulls_last=True
        )
        done.append((b.key, schema.conform(table, TABLE_SCHEMA)))
    # tests in the table's sort order (the rows inside a test are sorted already)
    for _, t in sorted(done, key=lambda kt: tuple((v is None, v) for v in kt[0])):
        yield t


def _table_of(
    sums: pl.DataFrame,
    info: pl.DataFrame,
    inputs: Inputs,
    sec: Mapping[str, Any],
    clusters: pl.DataFrame | None,
) -> pl.DataFrame:
    member = _membership(sums["school_id"], inputs.schools, sec, clusters)
    el = [*KEYS, "dimension", "element"]
    school = (
        sums.group_by([*el, "school_id"])
        .agg(pl.col("n").sum(), pl.col("s1").sum(), pl.col("s2").sum())
        .join(member, on="school_id", how="left")
    )
    comp = _comparison(school, sec)
    parts = []
    if "school" in sec["units"]:
        parts.append(
            school.join(comp, on=[*el, "school_id"], how="left").with_columns(pl.lit("school").alias("unit"))
        )
    if "class" in sec["units"]:
        cls = sums.join(member, on="school_id", how="left").join(comp, on=[*el, "school_id"], how="left")
        parts.append(
            cls.with_columns(pl.lit("class").alias("unit"), pl.col("class_name").fill_null(NO_CLASS))
        )
    table = pl.concat(parts, how="diagonal_relaxed")
    if "class_name" not in table.columns:  # schools only
        table = table.with_columns(pl.lit(None, dtype=pl.String).alias("class_name"))
    mean, sd = _moments(pl.col("n").cast(pl.Float64), pl.col("s1"), pl.col("s2"))
    table = table.with_columns(mean.alias("success"), sd.alias("sd"), pl.col("n").alias("n_pupils")).join(
        info, on=el, how="left"
    )
    table = _with_interval(table, sec)
    return _verdict(table, sec)


def _group_totals(code: np.ndarray, n: np.ndarray, p1: np.ndarray, p2: np.ndarray, loo: bool) -> tuple:
    """Per school (rows of ``p1``/``p2``: integer Σp, Σp², schools × elements): the totals n, Σp, Σp²
    and number of schools of its group (``code``; −1 = none: NaN), less the school itself with ``loo``.
    Integer sums (exact in float64): the same whatever the order."""
    from scipy import sparse

    has = code >= 0
    n_groups = int(code.max()) + 1 if has.any() else 1  # (one empty group: every school has none)
    sel = np.flatnonzero(has)
    g = sparse.csr_matrix((np.ones(sel.size), (code[sel], sel)), shape=(n_groups, code.size))
    tot_n, tot_k = g @ n.astype(np.float64), np.asarray(g.sum(axis=1)).ravel()
    tot_1, tot_2 = np.rint(g @ p1.astype(np.float64)), np.rint(g @ p2.astype(np.float64))
    c = np.where(has, code, 0)
    out_n, out_k, out_1, out_2 = tot_n[c], tot_k[c], tot_1[c], tot_2[c]
    if loo:
        out_n, out_k, out_1, out_2 = out_n - n, out_k - 1, out_1 - p1, out_2 - p2
    nan = ~has
    out_n[nan], out_k[nan], out_1[nan], out_2[nan] = np.nan, np.nan, np.nan, np.nan
    return out_n, out_k, out_1, out_2


def _codes_of(values: pl.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes of a column (−1 for null) and the value of every code."""
    uniq = values.drop_nulls().unique(maintain_order=True)
    codes = values.replace_strict(uniq, pl.int_range(uniq.len(), eager=True), default=-1, return_dtype=pl.Int64)
    return codes.to_numpy(), uniq.to_list()


def _block_table(
    b: _Block,
    info: pl.DataFrame,
    inputs: Inputs,
    sec: Mapping[str, Any],
    clusters: pl.DataFrame | None,
    *,
    only_deficits: bool,
) -> pl.DataFrame:
    """``_table_of`` of one block on integer indices (schools, classes, elements) with numpy: the
    comparison groups, interval and verdict of every school and class × element; string columns are
    made only for the rows kept (with ``only_deficits`` the deficits, a tenth of the table).

    ``_table_of`` (string-keyed joins, the ``_REFERENCE`` path) is the definition; the tests require
    both to agree."""
    cls, p1, p2 = _block_matrices(b)
    n_cls, n_el = p1.shape
    cmp = sec["comparison"]
    by, group_col = _comparison_group(cmp)
    rule = _rule(sec)
    loo = bool(cmp.get("exclude_self", True))
    min_schools, min_group = int(cmp.get("min_schools", 5)), int(cmp.get("min_group_pupils", 30))
    min_pupils = int(sec.get("min_pupils", 10))
    min_gap = float(sec["relative"]["min_gap"])
    einfo = (
        b.elements.with_row_index("_e")
        .join(info, on=["dimension", "element"], how="left", maintain_order="left")
        .sort("_e")
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        mb = b.maxima.astype(np.float64)
        c_s1, c_s2 = p1 / mb, p2 / mb**2
        c_n = cls["n"].to_numpy()
        # classes are sorted by school: a school's classes are consecutive
        sid = cls["school_id"]
        first = np.flatnonzero((sid != sid.shift(1)).fill_null(True).to_numpy())
        c_school = np.repeat(np.arange(first.size), np.diff([*first.tolist(), n_cls]))
        s_n, s_p1, s_p2 = np.add.reduceat(c_n, first), np.add.reduceat(p1, first), np.add.reduceat(p2, first)
        s_s1, s_s2 = s_p1 / mb, s_p2 / mb**2
        member = (
            pl.DataFrame({"school_id": sid.gather(first)})
            .join(_membership(sid, inputs.schools, sec, clusters), on="school_id", how="left",
                  maintain_order="left")
        )
        r_code, r_keys = _codes_of(member["region"])
        r_n, r_k, r_1, r_2 = _group_totals(r_code, s_n, s_p1, s_p2, loo)
        key_code, keys, kind = r_code, r_keys, np.zeros(first.size, dtype=np.int8)  # 0 = region
        cn, ck, c1, c2 = r_n, r_k, r_1, r_2
        if group_col != "region":
            g_code, g_keys = _codes_of(member[group_col])
            g_n, g_k, g_1, g_2 = _group_totals(g_code, s_n, s_p1, s_p2, loo)
            ok = (g_code >= 0) & (g_k >= min_schools) & (g_n >= min_group)
            kind = np.where(ok, 1, 0).astype(np.int8)
            key_code = np.where(ok, g_code + len(r_keys), r_code)
            keys = [*r_keys, *g_keys]
            cn, ck = np.where(ok, g_n, r_n), np.where(ok, g_k, r_k)
            c1, c2 = np.where(ok[:, None], g_1, r_1), np.where(ok[:, None], g_2, r_2)
        usable = (cn >= min_group) & (ck >= 1)
        c1, c2 = c1 / mb, c2 / mb**2
        c_mean = c1 / cn[:, None]
        c_sd = np.sqrt(np.clip((c2 - cn[:, None] * c_mean * c_mean) / (cn[:, None] - 1), 0.0, None))
        c_sd = np.where((cn > 1)[:, None], c_sd, np.nan)
        c_mean = np.where(usable[:, None], c_mean, np.nan)
        c_sd = np.where(usable[:, None], c_sd, np.nan)
        cnp = np.where(usable, cn, np.nan)

        # units: the schools, then the classes (rows), × elements (columns)
        units = [u for u in ("school", "class") if u in sec["units"]]
        parts_n, parts_1, parts_2, parts_s = [], [], [], []
        if "school" in units:
            parts_n.append(s_n), parts_1.append(s_s1), parts_2.append(s_s2), parts_s.append(np.arange(first.size))
        if "class" in units:
            parts_n.append(c_n), parts_1.append(c_s1), parts_2.append(c_s2), parts_s.append(c_school)
        if not parts_n:
            return schema.empty(TABLE_SCHEMA)
        u_n = np.concatenate(parts_n).astype(np.float64)[:, None]
        u_s = np.concatenate(parts_s)
        success = np.concatenate(parts_1) / u_n
        sd = np.sqrt(np.clip((np.concatenate(parts_2) - u_n * success * success) / (u_n - 1), 0.0, None))
        sd_null = np.broadcast_to(u_n <= 1, sd.shape)
        n_b = np.broadcast_to(u_n, success.shape)
        lower, upper = interval(
            success.ravel(), np.where(sd_null, np.nan, sd).ravel(), n_b.ravel(),
            np.broadcast_to(einfo["max_points"].to_numpy().astype(np.float64), success.shape).ravel(),
            method=str(sec["interval"]["method"]), confidence=float(sec["interval"]["confidence"]),
        )
        lower, upper = lower.reshape(success.shape), upper.reshape(success.shape)
        cs, csd, cnu = c_mean[u_s], c_sd[u_s], cnp[u_s][:, None]
        enough = n_b >= min_pupils
        has_cmp = ~np.isnan(cs)
        gap = success - cs
        se2 = np.where(sd_null, 0.0, sd) ** 2 / u_n + np.nan_to_num(csd, nan=0.0) ** 2 / cnu
        z = np.where(se2 > 0, gap / np.sqrt(se2), np.nan)
        rel = enough & has_cmp & (upper < cs) & (gap <= -min_gap)
        rel_possible = enough & has_cmp & (gap <= -min_gap)
        value = upper if str(sec["absolute"].get("use", "estimate")) == "upper" else success
        t_min = einfo["threshold_min"].to_numpy().astype(np.float64)[None, :]
        t_target = einfo["threshold_target"].to_numpy().astype(np.float64)[None, :]
        # absolute: 0 not_mastered, 1 borderline, 2 mastered, 3 null (too few pupils)
        absolute = np.where(value < t_min - 1e-12, 0, np.where(success < t_target - 1e-12, 1, 2))
        absolute = np.where(enough, absolute, 3).astype(np.int8)
    abs_def, abs_possible = absolute == 0, absolute <= 1
    if rule == "relative":
        deficit, possible, needs_cmp = rel, rel_possible, True
    elif rule == "absolute":
        deficit, possible, needs_cmp = abs_def, abs_possible, False
    elif rule == "either":
        deficit, possible, needs_cmp = rel | abs_def, rel_possible | abs_possible, False
    else:
        deficit, possible, needs_cmp = rel & abs_def, rel_possible & abs_possible, True
    deficit = deficit & enough
    # status: index into STATUSES (deficit, possible, ok, insufficient, no_comparison)
    status = np.select(
        [~enough, deficit, (~has_cmp) if needs_cmp else np.zeros_like(deficit), possible], [3, 0, 4, 1], 2
    ).astype(np.int8)

    rows = np.flatnonzero(deficit.ravel()) if only_deficits else np.arange(deficit.size)
    u, e = np.divmod(rows, n_el)
    s = u_s[u]
    n_school_rows = first.size if "school" in units else 0
    is_class = u >= n_school_rows
    class_of = np.where(is_class, u - n_school_rows, 0)

    def col(name: str, values: np.ndarray, null: np.ndarray | None = None) -> pl.Series:
        out = pl.Series(name, values)
        return out if null is None or not null.any() else out.scatter(np.flatnonzero(null), None)

    def strings(name: str, labels: Sequence[Any], codes: np.ndarray) -> pl.Series:
        return pl.Series(name, labels, dtype=pl.String).gather(codes)

    flat = lambda a: a.ravel()[rows]  # noqa: E731
    absolute_rows = flat(absolute)
    return pl.DataFrame(
        [
            *(pl.repeat(v, rows.size, dtype=schema.RESULTS[k], eager=True).alias(k)
              for k, v in zip(KEYS, b.key, strict=True)),
            strings("unit", ["school", "class"], is_class.astype(np.int64)),
            member["school_id"].gather(s),
            col("class_name", cls["class_name"].fill_null(NO_CLASS).gather(class_of), ~is_class),
            member["municipality_id"].gather(s),
            einfo["dimension"].gather(e),
            einfo["element"].gather(e),
            *(einfo[c].gather(e) for c in ("element_label", "element_order", "levels", "tasks", "skills",
                                            "kes_codes", "max_points", "threshold_target", "threshold_min")),
            pl.Series("n_pupils", np.concatenate(parts_n)[u].astype(np.int64)),
            col("success", flat(success)),
            col("sd", flat(sd), flat(sd_null)),
            col("lower", flat(lower), np.isnan(flat(lower))),
            col("upper", flat(upper), np.isnan(flat(upper))),
            strings("comparison_kind", ["region", by], kind[s].astype(np.int64)),
            strings("comparison_key", keys, key_code[s]),
            col("comparison_success", flat(cs), ~flat(has_cmp)),
            col("comparison_n_pupils", np.nan_to_num(cnp[s]).astype(np.int64), np.isnan(cnp[s])),
            col("comparison_n_schools", np.nan_to_num(ck[s]).astype(np.int64), np.isnan(ck[s])),
            col("gap", flat(gap), ~flat(has_cmp)),
            col("z", flat(z), ~flat(has_cmp) | ~(flat(se2) > 0)),
            pl.Series("relative_deficit", flat(rel)),
            col("absolute_status", pl.Series(["not_mastered", "borderline", "mastered", None], dtype=pl.String)
                .gather(absolute_rows.astype(np.int64)), absolute_rows == 3),
            pl.Series("deficit", flat(deficit)),
            strings("status", STATUSES, flat(status).astype(np.int64)),
        ]
    )


def _deficit_table_ref(
    inputs: Inputs, sec: Mapping[str, Any], year: int, clusters: pl.DataFrame | None
) -> pl.DataFrame:
    dims = list(sec["deficit_dimensions"])
    sums = class_sums(inputs.results, inputs.tasks, year=year, dimensions=dims, procedures=sec["procedures"])
    if sums.height == 0:
        return schema.empty(TABLE_SCHEMA)
    info = element_info(element_map(inputs.tasks, dims), sec)
    table = _table_of(sums, info, inputs, sec, clusters)
    order = {"school": 0, "class": 1}
    table = table.with_columns(pl.col("unit").replace_strict(order, return_dtype=pl.Int8).alias("_u")).sort(
        [*KEYS, "school_id", "_u", "class_name", "dimension", "element_order", "element"], nulls_last=True
    )
    return schema.conform(table, TABLE_SCHEMA)


def _comparison_group(cmp: Mapping[str, Any]) -> tuple[str, str]:
    """``comparison.by`` checked, and the membership column that holds its groups."""
    by = str(cmp.get("by", "cluster"))
    if by not in ("cluster", "municipality", "region"):
        raise ValueError(
            f"comparison.by: неизвестная группа сравнения {by!r} (cluster, municipality, region)"
        )
    return by, {"cluster": "cluster", "municipality": "municipality_id", "region": "region"}[by]


def _rule(sec: Mapping[str, Any]) -> str:
    """``rule`` checked."""
    rule = str(sec.get("rule", "relative"))
    if rule not in ("relative", "absolute", "either", "both"):
        raise ValueError(f"rule: неизвестное правило {rule!r} (relative, absolute, either, both)")
    return rule


def _comparison(school: pl.DataFrame, sec: Mapping[str, Any]) -> pl.DataFrame:
    """Leave-one-out comparison group of every school × element, falling back to the region."""
    cmp = sec["comparison"]
    el = [*KEYS, "dimension", "element"]
    by, group_col = _comparison_group(cmp)
    loo = bool(cmp.get("exclude_self", True))
    min_schools = int(cmp.get("min_schools", 5))
    min_pupils = int(cmp.get("min_group_pupils", 30))

    def totals(col: str, tag: str) -> pl.DataFrame:
        keyed = school.filter(pl.col(col).is_not_null())
        g = keyed.group_by([*el, col]).agg(
            pl.col("n").sum().alias(f"{tag}_n"),
            pl.col("s1").sum().alias(f"{tag}_s1"),
            pl.col("s2").sum().alias(f"{tag}_s2"),
            pl.len().cast(pl.Int64).alias(f"{tag}_k"),
        )
        j = school.select(*el, "school_id", "n", "s1", "s2", col).join(
            g, on=[*el, col], how="left", nulls_equal=False
        )
        if loo:
            j = j.with_columns(
                (pl.col(f"{tag}_n") - pl.col("n")).alias(f"{tag}_n"),
                (pl.col(f"{tag}_s1") - pl.col("s1")).alias(f"{tag}_s1"),
                (pl.col(f"{tag}_s2") - pl.col("s2")).alias(f"{tag}_s2"),
                (pl.col(f"{tag}_k") - 1).alias(f"{tag}_k"),
            )
        return j.select(
            *el,
            "school_id",
            pl.col(col).alias(f"{tag}_key"),
            f"{tag}_n",
            f"{tag}_s1",
            f"{tag}_s2",
            f"{tag}_k",
        )

    reg = totals("region", "r")
    if group_col != "region":
        grp = totals(group_col, "g")
        j = grp.join(reg, on=[*el, "school_id"], how="left")
        ok = (pl.col("g_k") >= min_schools) & (pl.col("g_n") >= min_pupils) & pl.col("g_key").is_not_null()
        pick = lambda g, r: pl.when(ok).then(pl.col(g)).otherwise(pl.col(r))  # noqa: E731
        j = j.select(
            *el,
            "school_id",
            pl.when(ok).then(pl.lit(by)).otherwise(pl.lit("region")).alias("comparison_kind"),
            pick("g_key", "r_key").alias("comparison_key"),
            pick("g_n", "r_n").alias("_cn"),
            pick("g_s1", "r_s1").alias("_c1"),
            pick("g_s2", "r_s2").alias("_c2"),
            pick("g_k", "r_k").alias("comparison_n_schools"),
        )
    else:
        j = reg.select(
            *el,
            "school_id",
            pl.lit("region").alias("comparison_kind"),
            pl.col("r_key").alias("comparison_key"),
            pl.col("r_n").alias("_cn"),
            pl.col("r_s1").alias("_c1"),
            pl.col("r_s2").alias("_c2"),
            pl.col("r_k").alias("comparison_n_schools"),
        )
    usable = (pl.col("_cn") >= min_pupils) & (pl.col("comparison_n_schools") >= 1)
    mean, sd = _moments(pl.col("_cn").cast(pl.Float64), pl.col("_c1"), pl.col("_c2"))
    return j.with_columns(
        pl.when(usable).then(mean).alias("comparison_success"),
        pl.when(usable).then(sd).alias("_csd"),
        pl.when(usable).then(pl.col("_cn")).alias("comparison_n_pupils"),
    ).drop("_cn", "_c1", "_c2")


def _verdict(table: pl.DataFrame, sec: Mapping[str, Any]) -> pl.DataFrame:
    rule = _rule(sec)
    min_pupils = int(sec.get("min_pupils", 10))
    min_gap = float(sec["relative"]["min_gap"])
    use_upper = str(sec["absolute"].get("use", "estimate")) == "upper"
    enough = pl.col("n_pupils") >= min_pupils
    has_cmp = pl.col("comparison_success").is_not_null()
    gap = pl.col("success") - pl.col("comparison_success")
    se2 = pl.col("sd").fill_null(0.0) ** 2 / pl.col("n_pupils") + pl.col("_csd").fill_null(0.0) ** 2 / pl.col(
        "comparison_n_pupils"
    )
    table = table.with_columns(
        gap.alias("gap"),
        pl.when(se2 > 0).then(gap / se2.sqrt()).alias("z"),
    )
    rel = enough & has_cmp & (pl.col("upper") < pl.col("comparison_success")) & (pl.col("gap") <= -min_gap)
    rel_possible = enough & has_cmp & (pl.col("gap") <= -min_gap)
    value = pl.col("upper") if use_upper else pl.col("success")
    absolute = (
        pl.when(~enough)
        .then(None)
        .when(value < pl.col("threshold_min") - 1e-12)
        .then(pl.lit("not_mastered"))
        .when(pl.col("success") < pl.col("threshold_target") - 1e-12)
        .then(pl.lit("borderline"))
        .otherwise(pl.lit("mastered"))
    )
    table = table.with_columns(
        rel.fill_null(False).alias("relative_deficit"), absolute.alias("absolute_status")
    )
    abs_def = pl.col("absolute_status") == "not_mastered"
    abs_possible = pl.col("absolute_status").is_in(["not_mastered", "borderline"])
    if rule == "relative":
        deficit, possible, needs_cmp = pl.col("relative_deficit"), rel_possible, True
    elif rule == "absolute":
        deficit, possible, needs_cmp = abs_def, abs_possible, False
    elif rule == "either":
        deficit, possible, needs_cmp = (
            pl.col("relative_deficit") | abs_def,
            rel_possible | abs_possible,
            False,
        )
    else:
        deficit, possible, needs_cmp = pl.col("relative_deficit") & abs_def, rel_possible & abs_possible, True
    deficit = deficit.fill_null(False)
    status = (
        pl.when(~enough)
        .then(pl.lit("insufficient"))
        .when(deficit)
        .then(pl.lit("deficit"))
        .when(pl.lit(needs_cmp) & ~has_cmp)
        .then(pl.lit("no_comparison"))
        .when(possible.fill_null(False))
        .then(pl.lit("possible"))
        .otherwise(pl.lit("ok"))
    )
    return table.with_columns((deficit & enough).alias("deficit"), status.alias("status"))


# ---------------------------------------------------------------------------------------------
# tracking


def _match_keys(frame: pl.DataFrame, library: Library) -> pl.DataFrame:
    """``_ek``: dimension:element; ``_tk``: specific library topic, else dimension:element for skills/codes."""
    generic = {e.topic for e in library.entries if e.fallback}
    ek = pl.col("dimension") + ":" + pl.col("element")
    topic_ok = pl.col("topic").is_not_null() & ~pl.col("topic").is_in(list(generic))
    tk = pl.when(topic_ok).then("topic:" + pl.col("topic")).when(pl.col("dimension") != "task").then(ek)
    return frame.with_columns(ek.alias("_ek"), tk.alias("_tk"))


def track(current: pl.DataFrame, previous: pl.DataFrame, library: Library | None = None) -> pl.DataFrame:
    """Mark each current deficit as persisting in the same grade (``persists_grade``) or cohort (``persists_cohort``).

    Both frames are deficit rows (``run``-like: school_id, procedure, subject, grade, year, unit,
    dimension, element, topic). Only school-level rows of ``previous`` are used: a class is not
    followed across years (class letters are not stable identifiers).
    """
    lib = library or shipped_library()
    cur = _match_keys(current, lib)
    if previous.height == 0:
        return cur.drop("_ek", "_tk").with_columns(
            pl.lit(False).alias("persists_grade"), pl.lit(False).alias("persists_cohort")
        )
    prev = _match_keys(previous.filter(pl.col("unit") == "school"), lib)
    base = ["school_id", "procedure", "subject"]
    g1 = prev.select(
        *base, "grade", (pl.col("year") + 1).cast(pl.Int16).alias("year"), pl.col("_ek").alias("_k")
    )
    g2 = prev.select(
        *base, "grade", (pl.col("year") + 1).cast(pl.Int16).alias("year"), pl.col("_tk").alias("_k")
    )
    same_grade = pl.concat([g1, g2]).drop_nulls("_k").unique().with_columns(pl.lit(True).alias("_pg"))
    coh = (
        prev.select(
            *base,
            (pl.col("grade") + 1).cast(pl.Int8).alias("grade"),
            (pl.col("year") + 1).cast(pl.Int16).alias("year"),
            pl.col("_tk").alias("_k"),
        )
        .drop_nulls("_k")
        .unique()
        .with_columns(pl.lit(True).alias("_pc"))
    )
    keys = [*base, "grade", "year"]
    cur = (
        cur.join(same_grade.rename({"_k": "_ek"}), on=[*keys, "_ek"], how="left")
        .join(same_grade.rename({"_k": "_tk", "_pg": "_pg2"}), on=[*keys, "_tk"], how="left")
        .join(coh.rename({"_k": "_tk"}), on=[*keys, "_tk"], how="left")
    )
    return cur.with_columns(
        (pl.col("_pg").fill_null(False) | pl.col("_pg2").fill_null(False)).alias("persists_grade"),
        pl.col("_pc").fill_null(False).alias("persists_cohort"),
    ).drop("_ek", "_tk", "_pg", "_pg2", "_pc")


# ---------------------------------------------------------------------------------------------
# the method


def _evidence(row: Mapping[str, Any], sec: Mapping[str, Any]) -> str:
    def r(x: Any) -> Any:
        return (
            None
            if x is None or (isinstance(x, float) and math.isnan(x))
            else (round(x, 4) if isinstance(x, float) else x)
        )

    ev = {
        "statistic": "success",
        "success": r(row["success"]),
        "interval": [r(row["lower"]), r(row["upper"])],
        "interval_method": sec["interval"]["method"],
        "confidence": sec["interval"]["confidence"],
        "n_pupils": row["n_pupils"],
        "max_points": row["max_points"],
        "tasks": row["tasks"],
        "levels": row["levels"],
        "comparison": {
            "kind": row["comparison_kind"],
            "key": row["comparison_key"],
            "success": r(row["comparison_success"]),
            "n_pupils": row["comparison_n_pupils"],
            "n_schools": row["comparison_n_schools"],
        },
        "gap": r(row["gap"]),
        "z": r(row["z"]),
        "rule": sec["rule"],
        "min_gap": sec["relative"]["min_gap"],
        "min_pupils": sec["min_pupils"],
        "thresholds": {"target": r(row["threshold_target"]), "min": r(row["threshold_min"])},
        "absolute_status": row["absolute_status"],
        "recommendations": row.get("recommendation_ids"),
        "persists_grade": row.get("persists_grade"),
        "persists_cohort": row.get("persists_cohort"),
    }
    return json.dumps(ev, ensure_ascii=False, sort_keys=True)


def _float_texts(series: pl.Series, slow: Any) -> list[str]:
    """``json.dumps(round(x, 4))`` (null for null/NaN) of a float column, vectorised.

    rint(x·10⁴)/10⁴ is the double ``round`` returns unless x·10⁴ lies within rounding error of a
    half (or the value is -0.0, infinite or huge): those few go through ``slow``, the rest are
    formatted once per distinct value.
    """
    x = series.cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * 1e4
        r = np.rint(y) / 1e4
        frac = np.abs(y - np.trunc(y))
        risky = (
            ~np.isfinite(y) | (np.abs(frac - 0.5) < 1e-6) | (np.abs(y) > 1e12) | ((r == 0) & np.signbit(r))
        )
    out = np.empty(x.size, dtype=object)
    ok = ~risky
    if ok.any():
        uniq, inv = np.unique(r[ok], return_inverse=True)
        out[ok] = np.array([float.__repr__(v) for v in uniq.tolist()], dtype=object)[inv]
    for i in np.flatnonzero(risky).tolist():
        v = x[i]
        out[i] = "null" if v != v else slow(float(v))
    return out.tolist()


def _evidence_column(frame: pl.DataFrame, sec: Mapping[str, Any]) -> list[str]:
    """``_evidence`` of every row, built from column lists with a fixed template (same text, ~10× faster)."""
    strings: dict[tuple[type, Any], str] = {}

    def js(x: Any) -> str:  # JSON of a string / None / bool / int, memoised by type and value (True ≠ 1)
        if type(x) is int:
            return int.__repr__(x)
        k = (type(x), x)
        try:
            return strings[k]
        except KeyError:
            strings[k] = out = json.dumps(x, ensure_ascii=False)
            return out

    def num(x: Any) -> str:  # as ``r`` then json.dumps (whose float text is float.__repr__)
        if type(x) is float:
            if x != x:
                return "null"
            y = round(x, 4)
            return float.__repr__(y) if math.isfinite(y) else json.dumps(y)
        if x is None:
            return "null"
        return js(x)

    cols = list(
        (
            "success",
            "lower",
            "upper",
            "n_pupils",
            "max_points",
            "tasks",
            "levels",
            "comparison_kind",
            "comparison_key",
            "comparison_success",
            "comparison_n_pupils",
            "comparison_n_schools",
            "gap",
            "z",
            "threshold_target",
            "threshold_min",
            "absolute_status",
            "recommendation_ids",
            "persists_grade",
            "persists_cohort",
        )
    )
    conf = (
        js(sec["interval"]["confidence"])
        if not isinstance(sec["interval"]["confidence"], float)
        else json.dumps(sec["interval"]["confidence"])
    )
    method = js(sec["interval"]["method"])
    min_gap = json.dumps(sec["relative"]["min_gap"])
    min_pupils = json.dumps(sec["min_pupils"])
    rule = js(sec["rule"])
    n_rows = frame.height

    def text(c: str) -> pl.Series:
        """JSON text of every value of a column (floats as ``r`` → json.dumps; others memoised per value)."""
        if c not in frame.columns:
            return pl.Series(c, ["null"] * n_rows, dtype=pl.String)
        col = frame[c]
        if col.dtype == pl.Float64:
            return pl.Series(c, _float_texts(col, num), dtype=pl.String)
        values = col.unique().drop_nulls().to_list()
        mapped = col.replace_strict(values, [js(v) for v in values], default=None, return_dtype=pl.String)
        return mapped.fill_null("null").alias(c)

    t = pl.DataFrame([text(c) for c in cols])
    lit = pl.lit
    parts = [
        lit('{"absolute_status": '), "absolute_status",
        lit(', "comparison": {"key": '), "comparison_key",
        lit(', "kind": '), "comparison_kind",
        lit(', "n_pupils": '), "comparison_n_pupils",
        lit(', "n_schools": '), "comparison_n_schools",
        lit(', "success": '), "comparison_success",
        lit(f'}}, "confidence": {conf}, "gap": '), "gap",
        lit(', "interval": ['), "lower", lit(", "), "upper",
        lit(f'], "interval_method": {method}, "levels": '), "levels",
        lit(', "max_points": '), "max_points",
        lit(f', "min_gap": {min_gap}, "min_pupils": {min_pupils}, "n_pupils": '), "n_pupils",
        lit(', "persists_cohort": '), "persists_cohort",
        lit(', "persists_grade": '), "persists_grade",
        lit(', "recommendations": '), "recommendation_ids",
        lit(f', "rule": {rule}, "statistic": "success", "success": '), "success",
        lit(', "tasks": '), "tasks",
        lit(', "thresholds": {"min": '), "threshold_min",
        lit(', "target": '), "threshold_target",
        lit('}, "z": '), "z",
        lit("}"),
    ]  # fmt: skip
    return t.select(pl.concat_str(parts).alias("evidence"))["evidence"].to_list()


def deficits(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    clusters: pl.DataFrame | None = None,
    library: Library | None = None,
    table: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Deficit rows of one year with recommendations attached (no tracking, no evidence)."""
    sec = _section(config)
    lib = library or shipped_library()
    if table is not None:
        d = table.filter(pl.col("deficit"))
    elif _REFERENCE:
        d = deficit_table(inputs, sec, year=year, clusters=clusters).filter(pl.col("deficit"))
    else:
        y = inputs.year if year is None else int(year)
        parts = list(_table_parts(inputs, sec, y, clusters, only_deficits=True))
        d = pl.concat(parts) if parts else schema.empty(TABLE_SCHEMA)
    return attach(d, lib, max_entries=int(sec["recommendations"]["max_per_deficit"]))


def run(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    clusters: pl.DataFrame | None = None,
    library: Library | None = None,
    table: pl.DataFrame | None = None,
    evidence: bool = True,
) -> pl.DataFrame:
    """Deficits of ``inputs.year`` (school and class × element), recommendations, persistence and evidence.

    Output columns: ``OUTPUT_SCHEMA``; one row per deficit, sorted by test, school, unit, element.
    ``evidence=False`` leaves the ``evidence`` column null (its columns are all in the row; a country
    year's texts are 1 GB and take seconds to write).
    """
    sec = _section(config)
    lib = library or shipped_library()
    cur = deficits(inputs, sec, clusters=clusters, library=lib, table=table)
    if bool(sec["tracking"].get("enabled", True)):
        prev = deficits(inputs, sec, year=inputs.year - 1, clusters=clusters, library=lib)
        cur = track(cur, prev, lib)
    else:
        cur = cur.with_columns(
            pl.lit(None, dtype=pl.Boolean).alias("persists_grade"),
            pl.lit(None, dtype=pl.Boolean).alias("persists_cohort"),
        )
    if cur.height == 0:
        return schema.empty(OUTPUT_SCHEMA)
    if not evidence:
        return schema.conform(cur, OUTPUT_SCHEMA)
    # in slices: the Python strings of one slice at a time, not of every deficit row
    step = 100_000
    ev = pl.concat(
        [
            pl.Series("evidence", _evidence_column(cur.slice(i, step), sec), dtype=pl.String)
            for i in range(0, cur.height, step)
        ]
    )
    cur = cur.with_columns(ev)
    return schema.conform(cur, OUTPUT_SCHEMA)


# ---------------------------------------------------------------------------------------------
# pupils at risk


def _scale_for(inputs: Inputs, year: int) -> pl.DataFrame:
    """Nearest-year scale (min_3) per procedure/subject/grade."""
    sc = schema.conform(inputs.scales, schema.SCALES)
    if sc.height == 0:
        return pl.DataFrame(
            schema={"procedure": pl.String(), "subject": pl.String(), "grade": pl.Int8(), "min_3": pl.Int16()}
        )
    return (
        sc.with_columns(
            (pl.col("year").cast(pl.Int32) - year).abs().alias("_d"), (pl.col("year") > year).alias("_after")
        )
        .sort("_d", "_after")
        .unique(subset=["procedure", "subject", "grade"], keep="first", maintain_order=True)
        .select("procedure", "subject", "grade", "min_3")
    )


def pupils_at_risk(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    school_ids: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Pupils at risk of failure, by class, with their weakest skills (pseudonymous ``pupil_key`` only).

    Reasons (``[risk]`` of deficits.toml): mark «2», near the «2»/«3» boundary, basic level not
    mastered. The weakest elements are ordered by the pupil's distance below the region's success
    (the region computed over all inputs of the year, not only ``school_ids``). Columns: ``RISK_SCHEMA``.
    """
    sec = _section(config)
    year = inputs.year if year is None else int(year)
    if not _REFERENCE:
        return _pupils_at_risk_fast(inputs, sec, year, school_ids)
    risk = sec["risk"]
    procs = sec["procedures"]
    pupils = _present(
        inputs.results, inputs.tasks, year=year, procedures=procs, school_ids=school_ids
    ).collect()
    if pupils.height == 0:
        return schema.empty(RISK_SCHEMA)
    tasks = schema.conform(inputs.tasks, schema.TASKS)
    # basic-level share per pupil
    lvl = pupil_shares(
        inputs.results,
        tasks,
        year=year,
        dimensions=["level"],
        procedures=procs,
        school_ids=school_ids,
        keep_pupil=True,
    )
    basic = (
        lvl.filter(pl.col("element") == "Б")
        .select(*KEYS, "school_id", "pupil_key", pl.col("share").alias("basic_share"))
        .unique(subset=[*KEYS, "school_id", "pupil_key"])
        .collect()
    )
    scale = _scale_for(inputs, year)
    joined = pupils.join(basic, on=[*KEYS, "school_id", "pupil_key"], how="left").join(
        scale, on=["procedure", "subject", "grade"], how="left"
    )
    with_reasons = _risk_reasons(joined, risk)
    if with_reasons is None:
        return schema.empty(RISK_SCHEMA)
    p = with_reasons.filter(pl.col("reasons").is_not_null())
    if p.height == 0:
        return schema.empty(RISK_SCHEMA)
    weakest = _weakest(inputs, sec, year, p)
    p = p.join(weakest, on=[*KEYS, "school_id", "pupil_key"], how="left").with_columns(
        pl.col("class_name").fill_null(NO_CLASS)
    )
    p = p.sort([*KEYS, "school_id", "class_name", "primary_score", "pupil_key"], nulls_last=True)
    return schema.conform(p, RISK_SCHEMA)


def _risk_reasons(p: pl.DataFrame, risk: Mapping[str, Any]) -> pl.DataFrame | None:
    """``reasons`` of every pupil (null when none); None when no reason is switched on."""
    near = int(risk["near_margin"])
    reasons_on = set(risk["reasons"])
    p = p.with_columns(
        pl.coalesce(
            pl.col("mark").cast(pl.Int8),
            pl.when(pl.col("min_3").is_not_null()).then(
                pl.when(pl.col("primary_score") < pl.col("min_3")).then(pl.lit(2, dtype=pl.Int8))
            ),
        ).alias("_m2")
    )
    checks = {
        "mark2": (pl.col("_m2") == 2),
        "near_threshold": (pl.col("_m2").fill_null(3) != 2)
        & (pl.col("primary_score") >= pl.col("min_3"))
        & (pl.col("primary_score") < pl.col("min_3") + near),
        "low_basic": pl.col("basic_share") < float(risk["basic_share_below"]),
    }
    parts = [
        pl.when(checks[k].fill_null(False)).then(pl.lit(k))
        for k in ("mark2", "near_threshold", "low_basic")
        if k in reasons_on
    ]
    if not parts:
        return None
    return p.with_columns(
        pl.concat_str(parts, separator=";", ignore_nulls=True).replace({"": None}).alias("reasons")
    )


def _pupils_at_risk_fast(
    inputs: Inputs, sec: Mapping[str, Any], year: int, school_ids: Sequence[str] | None
) -> pl.DataFrame:
    """``pupils_at_risk`` one test at a time: only the at-risk pupils' weak elements become rows."""
    risk = sec["risk"]
    procs = sec["procedures"]
    dim = str(risk.get("dimension", "skill"))
    dims = sorted({dim, "task"})
    weak_below = float(risk["weak_share_below"])
    scale = _scale_for(inputs, year)
    cols = ("school_id", "class_name", "pupil_key", "primary_score", "mark")
    found: list[pl.DataFrame] = []
    weak: list[tuple[pl.DataFrame, np.ndarray, np.ndarray]] = []  # (elements, shares R × E, pupil ids)
    sums: list[pl.DataFrame] = []
    n_found = 0
    for b in _blocks(
        inputs.results,
        inputs.tasks,
        year=year,
        dimensions=sorted({"level", *dims}),
        procedures=procs,
        school_ids=school_ids,
        columns=cols,
    ):
        el = b.elements
        if school_ids is None:
            sums.append(_block_class_sums(b).filter(pl.col("dimension").is_in(dims)))
        basic = np.flatnonzero(((el["dimension"] == "level") & (el["element"] == "Б")).to_numpy())
        if basic.size:
            j = int(basic[0])
            pts = np.rint(b.scores.astype(np.float32) @ b.weights[:, j]).astype(np.int64)
            col = pl.Series("basic_share", pts / b.maxima[j], dtype=pl.Float64)
        else:
            col = pl.Series("basic_share", [None] * b.pupils.height, dtype=pl.Float64)
        p = b.pupils.with_columns(
            *(pl.lit(v, dtype=schema.RESULTS[k]).alias(k) for k, v in zip(KEYS, b.key, strict=True)), col
        ).join(scale, on=["procedure", "subject", "grade"], how="left")
        p = _risk_reasons(p, risk)
        if p is None:
            return schema.empty(RISK_SCHEMA)
        p = p.with_row_index("_row").filter(pl.col("reasons").is_not_null())
        if p.height == 0:
            continue
        p = p.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + n_found).alias("_gid"))
        n_found += p.height
        found.append(p.drop("_row"))
        # the dimension to use: `dim` when the test has it, else "task"
        use = dim if (el["dimension"] == dim).any() else "task"
        keep = np.flatnonzero((el["dimension"] == use).to_numpy())
        rows = p["_row"].to_numpy()
        pts = np.rint(b.scores[rows].astype(np.float32) @ b.weights[:, keep]).astype(np.int64)
        elements = el[pl.Series(keep)].with_columns(
            *(pl.lit(v, dtype=schema.RESULTS[k]).alias(k) for k, v in zip(KEYS, b.key, strict=True))
        )
        weak.append((elements, pts / b.maxima[keep][None, :], p["_gid"].to_numpy()))
    if not found:
        return schema.empty(RISK_SCHEMA)
    p = pl.concat(found, how="vertical_relaxed")
    if school_ids is None:
        cs = pl.concat(sums).sort(*KEYS, "school_id", "class_name", "dimension", "element", nulls_last=True)
    else:
        cs = class_sums(inputs.results, inputs.tasks, year=year, dimensions=dims, procedures=procs)
    reg = cs.group_by([*KEYS, "dimension", "element"]).agg(
        (pl.col("s1").sum() / pl.col("n").sum()).alias("region")
    )
    info = element_info(element_map(inputs.tasks, dims), sec).select(
        *KEYS, "dimension", "element", "element_label", "element_order"
    )
    el_keys = [*KEYS, "dimension", "element"]
    long = []
    elements_all = []
    n_el = 0
    for elements, share, gid in weak:
        e = elements.join(reg, on=el_keys, how="left").join(info, on=el_keys, how="left")
        r, k = np.nonzero(share < weak_below)  # only the weak elements become rows
        sh = share[r, k]
        region = e["region"].cast(pl.Float64).fill_null(np.nan).to_numpy()[k]
        long.append(
            pl.DataFrame(
                {
                    "_gid": gid[r],
                    "_eg": (k + n_el).astype(np.int64),
                    "share": sh,
                    "region": region,
                    "element_order": e["element_order"].to_numpy()[k],
                }
            ).with_columns(
                pl.col("region").fill_nan(None),
                (pl.col("share") - pl.col("region").fill_nan(None)).alias("_below"),
            )
        )
        elements_all.append(e.select("element", "element_label").with_row_index("_eg", offset=n_el))
        n_el += e.height
    weakest = _weakest_rows(pl.concat(long), pl.concat(elements_all), int(risk["weakest_count"]))
    p = (
        p.join(weakest, on="_gid", how="left")
        .drop("_gid")
        .with_columns(pl.col("class_name").fill_null(NO_CLASS))
    )
    p = p.sort([*KEYS, "school_id", "class_name", "primary_score", "pupil_key"], nulls_last=True)
    return schema.conform(p, RISK_SCHEMA)


def _weakest_rows(long: pl.DataFrame, elements: pl.DataFrame, k: int) -> pl.DataFrame:
    """weakest / weakest_elements per pupil (``_gid``) from the weak (pupil, element) rows."""
    top = (
        long.sort(["_gid", "_below", "element_order"])
        .group_by("_gid", maintain_order=True)
        .head(k)
        .join(elements.with_columns(pl.col("_eg").cast(pl.Int64)), on="_eg", how="left")
    )

    def texts(col: str, fn: Any) -> pl.Expr:
        values = top[col].unique().drop_nulls().to_list()
        return pl.col(col).replace_strict(
            values, [fn(v) for v in values], default="null", return_dtype=pl.String
        )

    def r3(x: float) -> str:
        return json.dumps(round(x, 3))

    item = pl.concat_str(
        pl.lit('{"element": '),
        texts("element", lambda v: json.dumps(v, ensure_ascii=False)),
        pl.lit(', "label": '),
        texts("element_label", lambda v: json.dumps(v, ensure_ascii=False)),
        pl.lit(', "share": '),
        texts("share", r3),
        pl.lit(', "region": '),
        texts("region", r3),
        pl.lit("}"),
    )
    return top.group_by("_gid", maintain_order=True).agg(
        pl.col("element_label").str.join("; ").alias("weakest"),
        ("[" + item.str.join(", ") + "]").alias("weakest_elements"),
    )


def _weakest(inputs: Inputs, sec: Mapping[str, Any], year: int, at_risk: pl.DataFrame) -> pl.DataFrame:
    risk = sec["risk"]
    dim = str(risk.get("dimension", "skill"))
    procs = sec["procedures"]
    dims = sorted({dim, "task"})
    # the region's success per element (all schools of the inputs)
    reg = (
        class_sums(inputs.results, inputs.tasks, year=year, dimensions=dims, procedures=procs)
        .group_by([*KEYS, "dimension", "element"])
        .agg((pl.col("s1").sum() / pl.col("n").sum()).alias("region"))
    )
    info = element_info(element_map(inputs.tasks, dims), sec).select(
        *KEYS, "dimension", "element", "element_label", "element_order"
    )
    # the dimension to use per test: `dim` when the test has it, else "task"
    has_dim = (
        info.filter(pl.col("dimension") == dim).select(KEYS).unique().with_columns(pl.lit(dim).alias("_use"))
    )
    schools = at_risk["school_id"].unique().to_list()
    sh = (
        pupil_shares(
            inputs.results,
            inputs.tasks,
            year=year,
            dimensions=dims,
            procedures=procs,
            school_ids=schools,
            keep_pupil=True,
        )
        .collect()
        .join(
            at_risk.select(*KEYS, "school_id", "pupil_key"), on=[*KEYS, "school_id", "pupil_key"], how="semi"
        )
        .join(has_dim, on=KEYS, how="left")
        .filter(pl.col("dimension") == pl.col("_use").fill_null("task"))
        .join(reg, on=[*KEYS, "dimension", "element"], how="left")
        .join(info, on=[*KEYS, "dimension", "element"], how="left")
        .filter(pl.col("share") < float(risk["weak_share_below"]))
        .with_columns((pl.col("share") - pl.col("region")).alias("_below"))
        .sort([*KEYS, "school_id", "pupil_key", "_below", "element_order"])
    )
    k = int(risk["weakest_count"])
    top = sh.group_by([*KEYS, "school_id", "pupil_key"], maintain_order=True).head(k)
    rows = []
    for key, grp in top.group_by([*KEYS, "school_id", "pupil_key"], maintain_order=True):
        items = [
            {"element": e, "label": lab, "share": round(s, 3), "region": None if r is None else round(r, 3)}
            for e, lab, s, r in grp.select("element", "element_label", "share", "region").iter_rows()
        ]
        rows.append(
            {
                **dict(zip([*KEYS, "school_id", "pupil_key"], key, strict=True)),
                "weakest": "; ".join(i["label"] for i in items),
                "weakest_elements": json.dumps(items, ensure_ascii=False),
            }
        )
    out_schema = {
        **{k_: RISK_SCHEMA[k_] for k_ in [*KEYS, "school_id", "pupil_key"]},
        "weakest": pl.String(),
        "weakest_elements": pl.String(),
    }
    return pl.DataFrame(rows, schema=out_schema)


def risk_groups(at_risk: pl.DataFrame) -> pl.DataFrame:
    """Groups for teachers' work: per school, class and weak element, the pupils (pupil_key) who share it.

    Columns: KEYS, school_id, class_name, element, element_label, n_pupils, pupil_keys (", "-joined).
    """
    cols = [*KEYS, "school_id", "class_name"]
    if at_risk.height == 0:
        return pl.DataFrame(
            schema={
                **{c: RISK_SCHEMA[c] for c in cols},
                "element": pl.String(),
                "element_label": pl.String(),
                "n_pupils": pl.Int64(),
                "pupil_keys": pl.String(),
            }
        )
    item = pl.Struct(
        {"element": pl.String(), "label": pl.String(), "share": pl.Float64(), "region": pl.Float64()}
    )
    return (
        at_risk.filter(pl.col("weakest_elements").is_not_null())
        .with_columns(pl.col("weakest_elements").str.json_decode(pl.List(item)).alias("_w"))
        .explode("_w")
        .filter(pl.col("_w").is_not_null())
        .with_columns(
            pl.col("_w").struct.field("element").alias("element"),
            pl.col("_w").struct.field("label").alias("element_label"),
        )
        .group_by([*cols, "element", "element_label"], maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("n_pupils"),
            pl.col("pupil_key").sort().str.join(", ").alias("pupil_keys"),
        )
        .sort([*cols, "n_pupils", "element"], descending=[False] * len(cols) + [True, False])
    )
