"""The school's deficit report for its methodological council: DOCX (python-docx) and PDF (WeasyPrint).

Behind the exporter interface of ARCHITECTURE.md: :class:`DeficitReportExporter` has
``identifier``, ``label``, ``params`` and ``render(params) -> (filename, mimetype, bytes)``.
The data are gathered once by :func:`build_report` (pure, from ``Inputs`` and the methodology
settings) and rendered by :func:`render_docx` / :func:`render_pdf`; nothing is written to disk.

Content, per test the school wrote in the year: success by skill (or task) against the
comparison group with the school's interval and the verdict; the deficits of the school and of
each class; pupils at risk of failure per class by pseudonym (``pupil_key``) with their weakest
skills and the groups of pupils sharing a weak skill; the recommendations attached to the
deficits; the school-wide measures of the library.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import polars as pl

from shnor.core.labels import PROCEDURE_LABELS
from shnor.core.labels import SUBJECT_NAMES as SUBJECTS
from shnor.core.methods import deficits as dm
from shnor.core.methods.base import Inputs
from shnor.core.recommendations import Entry, Library, school_entries, shipped_library

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"
STATUS_LABELS = {
    "deficit": "дефицит",
    "possible": "возможный дефицит",
    "ok": "норма",
    "insufficient": "мало данных",
    "no_comparison": "нет группы сравнения",
}
COMPARISON_LABELS = {
    "cluster": "школы того же кластера",
    "municipality": "школы муниципалитета",
    "region": "школы региона",
}
PSEUDONYM_CHARS = 10


@dataclass
class TestSection:
    """One test (procedure, subject, grade) of the school: its tables and recommendations."""

    procedure: str
    subject: str
    grade: int
    title: str
    n_pupils: int
    comparison: str
    main_dimension: str
    elements: pl.DataFrame  # school rows of the main dimension
    tasks: pl.DataFrame  # school rows by task (empty when the main dimension is task)
    class_deficits: pl.DataFrame
    at_risk: pl.DataFrame
    groups: pl.DataFrame
    recommendations: list[tuple[Entry, list[str]]]  # entry, the deficits it answers


@dataclass
class ReportData:
    """Everything the report shows, independent of the output format."""

    school_id: str
    school_name: str
    municipality: str
    year: int
    sections: list[TestSection]
    school_measures: list[Entry]
    library_version: str
    library_starter: bool
    settings: dict[str, Any] = field(default_factory=dict)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}"


def _interval(lo: float | None, hi: float | None) -> str:
    return "—" if lo is None or hi is None else f"{100 * lo:.0f}–{100 * hi:.0f}"


def _gap(x: float | None) -> str:
    if x is None:
        return "—"
    v = round(100 * x)
    return "0" if v == 0 else f"{v:+d}".replace("-", "−")


def _places(label: str, places: list[str]) -> str:
    """'Label (школа; классы А, Б)'."""
    parts = ["школа"] if "школа" in places else []
    classes = [p for p in places if p != "школа"]
    if classes:
        parts.append(("класс " if len(classes) == 1 else "классы ") + ", ".join(classes))
    return f"{label} ({'; '.join(parts)})"


def _short(key: str | None) -> str:
    return (key or "")[:PSEUDONYM_CHARS]


def _school_info(inputs: Inputs, school_id: str) -> tuple[str, str]:
    s = inputs.schools
    if s.height == 0 or "school_id" not in s.columns:
        return school_id, ""
    row = s.filter(pl.col("school_id") == school_id)
    if row.height == 0:
        return school_id, ""
    name = row["name"][0] if "name" in row.columns and row["name"][0] else school_id
    mun = row["municipality"][0] if "municipality" in row.columns and row["municipality"][0] else ""
    return str(name), str(mun)


def build_report(
    inputs: Inputs,
    school_id: str,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    library: Library | None = None,
    clusters: pl.DataFrame | None = None,
    table: pl.DataFrame | None = None,
) -> ReportData:
    """Gather the report's content for one school (``table``: a precomputed ``deficit_table`` of the year)."""
    sec = dm._section(config)
    lib = library or shipped_library()
    year = inputs.year if year is None else int(year)
    tab = table if table is not None else dm.deficit_table(inputs, sec, year=year, clusters=clusters)
    tab = tab.filter(pl.col("school_id") == school_id)
    defs = dm.deficits(inputs, sec, year=year, library=lib, table=tab)
    risk = dm.pupils_at_risk(inputs, sec, year=year, school_ids=[school_id])
    groups = dm.risk_groups(risk)
    name, mun = _school_info(inputs, school_id)
    sections = []
    tests = tab.select("procedure", "subject", "grade").unique().sort("procedure", "subject", "grade")
    for procedure, subject, grade in tests.iter_rows():
        unit = (
            (pl.col("procedure") == procedure) & (pl.col("subject") == subject) & (pl.col("grade") == grade)
        )
        t = tab.filter(unit)
        school_rows = t.filter(pl.col("unit") == "school")
        dims = school_rows["dimension"].unique().to_list()
        main = "skill" if "skill" in dims else "task"
        elements = school_rows.filter(pl.col("dimension") == main).sort("element_order", "element")
        tasks = (
            school_rows.filter(pl.col("dimension") == "task").sort("element_order")
            if main != "task"
            else school_rows.head(0)
        )
        d = defs.filter(unit)
        class_def = d.filter((pl.col("unit") == "class") & (pl.col("dimension") == main)).sort(
            "class_name", "element_order"
        )
        n_pupils = int(cast("int | None", elements["n_pupils"].max()) or 0) if elements.height else 0
        kinds = elements["comparison_kind"].drop_nulls().unique().to_list()
        comparison = ", ".join(COMPARISON_LABELS.get(k, k) for k in sorted(kinds)) or "—"
        found: dict[str, tuple[Entry, dict[str, list[str]]]] = {}
        order = d.with_columns(
            pl.col("unit").replace_strict({"school": 0, "class": 1}, return_dtype=pl.Int8).alias("_u")
        )
        for row in order.sort("element_order", "element", "_u", "class_name").iter_rows(named=True):
            where = "школа" if row["unit"] == "school" else str(row["class_name"])
            for item in json.loads(row["recommendations"] or "[]"):
                entry = lib.by_id(item["id"])
                places = found.setdefault(entry.id, (entry, {}))[1].setdefault(row["element_label"], [])
                if where not in places:
                    places.append(where)
        recs = [
            (entry, [_places(label, places) for label, places in targets.items()])
            for entry, targets in found.values()
        ]
        title = (
            f"{SUBJECTS.get(subject, subject)}, {grade} класс "
            f"({PROCEDURE_LABELS.get(procedure, procedure.upper())} {year})"
        )
        sections.append(
            TestSection(
                procedure=procedure,
                subject=subject,
                grade=int(grade),
                title=title,
                n_pupils=n_pupils,
                comparison=comparison,
                main_dimension=main,
                elements=elements,
                tasks=tasks,
                class_deficits=class_def,
                at_risk=risk.filter(unit),
                groups=groups.filter(unit),
                recommendations=recs,
            )
        )
    return ReportData(
        school_id=school_id,
        school_name=name,
        municipality=mun,
        year=year,
        sections=sections,
        school_measures=school_entries(lib),
        library_version=lib.version,
        library_starter=lib.status == "starter",
        settings={
            "rule": sec["rule"],
            "min_pupils": sec["min_pupils"],
            "min_gap": sec["relative"]["min_gap"],
            "interval": sec["interval"]["method"],
            "confidence": sec["interval"]["confidence"],
        },
    )


