"""The DOCX draft of a region's order approving its lists of schools (issue 25).

Layout and wording follow the regional orders in the seeds (the Smolensk order № 863-ОД of 2019 that
«утверждает списки школ со стабильно низкими результатами обучения и школ с признаками необъективных
результатов ВПР», the Chelyabinsk order № 04/335 of 2024 and FIOKO's lists sent as appendices 1 and 2):
the authority, «ПРИКАЗ», the date and number, the place, the title «Об утверждении списков …», the
preamble «В соответствии с …, в целях …», «п р и к а з ы в а ю:», numbered items (approval of each list
as an appendix, responsibility, control), the signatory, then one appendix per list on its own page
with its stamp «Приложение N к приказу от … № …», the list title and the table № п/п | Муниципальное
образование | Наименование ОО | Логин ОО (| Основание включения, when any row has one).

What the region has not given yet (authority, number, date, signatory) is left as blanks to fill in
by hand. Pure python-docx; the web layer gathers the rows and calls :func:`list_order_docx`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph

#: Blank lines the official writes in by hand.
AUTHORITY_BLANK = (
    "____________________________________________\n"
    "(наименование органа исполнительной власти субъекта Российской Федерации, "
    "осуществляющего государственное управление в сфере образования)"
)
NUMBER_BLANK = "№ ____"
DATE_BLANK = "«___» ________ 20__ г."
SIGNATORY_BLANK = "______________ (Ф.И.О.)"
BLANK = "______________"

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

#: Head nouns of list titles: nominative → (genitive singular, genitive plural).
_HEADS = {
    "список": ("списка", "списков"),
    "перечень": ("перечня", "перечней"),
    "реестр": ("реестра", "реестров"),
}

HEADER = ("№ п/п", "Муниципальное образование", "Наименование ОО", "Логин ОО")
BASIS_HEADER = "Основание включения"
#: Column widths (cm); the text width of the page is 21 − 3 − 1,5 = 16,5 cm.
WIDTHS = (1.2, 4.2, 8.4, 2.7)
WIDTHS_WITH_BASIS = (1.2, 3.4, 5.9, 2.7, 3.3)

BODY_PT = 14
TABLE_PT = 12


@dataclass(frozen=True)
class OrderAppendix:
    """One approved list: its title («Список школ …») and rows (municipality, school, login, basis)."""

    title: str
    rows: list[tuple[str, str, str, str]]


@dataclass(frozen=True)
class ListOrder:
    """What the order says; empty strings and ``None`` become blanks to fill in by hand."""

    authority: str
    year: int
    order_number: str
    order_date: date | None
    signatory: str
    appendices: list[OrderAppendix]


# ---------------------------------------------------------------------------------------------
# wording


def date_long(d: date | None) -> str:
    """««14» октября 2025 г.», or the blank ««___» ________ 20__ г.»."""
    if d is None:
        return DATE_BLANK
    return f"«{d.day:02d}» {MONTHS_GENITIVE[d.month - 1]} {d.year} г."


def number_text(number: str) -> str:
    """«№ 863-ОД», or the blank «№ ____»."""
    number = number.strip()
    if not number:
        return NUMBER_BLANK
    return number if number.startswith("№") else f"№ {number}"


def _split_head(title: str) -> tuple[str | None, str]:
    """(head noun in lower case or None, the rest): «Список школ …» → («список», «школ …»)."""
    text = title.strip()
    head, _, rest = text.partition(" ")
    key = head.lower()
    if key in _HEADS and rest:
        return key, rest.strip()
    return None, text


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " и " + parts[-1]


def approved_lists_phrase(titles: list[str]) -> str:
    """The titles in the genitive after «утверждении»: «списка школ …», «списков школ … и школ …».

    A shared head noun is said once in the plural, as the seeds do («списков школ со стабильно низкими
    результатами обучения и школ с признаками необъективных результатов ВПР»); titles of other shapes
    are quoted after «списков» / «списка».
    """
    if not titles:
        return "списков"
    split = [_split_head(t) for t in titles]
    heads = {h for h, _ in split}
    if len(titles) == 1:
        head, rest = split[0]
        return f"{_HEADS[head][0]} {rest}" if head else f"списка «{rest}»"
    if len(heads) == 1 and None not in heads:
        (head,) = heads
        assert head is not None
        return f"{_HEADS[head][1]} " + _join([rest for _, rest in split])
    quoted = []
    for head, rest in split:
        quoted.append(f"«{rest}»" if head is None else f"«{head.capitalize()} {rest}»")
    return "списков " + _join(quoted)


def order_title(order: ListOrder) -> str:
    """«Об утверждении списков школ … и школ …» (the title under the date)."""
    return "Об утверждении " + approved_lists_phrase([a.title for a in order.appendices])


def _lower_first(text: str) -> str:
    text = text.strip()
    return text[:1].lower() + text[1:] if text else text


def order_items(order: ListOrder) -> list[str]:
    """The numbered items, one paragraph each («1. Утвердить:», «1.1. список … (приложение 1);»)."""
    apps = order.appendices
    out: list[str] = []
    if len(apps) == 1:
        out.append(f"1. Утвердить {_lower_first(apps[0].title)} (приложение 1).")
    else:
        out.append("1. Утвердить:")
        for i, app in enumerate(apps, start=1):
            end = "." if i == len(apps) else ";"
            out.append(f"1.{i}. {_lower_first(app.title)} (приложение {i}){end}")
    out += [
        f"2. {BLANK} (региональному институту развития образования) (далее – {BLANK}):",
        "2.1. Обеспечить методическое сопровождение общеобразовательных организаций, включённых в "
        "списки, утверждённые пунктом 1 настоящего приказа (далее – списки).",
        "2.2. Обеспечить координацию и организационное сопровождение разработки и реализации программ "
        "перехода общеобразовательных организаций, включённых в списки, в эффективный режим "
        "функционирования.",
        f"2.3. Предоставить в {BLANK} аналитический отчёт о результатах сопровождения в срок до {BLANK}.",
        "3. Рекомендовать руководителям органов местного самоуправления, осуществляющих управление в "
        "сфере образования:",
        "3.1. Довести настоящий приказ до сведения руководителей общеобразовательных организаций, "
        "включённых в списки.",
        "3.2. Обеспечить выполнение муниципальными общеобразовательными организациями, включёнными в "
        "списки, мероприятий по повышению качества образования и объективности оценивания.",
        f"4. Контроль за исполнением настоящего приказа возложить на {BLANK}.",
    ]
    return out


def preamble(order: ListOrder) -> str:
    """«В соответствии с …, в целях …» — the ground of the order."""
    return (
        "В соответствии с письмом Федеральной службы по надзору в сфере образования и науки "
        f"от {BLANK} № {BLANK}, по результатам оценочных процедур {order.year} года, сформированным "
        "ФГБУ «Федеральный институт оценки качества образования», и в целях организации адресной "
        "поддержки школ с низкими результатами обучения и школ с признаками необъективных результатов "
        "всероссийских проверочных работ"
    )


def stamp_lines(order: ListOrder, n: int) -> list[str]:
    """The appendix stamp: «Приложение N», «к приказу», «от 14.10.2025 № 863-ОД»."""
    when = order.order_date.strftime("%d.%m.%Y") if order.order_date else DATE_BLANK
    return [f"Приложение {n}", "к приказу", f"от {when} {number_text(order.order_number)}"]


def list_order_filename(order: ListOrder) -> str:
    """«Приказ об утверждении списков 2025.docx» («списка» when the order approves one list)."""
    noun = "списка" if len(order.appendices) == 1 else "списков"
    return f"Приказ об утверждении {noun} {order.year}.docx"


# ---------------------------------------------------------------------------------------------
# DOCX


def _new_document() -> DocxDocument:
    """A4 portrait, margins of an official document (left 3, right 1,5, top and bottom 2 cm), TNR 14."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin, sec.right_margin = Cm(3.0), Cm(1.5)
    sec.top_margin, sec.bottom_margin = Cm(2.0), Cm(2.0)
    style = doc.styles["Normal"]
    font = style.font
    font.name = "Times New Roman"
    font.size = Pt(BODY_PT)
    fmt = style.paragraph_format
    fmt.space_after = Pt(0)
    fmt.space_before = Pt(0)
    fmt.line_spacing = 1.0
    return doc


