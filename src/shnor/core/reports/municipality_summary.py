"""The municipality's summary (справка МОУО) for a year: DOCX.

One table row per school of the municipality — lists, support track, roadmap execution, teacher
diagnostics, the website check — then the indicator table and the effectiveness conclusions.
The web layer gathers :class:`MunicipalitySummary`; this module renders it. Exporter:
:class:`MunicipalitySummaryExporter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shnor.core.reports.annual_report import (
    DOCX_MIME,
    bar_chart,
    docx_bytes,
    docx_new,
    docx_picture,
    docx_table,
    docx_title,
    fmt_num,
)


@dataclass
class MunicipalitySummary:
    """What the summary shows (plain values)."""

    name: str
    region: str
    year: int
    schools: list[dict[str, Any]] = field(default_factory=list)
    # each: school_id, name, lists (list[str]), track, roadmap_done, roadmap_due, teachers, diagnosed,
    #       with_deficits, site ("" | "нет сайта" | "не проверялся" | "все документы" | missing labels)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    conclusions: list[str] = field(default_factory=list)
    generated: date = field(default_factory=date.today)


def _counts(data: MunicipalitySummary) -> dict[str, int]:
    out = {"ШНОР": 0, "ШНСУ": 0, "Необъективность": 0}
    for s in data.schools:
        for label in s.get("lists", []):
            if label in out:
                out[label] += 1
    return out


def render_docx(data: MunicipalitySummary) -> bytes:
    """The summary as DOCX bytes (landscape A4)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = docx_new(landscape=True)
    docx_title(doc, f"Справка о работе со ШНОР и ШНСУ: {data.name}")
    p = doc.add_paragraph(f"{data.region}, {data.year} год. Дата формирования: {data.generated:%d.%m.%Y}.")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    counts = _counts(data)
    doc.add_paragraph(
        f"Школ в муниципалитете: {len(data.schools)}. В списке ШНОР — {counts['ШНОР']}, ШНСУ — "
        f"{counts['ШНСУ']}, с признаками необъективности — {counts['Необъективность']}."
    )
    if data.schools:
        docx_picture(
            doc,
            bar_chart(list(counts), {"школ": list(counts.values())}, title="Школы муниципалитета в списках"),
            11,
        )
    doc.add_heading("1. Школы", level=1)
    rows, shade = [], []
    for s in data.schools:
        road = f"{s.get('roadmap_done', 0)} из {s['roadmap_due']}" if s.get("roadmap_due") else "—"
        tch = f"{s.get('diagnosed', 0)} из {s['teachers']}" if s.get("teachers") else "—"
        rows.append(
            [
                s["school_id"],
                s["name"],
                ", ".join(s.get("lists", [])) or "—",
                s.get("track") or "—",
                road,
                tch,
                str(s.get("with_deficits", 0)) if s.get("teachers") else "—",
                s.get("site") or "—",
            ]
        )
        shade.append("F8D7DA" if s.get("lists") else None)
    docx_table(
        doc,
        [
            "Логин",
            "Школа",
            "Списки",
            "Вариант сопровождения",
            "Мероприятия выполнены (срок наступил)",
            "Учителя: диагностика",
            "Учителей с дефицитом",
            "Сайт: не найдено",
        ],
        rows,
        widths=[2.2, 5.5, 2.8, 3.2, 2.6, 2.2, 2.0, 5.2],
        shade=shade,
    )
    doc.add_heading("2. Показатели мониторинга", level=1)
    ind_rows = []
    for r in data.indicators:
        calc = (
            f"{fmt_num(r['numerator'], 0)} / {fmt_num(r['denominator'], 0)}"
            if r.get("numerator") is not None and r["unit"] == "%"
            else ""
        )
        ind_rows.append([r["name"], r["display"], calc, r.get("note") or ""])
    docx_table(doc, ["Показатель", "Значение", "Расчёт", "Примечание"], ind_rows, widths=[14, 3, 3, 5.7])
    doc.add_heading("3. Выводы анализа эффективности", level=1)
    for line in data.conclusions or ["Анализ эффективности по муниципалитету не выполнялся."]:
        doc.add_paragraph(line)
    return docx_bytes(doc)


class MunicipalitySummaryExporter:
    """Exporter «Справка муниципалитета» (DOCX)."""

    identifier = "municipality_summary"
    label = "Справка муниципалитета о работе со ШНОР и ШНСУ (DOCX)"
    params: dict[str, dict[str, Any]] = {  # noqa: RUF012 - declarative, never mutated
        "municipality": {"label": "Муниципалитет", "required": True},
        "year": {"label": "Год", "required": True},
    }

    def __init__(self, data: MunicipalitySummary) -> None:
        self.data = data

    def render(self, params: Mapping[str, Any]) -> tuple[str, str, bytes]:
        """(filename, mimetype, bytes)."""
        return f"municipality_summary_{self.data.year}.docx", DOCX_MIME, render_docx(self.data)


__all__ = ["MunicipalitySummary", "MunicipalitySummaryExporter", "render_docx"]
