"""Typed parsing of the project's own CSV/XLSX tables, with row-level errors in Russian."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from shnor.core.ingest.common import find_column, header_of, is_whole, number
from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import Sheet, norm

TRUE = ("да", "1", "true", "yes", "истина", "д", "y", "+")
FALSE = ("нет", "0", "false", "no", "ложь", "н", "n", "-")


@dataclass(frozen=True)
class Column:
    """One expected column: its name, type and rules."""

    name: str
    kind: str = "str"  # str | int | float | bool | share
    required: bool = True  # the column must be present
    nullable: bool = False  # an empty cell is allowed
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def dtype(self) -> pl.DataType:
        """The Polars type of the parsed column."""
        return {
            "str": pl.String(),
            "int": pl.Int64(),
            "float": pl.Float64(),
            "bool": pl.Boolean(),
            "share": pl.Float64(),
        }[self.kind]


@dataclass
class Parsed:
    """A parsed table: typed frame (one row per valid source row), errors, warnings."""

    frame: pl.DataFrame
    errors: list[RowError]
    warnings: list[str]
    rows_total: int


def parse_table(sheet: Sheet, columns: list[Column], *, extra_ok: bool = False) -> Parsed:
    """Parse ``sheet`` against ``columns``: missing required columns stop the file; bad cells reject their
    rows."""
    found: dict[str, str] = {}
    missing = []
    for col in columns:
        c = find_column(sheet, col.name, *col.aliases)
        if c is None:
            if col.required:
                missing.append(col.name)
        else:
            found[col.name] = c
    if missing:
        raise IngestError(
            f"{sheet.file}{', лист «' + sheet.name + '»' if sheet.name else ''}: нет обязательных столбцов: "
            + ", ".join(missing)
        )
    warnings = []
    known = set(found.values())
    extra = [h for j, h in enumerate(sheet.header) if f"c{j}" not in known and h]
    if extra and not extra_ok:
        warnings.append(f"{sheet.file}: лишние столбцы пропущены: {', '.join(extra)}")

    data = sheet.data.with_row_index("_idx")
    exprs: list[pl.Expr] = [pl.col("_idx")]
    checks: list[tuple[str, str, pl.Expr, str]] = []  # (column name, frame col, bad-expr, message)
    for col in columns:
        if col.name not in found:
            exprs.append(pl.lit(None, dtype=col.dtype()).alias(col.name))
            continue
        raw = pl.col(found[col.name])
        empty = raw.is_null()
        if col.kind == "str":
            val = raw.str.strip_chars()
            bad = pl.lit(False)
            msg = ""
            if col.choices:
                bad = ~empty & ~val.str.to_lowercase().is_in([c.lower() for c in col.choices])
                msg = "недопустимое значение; допустимы: " + ", ".join(col.choices)
        elif col.kind == "bool":
            low = raw.str.strip_chars().str.to_lowercase()
            val = pl.when(low.is_in(TRUE)).then(True).when(low.is_in(FALSE)).then(False).otherwise(None)
            bad = ~empty & val.is_null()
            msg = "ожидается да/нет, 1/0 или true/false"
        else:
            num = number(raw)
            val = num.cast(pl.Int64, strict=False) if col.kind == "int" else num
            bad = ~empty & (num.is_null() if col.kind != "int" else ~is_whole(num))
            msg = "ожидается целое число" if col.kind == "int" else "ожидается число"
        checks.append((col.name, found[col.name], bad, msg))
        if not col.nullable:
            checks.append((col.name, found[col.name], empty, "пустое значение в обязательном столбце"))
        if col.low is not None or col.high is not None:
            num = number(raw)
            lo = col.low if col.low is not None else float("-inf")
            hi = col.high if col.high is not None else float("inf")
            checks.append(
                (
                    col.name,
                    found[col.name],
                    num.is_not_null() & ((num < lo) | (num > hi)),
                    f"значение вне допустимого диапазона {lo:g}…{hi:g}",
                )
            )
        exprs.append(val.alias(col.name))

    flags = data.select(
        [pl.col("_idx")] + [chk[2].fill_null(False).alias(f"_bad{k}") for k, chk in enumerate(checks)]
    )
    errors: list[RowError] = []
    bad_rows: set[int] = set()
    for k, (name, fcol, _expr, msg) in enumerate(checks):
        hits = flags.filter(pl.col(f"_bad{k}"))["_idx"].to_list()
        if not hits:
            continue
        values = data[fcol].gather(hits).to_list()
        for idx, v in zip(hits, values, strict=True):
            bad_rows.add(idx)
            errors.append(
                RowError(sheet.file, sheet.name, idx + 2, header_of(sheet, fcol) or name, msg, v or "")
            )
    frame = data.select(exprs).filter(~pl.col("_idx").is_in(list(bad_rows)))
    frame = frame.with_columns((pl.col("_idx") + 2).cast(pl.Int32).alias("source_row")).drop("_idx")
    errors.sort(key=lambda e: (e.row, e.column))
    return Parsed(frame=frame, errors=errors, warnings=warnings, rows_total=sheet.data.height)


def shares_to_unit(frame: pl.DataFrame, columns: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """Shares given in percent (any value above 1) are divided by 100, per column; says which were
    converted."""
    notes = []
    out = frame
    for c in columns:
        if c in out.columns and out[c].dtype == pl.Float64:
            mx = out[c].max()
            if mx is not None and float(mx) > 1.0:  # type: ignore[arg-type]
                out = out.with_columns(pl.col(c) / 100.0)
                notes.append(f"столбец «{c}» задан в процентах, переведён в доли")
    return out, notes


__all__ = ["Column", "Parsed", "norm", "parse_table", "shares_to_unit"]
