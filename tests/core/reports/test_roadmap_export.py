"""DOCX / XLSX export of a roadmap in the official table layout with the order's header."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from docx import Document

from shnor.core.reports.roadmap_export import (
    COLUMNS,
    EXPORTERS,
    RoadmapDocument,
    RoadmapRow,
    roadmap_docx,
    roadmap_xlsx,
)
from shnor.core.roadmaps import template_get

HEADERS = [c[1] for c in COLUMNS]


def smolensk_doc(with_status: bool = False) -> RoadmapDocument:
    t = template_get("smolensk_low_2019")
    sections: dict[str, list[RoadmapRow]] = {}
    for a in t.activities:
        sections.setdefault(a.section, []).append(
            RoadmapRow(
                number=f"{a.number}.", title=a.title, period=a.period, executor=a.executor, status="Выполнено"
            )
        )
    return RoadmapDocument(
        title=t.title,
        subject="Смоленская область",
        authority=t.order["authority"],
        order_number="863-ОД",
        order_date=dt.date(2019, 10, 11),
        appendix="2",
        year=2019,
        sections=list(sections.items()),
        with_status=with_status,
    )


def test_docx_has_order_header_title_table_header_and_every_activity() -> None:
    d = Document(io.BytesIO(roadmap_docx(smolensk_doc())))
    text = [p.text for p in d.paragraphs]
    assert text[:3] == [
        "Приложение № 2",
        "к приказу Департамента Смоленской области по образованию и науке",
        "от 11.10.2019 № 863-ОД",
    ]
    assert "ПЛАН МЕРОПРИЯТИЙ" in text
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == HEADERS
    assert [c.text for c in table.rows[1].cells] == [str(i) for i in range(1, 8)]
    body = "\n".join(c.text for r in table.rows[2:] for c in r.cells)
    assert "Оказание финансовой помощи" in body
    assert (
        "Создание эффективной организационной и финансовой схемы "
        "для адресной материальной поддержки обновления" in body
    )
    assert len(table.rows) == 2 + 4 + 42  # header, numbering, 4 section rows, 42 activities
    assert d.sections[0].page_width > d.sections[0].page_height  # landscape


def test_docx_without_order_prints_blanks_and_dorozhnaya_karta() -> None:
    doc = RoadmapDocument(
        title="Дорожная карта школы",
        authority="МБОУ СОШ № 1",
        sections=[
            ("", [RoadmapRow(number="1", title="Мероприятие", co_executors="педагоги", executor="Директор")])
        ],
    )
    d = Document(io.BytesIO(roadmap_docx(doc)))
    text = [p.text for p in d.paragraphs]
    assert text[0] == "Приложение"
    assert text[2] == "от «___» ________ 20__ г. № _____"
    assert "ДОРОЖНАЯ КАРТА" in text
    assert d.tables[0].rows[2].cells[3].text == "Директор\nСоисполнители: педагоги"


def test_xlsx_opens_with_the_same_table_and_status_column() -> None:
    book = openpyxl.load_workbook(io.BytesIO(roadmap_xlsx(smolensk_doc(with_status=True))))
    ws = book.active
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    header_idx = next(i for i, r in enumerate(rows) if r[0] == "№ п/п")
    assert list(rows[header_idx]) == [*HEADERS, "Отметка о выполнении"]
    assert rows[0][-3] == "Приложение № 2"
    flat = [v for r in rows for v in r if v]
    assert "Организация сетевого взаимодействия" in flat
    assert flat.count("Выполнено") == 42


def test_exporters_follow_the_interface() -> None:
    name, mime, content = EXPORTERS["roadmap_docx"].render({"document": smolensk_doc()})
    assert name == "Дорожная_карта_Смоленская_область_2019.docx"
    assert mime.endswith("document")
    assert content[:2] == b"PK"
    name, mime, content = EXPORTERS["roadmap_xlsx"].render({"document": smolensk_doc()})
    assert name.endswith(".xlsx")
    assert mime.endswith("sheet")
