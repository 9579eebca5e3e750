"""Expert re-checks of ВПР works: how much the expert changed, per school and task, and whether schools
with signs of non-objective results were checked more leniently than the others.

Input rows are those of :func:`shnor.core.ingest.rechecks.read_rechecks` (``RECHECKS``): one row per task
of a re-checked work with the school's and the expert's score. A work "changed" when any of its task
scores differs; its change is the expert's total minus the school's. Marks come from the test's scale
(``SCALES``: a total below ``min_3`` is 2, below ``min_4`` is 3, below ``min_5`` is 4, else 5); without a
scale the mark columns are null.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
from scipy.stats import fisher_exact

TEST = ["year", "subject", "grade"]
SCHOOL_TEST = ["year", "school_id", "subject", "grade"]
_EPS = 1e-9

#: ``by_school``: one row per school and test.
BY_SCHOOL: dict[str, pl.DataType] = {
    "year": pl.Int16(),
    "school_id": pl.String(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "works": pl.Int32(),  # re-checked works
    "works_changed": pl.Int32(),  # works where the expert changed any task's score
    "share_changed": pl.Float64(),  # works_changed / works
    "mean_change": pl.Float64(),  # mean over works of (expert total − school total)
    "lowered": pl.Int32(),  # works whose total the expert lowered
    "raised": pl.Int32(),  # works whose total the expert raised
    "marks_changed": pl.Int32(),  # works whose mark by the scale changed; null without a scale
    "marks_lowered": pl.Int32(),  # … of them, lowered; null without a scale
    "marks_raised": pl.Int32(),  # … of them, raised; null without a scale
}

#: ``by_task``: one row per school, test and task.
BY_TASK: dict[str, pl.DataType] = {
    "year": pl.Int16(),
    "school_id": pl.String(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "task": pl.String(),
    "works": pl.Int32(),  # works in which the task was re-checked
    "works_changed": pl.Int32(),  # … where the expert changed its score
    "share_changed": pl.Float64(),
    "mean_change": pl.Float64(),  # mean of (expert score − school score)
}

#: ``recheck_compare``: per test (``level`` «тест»: the flagged schools together) and per flagged school
#: (``level`` «школа»), each against the test's control group — the schools not flagged.
COMPARE: dict[str, pl.DataType] = {
    "level": pl.String(),  # «тест» | «школа»
    "year": pl.Int16(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "school_id": pl.String(),  # null on «тест» rows
    "schools": pl.Int32(),  # flagged schools in the row (1 on «школа» rows)
    "works": pl.Int32(),
    "works_changed": pl.Int32(),
    "share_changed": pl.Float64(),
    "control_schools": pl.Int32(),
    "control_works": pl.Int32(),
    "control_changed": pl.Int32(),
    "control_share": pl.Float64(),  # null without a control group
    "difference": pl.Float64(),  # share_changed − control_share
    "p_value": pl.Float64(),  # Fisher's exact test, one-sided: more changed works than in the control
    "mean_change": pl.Float64(),
    "control_mean_change": pl.Float64(),
    "lowered": pl.Int32(),
    "raised": pl.Int32(),
    "marks_lowered": pl.Int32(),  # null when no scale is known
    "direction": pl.String(),  # one of DIRECTIONS
    "conclusion": pl.String(),  # plain Russian
}

OVERSTATED = "оценки школы завышены"
UNDERSTATED = "оценки школы занижены"
AGREE = "оценки совпадают"
MIXED = "расхождения в обе стороны"
DIRECTIONS = (OVERSTATED, UNDERSTATED, AGREE, MIXED)


@dataclass(frozen=True)
class RecheckSummary:
    """What the expert changed: ``by_school`` (``BY_SCHOOL``) and ``by_task`` (``BY_TASK``)."""

    by_school: pl.DataFrame
    by_task: pl.DataFrame


def _mark(total: pl.Expr) -> pl.Expr:
    return (
        pl.when(pl.col("min_3").is_null())
        .then(None)
        .when(total < pl.col("min_3"))
        .then(2)
        .when(total < pl.col("min_4"))
        .then(3)
        .when(total < pl.col("min_5"))
        .then(4)
        .otherwise(5)
    )


def _works(rows: pl.DataFrame, scales: pl.DataFrame | None) -> pl.DataFrame:
    """One row per work: totals, whether anything changed, and the marks by the scale."""
    works = rows.group_by([*SCHOOL_TEST, "work"]).agg(
        pl.col("school_score").sum().alias("school_total"),
        pl.col("expert_score").sum().alias("expert_total"),
        ((pl.col("school_score") - pl.col("expert_score")).abs() > _EPS).any().alias("changed"),
    )
    if scales is not None and scales.height:
        scale = scales.filter(pl.col("procedure") == "vpr").select(
            pl.col("year").cast(pl.Int16),
            pl.col("subject").cast(pl.String),
            pl.col("grade").cast(pl.Int8),
            *[pl.col(c).cast(pl.Float64) for c in ("min_3", "min_4", "min_5")],
        )
        works = works.join(scale.unique(TEST, keep="first"), on=TEST, how="left")
    else:
        works = works.with_columns(pl.lit(None, pl.Float64).alias(c) for c in ("min_3", "min_4", "min_5"))
    return works.with_columns(
        (pl.col("expert_total") - pl.col("school_total")).alias("change"),
        _mark(pl.col("school_total")).alias("school_mark"),
        _mark(pl.col("expert_total")).alias("expert_mark"),
    )


def _count(cond: pl.Expr) -> pl.Expr:
    return cond.cast(pl.Int32).sum()


def _mark_count(cond: pl.Expr) -> pl.Expr:
    """How many works satisfy ``cond`` on marks; null when the test has no scale."""
    known = pl.col("school_mark").is_not_null().any()
    return pl.when(known).then(cond.fill_null(False).cast(pl.Int32).sum()).otherwise(None)


def _task_order(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Sorted by ``keys``, then tasks in natural order (2 before 10, «2(1)» after «2»)."""
    number = pl.col("task").str.extract(r"^(\d+)").cast(pl.Int32, strict=False)
    return frame.sort([*keys, number, "task"], nulls_last=True)


