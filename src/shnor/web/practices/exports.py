"""XLSX export of the bank of practices (xlsxwriter, Russian headers)."""

from __future__ import annotations

import io

import xlsxwriter
from django.utils import timezone

from shnor.core.labels import SUBJECT_NAMES
from shnor.web.practices.search import factor_titles

COLUMNS = [
    ("Название", 50),
    ("Вид", 20),
    ("Автор", 40),
    ("Уровень", 14),
    ("Предмет", 20),
    ("Классы", 12),
    ("Умения, КЭС, КТ", 40),
    ("Факторы риска", 50),
    ("Опубликовано", 14),
    ("Школ внедряют", 12),
    ("Описание", 80),
]


def bank_xlsx(*, rows: list) -> tuple[str, bytes]:
    """The practices as an XLSX workbook: ``(filename, bytes)``."""
    titles = factor_titles()
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("Банк практик")
    bold = book.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#eef2f5", "border": 1}
    )
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    today = timezone.localdate()
    sheet.write(
        0, 0, f"Банк практик и методических материалов на {today:%d.%m.%Y}", book.add_format({"bold": True})
    )
    for col, (header, width) in enumerate(COLUMNS):
        sheet.write(2, col, header, bold)
        sheet.set_column(col, col, width, wrap)
    for r, p in enumerate(rows, start=3):
        values = [
            p.title,
            p.get_kind_display(),
            p.author_label,
            p.get_level_display(),
            SUBJECT_NAMES.get(p.subject, ""),
            ", ".join(str(g) for g in p.grades or []),
            "; ".join(p.skills or []),
            "; ".join(titles.get(c, c) for c in p.risk_factors or []),
            f"{timezone.localtime(p.published_at):%d.%m.%Y}" if p.published_at else "",
            p.adoptions.count(),
            p.description,
        ]
        for col, v in enumerate(values):
            if v not in (None, ""):
                sheet.write(r, col, v)
    sheet.freeze_panes(3, 0)
    sheet.autofilter(2, 0, 2 + len(rows), len(COLUMNS) - 1)
    book.close()
    return f"bank_praktik_{today:%Y%m%d}.xlsx", buf.getvalue()
