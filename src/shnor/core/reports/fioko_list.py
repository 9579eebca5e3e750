"""FIOKO's published list of schools with objectivity markers, as XLSX in FIOKO's own layout.

The layout is copied from ``real/fioko_objectivity_markers_dagestan_2023.xlsx`` (its sheet is named
«Признаки необъективности папка »; ours is «Признаки необъективности»), header row Год | Логин |
Муниципалитет | ОО | 4 РУ | 4 МА | 5 РУ | 5 МА | Количество маркеров, the year written as text,
procedure cells 1 (marker), 0 (took part, no marker) or empty (no data), the same column widths,
Calibri 11, no styling. The rows come from ``shnor.core.methods.fioko.published_list``. Exporter:
:class:`FiokoListExporter`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import polars as pl

from shnor.core.methods.fioko import PUBLISHED_COLUMNS

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME = "Признаки необъективности"
#: Column widths of FIOKO's file (Excel character units).
WIDTHS = (6.33, 10.0, 70.33, 57.78, 6.89, 7.66, 6.89, 7.66, 22.78)


def fioko_list_xlsx(frame: pl.DataFrame) -> bytes:
    """XLSX bytes of a ``published_list`` frame in FIOKO's layout."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    missing = [c for c in PUBLISHED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError("в списке нет столбцов: " + ", ".join(missing))
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(list(PUBLISHED_COLUMNS))
    for row in frame.select(PUBLISHED_COLUMNS).iter_rows():
        year, login, mun, name, *cells, count = row
        ws.append([None if year is None else str(year), login, mun, name, *cells, count])
    for j, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class FiokoListExporter:
    """Exporter «Список ОО с маркерами необъективности (формат ФИОКО)», XLSX."""

    identifier = "fioko_list"
    label = "Список ОО с маркерами необъективности ФИОКО (XLSX в формате ФИОКО)"
    params: dict[str, dict[str, Any]] = {  # noqa: RUF012 - declarative, never mutated
        "year": {"label": "Год", "required": True},
    }

    def __init__(self, frame: pl.DataFrame, year: int) -> None:
        self.frame = frame
        self.year = year

    def render(self, params: Mapping[str, Any]) -> tuple[str, str, bytes]:
        """(filename, mimetype, bytes)."""
        return f"fioko_markers_{self.year}.xlsx", XLSX_MIME, fioko_list_xlsx(self.frame)


__all__ = ["SHEET_NAME", "FiokoListExporter", "fioko_list_xlsx"]
