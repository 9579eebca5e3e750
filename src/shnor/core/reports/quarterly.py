"""The quarterly report on the management cycle (seed 003, protocol item 7: the region reports to the minister
every quarter): DOCX (python-docx) and PDF (WeasyPrint), with matplotlib charts — the same images in both.

The web layer gathers plain data into :class:`QuarterlyData` (list movements of the approved lists, tracks,
roadmap execution by level, report requests and their status, events and attendance, indicators,
effectiveness so far); this module builds the report once as a list of blocks (heading, paragraph, table,
chart) and writes the blocks as DOCX or as HTML for WeasyPrint. Pure: no Django.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shnor.core.reports.annual_report import (
    DOCX_MIME,
    PDF_MIME,
    bar_chart,
    docx_bytes,
    docx_new,
    docx_picture,
    docx_table,
    docx_title,
    fmt_num,
    fmt_signed,
    hbar_chart,
    html_img,
    html_table,
    html_to_pdf,
)

QUARTER_NAMES = {1: "I", 2: "II", 3: "III", 4: "IV"}
NO_EVENTS = "Мероприятия не учитываются: раздел мероприятий в системе не подключён."


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter (ValueError for a quarter outside 1–4)."""
    if quarter not in QUARTER_NAMES:
        raise ValueError("квартал — число от 1 до 4")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - dt.timedelta(days=1)
    return start, end


@dataclass
class QuarterlyData:
    """Everything the quarterly report shows (plain values, gathered by the caller)."""

    unit_name: str
    year: int
    quarter: int
    n_schools: int = 0
    #: per list: title, at_start, at_end, entered [names], left [names], basis (caption at the quarter's end)
    lists: list[dict[str, Any]] = field(default_factory=list)
    #: track label -> schools
    tracks: dict[str, int] = field(default_factory=dict)
    #: per level: level (label), roadmaps, total, done, overdue, percent
    roadmaps: list[dict[str, Any]] = field(default_factory=list)
    #: per request: title, requester, deadline (date), total, submitted, accepted, returned, late
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: ``events_summary`` of the events app, None when the app is absent
    events: dict[str, Any] | None = None
    indicators: list[dict[str, Any]] = field(default_factory=list)
    effectiveness: dict[str, Any] | None = None
    generated: dt.date = field(default_factory=dt.date.today)

    @property
    def period(self) -> str:
        """«II квартал 2025 г. (01.04.2025 – 30.06.2025)»."""
        start, end = quarter_bounds(self.year, self.quarter)
        return f"{QUARTER_NAMES[self.quarter]} квартал {self.year} г. ({start:%d.%m.%Y} – {end:%d.%m.%Y})"


Block = tuple[
    str, Any
]  # ("h", text) | ("p", text) | ("table", (header, rows, numeric)) | ("img", (png, alt))


def _names(items: list[str], limit: int = 12) -> str:
    if not items:
        return "нет"
    shown = ", ".join(items[:limit])
    return shown + (f" и ещё {len(items) - limit}" if len(items) > limit else "")


def _lists_blocks(data: QuarterlyData) -> list[Block]:
    out: list[Block] = [("h", "1. Движение списков школ")]
    if not data.lists:
        return [*out, ("p", "Утверждённых списков и расчётов за период нет.")]
    rows = [
        [r["title"], str(r["at_start"]), str(len(r["entered"])), str(len(r["left"])), str(r["at_end"])]
        for r in data.lists
    ]
    out.append(("table", (["Список", "На начало", "Включены", "Исключены", "На конец"], rows, (1, 2, 3, 4))))
    for r in data.lists:
        out.append(
            (
                "p",
                f"{r['title']}: {r['basis']}. Включены: {_names(r['entered'])}. "
                f"Исключены: {_names(r['left'])}.",
            )
        )
    if any(r["entered"] or r["left"] for r in data.lists):
        png = bar_chart(
            [r["short"] for r in data.lists],
            {
                "включены": [len(r["entered"]) for r in data.lists],
                "исключены": [len(r["left"]) for r in data.lists],
            },
            title="Движение списков за квартал",
            colours={"включены": "#c0392b", "исключены": "#27ae60"},
        )
        out.append(("img", (png, "Движение списков за квартал")))
    return out


