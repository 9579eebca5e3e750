"""XLSX export of a list (xlsxwriter, Russian headers)."""

from __future__ import annotations

import io

import xlsxwriter

from shnor.web.identification import listing
from shnor.web.identification.membership import LISTS, Basis
from shnor.web.identification.models import MethodologyRun

#: The workbook's media type.
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Excel column widths by row key (others 14).
WIDTHS = {"name": 50, "municipality": 28, "track_label": 34, "details": 70, "category": 22}


def columns_for(kind: str, basis: Basis) -> list[tuple[str, str, int]]:
    """The export's columns: the list page's (same headers, same meaning), then the decision's source."""
    out = [(c.key, c.header, WIDTHS.get(c.key, 14)) for c in listing.columns_of(kind)]
    if basis.approved:
        out += [("source_label", "Источник (утверждённый список)", 24), ("reason", "Основание решения", 40)]
    return out


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
    columns = columns_for(kind, basis)
    for col, (_, header, width) in enumerate(columns):
        sheet.write(2, col, header, bold)
        sheet.set_column(col, col, width, wrap)
    for r, row in enumerate(rows, start=3):
        for col, (key, _, _) in enumerate(columns):
            value = row.get(key)
            if value is None or value == "":
                continue
            sheet.write(r, col, value)
    sheet.freeze_panes(3, 0)
    sheet.autofilter(2, 0, 2 + len(rows), len(columns) - 1)
    book.close()
    tail = f"утв{basis.version.number}" if basis.version is not None else f"расчёт{run.pk}"
    return f"{FILE_NAMES[kind]}_{run.year}_{tail}.xlsx", buf.getvalue()


#: The file name of each list's export (Russian, no spaces).
FILE_NAMES = {
    "low_results": "ШНОР",
    "social_risk": "ШНСУ",
    "objectivity": "Необъективность",
    "fioko": "Маркеры_ФИОКО",
}
