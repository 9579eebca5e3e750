"""The DOCX draft of the order approving a roadmap: title and items in the right case, blanks for what is
not known, the authority in the nominative, the roadmap as a landscape appendix in the official table."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.section import WD_ORIENT

from shnor.core.reports.roadmap_export import COLUMNS, RoadmapDocument, RoadmapRow
from shnor.core.reports.roadmap_order import (
    RoadmapOrder,
    authority_nominative,
    order_filename,
    order_items,
    order_title,
    roadmap_order_docx,
)


def _doc(title: str = "Дорожная карта по повышению качества образования в МБОУ СОШ № 1") -> RoadmapDocument:
    return RoadmapDocument(
        title=title,
        subject="МБОУ СОШ № 1",
        year=2025,
        sections=[
            (
                "1. Анализ результатов",
                [
                    RoadmapRow(number="1.1", title="Анализ результатов ВПР по математике", period="Октябрь"),
                    RoadmapRow(number="1.2", title="Педсовет по итогам анализа", executor="Директор"),
                ],
            ),
            ("2. Повышение квалификации", [RoadmapRow(number="2.1", title="Курсы ДПП для учителей")]),
        ],
    )


def _order(**kw) -> RoadmapOrder:
    base = {"authority": "", "order_number": "", "order_date": None, "signatory": "", "document": _doc()}
    return RoadmapOrder(**{**base, **kw})


def test_wording_puts_the_title_in_genitive_and_accusative() -> None:
    order = _order()
    assert order_title(order) == (
        "Об утверждении дорожной карты по повышению качества образования в МБОУ СОШ № 1 на 2025 год"
    )
    assert order_items(order)[0] == (
        "1. Утвердить дорожную карту по повышению качества образования в МБОУ СОШ № 1 (приложение)."
    )
    plan = _order(document=_doc("План мероприятий по переходу в эффективный режим"))
    assert order_title(plan).startswith("Об утверждении плана мероприятий по переходу")
    assert "(МБОУ СОШ № 1)" in order_title(plan)
    other = _order(document=_doc("Школа равных возможностей 2025"))
    assert order_items(other)[0].startswith("1. Утвердить дорожную карту «Школа равных возможностей 2025»")
    assert order_filename(order) == "Приказ_об_утверждении_дорожной_карты_МБОУ_СОШ_1_2025.docx"


def test_authority_in_the_nominative() -> None:
    assert authority_nominative("Министерства образования и науки Челябинской области") == (
        "МИНИСТЕРСТВО ОБРАЗОВАНИЯ И НАУКИ ЧЕЛЯБИНСКОЙ ОБЛАСТИ"
    )
    assert authority_nominative("Главного управления образования") == "ГЛАВНОЕ УПРАВЛЕНИЕ ОБРАЗОВАНИЯ"
    assert authority_nominative("Комитет по образованию") == "КОМИТЕТ ПО ОБРАЗОВАНИЮ"
    assert authority_nominative("  ") == ""


def test_docx_opens_with_blanks_and_the_activities_table() -> None:
    data = roadmap_order_docx(_order(authority="Управления образования города Первый"))
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "УПРАВЛЕНИЕ ОБРАЗОВАНИЯ ГОРОДА ПЕРВЫЙ" in text
    assert "ПРИКАЗ" in text
    assert "п р и к а з ы в а ю:" in text
    assert "«___» ________ 20__ г.\t№ ____" in text
    assert "Об утверждении дорожной карты по повышению качества образования" in text
    assert "______________ (Ф.И.О.)" in text
    assert "Приложение" in text
    assert "по повышению качества образования в МБОУ СОШ № 1" in text
    assert len(doc.tables) == 1
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert rows[0] == [header for _, header, _, _ in COLUMNS]
    assert rows[1][0] == "1. Анализ результатов"  # the section row spans the table
    assert rows[2][:3] == ["1.1", "Анализ результатов ВПР по математике", "Октябрь"]
    assert any(r[1] == "Курсы ДПП для учителей" for r in rows)
    assert doc.sections[0].orientation == WD_ORIENT.PORTRAIT
    assert doc.sections[1].orientation == WD_ORIENT.LANDSCAPE


def test_docx_prints_the_number_and_date_when_given() -> None:
    order = _order(order_number="125-од", order_date=dt.date(2025, 9, 2), signatory="Начальник И. И. Иванов")
    text = "\n".join(p.text for p in Document(io.BytesIO(roadmap_order_docx(order))).paragraphs)
    assert "«02» сентября 2025 г.\t№ 125-од" in text
    assert "от 02.09.2025 № 125-од" in text
    assert "Начальник И. И. Иванов" in text
    assert "(наименование органа исполнительной власти" in text  # no authority: the blank


def test_empty_roadmap_says_so() -> None:
    order = _order(document=RoadmapDocument(title="Дорожная карта", year=2025))
    doc = Document(io.BytesIO(roadmap_order_docx(order)))
    assert doc.tables[0].rows[1].cells[0].text == "Мероприятий нет"
