"""The combined document of a report request: the accepted parts in one DOCX for the level above.

A title page (the request, who asked, the deadline, the instruction), the table of recipients with their
status and dates, then each accepted part: its text, the roadmap execution figures and table when the part
is a generated roadmap report, and a note of the attached files. The web layer gathers plain data
(``submissions.selectors.combined_data``); this module only renders (python-docx). Pure: no Django.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from shnor.core.reports.annual_report import DOCX_MIME, docx_bytes, docx_new, docx_table, docx_title

COUNT_LABELS = [
    ("total", "Всего мероприятий"),
    ("done", "Выполнено"),
    ("in_progress", "Выполняется"),
    ("planned", "Запланировано"),
    ("overdue", "Просрочено"),
]


def _part(doc: Any, n: int, part: Mapping[str, Any]) -> None:
    doc.add_heading(f"{n}. {part['recipient']}", level=2)
    summary = part.get("summary") or {}
    if summary:
        doc.add_paragraph(str(summary.get("title", "")))
        counts = summary.get("counts") or {}
        figures = "; ".join(f"{label.lower()}: {counts.get(key, 0)}" for key, label in COUNT_LABELS)
        doc.add_paragraph(f"Выполнение: {summary.get('percent', 0)} % ({figures}).")
        rows = summary.get("rows") or []
        if rows:
            docx_table(
                doc,
                ["№", "Мероприятие", "Сроки", "Отметка о выполнении"],
                [[r["number"], r["title"], r["period"], r["status"]] for r in rows],
                widths=[1.2, 8.8, 3.0, 4.0],
            )
    for para in [p for p in re.split(r"\n\s*\n", str(part.get("text") or "")) if p.strip()]:
        doc.add_paragraph(para.strip())
    files = []
    if part.get("report_attached"):
        files.append("сформированный отчёт о выполнении дорожной карты (DOCX)")
    if part.get("file_name"):
        files.append(f"файл «{part['file_name']}»")
    if files:
        doc.add_paragraph("Приложено: " + "; ".join(files) + ".").runs[0].italic = True
    if not summary and not part.get("text") and not files:
        doc.add_paragraph("Часть принята без текста.")


def combined_docx(data: Mapping[str, Any]) -> bytes:
    """The combined DOCX (see the module's docstring for ``data``'s keys)."""
    doc = docx_new()
    docx_title(doc, str(data["title"]))
    deadline = data.get("deadline")
    lines = [
        f"Вид отчёта: {data.get('kind', '')}",
        f"Запросил: {data.get('requester', '')}",
        f"Срок: {deadline:%d.%m.%Y}" if isinstance(deadline, dt.date) else "",
        f"Год дорожной карты: {data['year']}" if data.get("year") else "",
    ]
    for line in filter(None, lines):
        doc.add_paragraph(line)
    if data.get("instruction"):
        doc.add_paragraph(f"Указания: {data['instruction']}")
    rows = data.get("rows") or []
    accepted = data.get("accepted") or []
    doc.add_paragraph(f"Получателей: {len(rows)}; принято частей: {len(accepted)}.")
    generated = data.get("generated")
    if isinstance(generated, dt.date):
        doc.add_paragraph(f"Сформировано {generated:%d.%m.%Y}.")
    doc.add_page_break()
    doc.add_heading("Получатели и состояние", level=1)
    docx_table(
        doc,
        ["№", "Получатель", "Состояние", "Отправлен"],
        [[str(i), r["recipient"], r["status"], r["submitted"]] for i, r in enumerate(rows, 1)],
        widths=[1.0, 9.0, 3.5, 3.5],
    )
    doc.add_heading("Принятые части", level=1)
    if not accepted:
        doc.add_paragraph("Принятых частей пока нет.")
    for n, part in enumerate(accepted, 1):
        _part(doc, n, part)
    return docx_bytes(doc)


def combined_filename(data: Mapping[str, Any]) -> str:
    """``Сводный_отчёт_<title>.docx``."""
    slug = re.sub(r"[^0-9A-Za-zА-Яа-яЁё]+", "_", str(data.get("title", ""))).strip("_")[:60]
    return f"Сводный_отчёт_{slug or 'запрос'}.docx"


__all__ = ["DOCX_MIME", "combined_docx", "combined_filename"]
