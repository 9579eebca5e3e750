"""The DOCX draft of the region's order approving its lists (issue 25)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from shnor.core.reports.list_order import (
    DATE_BLANK,
    NUMBER_BLANK,
    SIGNATORY_BLANK,
    ListOrder,
    OrderAppendix,
    approved_lists_phrase,
    list_order_docx,
    list_order_filename,
    order_title,
)

LOW = OrderAppendix(
    "Список школ со стабильно низкими результатами обучения",
    [
        ("Буйнакский район", "МКОУ «Акайталинская СОШ»", "sch050101", "низкие результаты 3 года"),
        ("город Махачкала", "МБОУ «СОШ № 7»", "sch050233", ""),
    ],
)
OBJ = OrderAppendix(
    "Список школ с признаками необъективных результатов ВПР",
    [("Дербентский район", "МКОУ «Белиджинская СОШ № 1»", "sch050777", "")],
)


def _order(**kw: object) -> ListOrder:
    base: dict[str, object] = {
        "authority": "Министерство образования и науки Республики Дагестан",
        "year": 2025,
        "order_number": "05-02-1234/25",
        "order_date": date(2025, 10, 14),
        "signatory": "Министр Я.Я. Байрамбеков",
        "appendices": [LOW, OBJ],
    }
    base.update(kw)
    return ListOrder(**base)  # type: ignore[arg-type]


def _open(order: ListOrder) -> tuple[DocxDocument, str]:
    doc = Document(io.BytesIO(list_order_docx(order)))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return doc, "\n".join(parts)


def test_two_lists_full_order() -> None:
    doc, text = _open(_order())
    assert "ПРИКАЗ" in text
    assert "МИНИСТЕРСТВО ОБРАЗОВАНИЯ И НАУКИ РЕСПУБЛИКИ ДАГЕСТАН" in text
    assert (
        "Об утверждении списков школ со стабильно низкими результатами обучения и школ с признаками "
        "необъективных результатов ВПР" in text
    )
    assert "1.1. список школ со стабильно низкими результатами обучения (приложение 1);" in text
    assert "1.2. список школ с признаками необъективных результатов ВПР (приложение 2)." in text
    assert "п р и к а з ы в а ю:" in text
    for title in (LOW.title, OBJ.title):
        assert title in text
    assert "Приложение 1" in text
    assert "Приложение 2" in text
    assert "Приложение 3" not in text
    for login in ("sch050101", "sch050233", "sch050777"):
        assert login in text
    assert "№ 05-02-1234/25" in text
    assert "«14» октября 2025 г." in text
    assert "от 14.10.2025 № 05-02-1234/25" in text
    assert "Министр Я.Я. Байрамбеков" in text
    assert "«14» октября 2025 г.\t№ 05-02-1234/25" in text  # the date and number line of the blank
    for blank in (DATE_BLANK, SIGNATORY_BLANK):
        assert blank not in text


def test_blanks_when_not_given() -> None:
    _, text = _open(_order(authority="", order_number="", order_date=None, signatory=""))
    assert "ПРИКАЗ" in text
    assert f"{DATE_BLANK}\t{NUMBER_BLANK}" in text
    assert SIGNATORY_BLANK in text
    assert "наименование органа исполнительной власти" in text
    assert f"от {DATE_BLANK} {NUMBER_BLANK}" in text


def test_page_and_fonts() -> None:
    doc, _ = _open(_order())
    sec = doc.sections[0]
    expected = {
        "page_width": 21.0,
        "page_height": 29.7,
        "left_margin": 3.0,
        "right_margin": 1.5,
        "top_margin": 2.0,
        "bottom_margin": 2.0,
    }
    for side, cm in expected.items():  # stored in twips: equal to a hundredth of a millimetre
        assert abs(getattr(sec, side) - Cm(cm)) < Cm(0.01), side
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman"
    assert normal.size == Pt(14)
    table = doc.tables[0]
    assert table.rows[1].cells[3].paragraphs[0].runs[0].font.size == Pt(12)


def test_appendices_each_on_new_page_with_right_stamp_and_repeated_header() -> None:
    doc, _ = _open(_order())
    stamps = [p for p in doc.paragraphs if p.text.startswith("Приложение ")]
    assert [p.text for p in stamps] == ["Приложение 1", "Приложение 2"]
    for p in stamps:
        assert p.paragraph_format.page_break_before is True
        assert p.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    tables = doc.tables
    assert len(tables) == 2
    for table in tables:
        tr_pr = table.rows[0]._tr.trPr
        assert tr_pr is not None
        assert tr_pr.find(qn("w:tblHeader")) is not None
        assert table.rows[1]._tr.trPr is None or table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None


def test_basis_column_only_when_any_row_has_one() -> None:
    doc, _ = _open(_order())
    first, second = doc.tables
    assert [c.text for c in first.rows[0].cells] == [
        "№ п/п",
        "Муниципальное образование",
        "Наименование ОО",
        "Логин ОО",
        "Основание включения",
    ]
    assert [c.text for c in first.rows[1].cells] == [
        "1.",
        "Буйнакский район",
        "МКОУ «Акайталинская СОШ»",
        "sch050101",
        "низкие результаты 3 года",
    ]
    assert [c.text for c in second.rows[0].cells][-1] == "Логин ОО"
    assert len(second.columns) == 4


def test_one_list_title_and_item_in_singular() -> None:
    order = _order(appendices=[OBJ])
    assert order_title(order) == "Об утверждении списка школ с признаками необъективных результатов ВПР"
    _, text = _open(order)
    assert "1. Утвердить список школ с признаками необъективных результатов ВПР (приложение 1)." in text
    assert "Приложение 1" in text
    assert "Приложение 2" not in text
    assert list_order_filename(order) == "Приказ об утверждении списка 2025.docx"


def test_filename() -> None:
    assert list_order_filename(_order()) == "Приказ об утверждении списков 2025.docx"


@pytest.mark.parametrize(
    ("titles", "phrase"),
    [
        (["Перечень школ А"], "перечня школ А"),
        (["Список школ А", "Список школ Б", "Список школ В"], "списков школ А, школ Б и школ В"),
        (["Школы с рисками"], "списка «Школы с рисками»"),
        (["Список школ А", "Перечень школ Б"], "списков «Список школ А» и «Перечень школ Б»"),
    ],
)
def test_title_genitive(titles: list[str], phrase: str) -> None:
    assert approved_lists_phrase(titles) == phrase


def test_empty_list_says_so() -> None:
    _, text = _open(_order(appendices=[OrderAppendix("Список школ со стабильно низкими результатами", [])]))
    assert "В списке нет общеобразовательных организаций" in text


def test_six_hundred_rows_render() -> None:
    rows = [(f"Район {i % 52}", f"МКОУ «СОШ № {i}»", f"sch05{i:04d}", "") for i in range(600)]
    doc, text = _open(_order(appendices=[OrderAppendix(LOW.title, rows), OBJ]))
    table = doc.tables[0]
    assert len(table.rows) == 601
    assert table.rows[600].cells[0].text == "600."
    assert "sch050000" in text
    assert "sch050599" in text
