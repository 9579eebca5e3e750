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
from shnor.core.store import schema

#: The largest task score and primary score the warehouse holds (Int8, Int16): the bounds when no
#: specification or scale gives the real maxima.
TASK_LIMIT, TOTAL_LIMIT = 127, 32767
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


def _task_structure(
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
    # columns filled in at least 1 % of rows: stray cells beyond the test (as in the real 2020 file) do not count
    height = max(sheet.data.height, 1)
    filled = [c for c, _ in cols if sheet.data[c].is_not_null().sum() / height >= 0.01]
    ref = _reference_tasks(tasks, year, subject, grade, {len(cols), len(filled)}, warnings)
    if ref is not None:
        n = ref.height
        if len(cols) < n:
            raise IngestError(
                f"{sheet.file}: в файле {len(cols)} столбцов с баллами за задания, а по спецификации заданий {n}"
            )
        extra = cols[n:]
        used = [c for c, _ in cols[:n]]
        stray = [header_of(sheet, c) for c, _ in extra if sheet.data[c].is_not_null().any()]
        if stray:
            warnings.append(
                f"{sheet.file}: столбцы за пределами {n} заданий спецификации не учитываются: {', '.join(stray)}"
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
    tasks: pl.DataFrame | None, year: int, subject: str, grade: int, counts: set[int] | None, warnings: list[str],
    quiet: bool = False,
) -> pl.DataFrame | None:
    """The specification of the year; else the nearest year's whose number of tasks fits the file's columns."""
    if tasks is None or tasks.height == 0:
        return None
    same = tasks.filter((pl.col("procedure") == "vpr") & (pl.col("subject") == subject) & (pl.col("grade") == grade))
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
            warnings.append(f"спецификация заданий за {year} не загружена; использована спецификация {y} года")
        return schema.conform(t.with_columns(pl.lit(year).alias("year")), schema.TASKS)
    return None


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
    task_cols, task_table = _task_structure(layout, sheet, y, s, g, tasks, warnings)
    scale = find_scale(scales, "vpr", y, s, g, warnings)
    maxima = task_table["max_points"].to_list()
    max_total = scale["max_score"] if scale else (sum(maxima) if all(m is not None for m in maxima) else None)
    if scale and all(m is not None for m in maxima) and sum(maxima) != scale["max_score"]:
        warnings.append(
            f"сумма максимумов заданий {sum(maxima)} не равна максимуму шкалы {scale['max_score']}"
        )

    c_school = find_column(sheet, *layout.school)
    c_variant = find_column(sheet, *layout.variant)
    c_total = find_column(sheet, *layout.total)
    c_code = find_column(sheet, *layout.code) if layout.code else None
    c_number = find_column(sheet, *layout.number) if layout.number else None
    c_journal = _head(sheet, layout.journal)
    c_gender = find_column(sheet, *layout.gender) if layout.gender else None
    c_klass = find_column(sheet, *layout.klass) if layout.klass else None
    c_mun = find_column(sheet, *layout.municipality) if layout.municipality else None
    c_reg = find_column(sheet, *layout.region) if layout.region else None
    c_sname = find_column(sheet, *layout.school_name) if layout.school_name else None
    assert c_school
    assert c_variant
    assert c_total

    def col(c: str | None) -> pl.Expr:
        return pl.col(c) if c else pl.lit(None, dtype=pl.String)

    d = sheet.data.with_row_index("_idx")
    # drop fully empty rows (trailing formatting)
    d = d.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in sheet.data.columns]))
    variant = col(c_variant).str.strip_chars()
    total_num = number(col(c_total))
    any_task = pl.any_horizontal([pl.col(c).is_not_null() for c in task_cols])
    absent = variant.str.to_lowercase().is_in(list(ABSENT)) | (
        variant.is_null() & ~any_task & (total_num.is_null() | (total_num == 0))
    )
    t_na = [pl.col(c).str.strip_chars().str.to_lowercase().is_in(list(NOT_ATTEMPTED)) for c in task_cols]
    t_num = [number(pl.col(c)) for c in task_cols]
    code = pl.coalesce(col(c_code).str.replace(r"\.0$", ""), col(c_number).str.replace(r"\.0$", ""))
    w = d.select(
        pl.col("_idx"),
        col(c_school).str.strip_chars().alias("school_id"),
        absent.fill_null(False).alias("absent"),
        variant.alias("variant"),
        total_num.alias("total"),
        code.alias("code"),
        *[v.alias(f"n{k}") for k, v in enumerate(t_num)],
        *[v.fill_null(False).alias(f"x{k}") for k, v in enumerate(t_na)],
        *[pl.col(c).alias(f"r{k}") for k, c in enumerate(task_cols)],
        col(c_total).alias("r_total"),
    )

    task_sum = pl.sum_horizontal(
        [pl.when(pl.col(f"x{k}")).then(0).otherwise(pl.col(f"n{k}")) for k in range(len(task_cols))]
    )
    # A school whose protocol never filled the total (all 0 or empty while tasks score) gets it from the tasks.
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
    if unfilled:
        w = w.with_columns(
            pl.when(pl.col("school_id").is_in(unfilled) & ~pl.col("absent"))
            .then(task_sum)
            .otherwise(pl.col("total"))
            .alias("total")
        )
        warnings.append(
            f"{sheet.file}: в школах {', '.join(unfilled)} столбец «{header_of(sheet, c_total)}» не заполнен"
            " (везде 0 или пусто) — сумма баллов вычислена по заданиям"
        )

    checks: list[tuple[pl.Expr, str | None, str, str]] = []  # (bad, raw column, header, message template)
    present = ~pl.col("absent")
    checks.append((pl.col("school_id").is_null(), None, header_of(sheet, c_school), "не указан логин школы"))
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
    all_valid = pl.all_horizontal(
        [pl.col(f"x{k}") | is_whole(pl.col(f"n{k}")) for k in range(len(task_cols))]
    )
    checks.append(
        (
            present & is_whole(tot) & all_valid & (tot != task_sum),
            "r_total",
            h_total,
            "сумма баллов не равна сумме баллов за задания ({sum})",
        )
    )

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

    # duplicate pupils within a school (same code): later rows are rejected
    dup = (
        w.filter(
            pl.col("code").is_not_null()
            & pl.col("school_id").is_not_null()
            & ~pl.col("_idx").is_in(list(bad))
        )
        .with_columns(pl.col("_idx").min().over(["school_id", "code"]).alias("_first"))
        .filter(pl.col("_idx") != pl.col("_first"))
    )
    ccol = header_of(sheet, c_code) if c_code else (header_of(sheet, c_number) if c_number else "")
    for idx, first, cd in zip(
        dup["_idx"].to_list(), dup["_first"].to_list(), dup["code"].to_list(), strict=True
    ):
        bad.add(idx)
        errors.append(
            RowError(
                sheet.file,
                sheet.name,
                idx + 2,
                ccol,
                f"повтор ученика: код уже встречался в строке {first + 2}",
                cd,
            )
        )
    errors.sort(key=lambda e: (e.row, e.column))

    good = d.filter(~pl.col("_idx").is_in(list(bad)))
    gw = w.filter(~pl.col("_idx").is_in(list(bad)))
    n_tasks = len(task_cols)
    scores = pl.concat_list(
        [pl.when(pl.col(f"x{k}")).then(0).otherwise(pl.col(f"n{k}")).cast(pl.Int8) for k in range(n_tasks)]
    )
    nas = pl.concat_list([pl.col(f"x{k}") for k in range(n_tasks)])
    journal = number(col(c_journal))
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
                col(c_klass).alias("class_name"),
                col(c_gender).str.to_lowercase().str.strip_chars().alias("gender"),
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
    frame = schema.conform(frame, schema.RESULTS)
    not_attempted = int(frame.select(pl.col("not_attempted").list.sum().sum()).item() or 0)

    schools = good.select(
        col(c_school).str.strip_chars().alias("school_id"),
        _split_pipe(col(c_sname), 1).alias("name"),
        _split_pipe(col(c_mun), 0).alias("municipality_id"),
        _split_pipe(col(c_mun), 1).alias("municipality"),
        _split_pipe(col(c_reg), 0).alias("region_id"),
        _split_pipe(col(c_reg), 1).alias("region"),
    ).unique(subset="school_id", keep="first", maintain_order=True)

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
        schools=schools,
        rows_total=d.height,
        rows_absent=int(w["absent"].sum()),
        rows_rejected=len(bad),
        max_rejected=max_rejected,
        not_attempted=not_attempted,
    )