# ---------------------------------------------------------------------------------------------
# shared wording


def _intro(data: ReportData) -> list[str]:
    s = data.settings
    return [
        f"Отчёт подготовлен для методического совета школы по результатам {data.year} года. "
        "Выполнение — доля набранных баллов от максимально возможных по заданиям умения (задания), "
        "в процентах; единица анализа — обучающийся.",
        "Дефицит — умение (задание), выполнение которого значимо ниже, чем в группе сравнения: "
        "верхняя граница "
        f"{int(round(100 * s['confidence']))}-процентного интервала школы ниже результата группы "
        "и разница не меньше "
        f"{int(round(100 * s['min_gap']))} процентных пунктов. «Возможный дефицит» — разница не меньше "
        f"{int(round(100 * s['min_gap']))} п. п., но при данном числе участников не доказана. "
        "Выводы делаются при числе "
        f"участников не меньше {s['min_pupils']}.",
        "Обучающиеся указаны только псевдонимами (первые символы кода pupil_key); сопоставить их с учащимися "
        "может только школа.",
    ]


def _risk_reasons(text: str | None) -> str:
    return ", ".join(dm.REASON_LABELS.get(r, r) for r in (text or "").split(";") if r)


def _dimension_title(section: TestSection) -> str:
    return "умениям" if section.main_dimension == "skill" else "заданиям"