def _tracks_blocks(data: QuarterlyData) -> list[Block]:
    out: list[Block] = [("h", "2. Варианты сопровождения")]
    if not data.tracks:
        return [*out, ("p", "Варианты сопровождения на конец квартала не определены.")]
    rows = [[label, str(n)] for label, n in data.tracks.items()]
    out.append(("table", (["Вариант сопровождения", "Школ"], rows, (1,))))
    return out


def _roadmap_blocks(data: QuarterlyData) -> list[Block]:
    out: list[Block] = [("h", "3. Выполнение дорожных карт по уровням")]
    if not data.roadmaps:
        return [*out, ("p", "Дорожных карт на этот год нет.")]
    rows = [
        [
            r["level"],
            str(r["roadmaps"]),
            str(r["total"]),
            str(r["done"]),
            str(r["overdue"]),
            f"{r['percent']} %",
        ]
        for r in data.roadmaps
    ]
    header = ["Уровень", "Дорожных карт", "Мероприятий", "Выполнено", "Просрочено", "Выполнение"]
    out.append(("table", (header, rows, (1, 2, 3, 4, 5))))
    png = bar_chart(
        [r["level"] for r in data.roadmaps],
        {"выполнение, %": [r["percent"] for r in data.roadmaps]},
        title="Доля выполненных мероприятий на конец квартала, %",
    )
    out.append(("img", (png, "Выполнение дорожных карт")))
    return out


def _request_blocks(data: QuarterlyData) -> list[Block]:
    out: list[Block] = [("h", "4. Запросы отчётов и их исполнение")]
    if not data.requests:
        return [*out, ("p", "Запросов отчётов со сроком в этом квартале не было.")]
    rows = [
        [
            r["title"],
            r["requester"],
            f"{r['deadline']:%d.%m.%Y}",
            str(r["total"]),
            str(r["submitted"]),
            str(r["accepted"]),
            str(r["late"]),
        ]
        for r in data.requests
    ]
    header = ["Запрос", "Запросил", "Срок", "Получателей", "Отправили", "Принято", "Просрочено"]
    out.append(("table", (header, rows, (3, 4, 5, 6))))
    totals = {k: sum(r[k] for r in data.requests) for k in ("total", "submitted", "accepted", "late")}
    out.append(
        (
            "p",
            f"Всего частей: {totals['total']}; отправлено: {totals['submitted']}; "
            f"принято: {totals['accepted']}; просрочено: {totals['late']}.",
        )
    )
    return out


def _event_blocks(data: QuarterlyData) -> list[Block]:
    out: list[Block] = [("h", "5. Мероприятия и посещаемость")]
    ev = data.events
    if ev is None:
        return [*out, ("p", NO_EVENTS)]
    out.append(
        (
            "p",
            f"Проведено мероприятий: {ev.get('events', 0)}; "
            f"школ приглашено: {ev.get('schools_targeted', 0)}, "
            f"из них участвовали: {ev.get('schools_attended', 0)}; участников: {ev.get('people', 0)}.",
        )
    )
    by_kind = dict(ev.get("by_kind") or {})
    if by_kind:
        out.append(
            ("table", (["Вид мероприятия", "Проведено"], [[k, str(v)] for k, v in by_kind.items()], (1,)))
        )
        png = hbar_chart(list(by_kind), [float(v) for v in by_kind.values()], title="Мероприятия по видам")
        out.append(("img", (png, "Мероприятия по видам")))
    return out


def _indicator_blocks(data: QuarterlyData) -> list[Block]:
    out: list[Block] = [("h", "6. Показатели мониторинга")]
    if not data.indicators:
        return [*out, ("p", "Показатели за год не рассчитаны.")]
    rows = []
    for r in data.indicators:
        calc = ""
        if r.get("numerator") is not None and r.get("unit") == "%":
            calc = f"{fmt_num(r['numerator'], 0)} / {fmt_num(r['denominator'], 0)}"
        rows.append([str(r["name"]), str(r["display"]), calc])
    out.append(("table", (["Показатель", "Значение", "Расчёт"], rows, (1, 2))))
    return out


