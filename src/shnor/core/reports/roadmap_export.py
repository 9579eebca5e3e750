"""A roadmap in the official table layout of a Russian order's appendix: DOCX and XLSX.

№ п/п | Наименование мероприятия | Сроки | Ответственный исполнитель / соисполнители | Ожидаемый
результат | Целевая группа | Выходной документ — with the order's header («Приложение … к приказу
… от … № …»), the title «Дорожная карта …» and section rows spanning the table. Exporters follow the
project interface: ``identifier``, ``label``, ``params``, ``render(params) -> (filename, mimetype,
bytes)``; ``params["document"]`` is a ``RoadmapDocument`` (built from the database by the web layer).
Pure: no Django.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

COLUMNS: list[tuple[str, str, float, int]] = [
    # key, header, DOCX width (cm), XLSX width (chars)
    ("number", "№ п/п", 1.2, 6),
    ("title", "Наименование мероприятия", 7.0, 48),
    ("period", "Сроки", 2.8, 16),
    ("executors", "Ответственный исполнитель, соисполнители", 3.8, 26),
    ("expected_result", "Ожидаемый результат", 4.8, 34),
    ("target_group", "Целевая группа", 3.3, 16),
    ("output_document", "Выходной документ", 3.8, 26),
]
STATUS_COLUMN = ("status", "Отметка о выполнении", 3.0, 18)
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class RoadmapRow:
    """One activity row of the table."""

    number: str
    title: str
    period: str = ""
    executor: str = ""
    co_executors: str = ""
    expected_result: str = ""
    target_group: str = ""
    output_document: str = ""
    status: str = ""

    @property
    def executors(self) -> str:
        """Executor and co-executors in one cell, as orders print them."""
        if self.co_executors:
            return (
                f"{self.executor}\nСоисполнители: {self.co_executors}" if self.executor else self.co_executors
            )
        return self.executor


@dataclass
class RoadmapDocument:
    """Everything the appendix shows: the order's header, the title and the sections with rows."""

    title: str
    subject: str = ""  # whose roadmap: «МБОУ СОШ № 1», «Город Первый»
    authority: str = ""  # genitive: «Министерства образования и науки Челябинской области»
    order_number: str = ""
    order_date: dt.date | str | None = None
    appendix: str = ""
    approved: str = ""  # «Утверждена» — printed above the header when set
    year: int | None = None
    sections: list[tuple[str, list[RoadmapRow]]] = field(default_factory=list)
    with_status: bool = False
    footer: str = ""

    def columns(self) -> list[tuple[str, str, float, int]]:
        """The table's columns (the status column only for a monitoring report)."""
        return [*COLUMNS, STATUS_COLUMN] if self.with_status else list(COLUMNS)

    def header_lines(self) -> list[str]:
        """«Приложение № …», «к приказу …», «от … № …» (blanks when not yet issued)."""
        lines = []
        if self.approved:
            lines.append(self.approved)
            lines.append(f"приказом {self.authority}".strip())
        else:
            lines.append(f"Приложение № {self.appendix}" if self.appendix else "Приложение")
            lines.append(f"к приказу {self.authority}".strip())
        date = self.order_date
        if isinstance(date, dt.date):
            date_text = f"{date:%d.%m.%Y}"
        else:
            date_text = str(date or "").strip() or "«___» ________ 20__ г."
        lines.append(f"от {date_text} № {self.order_number.strip() or '_____'}")
        return lines

    def heading(self) -> tuple[str, str]:
        """(«ДОРОЖНАЯ КАРТА», the rest of the title) — orders print the first words apart."""
        t = " ".join(self.title.split())
        m = re.match(r"^(дорожная карта|план мероприятий|комплекс мероприятий)\s*(.*)$", t, re.IGNORECASE)
        if m:
            return m.group(1).upper(), m.group(2)
        return "ДОРОЖНАЯ КАРТА", t

    def n_rows(self) -> int:
        """Number of activity rows."""
        return sum(len(rows) for _, rows in self.sections)


