"""Pupil-level ВПР results in the three real ФИС ОКО layouts → RESULTS rows and row-level errors.

Layouts (detected from the header, see FORMATS.md):
- ``fisoko2020``: groups | user | id | code | otc | gender | klass | var-1 | var-2 | sum | a-N-grade …
- ``fisoko2021``: логин школы | регион | номер обучающегося | код обучающегося | отметка … | балл за N …
- ``fisoko2022``: sheet «Протокол»: Пользователь | … | Код | Вариант | "1 (1б)" "5(1) (1б)" … | Итого баллов
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from shnor.core.ingest.common import (
    NOT_ATTEMPTED,
    find_column,
    header_of,
    is_whole,
    number,
    pseudonymise,
    resolve_target,
)
from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import Sheet, norm, read_tables
from shnor.core.ingest.vpr_checks import (
    TASK_LIMIT,
    TOTAL_LIMIT,
    check_errors,
    duplicate_errors,
    row_checks,
    task_sum_expr,
)
from shnor.core.ingest.vpr_tasks import task_structure
from shnor.core.store import schema

__all__ = [
    "ABSENT",
    "LAYOUTS",
    "TASK_LIMIT",
    "TOTAL_LIMIT",
    "Layout",
    "VprFile",
    "detect_layout",
    "find_scale",
    "mark_expr",
    "read_vpr",
]
ABSENT = ("отсутствовал", "отсутствовала", "отсутствует", "не явился")


@dataclass(frozen=True)
class Layout:
    """How one ФИС ОКО export names its columns."""

    name: str
    school: tuple[str, ...]
    variant: tuple[str, ...]
    total: tuple[str, ...]
    task: re.Pattern[str]  # on the normalised header; group 1 = task label, optional group 2 = max points
    code: tuple[str, ...] = ()
    number: tuple[str, ...] = ()
    journal: tuple[str, ...] = ()
    gender: tuple[str, ...] = ()
    klass: tuple[str, ...] = ()
    municipality: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    school_name: tuple[str, ...] = ()


LAYOUTS = (
    Layout(
        name="fisoko2022",
        school=("пользователь",),
        variant=("вариант",),
        total=("итого баллов",),
        task=re.compile(r"^(\d+(?:\s*\(\d+\))?)\s*\((\d+)\s*б\)$"),
        code=("код",),
        journal=("отметка за предыдущий", "отметка за предыдущую"),
        gender=("пол",),
        klass=("наименование класса",),
        municipality=("муниципалитет",),
        region=("регион",),
        school_name=("школа",),
    ),
    Layout(
        name="fisoko2021",
        school=("логин школы", "логин оо"),
        variant=("вариант",),
        total=("всего баллов",),
        task=re.compile(r"^балл за (\d+(?:[.(]\d+\)?)?)$"),
        code=("код обучающегося",),
        number=("номер обучающегося",),
        journal=("отметка за предыдущую", "отметка за предыдущий"),
        gender=("пол",),
        klass=("класс",),
        municipality=("регион",),
    ),
    Layout(
        name="fisoko2020",
        school=("user",),
        variant=("var-1",),
        total=("sum",),
        task=re.compile(r"^a-(\d+)-grade$"),
        code=("code",),
        number=("id",),
        journal=("otc",),
        gender=("gender",),
        klass=("klass",),
    ),
)


@dataclass
class VprFile:
    """What one ВПР file holds once read and checked."""

    file: str
    sheet: str
    layout: str
    year: int
    subject: str
    grade: int
    frame: pl.DataFrame  # valid rows (absent and present) in the RESULTS schema, batch_id empty
    errors: list[RowError]
    warnings: list[str]
    tasks: pl.DataFrame  # TASKS schema as used for validation
    scale: dict[str, int] | None
    schools: pl.DataFrame  # school_id, name, municipality_id, municipality, region_id, region from the file
    rows_total: int
    rows_absent: int
    rows_rejected: int
    max_rejected: float = 0.05
    not_attempted: int = 0
    extras: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_share(self) -> float:
        """Share of data rows rejected."""
        return self.rows_rejected / self.rows_total if self.rows_total else 0.0

    @property
    def accepted(self) -> bool:
        """True when the rejected share is under the threshold and anything is left to store."""
        return self.rejected_share < self.max_rejected and self.frame.height > 0

    @property
    def rows_present(self) -> int:
        """Valid rows of pupils who wrote the test."""
        return int((~self.frame["absent"]).sum())


def _head(sheet: Sheet, names: tuple[str, ...]) -> str | None:
    return find_column(sheet, *names, prefix=True) if names else None


def detect_layout(sheets: list[Sheet]) -> tuple[Layout, Sheet]:
    """The layout and sheet holding pupil rows; an error naming the missing columns otherwise."""
    best: tuple[int, Layout, Sheet, list[str]] | None = None
    for sheet in sheets:
        for layout in LAYOUTS:
            tasks = [h for h in sheet.header if layout.task.match(norm(h))]
            missing = [
                label
                for label, names in (
                    ("логин школы", layout.school),
                    ("вариант", layout.variant),
                    ("сумма баллов", layout.total),
                )
                if find_column(sheet, *names) is None
            ]
            if not tasks:
                missing.append("баллы за задания")
            if not missing:
                return layout, sheet
            score = 4 - len(missing)
            if best is None or score > best[0]:
                best = (score, layout, sheet, missing)
    if best is None:
        raise IngestError("Файл не содержит таблиц")
    _, layout, sheet, missing = best
    where = sheet.file + (f", лист «{sheet.name}»" if sheet.name else "")
    raise IngestError(
        f"{where}: формат выгрузки ФИС ОКО не распознан — нет обязательных столбцов: {', '.join(missing)}"
        f" (ближайший формат: {layout.name})"
    )


def _split_pipe(expr: pl.Expr, part: int) -> pl.Expr:
    """``'reg22_m019 | Красногорский район'`` → part 0 (code) or 1 (name); text without ``|`` is a name."""
    has = expr.str.contains("|", literal=True)
    pieces = expr.str.split_exact("|", 1)
    if part == 0:
        return pl.when(has).then(pieces.struct.field("field_0").str.strip_chars()).otherwise(None)
    return (
        pl.when(has).then(pieces.struct.field("field_1").str.strip_chars()).otherwise(expr.str.strip_chars())
    )


def find_scale(
    scales: pl.DataFrame | None, procedure: str, year: int, subject: str, grade: int, warnings: list[str]
) -> dict[str, int] | None:
    """The mark scale for the year, else the nearest year's (with a warning), else None."""
    if scales is None or scales.height == 0:
        return None
    same = scales.filter(
        (pl.col("procedure") == procedure) & (pl.col("subject") == subject) & (pl.col("grade") == grade)
    )
    if same.height == 0:
        warnings.append(
            f"шкала перевода баллов {procedure} {subject}{grade} не загружена: отметки не вычислены"
        )
        return None
    same = same.with_columns((pl.col("year").cast(pl.Int32) - year).abs().alias("_d")).sort(
        ["_d", "year"], descending=[False, True]
    )
    row = same.row(0, named=True)
    if row["year"] != year:
        warnings.append(
            f"шкала перевода баллов за {year} не загружена; использована шкала {row['year']} года"
        )
    return {k: int(row[k]) for k in ("max_score", "min_3", "min_4", "min_5")}


