"""Read an order appendix's activity table (XLSX or DOCX) into the roadmap template structure.

A regional or municipal order's appendix is a table: «№ п/п», «Наименование мероприятия», «Сроки
исполнения», «Ответственные» and often «Ожидаемый результат» / «Показатель» and «Итоговый документ».
The reader finds the header row (in any row of the first sheet, or in any table of the document),
maps the columns by their Russian names, and reads every further row:

* a row with text only in its first cell (or the same text in every cell of a merged row) is a
  section heading («Организационно-управленческие меры»);
* a repeated header (a table split over pages) is skipped;
* a row without a number whose title continues the previous activity («в эффективный режим
  функционирования» after a page break) is joined to it;
* anything else is an activity; it needs a title, and its number must not repeat.

The result lists activities as the template's rows (``number, section, title, period, executor,
expected_result, output_document``) and the problems as ``RowError`` (file, sheet or table, row,
column, Russian message; ``error_text`` words them). Pure Python: openpyxl and python-docx, no Django.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from shnor.core.ingest.errors import RowError

#: Template field → header words that name it (lower case, «ё» read as «е»; the first match wins).
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("№", "n п/п", "номер"),
    "title": ("мероприят", "наименование", "содержание", "направлени"),
    "period": ("срок", "период", "дата"),
    "executor": ("ответствен", "исполнител"),
    "expected_result": ("ожидаем", "результат", "показател"),
    "output_document": ("итоговый документ", "форма отч", "документ"),
}
#: Column titles as the page and the errors name them.
COLUMN_TITLES = {
    "number": "№ п/п",
    "title": "Мероприятие",
    "period": "Сроки",
    "executor": "Ответственные",
    "expected_result": "Ожидаемый результат",
    "output_document": "Итоговый документ",
}
MAX_ROWS = 2000


@dataclass
class TableRead:
    """Activities read from one appendix table and the problems found (nothing usable when any)."""

    activities: list[dict[str, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field → the header as written
    sections: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when activities were read and no problem was found."""
        return bool(self.activities) and not self.errors


def error_text(err: RowError) -> str:
    """«план.docx, таблица 1, строка 5, столбец «Мероприятие»: …» (a DOCX has tables, not sheets)."""
    parts = [err.file] + ([err.sheet] if err.sheet else []) + ([f"строка {err.row}"] if err.row else [])
    if err.column:
        parts.append(f"столбец «{err.column}»")
    return f"{', '.join(parts)}: {err.message}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _norm(text: str) -> str:
    return text.lower().replace("ё", "е").replace("no ", "№ ").strip()


def _header_map(row: list[str]) -> dict[str, int]:
    """Columns of a header row (field → index), or {} when the row is not a header."""
    found: dict[str, int] = {}
    for j, raw in enumerate(row):
        text = _norm(raw)
        if not text:
            continue
        for fname, words in COLUMNS.items():
            if fname in found:
                continue
            if fname == "number":
                if text.startswith("№") or text in ("n", "номер", "n п/п", "no"):
                    found[fname] = j
                    break
                continue
            if any(w in text for w in words):
                found[fname] = j
                break
    return found if "title" in found and ("period" in found or "executor" in found) else {}