def _slug(text: str) -> str:
    s = re.sub(r"[^0-9A-Za-zА-Яа-яЁё]+", "_", text).strip("_")
    return s[:60] or "roadmap"


def document_filename(doc: RoadmapDocument, ext: str) -> str:
    """A readable file name: ``Дорожная_карта_<subject>_<year>.<ext>``."""
    parts = ["Дорожная_карта", _slug(doc.subject) if doc.subject else "", str(doc.year or "")]
    return "_".join(p for p in parts if p) + f".{ext}"


# ---------------------------------------------------------------------------------------------
# DOCX


def _cell_shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _cant_split(row: Any) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _write_cell(cell: Any, text: str, *, size: float, bold: bool = False, align: Any = None) -> None:
    from docx.shared import Pt

    cell.text = ""
    lines = str(text or "").split("\n")
    p = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            p = cell.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        p.paragraph_format.space_before = Pt(0)
        if align is not None:
            p.alignment = align
        run = p.add_run(line)
        run.font.size = Pt(size)
        run.bold = bold


def roadmap_docx(doc: RoadmapDocument) -> bytes:
    """The roadmap as a DOCX order appendix (A4 landscape, Times New Roman)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    d = Document()
    sec = d.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    sec.left_margin = Cm(2.0)
    sec.right_margin = Cm(1.0)
    sec.top_margin = sec.bottom_margin = Cm(1.5)
    normal = d.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), "Times New Roman")

    # The order's header: a block at the right, lines left-aligned within it (as printed orders do).
    for line in doc.header_lines():
        p = d.add_paragraph()
        p.paragraph_format.left_indent = Cm(17.5)
        p.paragraph_format.space_after = Pt(0)
        p.add_run(line).font.size = Pt(12)
    d.add_paragraph().paragraph_format.space_after = Pt(0)

    first, rest = doc.heading()
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(0)
    r = p.add_run(first)
    r.bold = True
    r.font.size = Pt(14)
    if rest:
        p = d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        r = p.add_run(rest)
        r.bold = True
        r.font.size = Pt(13)
    if doc.subject:
        p = d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        p.add_run(f"({doc.subject})").font.size = Pt(12)
    d.add_paragraph().paragraph_format.space_after = Pt(4)

    cols = doc.columns()
    table = d.add_table(rows=2, cols=len(cols))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    scale = 26.7 / sum(c[2] for c in cols)
    widths = [Cm(c[2] * scale) for c in cols]
    size = 10.0
    for j, (_, header, _, _) in enumerate(cols):
        cell = table.rows[0].cells[j]
        _write_cell(cell, header, size=size, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_shade(cell, "F2F2F2")
        _write_cell(table.rows[1].cells[j], str(j + 1), size=9, align=WD_ALIGN_PARAGRAPH.CENTER)
    _repeat_header(table.rows[0])
    _repeat_header(table.rows[1])
    for section, rows in doc.sections:
        if section:
            row = table.add_row()
            merged = row.cells[0].merge(row.cells[-1])
            _write_cell(merged, section, size=size, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            _cant_split(row)
        for item in rows:
            row = table.add_row()
            _cant_split(row)
            for j, (key, _, _, _) in enumerate(cols):
                value = getattr(item, key)
                _write_cell(
                    row.cells[j],
                    value,
                    size=size,
                    align=WD_ALIGN_PARAGRAPH.CENTER if key in ("number", "period") else None,
                )
    for j, column in enumerate(table.columns):
        column.width = widths[j]  # the grid (w:gridCol): what LibreOffice and Word lay out by
    for row in table.rows:
        for j, cell in enumerate(row.cells):
            cell.width = widths[j] if j < len(widths) else widths[-1]
    if doc.footer:
        p = d.add_paragraph()
        p.paragraph_format.space_before = Pt(8)
        p.add_run(doc.footer).font.size = Pt(10)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# XLSX


def roadmap_xlsx(doc: RoadmapDocument) -> bytes:
    """The same table as an XLSX sheet (printable: landscape, fit to width, header rows repeated)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    ws = book.add_worksheet("Дорожная карта")
    cols = doc.columns()
    last = len(cols) - 1
    right = book.add_format({"align": "left", "font_name": "Times New Roman", "font_size": 11})
    title = book.add_format(
        {
            "bold": True,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "font_name": "Times New Roman",
            "font_size": 13,
        }
    )
    sub = book.add_format({"align": "center", "font_name": "Times New Roman", "font_size": 11})
    head = book.add_format(
        {
            "bold": True,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "border": 1,
            "bg_color": "#F2F2F2",
            "font_name": "Times New Roman",
            "font_size": 10,
        }
    )
    num = book.add_format({"align": "center", "border": 1, "font_name": "Times New Roman", "font_size": 9})
    sect = book.add_format(
        {
            "bold": True,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "border": 1,
            "font_name": "Times New Roman",
            "font_size": 10,
        }
    )
    cell = book.add_format(
        {"text_wrap": True, "valign": "top", "border": 1, "font_name": "Times New Roman", "font_size": 10}
    )
    centre = book.add_format(
        {
            "text_wrap": True,
            "valign": "top",
            "align": "center",
            "border": 1,
            "font_name": "Times New Roman",
            "font_size": 10,
        }
    )
    for j, (_, _, _, width) in enumerate(cols):
        ws.set_column(j, j, width)
    r = 0
    for line in doc.header_lines():
        ws.merge_range(r, max(last - 2, 0), r, last, line, right)
        r += 1
    r += 1
    first, rest = doc.heading()
    ws.merge_range(r, 0, r, last, first, title)
    r += 1
    if rest:
        ws.merge_range(r, 0, r, last, rest, title)
        ws.set_row(r, 34)
        r += 1
    if doc.subject:
        ws.merge_range(r, 0, r, last, f"({doc.subject})", sub)
        r += 1
    r += 1
    header_row = r
    for j, (_, header, _, _) in enumerate(cols):
        ws.write(r, j, header, head)
        ws.write(r + 1, j, j + 1, num)
    ws.set_row(r, 30)
    r += 2
    for section, rows in doc.sections:
        if section:
            ws.merge_range(r, 0, r, last, section, sect)
            r += 1
        for item in rows:
            for j, (key, _, _, _) in enumerate(cols):
                ws.write_string(
                    r, j, str(getattr(item, key) or ""), centre if key in ("number", "period") else cell
                )
            r += 1
    ws.repeat_rows(header_row, header_row + 1)
    ws.freeze_panes(header_row + 2, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    if doc.footer:
        ws.write(r + 1, 0, doc.footer)
    book.close()
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Exporters (project interface)


class RoadmapDocxExporter:
    """Roadmap → DOCX order appendix."""

    identifier = "roadmap_docx"
    label = "Дорожная карта (DOCX, приложение к приказу)"
    params = ("document",)

    def render(self, params: Mapping[str, Any]) -> tuple[str, str, bytes]:
        """``(filename, mimetype, bytes)`` for ``params["document"]``."""
        doc: RoadmapDocument = params["document"]
        return document_filename(doc, "docx"), DOCX_MIME, roadmap_docx(doc)


class RoadmapXlsxExporter:
    """Roadmap → XLSX table."""

    identifier = "roadmap_xlsx"
    label = "Дорожная карта (XLSX)"
    params = ("document",)

    def render(self, params: Mapping[str, Any]) -> tuple[str, str, bytes]:
        """``(filename, mimetype, bytes)`` for ``params["document"]``."""
        doc: RoadmapDocument = params["document"]
        return document_filename(doc, "xlsx"), XLSX_MIME, roadmap_xlsx(doc)


EXPORTERS = {e.identifier: e for e in (RoadmapDocxExporter(), RoadmapXlsxExporter())}
