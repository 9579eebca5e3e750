"""The conclusion of an evaluation as XLSX (xlsxwriter) and DOCX (python-docx), Russian headers."""

from __future__ import annotations

import io

import xlsxwriter
from docx import Document

from shnor.web.evaluation import selectors as sel
from shnor.web.evaluation.models import Evaluation


def _header(evaluation: Evaluation) -> list[tuple[str, str]]:
    s = evaluation.school
    return [
        ("Школа", f"{s.name or s.school_id} (логин {s.school_id})"),
        ("Муниципалитет", s.municipality.name if s.municipality else "—"),
        ("Форма оценки", f"{evaluation.form_title} (критерии версии {evaluation.criteria_version})"),
        ("Документ", evaluation.subject or "—"),
        ("Статус", evaluation.get_status_display()),
        ("Эксперты", ", ".join(sel.user_label(u) for u in evaluation.experts.all()) or "—"),
        ("Ведущий эксперт", sel.user_label(evaluation.lead_expert)),
        (
            "Дата заключения",
            f"{evaluation.concluded_at:%d.%m.%Y}" if evaluation.concluded_at else "заключения ещё нет",
        ),
    ]


def conclusion_xlsx(evaluation: Evaluation) -> bytes:
    """Sheets «Заключение» (header, scores by section, conclusion, recommendations) and «Критерии»."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#eef2f5", "border": 1}
    )
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("Заключение")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 80)
    sheet.set_column(2, 3, 14)
    row = 0
    for label, value in _header(evaluation):
        sheet.write(row, 0, label, bold)
        sheet.write(row, 1, value, wrap)
        row += 1
    row += 1
    sheet.write_row(row, 0, ["Раздел", "Баллы", "Максимум", "Доля, %"], bold)
    for s in sel.evaluation_scores(evaluation):
        row += 1
        sheet.write_row(row, 0, [s.title, s.score, s.max_score, s.percent], wrap)
    row += 2
    sheet.write(row, 0, "Итоговое заключение", bold)
    sheet.write(row, 1, evaluation.conclusion or "—", wrap)
    for i, text in enumerate(evaluation.recommendations, start=1):
        row += 1
        sheet.write(row, 0, f"Рекомендация {i}", bold)
        sheet.write(row, 1, text, wrap)
    crit = book.add_worksheet("Критерии")
    experts = [r.expert for r in sel.reviews_submitted(evaluation)]
    heads = ["Раздел", "Код", "Критерий", "Шкала"]
    for e in experts:
        heads += [f"Оценка: {sel.user_label(e)}", f"Комментарий: {sel.user_label(e)}"]
    crit.write_row(0, 0, heads, bold)
    crit.set_column(0, 0, 24)
    crit.set_column(2, 2, 70)
    crit.set_column(4, 3 + 2 * len(experts), 22)
    for i, r in enumerate(sel.criterion_rows(evaluation), start=1):
        cells = [r.section, r.code, r.text, r.scale]
        for _, label, comment in r.marks:
            cells += [label, comment]
        crit.write_row(i, 0, cells, wrap)
    book.close()
    return buf.getvalue()


def conclusion_docx(evaluation: Evaluation) -> bytes:
    """The conclusion as a document: header table, scores by section, conclusion, recommendations."""
    doc = Document()
    doc.add_heading(f"Заключение: {evaluation.form_title}", level=1)
    table = doc.add_table(rows=0, cols=2)
    for label, value in _header(evaluation):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    doc.add_heading("Баллы по разделам", level=2)
    scores = doc.add_table(rows=1, cols=3)
    for cell, text in zip(scores.rows[0].cells, ["Раздел", "Баллы из максимума", "Доля, %"], strict=True):
        cell.text = text
    for s in sel.evaluation_scores(evaluation):
        cells = scores.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = (
            s.title,
            f"{s.score:g} из {s.max_score}".replace(".", ","),
            str(s.percent),
        )
    doc.add_heading("Итоговое заключение", level=2)
    doc.add_paragraph(evaluation.conclusion or "Заключения ещё нет.")
    doc.add_heading("Рекомендации", level=2)
    for text in evaluation.recommendations or ["Рекомендаций нет."]:
        doc.add_paragraph(text, style="List Number" if evaluation.recommendations else None)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