def _rows_xlsx(content: bytes) -> list[tuple[str, list[list[str]]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ValueError(f"файл не читается как XLSX: {exc}") from exc
    out = []
    for sheet in book.worksheets:
        out.append(
            (f"лист «{sheet.title}»", [[_cell(c) for c in r] for r in sheet.iter_rows(values_only=True)])
        )
    book.close()
    return out


def _rows_docx(content: bytes) -> list[tuple[str, list[list[str]]]]:
    import docx

    try:
        document = docx.Document(io.BytesIO(content))
    except Exception as exc:  # python-docx raises many kinds for a broken file
        raise ValueError(f"файл не читается как DOCX: {exc}") from exc
    out = []
    for i, table in enumerate(document.tables, start=1):
        out.append((f"таблица {i}", [[_cell(c.text) for c in row.cells] for row in table.rows]))
    return out


def _is_section(cells: list[str]) -> str:
    """The heading text when the row is a section heading (one text, alone or merged over the row)."""
    filled = [c for c in cells if c]
    if not filled or len(set(filled)) != 1:
        return ""
    text = filled[0]
    if cells[0] == text or len(filled) == len(cells):
        return text
    return ""


def _numbered_section(number: str, title: str, others: list[str]) -> bool:
    """«1. Организационные меры» with nothing else: a numbered section heading, not an activity."""
    return bool(re.fullmatch(r"[IVX]+\.?|\d+\.?", number)) and not any(others) and title.isupper()


def table_read(content: bytes, filename: str) -> TableRead:
    """Read the activity table of an appendix (XLSX: the sheets in order; DOCX: its tables in order).

    The first sheet or table with a recognisable header is read; in a DOCX, the following tables
    with the same header (the appendix split over pages) are read on. Errors name the file, the
    sheet or table, the row (as the spreadsheet or the table counts them, header included) and the
    column.
    """
    res = TableRead()
    name = filename.rsplit("/", 1)[-1]
    low = name.lower()
    try:
        if low.endswith((".xlsx", ".xlsm")):
            tables = _rows_xlsx(content)
        elif low.endswith(".docx"):
            tables = _rows_docx(content)
        else:
            raise ValueError("ожидается таблица приложения к приказу в файле XLSX или DOCX")
    except ValueError as exc:
        res.errors.append(RowError(name, "", 0, "", str(exc)))
        return res
    section = ""
    seen: dict[str, int] = {}
    header_found = False
    for where, rows in tables:
        cols: dict[str, int] = {}
        for i, cells in enumerate(rows, start=1):
            if not any(cells):
                continue
            if not cols:
                cols = _header_map(cells)
                if cols:
                    header_found = True
                    res.columns = res.columns or {k: rows[i - 1][j] for k, j in cols.items()}
                continue
            if _header_map(cells):
                continue  # the header repeated on the next page
            if len(res.activities) >= MAX_ROWS:
                res.errors.append(RowError(name, where, i, "", f"слишком много строк (не более {MAX_ROWS})"))
                return res
            heading = _is_section(cells)
            if heading and not (cols.get("number") == 0 and re.fullmatch(r"\d+(\.\d+)*\.?", heading)):
                section = heading
                if heading not in res.sections:
                    res.sections.append(heading)
                continue
            vals = {k: (cells[j] if j < len(cells) else "") for k, j in cols.items()}
            number = vals.get("number", "").rstrip(".")
            title = vals.get("title", "")
            others = [v for k, v in vals.items() if k not in ("number", "title")]
            if number and title and _numbered_section(number, title, others):
                section = title
                res.sections.append(title)
                continue
            if not number and "number" in cols and res.activities and title and not any(others):
                prev = res.activities[-1]
                prev["title"] = f"{prev['title']} {title}"
                continue
            if not title:
                res.errors.append(
                    RowError(
                        name,
                        where,
                        i,
                        COLUMN_TITLES["title"],
                        "не заполнено наименование мероприятия",
                        number,
                    )
                )
                continue
            if not number:
                number = str(len(res.activities) + 1)
            if number in seen:
                res.errors.append(
                    RowError(
                        name,
                        where,
                        i,
                        COLUMN_TITLES["number"],
                        f"номер {number} уже был в строке {seen[number]}",
                        number,
                    )
                )
                continue
            seen[number] = i
            res.activities.append(
                {
                    "number": number,
                    "section": section,
                    "title": title,
                    "period": vals.get("period", ""),
                    "executor": vals.get("executor", ""),
                    "expected_result": vals.get("expected_result", ""),
                    "output_document": vals.get("output_document", ""),
                }
            )
    if not header_found:
        res.errors.append(
            RowError(
                name,
                "",
                0,
                "",
                "не найдена строка заголовков таблицы: нужны столбцы «Мероприятие» (или «Наименование "
                "мероприятия») и «Сроки» или «Ответственные»",
            )
        )
    elif not res.activities and not res.errors:
        res.errors.append(RowError(name, "", 0, "", "в таблице нет ни одного мероприятия"))
    return res


__all__ = ["COLUMNS", "COLUMN_TITLES", "TableRead", "error_text", "table_read"]
