"""XLSX export of a list (xlsxwriter, Russian headers)."""

from __future__ import annotations

import io

import xlsxwriter

from shnor.web.identification.membership import LISTS, Basis
from shnor.web.identification.models import MethodologyRun

COLUMNS = [
    ("school_id", "Логин ОО", 14),
    ("name", "Школа", 50),
    ("municipality", "Муниципалитет", 28),
    ("value", "Показатель", 12),
    ("years_in_list", "Лет в списке ШНОР", 12),
    ("category", "Категория", 22),
    ("track_label", "Вариант сопровождения", 34),
    ("details", "Основания", 70),
    ("source_label", "Источник (утверждённый список)", 24),
    ("reason", "Основание решения", 40),
]


def list_xlsx(*, rows: list[dict], kind: str, run: MethodologyRun, basis: Basis) -> tuple[str, bytes]:
    """The list as an XLSX workbook: ``(filename, bytes)``."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet(LISTS[kind].short[:31])
    bold = book.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#eef2f5", "border": 1}
    )
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet.write(
        0,
        0,
        f"{LISTS[kind].title}, {run.year} г. {basis.caption}",
        book.add_format({"bold": True}),
    )
    for col, (_, header, width) in enumerate(COLUMNS):
        sheet.write(2, col, header, bold)
        sheet.set_column(col, col, width, wrap)
    for r, row in enumerate(rows, start=3):
        for col, (key, _, _) in enumerate(COLUMNS):
            value = row.get(key)
            if value is None or value == "":
                continue
            sheet.write(r, col, value)
    sheet.freeze_panes(3, 0)
    sheet.autofilter(2, 0, 2 + len(rows), len(COLUMNS) - 1)
    book.close()
    tail = f"v{basis.version.number}" if basis.version is not None else f"run{run.pk}"
    return f"{kind}_{run.year}_{tail}.xlsx", buf.getvalue()