def _effect_blocks(data: QuarterlyData) -> list[Block]:
    out: list[Block] = [("h", "7. Эффективность мер на сегодня")]
    eff = data.effectiveness
    if not eff:
        return [*out, ("p", "Анализ эффективности ещё не выполнялся (страница «Эффективность мер»).")]
    out.append(
        (
            "p",
            f"Школы с сопровождением с {eff.get('start_year')} года сравнивались с похожими школами без "
            f"сопровождения. Оценка эффекта: {fmt_signed(eff.get('estimate'))} SD, интервал "
            f"[{fmt_signed(eff.get('lower'))}; {fmt_signed(eff.get('upper'))}].",
        )
    )
    out += [("p", str(line)) for line in eff.get("conclusions") or []]
    return out


def blocks(data: QuarterlyData) -> list[Block]:
    """The whole report as blocks, in order."""
    intro = (
        f"{data.unit_name}. Отчёт о реализации управленческого цикла за {data.period}. "
        f"Школ в области отчёта: {data.n_schools}. Дата формирования: {data.generated:%d.%m.%Y}."
    )
    out: list[Block] = [("p", intro)]
    for part in (
        _lists_blocks,
        _tracks_blocks,
        _roadmap_blocks,
        _request_blocks,
        _event_blocks,
        _indicator_blocks,
        _effect_blocks,
    ):
        out += part(data)
    out.append(
        ("p", "Отчёт сформирован автоматически по данным системы; выводы следует проверить перед отправкой.")
    )
    return out


TITLE = "Квартальный отчёт о реализации управленческого цикла по работе со школами с низкими результатами"


def render_docx(data: QuarterlyData) -> bytes:
    """The report as DOCX bytes."""
    doc = docx_new()
    docx_title(doc, TITLE)
    for kind, value in blocks(data):
        if kind == "h":
            doc.add_heading(value, level=1)
        elif kind == "p":
            doc.add_paragraph(value)
        elif kind == "table":
            header, rows, _ = value
            docx_table(doc, header, rows)
        elif kind == "img":
            docx_picture(doc, value[0], width_cm=15.0)
    return docx_bytes(doc)


def render_html(data: QuarterlyData) -> str:
    """The report as the HTML body WeasyPrint renders."""
    out = [f"<h1>{html.escape(TITLE)}</h1>"]
    for kind, value in blocks(data):
        if kind == "h":
            out.append(f"<h2>{html.escape(value)}</h2>")
        elif kind == "p":
            out.append(f"<p>{html.escape(value)}</p>")
        elif kind == "table":
            header, rows, numeric = value
            out.append(html_table(header, rows, numeric=numeric))
        elif kind == "img":
            out.append(html_img(value[0], value[1]))
    return "".join(out)


def render_pdf(data: QuarterlyData) -> bytes:
    """The report as PDF bytes."""
    return html_to_pdf(render_html(data), f"Квартальный отчёт {data.year}")


def report_filename(data: QuarterlyData, fmt: str) -> str:
    """``Квартальный_отчёт_2025_II.<fmt>``."""
    return f"Квартальный_отчёт_{data.year}_{QUARTER_NAMES[data.quarter]}.{fmt}"


class QuarterlyReportExporter:
    """Exporter «Квартальный отчёт об управленческом цикле» (DOCX or PDF)."""

    identifier = "quarterly_report"
    label = "Квартальный отчёт об управленческом цикле (DOCX или PDF)"
    params: dict[str, dict[str, Any]] = {  # noqa: RUF012 - declarative, never mutated
        "year": {"label": "Год", "required": True},
        "quarter": {"label": "Квартал", "choices": [1, 2, 3, 4], "required": True},
        "format": {"label": "Формат", "choices": ["docx", "pdf"], "default": "docx"},
    }

    def __init__(self, data: QuarterlyData) -> None:
        self.data = data

    def render(self, params: Mapping[str, Any]) -> tuple[str, str, bytes]:
        """(filename, mimetype, bytes)."""
        fmt = str(params.get("format", "docx")).lower()
        if fmt == "pdf":
            return report_filename(self.data, "pdf"), PDF_MIME, render_pdf(self.data)
        if fmt == "docx":
            return report_filename(self.data, "docx"), DOCX_MIME, render_docx(self.data)
        raise ValueError(f"неизвестный формат {fmt!r}: docx или pdf")


__all__ = [
    "QUARTER_NAMES",
    "QuarterlyData",
    "QuarterlyReportExporter",
    "blocks",
    "quarter_bounds",
    "render_docx",
    "render_html",
    "render_pdf",
    "report_filename",
]
