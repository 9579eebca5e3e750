"""The yearly analytic report of a region or a municipality: DOCX (python-docx) and PDF (WeasyPrint).

Behind the exporter interface of ARCHITECTURE.md (:class:`AnnualReportExporter`: ``identifier``,
``label``, ``params``, ``render(params) -> (filename, mimetype, bytes)``). The web layer gathers
plain data into :class:`AnnualData` (lists by year, their dynamics, the FIOKO objectivity index,
deficits, teacher diagnostics, the indicator table, the effectiveness summary); this module only
renders. Charts are static PNG images drawn with matplotlib (Agg backend, no browser needed), the
same images in DOCX and PDF. The module also holds the small helpers the other exporters share
(charts, DOCX tables, HTML → PDF).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shnor.core.labels import LIST_LABELS

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COLOURS = {"low_results": "#c0392b", "social_risk": "#e67e22", "objectivity": "#8e44ad"}


# ---------------------------------------------------------------------------------------------
# shared helpers


def fmt_num(x: float | None, nd: int = 1) -> str:
    """Russian number: comma as decimal separator, «—» for None."""
    if x is None:
        return "—"
    return f"{x:.{nd}f}".replace(".", ",").replace("-", "−")


def fmt_signed(x: float | None, nd: int = 2) -> str:
    """Signed Russian number («+0,12», «−0,05»)."""
    if x is None:
        return "—"
    return f"{x:+.{nd}f}".replace(".", ",").replace("-", "−")


def _figure(width: float = 7.0, height: float = 3.2) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=150)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    ylabel: str = "",
    colours: Mapping[str, str] | None = None,
) -> bytes:
    """Grouped bar chart (PNG bytes): one group per category, one bar per series, values on top."""
    import numpy as np

    fig, ax = _figure()
    n = max(len(series), 1)
    width = 0.8 / n
    x = np.arange(len(categories))
    for i, (name, values) in enumerate(series.items()):
        vals = [0.0 if v is None else float(v) for v in values]
        bars = ax.bar(x + (i - (n - 1) / 2) * width, vals, width, label=name, color=(colours or {}).get(name))
        for b, v in zip(bars, values, strict=True):
            if v is not None:
                ax.annotate(
                    fmt_num(float(v), 0 if float(v).is_integer() else 1),
                    (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
    ax.set_xticks(x, [str(c) for c in categories], fontsize=8)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, fontsize=10)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    if len(series) > 1:
        ax.legend(fontsize=7, frameon=False)
    return _png(fig)


def line_chart(
    x: Sequence[Any],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    ylabel: str = "",
    vline: float | None = None,
    vline_label: str = "",
) -> bytes:
    """Line chart with markers (PNG bytes); ``vline`` draws a dashed vertical line (e.g. start of support)."""
    fig, ax = _figure()
    for name, values in series.items():
        pts = [(a, b) for a, b in zip(x, values, strict=True) if b is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name)
    if vline is not None:
        ax.axvline(vline, color="#888888", linestyle="--", linewidth=1)
        if vline_label:
            ax.annotate(
                vline_label, (vline, ax.get_ylim()[1]), fontsize=7, ha="left", va="top", color="#555555"
            )
    ax.set_xticks(list(x), [str(v) for v in x], fontsize=8)
    ax.set_title(title, fontsize=10)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.legend(fontsize=7, frameon=False)
    return _png(fig)


def hbar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str = "") -> bytes:
    """Horizontal bars for long labels (PNG bytes), largest on top."""
    fig, ax = _figure(7.0, max(2.0, 0.35 * len(labels) + 0.9))
    short = [lb if len(lb) <= 60 else lb[:57] + "…" for lb in labels]
    ax.barh(range(len(values))[::-1], values, color="#1d5b8f")
    ax.set_yticks(range(len(values))[::-1], short, fontsize=7)
    for i, v in enumerate(values):
        ax.annotate(fmt_num(float(v), 0), (v, len(values) - 1 - i), fontsize=7, va="center", ha="left")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=8)
    return _png(fig)


def docx_new(*, landscape: bool = False) -> Any:
    """A python-docx document with A4 pages, 2 cm margins and an 11 pt Times New Roman body."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.0))
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    return doc


