"""XLSX export of people's development (xlsxwriter, Russian headers, dates as ДД.ММ.ГГГГ)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import xlsxwriter

from shnor.web.accounts.scope import User
from shnor.web.diagnostics import people_selectors as sel


def _d(day: Any) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


Column = tuple[str, int, Callable[[Any], Any]]

SHEETS: list[tuple[str, Callable[..., Any], list[Column]]] = [
    (
        "Стажировки",
        sel.internships_visible_to,
        [
            ("Вид", 14, lambda i: i.get_kind_display()),
            ("Базовая школа", 40, lambda i: str(i.host)),
            ("Тема", 40, lambda i: i.topic),
            ("Участники", 50, lambda i: "; ".join(str(g) for g in i.guests.all())),
            ("Начало", 12, lambda i: _d(i.starts_on)),
            ("Окончание", 12, lambda i: _d(i.ends_on)),
            ("Статус", 14, lambda i: i.get_status_display()),
            ("Итог", 60, lambda i: i.outcome),
        ],
    ),
    (
        "Наставничество",
        sel.pairs_visible_to,
        [
            ("Наставник", 30, lambda p: str(p.mentor)),
            ("Школа наставника", 36, lambda p: str(p.mentor.school)),
            ("Наставляемый", 30, lambda p: str(p.mentee)),
            ("Школа наставляемого", 36, lambda p: str(p.mentee.school)),
            ("Предмет", 20, lambda p: p.subject),
            ("Начало", 12, lambda p: _d(p.starts_on)),
            ("Окончание", 12, lambda p: _d(p.ends_on)),
            ("Цели", 50, lambda p: p.goals),
            ("Встреч", 8, lambda p: p.meetings.count()),
            ("Статус", 14, lambda p: p.get_status_display()),
            ("Результат", 50, lambda p: p.result),
        ],
    ),
    (
        "Кадровый резерв",
        sel.reserve_visible_to,
        [
            ("ФИО", 36, lambda r: r.person.full_name),
            ("Должность", 26, lambda r: r.person.get_position_display()),
            ("Место работы", 40, lambda r: r.person.place),
            ("На должность", 30, lambda r: r.position_aimed),
            ("Дата включения", 14, lambda r: _d(r.included_on)),
            ("Статус", 14, lambda r: r.get_status_display()),
            ("Примечание", 40, lambda r: r.note),
        ],
    ),
    (
        "Конкурсы",
        sel.entries_visible_to,
        [
            ("Конкурс", 40, lambda e: e.competition.title),
            ("Год", 8, lambda e: e.competition.year),
            ("Школа", 40, lambda e: str(e.school)),
            ("Программа", 50, lambda e: e.programme),
            ("Место", 8, lambda e: e.place if e.place is not None else ""),
            ("Балл", 8, lambda e: e.score if e.score is not None else ""),
            ("Решение жюри", 40, lambda e: e.decision),
        ],
    ),
]


def people_xlsx(*, user: User) -> bytes:
    """Internships, mentoring pairs, the reserve and competition entries the user sees, a sheet each."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#eef2f5", "border": 1}
    )
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for title, rows_of, columns in SHEETS:
        sheet = book.add_worksheet(title)
        for c, (head, width, _get) in enumerate(columns):
            sheet.write(0, c, head, bold)
            sheet.set_column(c, c, width, wrap)
        for r, obj in enumerate(rows_of(user=user), start=1):
            for c, (_head, _width, get) in enumerate(columns):
                sheet.write(r, c, get(obj))
        sheet.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()
