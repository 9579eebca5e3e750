"""The DOCX draft of the order approving a roadmap (issue 25): the level above approves a school's,
municipality's or the region's roadmap by its order, with the roadmap as the appendix.

Layout follows the seeds' orders (and ``list_order``): the authority, «ПРИКАЗ», the date and number, the
place, «Об утверждении дорожной карты …», «п р и к а з ы в а ю:», the numbered items («1. Утвердить
дорожную карту … (приложение).», execution, control), the signatory; then, on a landscape page, the
stamp «Приложение к приказу от … № …», the title and the activities in the official table
(``roadmap_export.COLUMNS``). What is not known yet (number, date, signatory) is left as blanks.
Pure python-docx; the web layer builds the :class:`RoadmapOrder`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from shnor.core.reports.list_order import (
    AUTHORITY_BLANK,
    BLANK,
    SIGNATORY_BLANK,
    _new_document,
    _para,
    date_long,
    number_text,
)
from shnor.core.reports.roadmap_export import (
    COLUMNS,
    DOCX_MIME,
    RoadmapDocument,
    _cant_split,
    _repeat_header,
    _slug,
    _write_cell,
)

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

#: Head words of roadmap titles: nominative → (genitive, accusative).
_HEADS = (
    ("дорожная карта", "дорожной карты", "дорожную карту"),
    ("план мероприятий", "плана мероприятий", "план мероприятий"),
    ("комплекс мероприятий", "комплекса мероприятий", "комплекс мероприятий"),
    ("программа", "программы", "программу"),
)
#: The first word of an authority given in the genitive («Министерства …») → the nominative.
_AUTHORITY_NOMINATIVE = {
    "министерства": "министерство",
    "управления": "управление",
    "комитета": "комитет",
    "департамента": "департамент",
    "отдела": "отдел",
    "администрации": "администрация",
    "главного": "главное",
}


@dataclass(frozen=True)
class RoadmapOrder:
    """What the order says; empty strings and ``None`` become blanks to fill in by hand."""

    authority: str  # genitive or nominative: «Министерства образования …», «Управление образования …»
    order_number: str
    order_date: date | None
    signatory: str
    document: RoadmapDocument  # the roadmap (title, subject, year, sections) for the appendix


def _forms(title: str) -> tuple[str, str]:
    """(genitive, accusative) of a roadmap's title: «дорожной карты …», «дорожную карту …»."""
    text = " ".join(title.split())
    for nom, gen, acc in _HEADS:
        m = re.match(rf"^{nom}\b\s*(.*)$", text, re.IGNORECASE)
        if m:
            rest = m.group(1)
            return f"{gen} {rest}".strip(), f"{acc} {rest}".strip()
    return f"дорожной карты «{text}»", f"дорожную карту «{text}»"


def authority_nominative(authority: str) -> str:
    """The authority as the order's blank prints it: the first word in the nominative, in capitals."""
    words = authority.strip().split(" ", 1)
    if not words[0]:
        return ""
    first = _AUTHORITY_NOMINATIVE.get(words[0].lower(), words[0])
    if len(words) > 1 and words[0].lower() == "главного":  # «Главного управления» → «Главное управление»
        rest = words[1].split(" ", 1)
        if rest[0].lower() == "управления":
            words[1] = "управление" + (f" {rest[1]}" if len(rest) > 1 else "")
    return " ".join([first, *words[1:]]).upper()


def order_title(order: RoadmapOrder) -> str:
    """«Об утверждении дорожной карты …» (with whose roadmap it is when the title does not say it)."""
    doc = order.document
    gen, _ = _forms(doc.title)
    subject = doc.subject.strip()
    if subject and subject.lower() not in doc.title.lower():
        gen += f" ({subject})"
    if doc.year and str(doc.year) not in doc.title:
        gen += f" на {doc.year} год"
    return f"Об утверждении {gen}"


def order_items(order: RoadmapOrder) -> list[str]:
    """The numbered items of the order."""
    _, acc = _forms(order.document.title)
    subject = order.document.subject.strip()
    whose = f" ({subject})" if subject and subject.lower() not in acc.lower() else ""
    return [
        f"1. Утвердить {acc}{whose} (приложение).",
        "2. Ответственным исполнителям, указанным в дорожной карте, обеспечить выполнение мероприятий "
        "в установленные сроки и размещение отчётов о выполнении.",
        f"3. {BLANK} обеспечить мониторинг выполнения дорожной карты и информировать о его результатах "
        f"в срок до {BLANK}.",
        f"4. Контроль за исполнением настоящего приказа возложить на {BLANK}.",
    ]