def docx_title(doc: Any, text: str) -> None:
    """A centred bold 15 pt title (the built-in «Title» style is too large for long Russian titles)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    run.bold = True
    run.font.size = Pt(15)


def docx_table(
    doc: Any,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float] | None = None,
    shade: Sequence[str | None] | None = None,
) -> Any:
    """A bordered table with a shaded bold header (9 pt), optional row shading and column widths (cm)."""
    from shnor.core.reports.deficit_report import _docx_table

    return _docx_table(doc, header, rows, widths=widths, shade=shade)


def docx_picture(doc: Any, png: bytes, width_cm: float = 16.0) -> None:
    """Insert a PNG chart."""
    from docx.shared import Cm

    doc.add_picture(io.BytesIO(png), width=Cm(width_cm))


def docx_bytes(doc: Any) -> bytes:
    """Serialise a python-docx document."""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


PDF_CSS = """
@page { size: A4; margin: 18mm 16mm; @bottom-right { content: counter(page); font-size: 9pt; color: #666; } }
body { font-family: "DejaVu Serif", "Times New Roman", serif; font-size: 10.5pt; \
line-height: 1.4; color: #111; }
h1 { font-size: 17pt; margin: 0 0 6pt; } \
h2 { font-size: 13pt; margin: 16pt 0 6pt; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; margin: 10pt 0 4pt; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0 10pt; \
font-size: 8.5pt; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #888; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #dce6f1; } td.num { text-align: right; }
tr.bad td { background: #f8d7da; } tr.warn td { background: #fff3cd; }
img { width: 100%; } .muted { color: #555; font-size: 9pt; } \
.box { border: 1px solid #999; padding: 6pt; background: #f7f7f7; }
"""


def html_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    classes: Sequence[str | None] | None = None,
    numeric: Sequence[int] = (),
) -> str:
    """An HTML table (escaped cells)."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f" class='{classes[i]}'" if classes and classes[i] else ""
        cells = "".join(
            f"<td{' class=num' if j in numeric else ''}>{e(str(v))}</td>" for j, v in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html_img(png: bytes, alt: str) -> str:
    """An inline PNG (data URI) for WeasyPrint."""
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def html_to_pdf(body: str, title: str) -> bytes:
    """A standalone HTML page rendered to PDF by WeasyPrint (local fonts, no network)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on the system libraries
        raise RuntimeError("PDF недоступен: не установлен WeasyPrint или системные библиотеки pango") from exc
    page = (
        f"<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{PDF_CSS}</style></head><body>{body}</body></html>"
    )
    return bytes(weasyprint.HTML(string=page).write_pdf())


# ---------------------------------------------------------------------------------------------
# the annual report


@dataclass
class AnnualData:
    """Everything the yearly report shows, gathered by the caller (plain values, no Django)."""

    unit_name: str  # «Тестовый край» or a municipality's name
    level: str  # "region" | "municipality"
    year: int
    n_schools: int
    lists_by_year: list[dict[str, Any]] = field(
        default_factory=list
    )  # year, low_results, social_risk, objectivity, n_schools
    dynamics: dict[str, dict[str, int]] = field(default_factory=dict)  # list code -> entered/left/stayed
    objectivity_index: list[dict[str, Any]] = field(default_factory=list)  # year, n_schools, n_marked, index
    deficits: list[dict[str, Any]] = field(default_factory=list)  # label, subject, n_schools
    schools_with_deficits: int = 0
    teachers: dict[str, Any] = field(
        default_factory=dict
    )  # n_teachers, n_diagnosed, n_with_deficits, areas: [{area, n, n_deficit}]
    indicators: list[dict[str, Any]] = field(default_factory=list)  # rows of indicators.indicator_table
    effectiveness: dict[str, Any] | None = (
        None  # effectiveness summary (estimate, lower, upper, trajectory, conclusions…)
    )
    municipalities: list[dict[str, Any]] = field(
        default_factory=list
    )  # name, n_schools, low_results, social_risk, objectivity
    generated: date = field(default_factory=date.today)


def _share(n: int | None, d: int | None) -> str:
    if n is None or not d:
        return "—"
    return fmt_num(100.0 * n / d) + " %"


def _charts(data: AnnualData) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    if data.lists_by_year:
        years = [str(r["year"]) for r in data.lists_by_year]
        series = {LIST_LABELS[k]: [r.get(k) for r in data.lists_by_year] for k in LIST_LABELS}
        out.append(
            (
                "lists",
                bar_chart(
                    years,
                    series,
                    title="Число школ в списках по годам",
                    ylabel="школ",
                    colours={LIST_LABELS[k]: c for k, c in COLOURS.items()},
                ),
            )
        )
    if data.objectivity_index:
        out.append(
            (
                "objectivity",
                line_chart(
                    [r["year"] for r in data.objectivity_index],
                    {"индекс объективности": [r.get("index") for r in data.objectivity_index]},
                    title="Индекс объективности ФИОКО (100 − % школ с маркерами)",
                    ylabel="%",
                ),
            )
        )
    if data.deficits:
        top = data.deficits[:10]
        out.append(
            (
                "deficits",
                hbar_chart(
                    [f"{d['subject']}: {d['label']}" for d in top],
                    [float(d["n_schools"]) for d in top],
                    title="Умения, по которым у школ выявлены дефициты",
                    xlabel="школ",
                ),
            )
        )
    eff = data.effectiveness or {}
    traj = eff.get("trajectory") or []
    if traj:
        out.append(("trajectory", trajectory_chart(eff)))
    return out


def trajectory_chart(summary: Mapping[str, Any]) -> bytes:
    """Mean results of supported schools and their matched controls by year (PNG)."""
    traj = summary.get("trajectory") or []
    years = [int(t["year"]) for t in traj]
    return line_chart(
        years,
        {
            "школы с сопровождением": [t.get("supported_mean") for t in traj],
            "похожие школы без сопровождения": [t.get("control_mean") for t in traj],
        },
        title="Средний стандартизованный результат по годам",
        ylabel="SD балла ученика",
        vline=float(summary["start_year"]) - 0.5 if summary.get("start_year") else None,
        vline_label="начало сопровождения",
    )


def _intro(data: AnnualData) -> list[str]:
    where = "региона" if data.level == "region" else "муниципалитета"
    last = data.lists_by_year[-1] if data.lists_by_year else {}
    lines = [
        f"Отчёт подготовлен по данным системы мониторинга ШНОР/ШНСУ {where} «{data.unit_name}» за "
        f"{data.year} год и отражает этапы управленческого цикла: выявление школ, распределение по вариантам "
        f"сопровождения, диагностику, мониторинг показателей и анализ эффективности принятых мер.",
    ]
    if last:
        lines.append(
            f"В {last['year']} году в расчёт вошли {last.get('n_schools', data.n_schools)} школ; в списке "
            f"ШНОР — {last.get('low_results', 0)}, ШНСУ — {last.get('social_risk', 0)}, с признаками "
            f"необъективности — {last.get('objectivity', 0)}."
        )
    return lines


def _dynamics_rows(data: AnnualData) -> list[list[str]]:
    rows = []
    for code, label in LIST_LABELS.items():
        d = data.dynamics.get(code)
        if d:
            rows.append([label, str(d.get("stayed", 0)), str(d.get("entered", 0)), str(d.get("left", 0))])
    return rows


def _indicator_rows(data: AnnualData) -> list[list[str]]:
    rows = []
    for r in data.indicators:
        calc = ""
        if r.get("numerator") is not None and r.get("unit") == "%":
            calc = f"{fmt_num(r['numerator'], 0)} / {fmt_num(r['denominator'], 0)}"
        rows.append([r["name"], r["display"], calc, "расчёт" if r["source"] == "computed" else "вручную"])
    return rows


def _municipality_rows(data: AnnualData) -> list[list[str]]:
    return [
        [
            m["name"],
            str(m["n_schools"]),
            str(m.get("low_results", 0)),
            str(m.get("social_risk", 0)),
            str(m.get("objectivity", 0)),
        ]
        for m in data.municipalities
    ]


def _eff_lines(data: AnnualData) -> list[str]:
    eff = data.effectiveness
    if not eff:
        return ["Анализ эффективности за этот период не выполнялся (страница «Эффективность мер»)."]
    head = (
        f"Школы с сопровождением с {eff.get('start_year')} года сравнивались с похожими школами без "
        f"сопровождения (разность разностей). Оценка эффекта: {fmt_signed(eff.get('estimate'))} SD, интервал "
        f"[{fmt_signed(eff.get('lower'))}; {fmt_signed(eff.get('upper'))}]."
    )
    return [head, *list(eff.get("conclusions") or [])]


TEACHER_HEADER = ["Область компетенций", "Учителей с результатом", "С дефицитом", "Доля с дефицитом"]


def _teacher_rows(data: AnnualData) -> list[list[str]]:
    return [
        [a["area"], str(a["n"]), str(a["n_deficit"]), _share(a["n_deficit"], a["n"])]
        for a in data.teachers.get("areas", [])
    ]


def render_docx(data: AnnualData) -> bytes:
    """The report as DOCX bytes."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = docx_new()
    charts = dict(_charts(data))
    docx_title(
        doc,
        "Аналитический отчёт о работе со школами с низкими образовательными результатами и школами, "
        "функционирующими в неблагоприятных социальных условиях",
    )
    p = doc.add_paragraph(f"{data.unit_name}, {data.year} год. Дата формирования: {data.generated:%d.%m.%Y}.")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in _intro(data):
        doc.add_paragraph(line)

    doc.add_heading("1. Списки школ и их динамика", level=1)
    if data.lists_by_year:
        docx_table(
            doc,
            ["Год", "Школ в расчёте", "ШНОР", "ШНСУ", "Необъективность"],
            [
                [
                    str(r["year"]),
                    str(r.get("n_schools", "—")),
                    str(r.get("low_results", 0)),
                    str(r.get("social_risk", 0)),
                    str(r.get("objectivity", 0)),
                ]
                for r in data.lists_by_year
            ],
            widths=[2.5, 3.5, 3, 3, 4],
        )
        docx_picture(doc, charts["lists"])
    else:
        doc.add_paragraph("Расчётов по методике нет.")
    dyn = _dynamics_rows(data)
    if dyn:
        doc.add_paragraph(
            f"Изменение состава списков по сравнению с предыдущим годом ({data.year - 1} → {data.year}):"
        )
        docx_table(doc, ["Список", "Остались", "Вошли", "Вышли"], dyn, widths=[7, 3, 3, 3])
    if data.municipalities:
        doc.add_paragraph("Распределение по муниципалитетам (последний расчёт года):")
        docx_table(
            doc,
            ["Муниципалитет", "Школ", "ШНОР", "ШНСУ", "Необъективность"],
            _municipality_rows(data),
            widths=[7, 2, 2, 2, 3],
        )

    doc.add_heading("2. Объективность результатов (маркеры ФИОКО)", level=1)
    if data.objectivity_index:
        docx_table(
            doc,
            ["Год", "Школ", "С маркерами", "Индекс объективности"],
            [
                [str(r["year"]), str(r["n_schools"]), str(r["n_marked"]), fmt_num(r.get("index")) + " %"]
                for r in data.objectivity_index
            ],
            widths=[3, 3, 4, 5],
        )
        docx_picture(doc, charts["objectivity"], 14)
        doc.add_paragraph(
            "Индекс объективности = 100 − доля (%) школ, у которых есть хотя бы один маркер необъективности "
            "ФИОКО."
        )
    else:
        doc.add_paragraph("Маркеры ФИОКО не рассчитывались.")

    doc.add_heading("3. Дефициты умений обучающихся и диагностика педагогов", level=1)
    doc.add_paragraph(
        f"Школ, у которых выявлены дефициты умений по результатам оценочных процедур: "
        f"{data.schools_with_deficits}."
    )
    if data.deficits:
        docx_table(
            doc,
            ["Предмет", "Умение / задание", "Школ с дефицитом"],
            [[d["subject"], d["label"], str(d["n_schools"])] for d in data.deficits[:15]],
            widths=[3.5, 10, 3],
        )
        docx_picture(doc, charts["deficits"])
    tch = data.teachers
    if tch.get("n_teachers"):
        doc.add_paragraph(
            f"Учителей в реестре: {tch['n_teachers']}; прошли диагностику компетенций: "
            f"{tch.get('n_diagnosed', 0)} ({_share(tch.get('n_diagnosed'), tch['n_teachers'])}); с дефицитом "
            f"хотя бы в одной области: {tch.get('n_with_deficits', 0)}; завершили курсы ДПП по маршруту: "
            f"{tch.get('n_completed', 0)}."
        )
        if tch.get("areas"):
            docx_table(doc, TEACHER_HEADER, _teacher_rows(data), widths=[7, 3, 3, 3])
    else:
        doc.add_paragraph("Результатов диагностики педагогов нет.")

    doc.add_heading("4. Показатели мониторинга", level=1)
    if data.indicators:
        docx_table(
            doc,
            ["Показатель", "Значение", "Расчёт", "Источник"],
            _indicator_rows(data),
            widths=[10, 2.5, 2.5, 2],
        )
    doc.add_heading("5. Анализ эффективности принятых мер", level=1)
    for line in _eff_lines(data):
        doc.add_paragraph(line)
    if "trajectory" in charts:
        docx_picture(doc, charts["trajectory"])
    doc.add_paragraph(
        "Отчёт сформирован автоматически; формулировки выводов следует проверить перед утверждением.",
    ).runs[0].italic = True
    return docx_bytes(doc)


def render_html(data: AnnualData) -> str:
    """The report body as HTML (used for the PDF)."""
    e = html.escape
    charts = dict(_charts(data))
    out = [
        "<h1>Аналитический отчёт о работе со ШНОР и ШНСУ</h1>",
        f"<p><b>{e(data.unit_name)}</b>, {data.year} год. Дата формирования: {data.generated:%d.%m.%Y}.</p>",
    ]
    out += [f"<p>{e(line)}</p>" for line in _intro(data)]
    out.append("<h2>1. Списки школ и их динамика</h2>")
    if data.lists_by_year:
        out.append(
            html_table(
                ["Год", "Школ в расчёте", "ШНОР", "ШНСУ", "Необъективность"],
                [
                    [
                        r["year"],
                        r.get("n_schools", "—"),
                        r.get("low_results", 0),
                        r.get("social_risk", 0),
                        r.get("objectivity", 0),
                    ]
                    for r in data.lists_by_year
                ],
                numeric=(1, 2, 3, 4),
            )
        )
        out.append(html_img(charts["lists"], "Число школ в списках по годам"))
    dyn = _dynamics_rows(data)
    if dyn:
        out.append(f"<p>Изменение состава списков ({data.year - 1} → {data.year}):</p>")
        out.append(html_table(["Список", "Остались", "Вошли", "Вышли"], dyn, numeric=(1, 2, 3)))
    if data.municipalities:
        out.append(
            html_table(
                ["Муниципалитет", "Школ", "ШНОР", "ШНСУ", "Необъективность"],
                _municipality_rows(data),
                numeric=(1, 2, 3, 4),
            )
        )
    out.append("<h2>2. Объективность результатов (маркеры ФИОКО)</h2>")
    if data.objectivity_index:
        out.append(
            html_table(
                ["Год", "Школ", "С маркерами", "Индекс объективности"],
                [
                    [r["year"], r["n_schools"], r["n_marked"], fmt_num(r.get("index")) + " %"]
                    for r in data.objectivity_index
                ],
                numeric=(1, 2, 3),
            )
        )
        out.append(html_img(charts["objectivity"], "Индекс объективности"))
    else:
        out.append("<p>Маркеры ФИОКО не рассчитывались.</p>")
    out.append("<h2>3. Дефициты умений обучающихся и диагностика педагогов</h2>")
    out.append(f"<p>Школ с выявленными дефицитами умений: {data.schools_with_deficits}.</p>")
    if data.deficits:
        out.append(
            html_table(
                ["Предмет", "Умение / задание", "Школ с дефицитом"],
                [[d["subject"], d["label"], d["n_schools"]] for d in data.deficits[:15]],
                numeric=(2,),
            )
        )
        out.append(html_img(charts["deficits"], "Дефициты умений"))
    tch = data.teachers
    if tch.get("n_teachers"):
        out.append(
            f"<p>Учителей в реестре: {tch['n_teachers']}; прошли диагностику: {tch.get('n_diagnosed', 0)} "
            f"({_share(tch.get('n_diagnosed'), tch['n_teachers'])}); с дефицитом: "
            f"{tch.get('n_with_deficits', 0)}; завершили курсы ДПП по маршруту: "
            f"{tch.get('n_completed', 0)}.</p>"
        )
        if tch.get("areas"):
            out.append(html_table(TEACHER_HEADER, _teacher_rows(data), numeric=(1, 2, 3)))
    else:
        out.append("<p>Результатов диагностики педагогов нет.</p>")
    out.append("<h2>4. Показатели мониторинга</h2>")
    if data.indicators:
        out.append(
            html_table(
                ["Показатель", "Значение", "Расчёт", "Источник"], _indicator_rows(data), numeric=(1, 2)
            )
        )
    out.append("<h2>5. Анализ эффективности принятых мер</h2>")
    out += [f"<p>{e(line)}</p>" for line in _eff_lines(data)]
    if "trajectory" in charts:
        out.append(html_img(charts["trajectory"], "Траектории результатов"))
    out.append(
        "<p class='muted'>Отчёт сформирован автоматически; формулировки выводов следует проверить перед "
        "утверждением.</p>"
    )
    return "".join(out)


def render_pdf(data: AnnualData) -> bytes:
    """The report as PDF bytes (WeasyPrint)."""
    return html_to_pdf(render_html(data), f"Аналитический отчёт {data.year}")


class AnnualReportExporter:
    """Exporter «Аналитический отчёт за год» (DOCX or PDF) for a region or a municipality."""

    identifier = "annual_report"
    label = (
        "Аналитический отчёт за год (DOCX или PDF): списки, объективность, дефициты, показатели, "
        "эффективность"
    )
    params: dict[str, dict[str, Any]] = {  # noqa: RUF012 - declarative, never mutated
        "year": {"label": "Год", "required": True},
        "format": {"label": "Формат", "choices": ["docx", "pdf"], "default": "docx"},
    }

    def __init__(self, data: AnnualData) -> None:
        self.data = data

    def render(self, params: Mapping[str, Any]) -> tuple[str, str, bytes]:
        """(filename, mimetype, bytes)."""
        fmt = str(params.get("format", "docx")).lower()
        if fmt not in ("docx", "pdf"):
            raise ValueError(f"неизвестный формат {fmt!r}: docx или pdf")
        stem = f"annual_report_{self.data.level}_{self.data.year}"
        if fmt == "pdf":
            return f"{stem}.pdf", PDF_MIME, render_pdf(self.data)
        return f"{stem}.docx", DOCX_MIME, render_docx(self.data)


__all__ = [
    "DOCX_MIME",
    "PDF_MIME",
    "XLSX_MIME",
    "AnnualData",
    "AnnualReportExporter",
    "bar_chart",
    "docx_new",
    "docx_picture",
    "docx_title",
    "docx_table",
    "hbar_chart",
    "html_table",
    "html_to_pdf",
    "line_chart",
    "render_docx",
    "render_html",
    "render_pdf",
    "trajectory_chart",
]