# ---------------------------------------------------------------------------------------------
# DOCX


def _docx_shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _docx_table(
    doc: Any,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float] | None = None,
    shade: Sequence[str | None] | None = None,
) -> Any:
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for j, h in enumerate(header):
        cell = table.rows[0].cells[j]
        cell.text = ""
        run = cell.paragraphs[0].add_run(h)
        run.bold = True
        run.font.size = Pt(9)
        _docx_shade(cell, "DCE6F1")
    for i, row in enumerate(rows):
        cells = table.add_row().cells
        for j, value in enumerate(row):
            cells[j].text = ""
            run = cells[j].paragraphs[0].add_run(value)
            run.font.size = Pt(9)
            if shade and (fill := shade[i]):
                _docx_shade(cells[j], fill)
    if widths:
        table.autofit = False
        for j, w in enumerate(widths):
            table.columns[j].width = Cm(w)
        for row in table.rows:
            for j, w in enumerate(widths):
                row.cells[j].width = Cm(w)
    return table


_FILL = {"deficit": "F8D7DA", "possible": "FFF3CD"}


def _element_rows(frame: pl.DataFrame, *, with_tasks: bool) -> tuple[list[list[str]], list[str | None]]:
    rows, shade = [], []
    for r in frame.iter_rows(named=True):
        label = r["element_label"]
        if with_tasks:
            label = f"{label} (задания {r['tasks']})"
        rows.append(
            [
                label,
                r["levels"] or "—",
                str(r["n_pupils"]),
                _pct(r["success"]),
                _interval(r["lower"], r["upper"]),
                _pct(r["comparison_success"]),
                _gap(r["gap"]),
                STATUS_LABELS.get(r["status"], r["status"]),
            ]
        )
        shade.append(_FILL.get(r["status"]))
    return rows, shade


ELEMENT_HEADER = [
    "Умение / задание",
    "Уровень",
    "Участников",
    "Школа, %",
    "Интервал, %",
    "Сравнение, %",
    "Разница, п. п.",
    "Вывод",
]


