"""Reading CSV and XLSX files into all-text Polars frames, whatever their encoding and separator."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from shnor.core.ingest.errors import IngestError


@dataclass(frozen=True)
class Sheet:
    """One table of text cells: the header as written and the data rows (row 1 is the header)."""

    file: str
    name: str
    header: list[str]
    data: pl.DataFrame  # columns c0..cN, all String; row i is spreadsheet row i + 2


def norm(text: object) -> str:
    """Header or cell text for matching: trimmed, lower case, single spaces, ё→е, NBSP→space."""
    s = "" if text is None else str(text)
    s = s.replace("\xa0", " ").replace("ё", "е").replace("Ё", "Е")
    return re.sub(r"\s+", " ", s).strip().lower()


def decode_text(raw: bytes, file: str) -> str:
    """A CSV's bytes as text: UTF-8 (with or without BOM), else Windows-1251, else an error naming the
    file."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{file}: кодировка не распознана (ожидается UTF-8 или Windows-1251)") from exc


def _frame(file: str, name: str, rows: list[list[str | None]]) -> Sheet:
    if not rows:
        raise IngestError(f"{file}: лист «{name}» пуст — нет строки заголовка")
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    width = len(header)
    body = rows[1:]
    for r in body:
        if len(r) > width:
            extra = r[width:]
            if any(c not in (None, "") for c in extra):
                width = max(width, len(r))
    header += [""] * (width - len(header))
    columns = {
        f"c{j}": [(None if j >= len(r) or r[j] in ("", None) else str(r[j])) for r in body]
        for j in range(width)
    }
    data = pl.DataFrame(columns, schema={f"c{j}": pl.String for j in range(width)})
    return Sheet(file=file, name=name, header=header, data=data)


def read_csv(path: Path) -> Sheet:
    """A CSV file in UTF-8 or Windows-1251, separated by ``,`` or ``;``."""
    raw = path.read_bytes()
    text = decode_text(raw, path.name)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    if "\t" in first and first.count("\t") > first.count(delimiter):
        delimiter = "\t"
    rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    rows = [r for r in rows if any(c.strip() for c in r)] if rows else rows
    return _frame(path.name, "", [[c.strip() if c.strip() else None for c in r] for r in rows])


def read_xlsx(path: Path, sheet: str | int | None = None) -> list[Sheet]:
    """The sheets of an XLSX file (all of them, or the one named) as text tables."""
    try:
        book = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types for corrupt files
        raise IngestError(
            f"{path.name}: файл не читается как книга Excel ({exc.__class__.__name__})"
        ) from exc
    names = book.sheet_names
    wanted = names if sheet is None else [names[sheet] if isinstance(sheet, int) else sheet]
    out = []
    for name in wanted:
        if name not in names:
            raise IngestError(f"{path.name}: нет листа «{name}»")
        try:
            frame = book.load_sheet(name, header_row=None, dtypes="string").to_polars()
        except Exception as exc:
            raise IngestError(
                f"{path.name}, лист «{name}»: не читается ({exc.__class__.__name__}: {exc})"
            ) from exc
        if frame.height == 0:
            continue
        frame = frame.rename({c: f"c{j}" for j, c in enumerate(frame.columns)})
        frame = frame.with_columns(pl.all().cast(pl.String).str.strip_chars().replace("", None))
        header = ["" if h is None else str(h).strip() for h in frame.row(0)]
        out.append(Sheet(file=path.name, name=name, header=header, data=frame.slice(1)))
    return out


def read_tables(path: Path) -> list[Sheet]:
    """Every table in a CSV or XLSX file."""
    path = Path(path)
    if not path.exists():
        raise IngestError(f"Файл не найден: {path}")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return [read_csv(path)]
    if suffix in {".xlsx", ".xlsm", ".xls", ".ods"}:
        return read_xlsx(path)
    raise IngestError(f"{path.name}: неизвестный тип файла «{suffix}» (ожидается CSV или XLSX)")
