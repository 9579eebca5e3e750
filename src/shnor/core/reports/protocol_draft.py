"""A draft protocol of the working group's meeting on the effectiveness of measures (seed 003 §6): DOCX.

The structure follows the Sharan district protocol of 02.07.2021: «ПРОТОКОЛ / ЗАСЕДАНИЯ РАБОЧЕЙ
ГРУППЫ по развитию муниципальной системы оценки качества образования», the subject line «Анализ
эффективности реализации комплекса мер и принятия управленческих решений», time, date and place,
«Присутствовали: Члены рабочей группы: …», «ПОВЕСТКА ДНЯ:», what was heard (the figures of the
management cycle from the data), «Предложения по итогам управленческого цикла по всем системам:»
(drafted from the data by :func:`draft_proposals`, to be edited by people) and signatures. Blanks
(«________») mark what the secretary fills in. Exporter: :class:`ProtocolDraftExporter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shnor.core.reports.annual_report import DOCX_MIME, docx_bytes, docx_new, fmt_num, fmt_signed

BLANK = "________________"


@dataclass
class ProtocolData:
    """Facts for the draft (plain values, gathered by the caller)."""

    unit_name: str  # «Город Первый» / «Тестовый край»
    authority: str  # «Отдел образования администрации …» (who holds the meeting)
    year: int
    members: list[str] = field(default_factory=list)  # «Фамилия И.О., должность»
    lists: dict[str, int] = field(default_factory=dict)  # low_results, social_risk, objectivity, n_schools
    dynamics: dict[str, dict[str, int]] = field(default_factory=dict)  # list -> entered/left/stayed
    objectivity_index: float | None = None
    fioko_marked: int = 0
    schools_with_deficits: int = 0
    teachers: dict[str, Any] = field(
        default_factory=dict
    )  # n_teachers, n_diagnosed, n_with_deficits, n_completed
    indicators: list[dict[str, Any]] = field(default_factory=list)
    roadmap: dict[str, int] = field(default_factory=dict)  # done, due, overdue
    sites: dict[str, int] = field(default_factory=dict)  # checked, complete, missing
    effectiveness: dict[str, Any] | None = None


def heard(data: ProtocolData) -> list[str]:
    """«Слушали»: the cycle's figures in sentences."""
    out = []
    ls = data.lists
    if ls:
        out.append(
            f"О результатах выявления школ в {data.year} году: в расчёт вошли {ls.get('n_schools', 0)} школ; "
            f"в списке ШНОР — {ls.get('low_results', 0)}, ШНСУ — {ls.get('social_risk', 0)}, с признаками "
            f"необъективности результатов — {ls.get('objectivity', 0)}."
        )
    low = data.dynamics.get("low_results")
    if low:
        out.append(
            f"По сравнению с {data.year - 1} годом из списка ШНОР вышли {low.get('left', 0)} школ, вошли "
            f"{low.get('entered', 0)}, остались {low.get('stayed', 0)}."
        )
    if data.objectivity_index is not None:
        out.append(
            f"Индекс объективности (ФИОКО) — {fmt_num(data.objectivity_index)} %; маркеры необъективности у "
            f"{data.fioko_marked} школ."
        )
    if data.schools_with_deficits:
        out.append(
            f"Дефициты умений обучающихся выявлены в {data.schools_with_deficits} школах; школам направлены "
            f"адресные рекомендации."
        )
    t = data.teachers
    if t.get("n_teachers"):
        out.append(
            f"Диагностику профессиональных компетенций прошли {t.get('n_diagnosed', 0)} из {t['n_teachers']} "
            f"учителей; дефициты выявлены у {t.get('n_with_deficits', 0)}; курсы ДПП по индивидуальным "
            f"маршрутам завершили {t.get('n_completed', 0)}."
        )
    r = data.roadmap
    if r.get("due"):
        out.append(
            f"Исполнение дорожных карт: выполнено {r.get('done', 0)} из {r['due']} мероприятий, срок которых "
            f"наступил; просрочено {r.get('overdue', 0)}."
        )
    s = data.sites
    if s.get("checked"):
        out.append(
            f"Мониторинг сайтов: проверено {s['checked']} сайтов, все обязательные документы размещены на "
            f"{s.get('complete', 0)}, не хватает документов на {s.get('missing', 0)}."
        )
    eff = data.effectiveness
    if eff and eff.get("estimate") is not None:
        out.append(
            f"Анализ эффективности мер: оценка эффекта сопровождения {fmt_signed(eff.get('estimate'))} SD, "
            f"интервал [{fmt_signed(eff.get('lower'))}; {fmt_signed(eff.get('upper'))}]."
        )
        out += [
            str(c)
            for c in (eff.get("conclusions") or [])[1:]
            if not str(c).startswith(("Оценка эффекта", "Сравнивались"))
        ][:3]
    return out