def render_docx(data: ReportData) -> bytes:
    """The report as a DOCX document (bytes)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    section.top_margin = section.bottom_margin = Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(11)

    doc.add_heading("Дефициты предметных умений и адресные рекомендации", level=0)
    p = doc.add_paragraph()
    p.add_run(f"{data.school_name}").bold = True
    p.add_run(f" (логин {data.school_id})")
    if data.municipality:
        p.add_run(f", {data.municipality}")
    doc.add_paragraph(f"Год результатов: {data.year}. Дата формирования отчёта: {date.today():%d.%m.%Y}.")
    for line in _intro(data):
        doc.add_paragraph(line)
    if not data.sections:
        doc.add_paragraph("В этом году у школы нет результатов с известной структурой заданий.")

    for s in data.sections:
        doc.add_heading(s.title, level=1)
        doc.add_paragraph(f"Участников: {s.n_pupils}. Группа сравнения: {s.comparison}.")
        n_def = int((s.elements["status"] == "deficit").sum()) if s.elements.height else 0
        doc.add_heading(f"Выполнение по {_dimension_title(s)}: дефицитов — {n_def}", level=2)
        rows, shade = _element_rows(s.elements, with_tasks=s.main_dimension == "skill")
        _docx_table(doc, ELEMENT_HEADER, rows, widths=[9.5, 1.6, 2.0, 1.8, 2.3, 2.2, 2.2, 3.0], shade=shade)
        if s.tasks.height:
            doc.add_heading("Выполнение заданий", level=2)
            rows, shade = _element_rows(s.tasks, with_tasks=False)
            _docx_table(
                doc, ELEMENT_HEADER, rows, widths=[9.5, 1.6, 2.0, 1.8, 2.3, 2.2, 2.2, 3.0], shade=shade
            )

        doc.add_heading("Дефициты классов", level=2)
        if s.class_deficits.height:
            rows = [
                [
                    r["class_name"],
                    r["element_label"],
                    str(r["n_pupils"]),
                    _pct(r["success"]),
                    _interval(r["lower"], r["upper"]),
                    _pct(r["comparison_success"]),
                    _gap(r["gap"]),
                ]
                for r in s.class_deficits.iter_rows(named=True)
            ]
            _docx_table(
                doc,
                [
                    "Класс",
                    "Умение / задание",
                    "Участников",
                    "Класс, %",
                    "Интервал, %",
                    "Сравнение, %",
                    "Разница, п. п.",
                ],
                rows,
                widths=[1.6, 11.5, 2.0, 1.8, 2.3, 2.2, 2.2],
            )
        else:
            doc.add_paragraph(
                "Значимых дефицитов на уровне классов не выявлено "
                "(или в классах меньше минимального числа участников)."
            )

        doc.add_heading("Обучающиеся группы риска (для индивидуальной работы учителя)", level=2)
        if s.at_risk.height:
            for cls in s.at_risk["class_name"].unique(maintain_order=True).to_list():
                part = s.at_risk.filter(pl.col("class_name") == cls)
                doc.add_paragraph().add_run(f"Класс {cls}: {part.height} обуч.").bold = True
                rows = [
                    [
                        _short(r["pupil_key"]),
                        "—" if r["primary_score"] is None else str(r["primary_score"]),
                        "—" if r["mark"] is None else str(r["mark"]),
                        _risk_reasons(r["reasons"]),
                        r["weakest"] or "—",
                    ]
                    for r in part.iter_rows(named=True)
                ]
                _docx_table(
                    doc,
                    ["Псевдоним", "Балл", "Отметка", "Причина", "Самые слабые умения"],
                    rows,
                    widths=[2.6, 1.4, 1.6, 5.0, 14.0],
                )
                g = s.groups.filter(pl.col("class_name") == cls)
                if g.height:
                    doc.add_paragraph("Группы для совместной работы по умению:")
                    for r in g.filter(pl.col("n_pupils") >= 2).iter_rows(named=True):
                        keys = ", ".join(_short(k) for k in r["pupil_keys"].split(", "))
                        doc.add_paragraph(
                            f"{r['element_label']} — {r['n_pupils']} обуч.: {keys}", style="List Bullet"
                        )
        else:
            doc.add_paragraph("Обучающихся группы риска не выявлено.")

        doc.add_heading("Рекомендации по выявленным дефицитам", level=2)
        if s.recommendations:
            for entry, targets in s.recommendations:
                para = doc.add_paragraph()
                para.add_run(entry.title).bold = True
                para.add_run(
                    f" (для: {entry.audience}; к дефицитам: {'; '.join(targets[:6])}"
                    f"{' и др.' if len(targets) > 6 else ''})"
                )
                for action in entry.actions:
                    doc.add_paragraph(action, style="List Bullet")
        else:
            doc.add_paragraph("Дефицитов, требующих адресных рекомендаций, не выявлено.")

    doc.add_heading("Управленческие меры школы", level=1)
    for entry in data.school_measures:
        doc.add_paragraph().add_run(f"{entry.title} ({entry.audience})").bold = True
        for action in entry.actions:
            doc.add_paragraph(action, style="List Bullet")
    if data.library_starter:
        doc.add_paragraph(
            f"Рекомендации взяты из стартового набора библиотеки продукта (версия {data.library_version}); "
            "региональный институт развития образования может заменить их своими."
        ).runs[0].italic = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# HTML / PDF

_CSS = """
@page { size: A4 landscape; margin: 1.5cm 1.8cm; \
@bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Serif", "Times New Roman", serif; font-size: 10pt; line-height: 1.3; }
h1 { font-size: 17pt; margin: 0 0 6pt 0; }
h2 { font-size: 13pt; margin: 14pt 0 4pt 0; border-bottom: 1px solid #999; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 10pt 0 4pt 0; page-break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt 0; font-size: 8.5pt; }
th, td { border: 0.5pt solid #666; padding: 2pt 4pt; vertical-align: top; }
th { background: #dce6f1; }
tr.deficit td { background: #f8d7da; }
tr.possible td { background: #fff3cd; }
.note { font-style: italic; color: #444; }
"""


def render_html(data: ReportData) -> str:
    """The report as a standalone HTML page (used for the PDF)."""
    e = html.escape
    out: list[str] = [
        f"<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><style>{_CSS}</style></head><body>"
    ]
    out.append("<h1>Дефициты предметных умений и адресные рекомендации</h1>")
    mun = f", {e(data.municipality)}" if data.municipality else ""
    out.append(f"<p><b>{e(data.school_name)}</b> (логин {e(data.school_id)}){mun}</p>")
    out.append(f"<p>Год результатов: {data.year}. Дата формирования отчёта: {date.today():%d.%m.%Y}.</p>")
    out.extend(f"<p>{e(line)}</p>" for line in _intro(data))

    def table(
        header: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[str | None] | None = None
    ) -> str:
        head = "".join(f"<th>{e(h)}</th>" for h in header)
        body = []
        for i, row in enumerate(rows):
            cls = f" class='{classes[i]}'" if classes and classes[i] else ""
            body.append(f"<tr{cls}>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"

    for s in data.sections:
        out.append(
            f"<h2>{e(s.title)}</h2><p>Участников: {s.n_pupils}. Группа сравнения: {e(s.comparison)}.</p>"
        )
        n_def = int((s.elements["status"] == "deficit").sum()) if s.elements.height else 0
        out.append(f"<h3>Выполнение по {_dimension_title(s)}: дефицитов — {n_def}</h3>")
        rows, _ = _element_rows(s.elements, with_tasks=s.main_dimension == "skill")
        out.append(table(ELEMENT_HEADER, rows, s.elements["status"].to_list()))
        if s.tasks.height:
            rows, _ = _element_rows(s.tasks, with_tasks=False)
            out.append(
                "<h3>Выполнение заданий</h3>" + table(ELEMENT_HEADER, rows, s.tasks["status"].to_list())
            )
        out.append("<h3>Дефициты классов</h3>")
        if s.class_deficits.height:
            rows = [
                [
                    r["class_name"],
                    r["element_label"],
                    str(r["n_pupils"]),
                    _pct(r["success"]),
                    _interval(r["lower"], r["upper"]),
                    _pct(r["comparison_success"]),
                    _gap(r["gap"]),
                ]
                for r in s.class_deficits.iter_rows(named=True)
            ]
            out.append(
                table(
                    [
                        "Класс",
                        "Умение / задание",
                        "Участников",
                        "Класс, %",
                        "Интервал, %",
                        "Сравнение, %",
                        "Разница, п. п.",
                    ],
                    rows,
                )
            )
        else:
            out.append("<p>Значимых дефицитов на уровне классов не выявлено.</p>")
        out.append("<h3>Обучающиеся группы риска (для индивидуальной работы учителя)</h3>")
        if s.at_risk.height:
            for cls in s.at_risk["class_name"].unique(maintain_order=True).to_list():
                part = s.at_risk.filter(pl.col("class_name") == cls)
                rows = [
                    [
                        _short(r["pupil_key"]),
                        "—" if r["primary_score"] is None else str(r["primary_score"]),
                        "—" if r["mark"] is None else str(r["mark"]),
                        _risk_reasons(r["reasons"]),
                        r["weakest"] or "—",
                    ]
                    for r in part.iter_rows(named=True)
                ]
                out.append(f"<p><b>Класс {e(cls)}: {part.height} обуч.</b></p>")
                out.append(table(["Псевдоним", "Балл", "Отметка", "Причина", "Самые слабые умения"], rows))
                g = s.groups.filter((pl.col("class_name") == cls) & (pl.col("n_pupils") >= 2))
                if g.height:
                    items = "".join(
                        f"<li>{e(r['element_label'])} — {r['n_pupils']} обуч.: "
                        f"{e(', '.join(_short(k) for k in r['pupil_keys'].split(', ')))}</li>"
                        for r in g.iter_rows(named=True)
                    )
                    out.append(f"<p>Группы для совместной работы по умению:</p><ul>{items}</ul>")
        else:
            out.append("<p>Обучающихся группы риска не выявлено.</p>")
        out.append("<h3>Рекомендации по выявленным дефицитам</h3>")
        if s.recommendations:
            for entry, targets in s.recommendations:
                more = " и др." if len(targets) > 6 else ""
                out.append(
                    f"<p><b>{e(entry.title)}</b> (для: {e(entry.audience)}; "
                    f"к дефицитам: {e('; '.join(targets[:6]))}{more})</p><ul>"
                    + "".join(f"<li>{e(a)}</li>" for a in entry.actions)
                    + "</ul>"
                )
        else:
            out.append("<p>Дефицитов, требующих адресных рекомендаций, не выявлено.</p>")
    out.append("<h2>Управленческие меры школы</h2>")
    for entry in data.school_measures:
        out.append(
            f"<p><b>{e(entry.title)}</b> ({e(entry.audience)})</p><ul>"
            + "".join(f"<li>{e(a)}</li>" for a in entry.actions)
            + "</ul>"
        )
    if data.library_starter:
        out.append(
            "<p class='note'>Рекомендации взяты из стартового набора библиотеки продукта "
            f"(версия {e(data.library_version)}); "
            "региональный институт развития образования может заменить их своими.</p>"
        )
    out.append("</body></html>")
    return "".join(out)


def render_pdf(data: ReportData) -> bytes:
    """The report as PDF via WeasyPrint (needs the Debian pango libraries; fonts are local, no network)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on the system libraries
        raise RuntimeError(
            "PDF недоступен: не установлен WeasyPrint или системные библиотеки pango (см. docs/deficits.md)"
        ) from exc
    return bytes(weasyprint.HTML(string=render_html(data)).write_pdf())


# ---------------------------------------------------------------------------------------------
# exporter


class DeficitReportExporter:
    """Exporter «Отчёт о дефицитах умений школы»: DOCX or PDF for one school and year."""

    identifier = "deficit_report"
    label = "Дефициты умений и адресные рекомендации (отчёт школы для методического совета)"
    params: dict[str, dict[str, Any]] = {  # noqa: RUF012 - a declarative description, never mutated
        "school_id": {"label": "Логин ОО", "required": True},
        "year": {"label": "Год", "required": False},
        "format": {"label": "Формат", "choices": ["docx", "pdf"], "default": "docx"},
    }

    def __init__(
        self,
        inputs: Inputs,
        config: Mapping[str, Any] | None = None,
        *,
        library: Library | None = None,
        clusters: pl.DataFrame | None = None,
        table: pl.DataFrame | None = None,
    ) -> None:
        self.inputs = inputs
        self.config = config
        self.library = library
        self.clusters = clusters
        self.table = table

    def render(self, params: Mapping[str, Any]) -> tuple[str, str, bytes]:
        """(filename, mimetype, bytes) of the report for ``params['school_id']``."""
        school_id = params.get("school_id")
        if not school_id:
            raise ValueError("не указан логин ОО (school_id)")
        fmt = str(params.get("format", "docx")).lower()
        if fmt not in ("docx", "pdf"):
            raise ValueError(f"неизвестный формат {fmt!r}: docx или pdf")
        year = int(params["year"]) if params.get("year") else self.inputs.year
        data = build_report(
            self.inputs,
            str(school_id),
            self.config,
            year=year,
            library=self.library,
            clusters=self.clusters,
            table=self.table,
        )
        stem = f"deficits_{school_id}_{year}"
        if fmt == "pdf":
            return f"{stem}.pdf", PDF_MIME, render_pdf(data)
        return f"{stem}.docx", DOCX_MIME, render_docx(data)