def _para(
    doc: DocxDocument, text: str = "", *, align: str = "left", bold: bool = False, indent: bool = False
) -> Paragraph:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    aligns = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }
    p = doc.add_paragraph()
    p.alignment = aligns[align]
    if indent:
        p.paragraph_format.first_line_indent = Cm(1.25)
    if text:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            run = p.add_run(line)
            run.bold = bold
            if i < len(lines) - 1:
                run.add_break()
    return p


def _date_number_line(doc: DocxDocument, order: ListOrder) -> None:
    """Date on the left, number at the right margin (a right tab stop), as on the order's blank."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Cm

    p = doc.add_paragraph()
    p.paragraph_format.tab_stops.add_tab_stop(Cm(16.5), WD_TAB_ALIGNMENT.RIGHT)
    p.add_run(f"{date_long(order.order_date)}\t{number_text(order.order_number)}")


def _order_body(doc: DocxDocument, order: ListOrder) -> None:
    authority = order.authority.strip()
    if authority:
        _para(doc, authority.upper(), align="center", bold=True)
    else:
        _para(doc, AUTHORITY_BLANK, align="center")
    _para(doc)
    _para(doc, "ПРИКАЗ", align="center", bold=True)
    _para(doc)
    _date_number_line(doc, order)
    _para(doc, f"г. {BLANK}", align="center")
    _para(doc)
    _para(doc, order_title(order), align="center", bold=True)
    _para(doc)
    _para(doc, preamble(order), align="justify", indent=True)
    _para(doc)
    _para(doc, "п р и к а з ы в а ю:", bold=True)
    _para(doc)
    for item in order_items(order):
        _para(doc, item, align="justify", indent=True)
    _para(doc)
    _para(doc)
    _para(doc, order.signatory.strip() or SIGNATORY_BLANK)


def _cell_text(cell_tc: object, text: str, *, bold: bool, size: object) -> None:
    """Fill a fresh table cell's only paragraph (XML level: 600-row lists stay fast)."""
    from docx.oxml.table import CT_Tc

    assert isinstance(cell_tc, CT_Tc)
    p = cell_tc.p_lst[0]
    r = p.add_r()
    r.text = text
    rpr = r.get_or_add_rPr()
    rpr.sz_val = size  # type: ignore[assignment]
    if bold:
        rpr.b_val = True


