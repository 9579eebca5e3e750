"""XLSX export of the needs summary (xlsxwriter, Russian headers): the summary and the decisions."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from shnor.web.resources.models import DecisionStatus, Specialist, SupportDecision


def summary_xlsx(*, data: dict[str, Any], decisions: list[SupportDecision], year: int, title: str) -> bytes:
    """The summary rows (per municipality or per school), the total and the decisions list."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#eef2f5", "border": 1}
    )
    money = book.add_format({"num_format": "# ##0.00"})
    pct = book.add_format({"num_format": "0.0%"})
    sheet = book.add_worksheet("Свод")
    sheet.write(0, 0, f"{title}, {year} г.", book.add_format({"bold": True}))
    unit = "Школа" if data["by_school"] else "Муниципалитет"
    headers = [unit]
    headers += [f"Вакантно ставок: {label}" for _, label in Specialist.choices]
    headers += ["Вакантно ставок, всего", "Оборудование: единиц", "Оборудование: стоимость, ₽"]
    for _, label in DecisionStatus.choices:
        headers += [f"Решений «{label}»", f"Сумма «{label}», ₽"]
    headers += [
        "Сумма решений (без отменённых), ₽",
        "Израсходовано, ₽",
        "Доля исполнения",
        "Молодых специалистов",
    ]
    for c, h in enumerate(headers):
        sheet.write(2, c, h, bold)
        sheet.set_column(c, c, 40 if c == 0 else 16)
    rows = [(_name(r["unit"]), r) for r in data["rows"]] + [("Итого", data["total"])]
    for i, (name, r) in enumerate(rows, start=3):
        values: list[Any] = [name]
        values += [float(r["vacant"][c]) for c in Specialist.values]
        values += [float(r["vacant_total"]), r["equipment_items"], float(r["equipment_cost"])]
        for s in DecisionStatus.values:
            values += [r["decisions"][s]["count"], float(r["decisions"][s]["amount"])]
        values += [float(r["decided_amount"]), float(r["spent"])]
        share = r["executed_share"]
        for c, v in enumerate(values):
            sheet.write(i, c, v, money if isinstance(v, float) and "₽" in headers[c] else None)
        c = len(values)
        if share is not None:
            sheet.write(i, c, float(share), pct)
        sheet.write(i, c + 1, r["young"])
    sheet.freeze_panes(3, 1)
    _decisions(book, bold, money, decisions)
    book.close()
    return buf.getvalue()


def _name(unit: Any) -> str:
    school_id = getattr(unit, "school_id", None)
    return f"{unit.name} ({school_id})" if school_id else unit.name


def _decisions(book: Any, bold: Any, money: Any, decisions: list[SupportDecision]) -> None:
    sheet = book.add_worksheet("Решения")
    headers = [
        "Логин ОО",
        "Школа",
        "Муниципалитет",
        "Назначение",
        "Сумма, ₽",
        "Источник",
        "Дата решения",
        "Документ",
        "Статус",
        "Израсходовано, ₽",
    ]
    for c, h in enumerate(headers):
        sheet.write(0, c, h, bold)
        sheet.set_column(c, c, 36 if c in (1, 3) else 16)
    for i, d in enumerate(decisions, start=1):
        spent = sum(float(e.spent) for e in d.executions.all())
        mun = d.school.municipality.name if d.school.municipality else ""
        values = [
            d.school.school_id,
            d.school.name,
            mun,
            d.purpose,
            float(d.amount),
            d.get_source_display(),
            d.decided_on.strftime("%d.%m.%Y"),
            d.document,
            d.get_status_display(),
            spent,
        ]
        for c, v in enumerate(values):
            sheet.write(i, c, v, money if c in (4, 9) else None)
