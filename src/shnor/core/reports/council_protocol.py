"""The protocol of a meeting of a working group or council (seeds 002, 003): DOCX.

The layout follows the Sharan district protocol of 02.07.2021 (seed 003): «ПРОТОКОЛ № …», «заседания
рабочей группы «…»», the time, date and place, «Присутствовали:» with each present member's name and
position (and organisation), «Отсутствовали:», «ПОВЕСТКА ДНЯ:» as a numbered list, then for each item
«1. СЛУШАЛИ:» (the item and what was said) and «РЕШИЛИ:» (the decision, with its executors and
deadlines when tasks were set), and the signatures of the chair and the secretary. What is not known
yet is left as a blank line. Pure python-docx; the web layer gathers the facts and calls
:func:`protocol_docx`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shnor.core.reports.annual_report import DOCX_MIME, docx_bytes, docx_new

BLANK = "________________"

MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)

#: The kind of a group in the genitive, as in «заседания рабочей группы».
KIND_GENITIVE = {
    "working_group": "рабочей группы",
    "methodical_council": "методического совета",
    "coordination_council": "координационного совета",
}


@dataclass(frozen=True)
class Person:
    """A member as the protocol names them."""

    name: str
    position: str = ""
    organisation: str = ""

    def line(self) -> str:
        """«Фамилия И.О., должность, организация»."""
        return ", ".join(p for p in (self.name, self.position, self.organisation) if p)


@dataclass(frozen=True)
class Item:
    """An agenda item: its title, what was heard, what was decided and the tasks set."""

    title: str
    heard: str = ""
    decided: str = ""
    tasks: tuple[str, ...] = ()


@dataclass
class CouncilProtocol:
    """Facts of one meeting (plain values gathered by the caller)."""

    group_name: str
    kind: str  # working_group | methodical_council | coordination_council
    held_on: date
    number: str = ""
    time_text: str = ""
    place: str = ""
    authority: str = ""  # who holds the group: «Министерство образования …» / «Управление образования …»
    present: list[Person] = field(default_factory=list)
    absent: list[Person] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    chair: Person | None = None
    secretary: Person | None = None


def date_words(d: date) -> str:
    """«02 июля 2021 года»."""
    return f"{d.day:02d} {MONTHS_GENITIVE[d.month - 1]} {d.year} года"


def protocol_filename(p: CouncilProtocol) -> str:
    """«Протокол № 3 от 02.07.2021.docx»."""
    number = f" № {p.number}" if p.number else ""
    return f"Протокол{number} от {p.held_on:%d.%m.%Y}.docx"


def _signature(role: str, person: Person | None) -> str:
    name = person.name if person else BLANK
    return f"{role}  {BLANK} / {name}"


def protocol_docx(p: CouncilProtocol) -> bytes:
    """The protocol as DOCX bytes."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = docx_new()
    doc.styles["Normal"].font.size = Pt(12)

    def centre(text: str, *, bold: bool = False) -> None:
        para = doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        para.add_run(text).bold = bold

    def bold_line(text: str) -> None:
        doc.add_paragraph().add_run(text).bold = True

    if p.authority:
        centre(p.authority)
    centre(f"ПРОТОКОЛ № {p.number}" if p.number else "ПРОТОКОЛ", bold=True)
    centre(f"заседания {KIND_GENITIVE.get(p.kind, 'рабочей группы')} «{p.group_name}»", bold=True)
    when = f"{p.time_text} ч " if p.time_text else ""
    doc.add_paragraph(f"{when}{date_words(p.held_on)}")
    doc.add_paragraph(p.place or f"Место проведения: {BLANK}")
    bold_line("Присутствовали:")
    for person in p.present:
        doc.add_paragraph(person.line())
    if not p.present:
        doc.add_paragraph(BLANK)
    if p.absent:
        bold_line("Отсутствовали:")
        for person in p.absent:
            doc.add_paragraph(person.line())
    bold_line("ПОВЕСТКА ДНЯ:")
    for i, item in enumerate(p.items, start=1):
        doc.add_paragraph(f"{i}. {item.title}")
    for i, item in enumerate(p.items, start=1):
        bold_line(f"{i}. СЛУШАЛИ:")
        doc.add_paragraph(item.heard or item.title)
        bold_line("РЕШИЛИ:")
        doc.add_paragraph(item.decided or BLANK)
        for task in item.tasks:
            doc.add_paragraph(task, style="List Bullet")
    doc.add_paragraph("")
    doc.add_paragraph(_signature("Председатель", p.chair))
    doc.add_paragraph(_signature("Секретарь", p.secretary))
    return docx_bytes(doc)


__all__ = [
    "DOCX_MIME",
    "KIND_GENITIVE",
    "CouncilProtocol",
    "Item",
    "Person",
    "date_words",
    "protocol_docx",
    "protocol_filename",
]
