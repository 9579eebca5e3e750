"""Regional diagnostic works (РДР): pupil-level results in the ВПР layouts of ФИС ОКО → RESULTS rows.

An РДР file is laid out as a ВПР export (see ``vpr.py`` and docs/imports.md): a school login, class,
pupil code, variant, a score per task, the total and, unlike ВПР, usually the mark the region gave
(«Отметка», «Отметка за работу»). The rows become their own procedure ``rdr``: the task
specification and the mark scale are looked up under ``rdr`` (never the ВПР ones), and a pupil who
wrote the work needs a mark — from the file, else from a loaded РДР scale — or the row is rejected.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from shnor.core.ingest.common import find_column, header_of, is_whole, number, resolve_target
from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import norm, read_tables
from shnor.core.ingest.vpr import VprFile, find_scale, mark_expr, read_vpr
from shnor.core.store import schema

__all__ = ["MARK_HEADERS", "read_rdr", "rdr_hints"]

PROCEDURE = "rdr"
#: headers of the mark column (exact, normalised): not «Отметка за предыдущую четверть»
MARK_HEADERS = ("отметка", "отметка за работу", "отметка за рдр", "оценка", "mark")
_NAME = re.compile(r"(?:rdr|рдр)[ _-]*(\d{4})[ _-]*([a-z]{2})[ _-]*(\d{1,2})(?!\d)")


def rdr_hints(name: str) -> tuple[int | None, str | None, int | None]:
    """Year, subject and grade from a name such as ``rdr_2025_ma7.xlsx`` (None where it says nothing)."""
    m = _NAME.search(norm(name))
    if not m or m.group(2) not in schema.SUBJECTS:
        return None, None, None
    return int(m.group(1)), m.group(2), int(m.group(3))


def _as_vpr(frame: pl.DataFrame | None) -> pl.DataFrame | None:
    """The РДР rows of a reference frame, relabelled so that the ВПР reader's lookups find them."""
    if frame is None or frame.height == 0:
        return frame
    return frame.filter(pl.col("procedure") == PROCEDURE).with_columns(pl.lit("vpr").alias("procedure"))


def _wording(text: str) -> str:
    """A ВПР reader's message about the specification, said of РДР."""
    return text.replace("заданий ВПР", "заданий РДР").replace(
        "shnor import tasks)", "shnor import tasks, процедура rdr)"
    )


def read_rdr(
    path: Path,
    *,
    year: int | None = None,
    subject: str | None = None,
    grade: int | None = None,
    tasks: pl.DataFrame | None = None,
    scales: pl.DataFrame | None = None,
    pseudonym_key: bytes,
    max_rejected: float = 0.05,
) -> VprFile:
    """Read, check and convert one РДР file (procedure ``rdr``); nothing is stored here."""
    path = Path(path)
    hy, hs, hg = rdr_hints(path.name)
    y, s, g = resolve_target(
        path.name,
        year if year is not None else hy,
        subject if subject is not None else hs,
        grade if grade is not None else hg,
    )
    vf = read_vpr(
        path,
        year=y,
        subject=s,
        grade=g,
        tasks=_as_vpr(tasks),
        scales=None,
        pseudonym_key=pseudonym_key,
        max_rejected=max_rejected,
    )
    warnings = [_wording(w) for w in vf.warnings if not w.startswith("шкала перевода баллов vpr")]
    scale = find_scale(scales, PROCEDURE, y, s, g, warnings) if scales is not None else None
    sheet = next(t for t in read_tables(path) if t.name == vf.sheet)
    c_mark = find_column(sheet, *MARK_HEADERS)
    if c_mark is None and scale is None:
        raise IngestError(
            f"{path.name}: нет столбца «Отметка» и не загружена шкала перевода баллов РДР "
            f"{s}{g} — отметки взять неоткуда (добавьте столбец или загрузите шкалу: shnor import scales)"
        )
    if scale is None:
        warnings = [w for w in warnings if not w.startswith("шкала перевода баллов rdr")]
    frame = vf.frame.with_columns(pl.lit(PROCEDURE).alias("procedure"))
    errors = list(vf.errors)
    rejected: set[int] = set()
    if c_mark is not None:
        raw = sheet.data.select(
            (pl.int_range(pl.len()) + 2).cast(pl.Int32).alias("source_row"), pl.col(c_mark).alias("_raw")
        )
        frame = frame.join(raw, on="source_row", how="left")
        val = number(pl.col("_raw"))
        ok = val.is_between(2, 5) & is_whole(val)
        column = header_of(sheet, c_mark)
        for r in frame.filter(~pl.col("absent") & pl.col("_raw").is_not_null() & ~ok).iter_rows(named=True):
            errors.append(
                RowError(
                    path.name, sheet.name, r["source_row"], column, "отметка должна быть от 2 до 5", r["_raw"]
                )
            )
            rejected.add(r["source_row"])
        by_scale = mark_expr(pl.col("primary_score"), scale)
        frame = frame.with_columns(
            pl.when(pl.col("absent"))
            .then(None)
            .when(ok)
            .then(val)
            .otherwise(by_scale)
            .cast(pl.Int8)
            .alias("mark")
        ).drop("_raw")
    else:
        column = "Отметка"
        frame = frame.with_columns(mark_expr(pl.col("primary_score"), scale).alias("mark"))
    for r in frame.filter(~pl.col("absent") & pl.col("mark").is_null()).iter_rows(named=True):
        if r["source_row"] in rejected:
            continue
        errors.append(
            RowError(
                path.name,
                sheet.name,
                r["source_row"],
                column,
                "нет отметки, а шкала перевода баллов РДР не загружена",
            )
        )
        rejected.add(r["source_row"])
    frame = frame.filter(~pl.col("source_row").is_in(sorted(rejected)))
    errors.sort(key=lambda e: (e.row, e.column))
    vf.frame = schema.conform(frame, schema.RESULTS)
    vf.errors = errors
    vf.warnings = warnings
    vf.scale = scale
    vf.tasks = vf.tasks.with_columns(pl.lit(PROCEDURE).alias("procedure"))
    vf.rows_rejected += len(rejected)
    kept = set(vf.frame["school_id"].drop_nulls().to_list())
    vf.schools = vf.schools.filter(pl.col("school_id").is_in(sorted(kept)))
    return vf
