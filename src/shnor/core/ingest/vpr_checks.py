"""Row-level checks of a ВПР file: the rejection rules, the errors they raise and repeated pupils.

The working frame the checks run on has one row per data row of the sheet: ``_idx`` (row index in the
sheet's data), ``school_id``, ``absent``, ``variant``, ``total``, ``code``, and for every task column
``k`` the parsed score ``n{k}``, the "not attempted" flag ``x{k}`` and the raw cell ``r{k}``, plus the
raw total ``r_total``.
"""

from __future__ import annotations

import polars as pl

from shnor.core.ingest.common import header_of, is_whole
from shnor.core.ingest.errors import RowError
from shnor.core.ingest.tables import Sheet

#: The largest task score and primary score the warehouse holds (Int8, Int16): the bounds when no
#: specification or scale gives the real maxima.
TASK_LIMIT, TOTAL_LIMIT = 127, 32767

#: One rule: (bad rows, raw column of the working frame shown as the value, header, message template).
Check = tuple[pl.Expr, str | None, str, str]


def task_sum_expr(n_tasks: int) -> pl.Expr:
    """Sum of the task scores of a row, "not attempted" counted as 0."""
    return pl.sum_horizontal(
        [pl.when(pl.col(f"x{k}")).then(0).otherwise(pl.col(f"n{k}")) for k in range(n_tasks)]
    )


def _task_checks(sheet: Sheet, task_cols: list[str], maxima: list[int | None]) -> list[Check]:
    """The rules on each task score, task by task in column order."""
    checks: list[Check] = []
    present = ~pl.col("absent")
    for k, c in enumerate(task_cols):
        h = header_of(sheet, c)
        n, x, r = pl.col(f"n{k}"), pl.col(f"x{k}"), pl.col(f"r{k}")
        checks.append((present & r.is_null(), f"r{k}", h, "нет балла за задание у участника"))
        checks.append(
            (
                present & r.is_not_null() & ~x & ~is_whole(n),
                f"r{k}",
                h,
                "недопустимое значение (ожидается целое число баллов или X)",
            )
        )
        checks.append((present & is_whole(n) & (n < 0), f"r{k}", h, "отрицательный балл"))
        if maxima[k] is not None:
            checks.append(
                (
                    present & is_whole(n) & (n > maxima[k]),
                    f"r{k}",
                    h,
                    f"балл больше максимума задания ({maxima[k]})",
                )
            )
        else:  # no specification: at least what the warehouse can hold
            checks.append(
                (
                    present & is_whole(n) & (n > TASK_LIMIT),
                    f"r{k}",
                    h,
                    f"балл больше допустимого ({TASK_LIMIT}); максимум задания не задан спецификацией",
                )
            )
    return checks


def _total_checks(sheet: Sheet, c_total: str, n_tasks: int, max_total: int | None) -> list[Check]:
    """The rules on the primary score: a whole number, within the maximum, the sum of the tasks."""
    checks: list[Check] = []
    present = ~pl.col("absent")
    h_total = header_of(sheet, c_total)
    tot = pl.col("total")
    checks.append((present & ~is_whole(tot), "r_total", h_total, "сумма баллов не указана или не число"))
    checks.append((present & is_whole(tot) & (tot < 0), "r_total", h_total, "отрицательная сумма баллов"))
    if max_total is not None:
        checks.append(
            (
                present & is_whole(tot) & (tot > max_total),
                "r_total",
                h_total,
                f"сумма баллов больше максимума работы ({max_total})",
            )
        )
    else:
        checks.append(
            (
                present & is_whole(tot) & (tot > TOTAL_LIMIT),
                "r_total",
                h_total,
                f"сумма баллов больше допустимой ({TOTAL_LIMIT}); максимум работы не задан шкалой",
            )
        )
    all_valid = pl.all_horizontal([pl.col(f"x{k}") | is_whole(pl.col(f"n{k}")) for k in range(n_tasks)])
    checks.append(
        (
            present & is_whole(tot) & all_valid & (tot != task_sum_expr(n_tasks)),
            "r_total",
            h_total,
            "сумма баллов не равна сумме баллов за задания ({sum})",
        )
    )
    return checks


def row_checks(
    sheet: Sheet,
    c_school: str,
    c_total: str,
    task_cols: list[str],
    maxima: list[int | None],
    max_total: int | None,
) -> list[Check]:
    """Every rejection rule of the file, in the order its errors are listed: school, tasks, total."""
    checks: list[Check] = [
        (pl.col("school_id").is_null(), None, header_of(sheet, c_school), "не указан логин школы")
    ]
    checks += _task_checks(sheet, task_cols, maxima)
    checks += _total_checks(sheet, c_total, len(task_cols), max_total)
    return checks


def check_errors(
    w: pl.DataFrame, sheet: Sheet, checks: list[Check], n_tasks: int
) -> tuple[list[RowError], set[int]]:
    """The errors of every rule, rule by rule, and the rejected rows (``_idx``)."""
    task_sum = task_sum_expr(n_tasks)
    flags = w.with_columns(task_sum.alias("_sum")).select(
        "_idx", "_sum", *[c[0].fill_null(False).alias(f"_b{i}") for i, c in enumerate(checks)]
    )
    errors: list[RowError] = []
    bad: set[int] = set()
    for i, (_e, raw, header, msg) in enumerate(checks):
        hit = w.with_columns(flags[f"_b{i}"], flags["_sum"]).filter(pl.col(f"_b{i}"))
        if hit.height == 0:
            continue
        vals = hit[raw].to_list() if raw else [""] * hit.height
        for idx, v, sm in zip(hit["_idx"].to_list(), vals, hit["_sum"].to_list(), strict=True):
            bad.add(idx)
            text = msg.replace("{sum}", "" if sm is None else f"{sm:g}")
            errors.append(
                RowError(sheet.file, sheet.name, idx + 2, header, text, "" if v is None else str(v))
            )
    return errors, bad


def duplicate_errors(w: pl.DataFrame, sheet: Sheet, code_header: str, bad: set[int]) -> list[RowError]:
    """Repeated pupils within a school (same code) among rows not yet rejected: later rows are rejected.

    The rejected rows are added to ``bad``.
    """
    dup = (
        w.filter(
            pl.col("code").is_not_null()
            & pl.col("school_id").is_not_null()
            & ~pl.col("_idx").is_in(list(bad))
        )
        .with_columns(pl.col("_idx").min().over(["school_id", "code"]).alias("_first"))
        .filter(pl.col("_idx") != pl.col("_first"))
    )
    errors: list[RowError] = []
    for idx, first, cd in zip(
        dup["_idx"].to_list(), dup["_first"].to_list(), dup["code"].to_list(), strict=True
    ):
        bad.add(idx)
        errors.append(
            RowError(
                sheet.file,
                sheet.name,
                idx + 2,
                code_header,
                f"повтор ученика: код уже встречался в строке {first + 2}",
                cd,
            )
        )
    return errors
