"""The XLSX error report written beside an import's summary: one row per problem, in Russian."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

from shnor.core.ingest.errors import RowError


def write_error_report(
    path: Path, *, errors: Sequence[RowError], summary: Sequence[str], warnings: Sequence[str]
) -> Path:
    """Write the report (sheets «Ошибки» and «Сводка») and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    sheet = book.add_worksheet("Ошибки")
    headers = ["Файл", "Лист", "Строка", "Столбец", "Значение", "Ошибка"]
    for j, h in enumerate(headers):
        sheet.write(0, j, h, bold)
    for i, e in enumerate(errors, start=1):
        sheet.write_string(i, 0, e.file)
        sheet.write_string(i, 1, e.sheet)
        sheet.write_number(i, 2, e.row)
        sheet.write_string(i, 3, e.column)
        sheet.write_string(i, 4, e.value)
        sheet.write_string(i, 5, e.message)
    sheet.set_column(0, 0, 32)
    sheet.set_column(3, 4, 22)
    sheet.set_column(5, 5, 70)
    sheet.autofilter(0, 0, max(len(errors), 1), len(headers) - 1)
    sheet.freeze_panes(1, 0)
    info = book.add_worksheet("Сводка")
    row = 0
    for line in summary:
        info.write_string(row, 0, line)
        row += 1
    if warnings:
        row += 1
        info.write_string(row, 0, "Предупреждения:", bold)
        for w in warnings:
            row += 1
            info.write_string(row, 0, w)
    info.set_column(0, 0, 120)
    book.close()
    return path