def draft_proposals(data: ProtocolData) -> list[str]:
    """Proposals drafted from the data (the working group edits them)."""
    out = []
    if data.lists.get("objectivity") or data.fioko_marked:
        out.append(
            "Запланировать для учителей школ с признаками необъективности методические мероприятия по "
            "разбору типичных ошибок и критериям оценивания ВПР; обеспечить независимых наблюдателей и "
            "перепроверку работ; продолжить информационно-разъяснительную работу с родителями."
        )
    t = data.teachers
    if t.get("n_teachers"):
        if t.get("n_diagnosed", 0) < t["n_teachers"]:
            out.append(
                "Продолжить диагностику профессиональных дефицитов учителей (удобную учителю и анонимную); "
                f"довести охват до всех учителей школ ШНОР и ШНСУ (сейчас {t.get('n_diagnosed', 0)} из "
                f"{t['n_teachers']})."
            )
        if t.get("n_with_deficits"):
            out.append(
                "Включить в индивидуальные образовательные маршруты учителей с выявленными дефицитами "
                "целевые курсы повышения квалификации; региональному институту развития образования "
                "разработать программы ДПП по результатам диагностики, отдельно для учителей ШНОР."
            )
    if data.roadmap.get("overdue"):
        out.append(
            f"Ответственным исполнителям выполнить просроченные мероприятия дорожных карт "
            f"({data.roadmap['overdue']}) и при необходимости скорректировать «дорожную карту»."
        )
    if data.sites.get("missing"):
        out.append(
            "Продолжить мониторинг сайтов: школам и органам управления образованием разместить недостающие "
            "документы (приказы, дорожные карты, анализ мероприятий, адресные рекомендации)."
        )
    low = data.dynamics.get("low_results") or {}
    if low.get("stayed"):
        out.append(
            f"Для {low['stayed']} школ, остающихся в списке ШНОР, пересмотреть комплекс мер: индивидуальные "
            "собеседования с управленческими командами, закрепление школ-лидеров и менторов."
        )
    empty = [r["name"] for r in data.indicators if r.get("value") is None]
    if empty:
        out.append(
            "Пересмотреть неинформативные показатели и организовать сбор данных по показателям без значений: "
            + "; ".join(empty[:5])
            + ("…" if len(empty) > 5 else "")
            + "."
        )
    eff = data.effectiveness
    if eff and eff.get("lower") is not None and eff.get("upper") is not None:
        if float(eff["upper"]) < 0:
            out.append(
                "Результаты школ с сопровождением изменились хуже, чем у похожих школ: пересмотреть принятые "
                "меры."
            )
        elif float(eff["lower"]) <= 0:
            out.append(
                "Эффект сопровождения по данным пока не подтверждён: продолжить наблюдение, сохранить "
                "сопоставимые оценочные процедуры и повторить анализ эффективности через год."
            )
    out.append(
        "Представить предложения по корректировке программ и «дорожных карт» в отдел оценки качества "
        f"образования не позднее {BLANK}."
    )
    return out


def render_docx(data: ProtocolData) -> bytes:
    """The draft protocol as DOCX bytes."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = docx_new()
    doc.styles["Normal"].font.size = Pt(12)

    def centre(text: str, *, bold: bool = False) -> None:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        run.bold = bold

    def bold_line(text: str) -> None:
        doc.add_paragraph().add_run(text).bold = True

    centre("ПРОЕКТ", bold=False)
    centre("ПРОТОКОЛ", bold=True)
    centre(
        "ЗАСЕДАНИЯ РАБОЧЕЙ ГРУППЫ по развитию муниципальной системы оценки качества образования", bold=True
    )
    centre("Анализ эффективности реализации комплекса мер и принятия управленческих решений")
    doc.add_paragraph(f"{BLANK} ч «___» ____________ {data.year + 1} года")
    doc.add_paragraph(f"{data.authority or BLANK}, {data.unit_name}")
    bold_line("Присутствовали:")
    doc.add_paragraph("Члены рабочей группы:")
    for m in data.members or [f"{BLANK}, {BLANK}"] * 3:
        doc.add_paragraph(m)
    bold_line("ПОВЕСТКА ДНЯ:")
    doc.add_paragraph(
        "1. Оценка и последующий анализ эффективности реализации комплекса мер и принятия управленческих "
        "решений, направленных на совершенствование механизмов управления качеством образования "
        f"({data.unit_name}, {data.year} год)."
    )
    bold_line("СЛУШАЛИ:")
    for line in heard(data) or ["Данных за год нет."]:
        doc.add_paragraph(line, style="List Bullet")
    if data.indicators:
        doc.add_paragraph("Значения показателей мониторинга:")
        from shnor.core.reports.annual_report import docx_table

        docx_table(
            doc,
            ["Показатель", "Значение"],
            [[r["name"], r["display"]] for r in data.indicators],
            widths=[13.5, 3.5],
        )
        doc.add_paragraph("")
    bold_line("Предложения по итогам управленческого цикла по всем системам:")
    for i, text in enumerate(draft_proposals(data), start=1):
        doc.add_paragraph(f"{i}. {text}")
    bold_line("РЕШИЛИ:")
    doc.add_paragraph(
        "Принять предложения к исполнению; ответственным исполнителям представить информацию об исполнении в "
        "установленные сроки."
    )
    doc.add_paragraph("")
    doc.add_paragraph(f"Председатель рабочей группы  {BLANK} / {BLANK}")
    doc.add_paragraph(f"Секретарь  {BLANK} / {BLANK}")
    return docx_bytes(doc)


class ProtocolDraftExporter:
    """Exporter «Проект протокола заседания рабочей группы» (DOCX)."""

    identifier = "protocol_draft"
    label = "Проект протокола заседания рабочей группы: анализ эффективности мер (DOCX)"
    params: dict[str, dict[str, Any]] = {  # noqa: RUF012 - declarative, never mutated
        "year": {"label": "Год", "required": True},
    }

    def __init__(self, data: ProtocolData) -> None:
        self.data = data

    def render(self, params: Mapping[str, Any]) -> tuple[str, str, bytes]:
        """(filename, mimetype, bytes)."""
        return f"protocol_draft_{self.data.year}.docx", DOCX_MIME, render_docx(self.data)


__all__ = ["ProtocolData", "ProtocolDraftExporter", "draft_proposals", "heard", "render_docx"]
