"""The dossier of one school's objectivity case in plain Russian (DOCX and PDF): what a sign is and is not,
each tested sign in words with its chart (the mark boundary drawn as a vertical line), then the case's
sections — re-marking of the works, controlled administration, the school's answer, the decision.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from shnor.core.evidence.plain import PlainChart, PlainSign
from shnor.core.reports.annual_report import (
    _figure,
    _png,
    docx_bytes,
    docx_new,
    docx_picture,
    docx_title,
    html_img,
    html_to_pdf,
)

TITLE = "Материалы по признакам необъективности результатов ВПР"
EXPLANATION = (
    "Признак — повод внимательно посмотреть на результаты, а не доказательство нарушения. Каждый признак "
    "сравнивает результаты школы с тем, что обычно бывает в похожих школах и у похожих учеников региона. "
    "Если результат встречается очень редко, признак «выделяется»; у такой особенности могут быть и "
    "честные причины, поэтому вывод делается только после проверки работ и разговора со школой."
)


@dataclass(frozen=True)
class DossierSection:
    """One part of the case: «Повторная проверка работ», «Контролируемое проведение», «Ответ школы» …"""

    title: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CaseDossier:
    """A school's objectivity case: the school, the signs in words, the sections and the case's status."""

    school_id: str
    school_name: str
    municipality: str
    year: int
    signs: list[PlainSign]
    sections: list[DossierSection]
    status: str


def chart_png(c: PlainChart) -> bytes:
    """The chart as a PNG: bars of the school, the expected line, each mark boundary as a vertical line."""
    fig, ax = _figure(7.0, 3.2)
    xs = list(range(len(c.observed)))
    ax.bar(xs, c.observed, color="#4a78b5", label=c.observed_name)
    if c.expected:
        ax.plot(xs[: len(c.expected)], c.expected, color="#e08a2e", marker="o", ms=3, label=c.expected_name)
    top = max([*c.observed, *(c.expected or []), 1.0])
    for x, label in c.boundaries:
        ax.axvline(x, color="#b71c1c", linestyle="--", linewidth=1.5)
        ax.text(x + 0.2, top * 0.97, label, color="#b71c1c", fontsize=8, va="top")
    step = max(1, len(xs) // 20)
    ax.set_xticks(xs[::step])
    ax.set_xticklabels(c.labels[::step], fontsize=7)
    ax.set_title(c.title, fontsize=10)
    ax.set_xlabel(c.x_label, fontsize=8)
    ax.set_ylabel(c.y_label, fontsize=8)
    ax.legend(fontsize=7, frameon=False)
    return _png(fig)


def _intro(d: CaseDossier) -> list[str]:
    n = sum(s.significant for s in d.signs)
    return [
        f"Школа: {d.school_name} (код {d.school_id}), {d.municipality}.",
        f"Год ВПР: {d.year}. Состояние дела: {d.status}.",
        f"Проверено признаков: {len(d.signs)}; выделяются: {n}.",
    ]


def _standing(s: PlainSign) -> str:
    return "Выделяется." if s.significant else "Не выделяется."


def case_dossier_docx(d: CaseDossier) -> bytes:
    """The dossier as a DOCX (A4, Times New Roman)."""
    doc = docx_new()
    docx_title(doc, TITLE)
    for line in _intro(d):
        doc.add_paragraph(line)
    doc.add_heading("Что такое признак", level=2)
    doc.add_paragraph(EXPLANATION)
    doc.add_heading("Признаки", level=1)
    for s in d.signs:
        doc.add_heading(s.title, level=2)
        doc.add_paragraph(_standing(s)).runs[0].bold = True
        for t in s.sentences:
            doc.add_paragraph(t)
        if s.chart is not None:
            docx_picture(doc, chart_png(s.chart), 15.0)
    for sec in d.sections:
        doc.add_heading(sec.title, level=1)
        for t in sec.paragraphs:
            doc.add_paragraph(t)
    return docx_bytes(doc)


def render_html(d: CaseDossier) -> str:
    """The dossier's body as HTML (for WeasyPrint)."""
    e = html.escape
    parts: list[str] = [f"<h1>{e(TITLE)}</h1>"]
    parts += [f"<p>{e(x)}</p>" for x in _intro(d)]
    parts += ["<h2>Что такое признак</h2>", f"<p>{e(EXPLANATION)}</p>", "<h2>Признаки</h2>"]
    for s in d.signs:
        parts += [f"<h3>{e(s.title)}</h3>", f"<p><b>{e(_standing(s))}</b></p>"]
        parts += [f"<p>{e(t)}</p>" for t in s.sentences]
        if s.chart is not None:
            parts.append(html_img(chart_png(s.chart), s.chart.title))
    for sec in d.sections:
        parts.append(f"<h2>{e(sec.title)}</h2>")
        parts += [f"<p>{e(t)}</p>" for t in sec.paragraphs]
    return "".join(parts)


def case_dossier_pdf(d: CaseDossier) -> bytes:
    """The dossier as a PDF (A4, DejaVu Serif)."""
    return html_to_pdf(render_html(d), TITLE)


def case_dossier_filename(d: CaseDossier, fmt: str) -> str:
    """«признаки_необъективности_sch0001_2024.docx» (a safe name: letters, digits, «_», «-»)."""
    ext = fmt.lower().lstrip(".")
    if ext not in ("docx", "pdf"):
        raise ValueError(f"Формат материалов «{fmt}» не поддерживается: нужен docx или pdf")
    school = re.sub(r"[^\w-]+", "_", d.school_id).strip("_") or "школа"
    return f"признаки_необъективности_{school}_{d.year}.{ext}"