def mark_expr(score: pl.Expr, scale: dict[str, int] | None) -> pl.Expr:
    """Mark 2..5 from a primary score by the scale (null without a scale or score)."""
    if scale is None:
        return pl.lit(None, dtype=pl.Int8)
    return (
        pl.when(score.is_null())
        .then(None)
        .when(score >= scale["min_5"])
        .then(5)
        .when(score >= scale["min_4"])
        .then(4)
        .when(score >= scale["min_3"])
        .then(3)
        .otherwise(2)
        .cast(pl.Int8)
    )


@dataclass(frozen=True)
class _Columns:
    """The frame columns (c0, c1, …) of one file's fields; None where the layout or file has none."""

    school: str
    variant: str
    total: str
    code: str | None
    number: str | None
    journal: str | None
    gender: str | None
    klass: str | None
    municipality: str | None
    region: str | None
    school_name: str | None


def _map_columns(layout: Layout, sheet: Sheet) -> _Columns:
    """Find the layout's columns in the sheet (the required ones are known to be there)."""
    c_school = find_column(sheet, *layout.school)
    c_variant = find_column(sheet, *layout.variant)
    c_total = find_column(sheet, *layout.total)
    assert c_school
    assert c_variant
    assert c_total
    return _Columns(
        school=c_school,
        variant=c_variant,
        total=c_total,
        code=find_column(sheet, *layout.code) if layout.code else None,
        number=find_column(sheet, *layout.number) if layout.number else None,
        journal=_head(sheet, layout.journal),
        gender=find_column(sheet, *layout.gender) if layout.gender else None,
        klass=find_column(sheet, *layout.klass) if layout.klass else None,
        municipality=find_column(sheet, *layout.municipality) if layout.municipality else None,
        region=find_column(sheet, *layout.region) if layout.region else None,
        school_name=find_column(sheet, *layout.school_name) if layout.school_name else None,
    )


def _col(c: str | None) -> pl.Expr:
    """The column, or a null text when the file has none."""
    return pl.col(c) if c else pl.lit(None, dtype=pl.String)