def _list_table(doc: DocxDocument, app: OrderAppendix) -> Table:
    """The list's table: header repeated on every page, 12 pt, basis column only when any row has one."""
    from docx.oxml.ns import qn
    from docx.oxml.parser import OxmlElement
    from docx.shared import Cm, Pt

    with_basis = any(r[3].strip() for r in app.rows)
    header = (*HEADER, BASIS_HEADER) if with_basis else HEADER
    widths = WIDTHS_WITH_BASIS if with_basis else WIDTHS
    body: list[tuple[str, ...]] = []
    for i, (mun, school, login, basis) in enumerate(app.rows, start=1):
        cells = (f"{i}.", mun, school, login)
        body.append((*cells, basis) if with_basis else cells)
    if not body:
        body.append(("", "В списке нет общеобразовательных организаций", "", "", "")[: len(header)])
    table: Table = doc.add_table(rows=1 + len(body), cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    for j, w in enumerate(widths):
        table.columns[j].width = Cm(w)
    size = Pt(TABLE_PT)
    for i, tr in enumerate(table._tbl.tr_lst):
        values = header if i == 0 else body[i - 1]
        for j, tc in enumerate(tr.tc_lst):
            tc.width = Cm(widths[j])
            _cell_text(tc, values[j], bold=i == 0, size=size)
    first = table._tbl.tr_lst[0].get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    first.append(repeat)
    return table


def _appendix(doc: DocxDocument, order: ListOrder, n: int, app: OrderAppendix) -> None:
    for k, line in enumerate(stamp_lines(order, n)):
        p = _para(doc, line, align="right")
        if k == 0:
            p.paragraph_format.page_break_before = True
    _para(doc)
    _para(doc, app.title.strip(), align="center", bold=True)
    _para(doc)
    _list_table(doc, app)


def list_order_docx(order: ListOrder) -> bytes:
    """The draft order as DOCX bytes: the order itself, then one appendix per list, each on a new page."""
    doc = _new_document()
    _order_body(doc, order)
    for n, app in enumerate(order.appendices, start=1):
        _appendix(doc, order, n, app)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


__all__ = [
    "ListOrder",
    "OrderAppendix",
    "approved_lists_phrase",
    "list_order_docx",
    "list_order_filename",
    "order_items",
    "order_title",
]