def preamble(order: RoadmapOrder) -> str:
    """«В целях …» — the ground of the order."""
    return (
        "В целях повышения качества образования и оказания адресной методической поддержки "
        "общеобразовательным организациям с низкими результатами обучения, в соответствии с "
        f"{BLANK}"
    )


def order_filename(order: RoadmapOrder) -> str:
    """«Приказ_об_утверждении_дорожной_карты_<subject>_<year>.docx»."""
    parts = ["Приказ_об_утверждении_дорожной_карты"]
    if order.document.subject:
        parts.append(_slug(order.document.subject))
    if order.document.year:
        parts.append(str(order.document.year))
    return "_".join(parts) + ".docx"


def _order_body(d: DocxDocument, order: RoadmapOrder) -> None:
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Cm

    authority = authority_nominative(order.authority)
    if authority:
        _para(d, authority, align="center", bold=True)
    else:
        _para(d, AUTHORITY_BLANK, align="center")
    _para(d)
    _para(d, "ПРИКАЗ", align="center", bold=True)
    _para(d)
    p = d.add_paragraph()
    p.paragraph_format.tab_stops.add_tab_stop(Cm(16.5), WD_TAB_ALIGNMENT.RIGHT)
    p.add_run(f"{date_long(order.order_date)}\t{number_text(order.order_number)}")
    _para(d, f"г. {BLANK}", align="center")
    _para(d)
    _para(d, order_title(order), align="center", bold=True)
    _para(d)
    _para(d, preamble(order), align="justify", indent=True)
    _para(d)
    _para(d, "п р и к а з ы в а ю:", bold=True)
    _para(d)
    for item in order_items(order):
        _para(d, item, align="justify", indent=True)
    _para(d)
    _para(d)
    _para(d, order.signatory.strip() or SIGNATORY_BLANK)


def _appendix(d: DocxDocument, order: RoadmapOrder) -> None:
    """A landscape section: the stamp, the title and the official table of activities."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    sec = d.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    sec.left_margin, sec.right_margin = Cm(2.0), Cm(1.0)
    sec.top_margin = sec.bottom_margin = Cm(1.5)
    when = order.order_date.strftime("%d.%m.%Y") if order.order_date else date_long(None)
    for line in ("Приложение", "к приказу", f"от {when} {number_text(order.order_number)}"):
        _para(d, line, align="right")
    _para(d)
    doc = order.document
    first, rest = doc.heading()
    _para(d, first, align="center", bold=True)
    if rest:
        _para(d, rest, align="center", bold=True)
    if doc.subject:
        _para(d, f"({doc.subject})", align="center")
    _para(d)
    table = d.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    scale = 26.7 / sum(c[2] for c in COLUMNS)
    widths = [Cm(c[2] * scale) for c in COLUMNS]
    center = WD_ALIGN_PARAGRAPH.CENTER
    for j, (_, header, _, _) in enumerate(COLUMNS):
        _write_cell(table.rows[0].cells[j], header, size=10, bold=True, align=center)
    _repeat_header(table.rows[0])
    for section, rows in doc.sections:
        if section:
            row = table.add_row()
            _write_cell(row.cells[0].merge(row.cells[-1]), section, size=10, bold=True, align=center)
        for item in rows:
            row = table.add_row()
            _cant_split(row)
            for j, (key, _, _, _) in enumerate(COLUMNS):
                align = center if key in ("number", "period") else None
                _write_cell(row.cells[j], getattr(item, key), size=10, align=align)
    if not doc.n_rows():
        row = table.add_row()
        _write_cell(row.cells[0].merge(row.cells[-1]), "Мероприятий нет", size=10, align=center)
    for j, column in enumerate(table.columns):
        column.width = widths[j]
    for row in table.rows:
        for j, cell in enumerate(row.cells):
            cell.width = widths[min(j, len(widths) - 1)]


def roadmap_order_docx(order: RoadmapOrder) -> bytes:
    """The draft as DOCX bytes: the order (A4 portrait), then the roadmap as its appendix (landscape)."""
    d = _new_document()
    _order_body(d, order)
    _appendix(d, order)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


__all__ = [
    "DOCX_MIME",
    "RoadmapOrder",
    "authority_nominative",
    "order_filename",
    "order_items",
    "order_title",
    "roadmap_order_docx",
]