def _maxima(
    task_table: pl.DataFrame, scale: dict[str, int] | None, warnings: list[str]
) -> tuple[list[int | None], int | None]:
    """Task maxima and the test's maximum (from the scale, else the sum of the tasks' maxima)."""
    maxima = task_table["max_points"].to_list()
    max_total = scale["max_score"] if scale else (sum(maxima) if all(m is not None for m in maxima) else None)
    if scale and all(m is not None for m in maxima) and sum(maxima) != scale["max_score"]:
        warnings.append(
            f"сумма максимумов заданий {sum(maxima)} не равна максимуму шкалы {scale['max_score']}"
        )
    return maxima, max_total


def _data_rows(sheet: Sheet) -> pl.DataFrame:
    """The sheet's data with its row index ``_idx``, fully empty rows (trailing formatting) dropped."""
    d = sheet.data.with_row_index("_idx")
    return d.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in sheet.data.columns]))


def _working_frame(d: pl.DataFrame, cols: _Columns, task_cols: list[str]) -> pl.DataFrame:
    """Parsed fields of every row: school, absence, variant, total, code, task scores (see vpr_checks)."""
    variant = _col(cols.variant).str.strip_chars()
    total_num = number(_col(cols.total))
    any_task = pl.any_horizontal([pl.col(c).is_not_null() for c in task_cols])
    absent = variant.str.to_lowercase().is_in(list(ABSENT)) | (
        variant.is_null() & ~any_task & (total_num.is_null() | (total_num == 0))
    )
    t_na = [pl.col(c).str.strip_chars().str.to_lowercase().is_in(list(NOT_ATTEMPTED)) for c in task_cols]
    t_num = [number(pl.col(c)) for c in task_cols]
    code = pl.coalesce(_col(cols.code).str.replace(r"\.0$", ""), _col(cols.number).str.replace(r"\.0$", ""))
    return d.select(
        pl.col("_idx"),
        _col(cols.school).str.strip_chars().alias("school_id"),
        absent.fill_null(False).alias("absent"),
        variant.alias("variant"),
        total_num.alias("total"),
        code.alias("code"),
        *[v.alias(f"n{k}") for k, v in enumerate(t_num)],
        *[v.fill_null(False).alias(f"x{k}") for k, v in enumerate(t_na)],
        *[pl.col(c).alias(f"r{k}") for k, c in enumerate(task_cols)],
        _col(cols.total).alias("r_total"),
    )


def _fill_unfilled_totals(
    w: pl.DataFrame, sheet: Sheet, c_total: str, n_tasks: int, warnings: list[str]
) -> pl.DataFrame:
    """A school whose protocol never filled the total (all 0 or empty while tasks score) gets it from the
    tasks."""
    task_sum = task_sum_expr(n_tasks)
    unfilled = (
        w.filter(~pl.col("absent") & pl.col("school_id").is_not_null())
        .group_by("school_id")
        .agg(
            (pl.col("total").is_null() | (pl.col("total") == 0)).all().alias("_zero"),
            (task_sum.fill_null(0) > 0).any().alias("_scored"),
        )
        .filter(pl.col("_zero") & pl.col("_scored"))["school_id"]
        .sort()
        .to_list()
    )
    if not unfilled:
        return w
    warnings.append(
        f"{sheet.file}: в школах {', '.join(unfilled)} столбец «{header_of(sheet, c_total)}» не заполнен"
        " (везде 0 или пусто) — сумма баллов вычислена по заданиям"
    )
    return w.with_columns(
        pl.when(pl.col("school_id").is_in(unfilled) & ~pl.col("absent"))
        .then(task_sum)
        .otherwise(pl.col("total"))
        .alias("total")
    )


def _validate(
    w: pl.DataFrame,
    sheet: Sheet,
    cols: _Columns,
    task_cols: list[str],
    maxima: list[int | None],
    max_total: int | None,
) -> tuple[list[RowError], set[int]]:
    """Row errors (sorted by row, then column) and the rejected rows: the rules, then repeated pupils."""
    checks = row_checks(sheet, cols.school, cols.total, task_cols, maxima, max_total)
    errors, bad = check_errors(w, sheet, checks, len(task_cols))
    code_header = (
        header_of(sheet, cols.code) if cols.code else (header_of(sheet, cols.number) if cols.number else "")
    )
    errors += duplicate_errors(w, sheet, code_header, bad)
    errors.sort(key=lambda e: (e.row, e.column))
    return errors, bad


