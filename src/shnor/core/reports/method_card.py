"""Method cards as a DOCX document (python-docx): one card or all of them, for a methodologist.

Plain data in (:class:`~shnor.core.method_cards.MethodCard`), bytes out; the rates measured on the
region's verdicts (``verdict_rates``, by method code) are gathered by the web layer and passed in.
A span in backticks inside a card's text is program text (the command that produced a figure); it
is set in a monospaced font.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from shnor.core.method_cards import MethodCard
from shnor.core.reports.annual_report import docx_bytes, docx_new, docx_title

#: Section headings of a card, in order (the attribute, the heading).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("inputs", "Исходные данные"),
    ("how", "Как работает"),
    ("flag_means", "Что означает отметка"),
    ("flag_does_not_mean", "Чего отметка НЕ означает"),
    ("review", "Рассмотрение человеком"),
    ("synthetic_rates", "Измеренные ошибки на синтетических данных"),
    ("sources", "Источники"),
)

NO_VERDICTS = "Проверок по делам ещё не было."
_CODE = re.compile(r"`([^`]+)`")


def _runs(paragraph: Any, text: str) -> None:
    """``text`` into ``paragraph``: spans in backticks in a monospaced font, the rest as is."""
    from docx.shared import Pt

    pos = 0
    for m in _CODE.finditer(text):
        if m.start() > pos:
            paragraph.add_run(text[pos : m.start()])
        run = paragraph.add_run(m.group(1))
        run.font.name = "Courier New"
        run.font.size = Pt(8)
        pos = m.end()
    if pos < len(text):
        paragraph.add_run(text[pos:])


def _card(doc: Any, card: MethodCard, verdict_rate: str | None) -> None:
    doc.add_heading(card.title, level=1)
    p = doc.add_paragraph()
    p.add_run("Зачем. ").bold = True
    p.add_run(card.purpose)
    for attr, heading in SECTIONS:
        doc.add_heading(heading, level=2)
        for line in getattr(card, attr):
            _runs(doc.add_paragraph(style="List Bullet"), line)
        if attr == "synthetic_rates":
            doc.add_heading("Измеренные ошибки по итогам рассмотрения дел", level=2)
            doc.add_paragraph(verdict_rate or NO_VERDICTS)
    p = doc.add_paragraph()
    p.add_run("Версия настроек методики: ").bold = True
    p.add_run(card.version)


def method_cards_docx(cards: Sequence[MethodCard], verdict_rates: Mapping[str, str] | None = None) -> bytes:
    """A DOCX of ``cards`` (one card or several, each from a new page after the first).

    ``verdict_rates``: per method code, the sentence on rates measured from the region's verdicts;
    a card without one says that no cases have been reviewed yet.
    """
    if not cards:
        raise ValueError("Нет карточек методик для документа")
    rates = verdict_rates or {}
    doc = docx_new()
    docx_title(doc, "Карточка методики" if len(cards) == 1 else "Карточки методик")
    doc.add_paragraph(
        "Что делает каждая методика, что означает её отметка и чего она не означает, "
        "как отметку рассматривает человек и как часто методика ошибается."
    )
    for i, card in enumerate(cards):
        if i:
            doc.add_page_break()
        _card(doc, card, rates.get(card.code))
    return docx_bytes(doc)


__all__ = ["NO_VERDICTS", "SECTIONS", "method_cards_docx"]
