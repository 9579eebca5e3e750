"""Task structure → elements: which tasks make up each task, level, skill, КЭС and КТ element."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from shnor.core.methods.deficits.schemas import DIMENSIONS, KEYS
from shnor.core.methods.deficits.settings import _section
from shnor.core.store import schema

_HYPHEN_BREAK = re.compile(r"(\w)-\s+(\w)")
_SPACES = re.compile(r"\s+")


def normalise_skill(text: str | None) -> str | None:
    """Skill wording as one key: hyphenation breaks joined ("арифмети- ческие"), spaces collapsed, final dot
    dropped."""
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
    """One row per (test, dimension, element): label, order, levels, tasks, skills, КЭС codes, maximum,
    thresholds."""
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