def _results_frame(
    good: pl.DataFrame,
    gw: pl.DataFrame,
    cols: _Columns,
    n_tasks: int,
    scale: dict[str, int] | None,
    target: tuple[int, str, int],
    pseudonym_key: bytes,
) -> pl.DataFrame:
    """The accepted rows (raw ``good``, parsed ``gw``) in the RESULTS schema, batch_id empty."""
    y, s, g = target
    scores = pl.concat_list(
        [pl.when(pl.col(f"x{k}")).then(0).otherwise(pl.col(f"n{k}")).cast(pl.Int8) for k in range(n_tasks)]
    )
    nas = pl.concat_list([pl.col(f"x{k}") for k in range(n_tasks)])
    journal = number(_col(cols.journal))
    frame = (
        pl.DataFrame(
            {
                "school_id": gw["school_id"],
                "absent": gw["absent"],
                "variant": gw["variant"],
                "source_row": (gw["_idx"] + 2).cast(pl.Int32),
            }
        )
        .with_columns(
            good.select(
                _col(cols.klass).alias("class_name"),
                _col(cols.gender).str.to_lowercase().str.strip_chars().alias("gender"),
                pl.when(journal.is_between(2, 5) & is_whole(journal))
                .then(journal)
                .otherwise(None)
                .cast(pl.Int8)
                .alias("journal_mark"),
            )
        )
        .with_columns(
            gw.select(
                pl.when(pl.col("absent"))
                .then(None)
                .otherwise(pl.col("total"))
                .cast(pl.Int16)
                .alias("primary_score"),
                pl.when(pl.col("absent")).then(None).otherwise(scores).alias("task_scores"),
                pl.when(pl.col("absent")).then(None).otherwise(nas).alias("not_attempted"),
            )
        )
    )
    frame = frame.with_columns(
        pl.col("gender").replace({"муж": "м", "жен": "ж", "m": "м", "f": "ж"}),
        mark_expr(pl.col("primary_score"), scale).alias("mark"),
        pl.lit("vpr").alias("procedure"),
        pl.lit(y).alias("year"),
        pl.lit(s).alias("subject"),
        pl.lit(g).alias("grade"),
        pl.lit("").alias("batch_id"),
        pseudonymise(
            pseudonym_key,
            gw["school_id"].to_list(),
            gw["code"].fill_null("row" + (gw["_idx"] + 2).cast(pl.String)).to_list(),
        ),
    )
    return schema.conform(frame, schema.RESULTS)


def _schools_frame(good: pl.DataFrame, cols: _Columns) -> pl.DataFrame:
    """Schools named in the accepted rows: id, name, municipality and region as the file gives them."""
    return good.select(
        _col(cols.school).str.strip_chars().alias("school_id"),
        _split_pipe(_col(cols.school_name), 1).alias("name"),
        _split_pipe(_col(cols.municipality), 0).alias("municipality_id"),
        _split_pipe(_col(cols.municipality), 1).alias("municipality"),
        _split_pipe(_col(cols.region), 0).alias("region_id"),
        _split_pipe(_col(cols.region), 1).alias("region"),
    ).unique(subset="school_id", keep="first", maintain_order=True)


def read_vpr(
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
    """Read, check and convert one ВПР file; nothing is stored here."""
    path = Path(path)
    y, s, g = resolve_target(path.name, year, subject, grade)
    sheets = read_tables(path)
    if not sheets:
        raise IngestError(f"{path.name}: в файле нет ни одной непустой таблицы")
    layout, sheet = detect_layout(sheets)
    warnings: list[str] = []
    task_cols, task_table = task_structure(layout, sheet, y, s, g, tasks, warnings)
    scale = find_scale(scales, "vpr", y, s, g, warnings)
    maxima, max_total = _maxima(task_table, scale, warnings)
    cols = _map_columns(layout, sheet)

    d = _data_rows(sheet)
    w = _working_frame(d, cols, task_cols)
    w = _fill_unfilled_totals(w, sheet, cols.total, len(task_cols), warnings)
    errors, bad = _validate(w, sheet, cols, task_cols, maxima, max_total)

    good = d.filter(~pl.col("_idx").is_in(list(bad)))
    gw = w.filter(~pl.col("_idx").is_in(list(bad)))
    frame = _results_frame(good, gw, cols, len(task_cols), scale, (y, s, g), pseudonym_key)
    not_attempted = int(frame.select(pl.col("not_attempted").list.sum().sum()).item() or 0)

    return VprFile(
        file=path.name,
        sheet=sheet.name,
        layout=layout.name,
        year=y,
        subject=s,
        grade=g,
        frame=frame,
        errors=errors,
        warnings=warnings,
        tasks=task_table,
        scale=scale,
        schools=_schools_frame(good, cols),
        rows_total=d.height,
        rows_absent=int(w["absent"].sum()),
        rows_rejected=len(bad),
        max_rejected=max_rejected,
        not_attempted=not_attempted,
    )