def recheck_summary(rows: pl.DataFrame, scales: pl.DataFrame | None = None) -> RecheckSummary:
    """What the expert changed, per school × test (``by_school``) and per school × test × task (``by_task``).

    ``scales`` has the columns of ``SCALES`` (``year, procedure, subject, grade, max_score, min_3, min_4,
    min_5``); only ВПР rows are used. Without a scale for a test its mark columns are null.
    """
    works = _works(rows, scales)
    by_school = (
        works.group_by(SCHOOL_TEST)
        .agg(
            pl.len().cast(pl.Int32).alias("works"),
            _count(pl.col("changed")).alias("works_changed"),
            pl.col("change").mean().alias("mean_change"),
            _count(pl.col("change") < -_EPS).alias("lowered"),
            _count(pl.col("change") > _EPS).alias("raised"),
            _mark_count(pl.col("school_mark") != pl.col("expert_mark")).alias("marks_changed"),
            _mark_count(pl.col("expert_mark") < pl.col("school_mark")).alias("marks_lowered"),
            _mark_count(pl.col("expert_mark") > pl.col("school_mark")).alias("marks_raised"),
        )
        .with_columns((pl.col("works_changed") / pl.col("works")).alias("share_changed"))
        .select(list(BY_SCHOOL))
        .cast(BY_SCHOOL)  # type: ignore[arg-type]
        .sort(SCHOOL_TEST)
    )
    diff = pl.col("expert_score") - pl.col("school_score")
    by_task = (
        rows.group_by([*SCHOOL_TEST, "task"])
        .agg(
            pl.col("work").n_unique().cast(pl.Int32).alias("works"),
            _count(diff.abs() > _EPS).alias("works_changed"),
            diff.mean().alias("mean_change"),
        )
        .with_columns((pl.col("works_changed") / pl.col("works")).alias("share_changed"))
        .select(list(BY_TASK))
        .cast(BY_TASK)  # type: ignore[arg-type]
    )
    return RecheckSummary(by_school=by_school, by_task=_task_order(by_task, SCHOOL_TEST))


# ---------------------------------------------------------------------------------------------
# flagged schools against the control group


def _pct(part: int, whole: int) -> str:
    """A whole percentage («70 %»), rounded half up."""
    return f"{math.floor(100 * part / whole + 0.5)} %" if whole else "—"


def _works_word(n: int, case: str) -> str:
    """«работ»/«работы» after «из N», «работах»/«работе» after «в N»."""
    one = n % 10 == 1 and n % 100 != 11
    if case == "from":
        return "работы" if one else "работ"
    return "работе" if one else "работах"


def fmt_p(p: float | None) -> str:
    """A p-value in Russian, never in e-notation: «p = 0,034», «p < 0,001»."""
    if p is None:
        return "p не вычислено"
    if p < 0.001:
        return "p < 0,001"
    return "p = " + f"{p:.3f}".replace(".", ",")


def fmt_num(x: float | None, nd: int = 1, *, signed: bool = False) -> str:
    """A Russian number: decimal comma, a true minus sign (a plus too when ``signed``), «—» for None."""
    if x is None:
        return "—"
    text = f"{x:+.{nd}f}" if signed else f"{x:.{nd}f}"
    return text.replace(".", ",").replace("-", "−")


