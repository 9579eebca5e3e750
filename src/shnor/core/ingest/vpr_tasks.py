"""The task columns of a ВПР file and the task specification (maxima, levels) they are checked against."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import polars as pl

from shnor.core.ingest.common import header_of
from shnor.core.ingest.errors import IngestError
from shnor.core.ingest.tables import Sheet, norm
from shnor.core.store import schema

if TYPE_CHECKING:
    from shnor.core.ingest.vpr import Layout


def task_structure(
    layout: Layout,
    sheet: Sheet,
    year: int,
    subject: str,
    grade: int,
    tasks: pl.DataFrame | None,
    warnings: list[str],
) -> tuple[list[str], pl.DataFrame]:
    """Task columns of the file and the task table (maxima, levels) used to check them."""
    cols = []
    for j, h in enumerate(sheet.header):
        m = layout.task.match(norm(h))
        if m:
            cols.append((f"c{j}", m))
    if layout.name == "fisoko2022":
        rows = [
            {"task_no": k + 1, "task_label": re.sub(r"\s+", "", m.group(1)), "max_points": int(m.group(2))}
            for k, (_, m) in enumerate(cols)
        ]
        table = pl.DataFrame(rows)
        ref = _reference_tasks(tasks, year, subject, grade, {len(cols)}, warnings, quiet=True)
        if ref is not None and ref.height == table.height:
            table = table.with_columns(ref.select("level", "skill", "kes", "kt"))
        table = table.with_columns(
            pl.lit("vpr").alias("procedure"),
            pl.lit(year).alias("year"),
            pl.lit(subject).alias("subject"),
            pl.lit(grade).alias("grade"),
        )
        return [c for c, _ in cols], schema.conform(table, schema.TASKS)

    cols.sort(key=lambda cm: _label_key(cm[1].group(1)))
    # columns filled in at least 1 % of rows: stray cells beyond the test (as in the real 2020 file) do
    # not count
    height = max(sheet.data.height, 1)
    filled = [c for c, _ in cols if sheet.data[c].is_not_null().sum() / height >= 0.01]
    ref = _reference_tasks(tasks, year, subject, grade, {len(cols), len(filled)}, warnings)
    if ref is not None:
        n = ref.height
        if len(cols) < n:
            raise IngestError(
                f"{sheet.file}: в файле {len(cols)} столбцов с баллами за задания, а по спецификации "
                f"заданий {n}"
            )
        extra = cols[n:]
        used = [c for c, _ in cols[:n]]
        stray = [header_of(sheet, c) for c, _ in extra if sheet.data[c].is_not_null().any()]
        if stray:
            warnings.append(
                f"{sheet.file}: столбцы за пределами {n} заданий спецификации не учитываются: "
                f"{', '.join(stray)}"
            )
        return used, ref
    # No specification: the task columns that hold any value; maxima unknown.
    used = [c for c, _ in cols if sheet.data[c].is_not_null().any()]
    warnings.append(
        f"{sheet.file}: спецификация заданий ВПР {year} {subject}{grade} не загружена — максимумы заданий"
        " не проверяются (загрузите её: shnor import tasks)"
    )
    table = pl.DataFrame(
        {"task_no": list(range(1, len(used) + 1)), "task_label": [str(k) for k in range(1, len(used) + 1)]}
    ).with_columns(
        pl.lit("vpr").alias("procedure"),
        pl.lit(year).alias("year"),
        pl.lit(subject).alias("subject"),
        pl.lit(grade).alias("grade"),
    )
    return used, schema.conform(table, schema.TASKS)


def _label_key(label: str) -> tuple[int, int]:
    nums = [int(x) for x in re.findall(r"\d+", label)] + [0]
    return nums[0], nums[1]


def _reference_tasks(
    tasks: pl.DataFrame | None,
    year: int,
    subject: str,
    grade: int,
    counts: set[int] | None,
    warnings: list[str],
    quiet: bool = False,
) -> pl.DataFrame | None:
    """The specification of the year; else the nearest year's whose number of tasks fits the file's
    columns."""
    if tasks is None or tasks.height == 0:
        return None
    same = tasks.filter(
        (pl.col("procedure") == "vpr") & (pl.col("subject") == subject) & (pl.col("grade") == grade)
    )
    if same.height == 0:
        return None
    exact = same.filter(pl.col("year") == year)
    if exact.height:
        return schema.conform(exact.sort("task_no"), schema.TASKS)
    for y in sorted(set(same["year"].to_list()), key=lambda y: (abs(y - year), -y)):
        t = same.filter(pl.col("year") == y).sort("task_no")
        if counts is not None and t.height not in counts:
            continue
        if not quiet:
            warnings.append(
                f"спецификация заданий за {year} не загружена; использована спецификация {y} года"
            )
        return schema.conform(t.with_columns(pl.lit(year).alias("year")), schema.TASKS)
    return None