def direction(lowered: int, raised: int, changed: int) -> str:
    """Which way the expert moved the school's totals."""
    if changed == 0:
        return AGREE
    if lowered > raised:
        return OVERSTATED
    if raised > lowered:
        return UNDERSTATED
    return MIXED


def _conclusion(row: Mapping[str, Any]) -> str:
    n, k = int(row["works"]), int(row["works_changed"])
    text = f"Эксперт изменил баллы в {k} из {n} {_works_word(n, 'from')} ({_pct(k, n)})"
    cn, ck = int(row["control_works"]), int(row["control_changed"])
    if cn:
        text += f", в контрольных школах — в {ck} из {cn} ({_pct(ck, cn)})"
    else:
        text += "; контрольных школ с перепроверкой этого теста нет — сравнить не с чем"
    marks = row["marks_lowered"]
    if marks is None:
        text += "; шкала отметок теста не загружена — изменение отметок не оценено."
    elif marks:
        text += f"; отметка снижена в {marks} {_works_word(int(marks), 'in')}."
    else:
        text += "; отметки не снижены."
    if cn:
        p = row["p_value"]
        significant = p is not None and p < 0.05
        verdict = "различие не объясняется случайностью" if significant else "различие может быть случайным"
        text += f" {verdict.capitalize()} ({fmt_p(p)}); {row['direction']}."
    else:
        text += f" Итог: {row['direction']}."
    if row["lowered"] or row["raised"]:
        text += (
            f" Сумма баллов снижена в {row['lowered']} {_works_word(int(row['lowered']), 'in')}, "
            f"повышена в {row['raised']}; в среднем изменение "
            f"{fmt_num(row['mean_change'], 2, signed=True)} балла на работу."
        )
    return text


def _fisher(k: int, n: int, ck: int, cn: int) -> float | None:
    if not n or not cn:
        return None
    _, p = fisher_exact([[k, n - k], [ck, cn - ck]], alternative="greater")
    return float(p)


def _row(level: str, school: str | None, group: pl.DataFrame, control: pl.DataFrame) -> dict[str, Any]:
    n, k = int(group["works"].sum()), int(group["works_changed"].sum())
    cn, ck = int(control["works"].sum()), int(control["works_changed"].sum())
    share = k / n if n else None
    control_share = ck / cn if cn else None
    lowered, raised = int(group["lowered"].sum()), int(group["raised"].sum())
    marks = group["marks_lowered"]
    row: dict[str, Any] = {
        "level": level,
        "school_id": school,
        "schools": group.height,
        "works": n,
        "works_changed": k,
        "share_changed": share,
        "control_schools": control.height,
        "control_works": cn,
        "control_changed": ck,
        "control_share": control_share,
        "difference": share - control_share if share is not None and control_share is not None else None,
        "p_value": _fisher(k, n, ck, cn),
        "mean_change": _weighted_mean(group),
        "control_mean_change": _weighted_mean(control),
        "lowered": lowered,
        "raised": raised,
        "marks_lowered": None if marks.null_count() == marks.len() else int(marks.sum()),
        "direction": direction(lowered, raised, k),
    }
    row["conclusion"] = _conclusion(row)
    return row


def _weighted_mean(frame: pl.DataFrame) -> float | None:
    n = int(frame["works"].sum())
    if not n:
        return None
    return float((frame["mean_change"] * frame["works"]).sum()) / n


def recheck_compare(by_school: pl.DataFrame, flagged: set[str]) -> pl.DataFrame:
    """Flagged schools against the others (the control group), per test and per flagged school.

    ``by_school`` is :func:`recheck_summary`'s frame; the result has the columns of ``COMPARE``: a «тест»
    row per test with flagged schools, then a «школа» row per flagged school of that test, each with
    Fisher's one-sided exact test (more changed works than in the control) and a plain Russian
    ``conclusion``. Tests without flagged schools give no rows.
    """
    out: list[dict[str, Any]] = []
    marked = by_school.with_columns(pl.col("school_id").is_in(sorted(flagged)).alias("_flagged"))
    for key, test in marked.sort(TEST).group_by(TEST, maintain_order=True):
        group, control = test.filter(pl.col("_flagged")), test.filter(~pl.col("_flagged"))
        if not group.height:
            continue
        keys = dict(zip(TEST, key, strict=True))
        out.append(keys | _row("тест", None, group, control))
        for school in group.sort("school_id").iter_slices(1):
            out.append(keys | _row("школа", str(school["school_id"][0]), school, control))
    return pl.DataFrame(out, schema=COMPARE).select(list(COMPARE))


__all__ = [
    "AGREE",
    "BY_SCHOOL",
    "BY_TASK",
    "COMPARE",
    "DIRECTIONS",
    "MIXED",
    "OVERSTATED",
    "UNDERSTATED",
    "RecheckSummary",
    "direction",
    "fmt_p",
    "recheck_compare",
    "recheck_summary",
]
