"""An order appendix's activity table (XLSX, DOCX) read into the roadmap template structure.

The builders write tables like seed 004's appendix 2 (Smolensk, order № 863-ОД): «№», «Наименование
мероприятия», «Сроки исполнения», «Ответственные», section rows, a header repeated after a page break
and a title continued on the next page."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest

from shnor.core.roadmaps.template_import import error_text, table_read
from shnor.core.roadmaps.templates import template_from_mapping

HEADER = ["№", "Наименование мероприятия", "Сроки исполнения", "Ответственные", "Ожидаемый результат"]
ROWS: list[list[str]] = [
    ["Организационно-управленческие меры", "", "", "", ""],
    ["1.", "Анализ результатов федеральных и региональных оценочных процедур", "Июнь - октябрь", "СОИРО", ""],
    [
        "2.",
        "Идентификация образовательных организаций со стабильно низкими результатами",
        "Сентябрь - октябрь",
        "СОИРО, МОЦ",
        "Перечень школ",
    ],
    [
        "3.",
        "Осуществление сопровождения и адресной поддержки ОО в реализации программ перехода",
        "В течение года",
        "СОИРО, МОЦ",
        "",
    ],
    HEADER,  # the header repeated on the next page
    ["", "в эффективный режим функционирования", "", "", ""],
    ["Повышение уровня кадрового потенциала", "", "", "", ""],
    [
        "4.",
        "Повышение квалификации учителей школ с низкими результатами",
        "По спец. графику",
        "СОИРО",
        "Доля обученных педагогов не менее 80 %",
    ],
]


def xlsx_appendix(rows: list[list[str]] = ROWS, *, title_rows: bool = True) -> bytes:
    """An appendix as a spreadsheet: a title above the table, then the header and the rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Приложение 2"
    if title_rows:
        sheet.append(["Приложение № 2 к приказу от 11.10.2019 № 863 - ОД"])
        sheet.append(["План мероприятий по сопровождению школ со стабильно низкими результатами обучения"])
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def docx_appendix(rows: list[list[str]] = ROWS) -> bytes:
    """An appendix as a Word document: the order's heading, then the table (section rows merged)."""
    document = docx.Document()
    document.add_paragraph("Приложение № 2 к приказу Департамента от 11.10.2019 № 863 - ОД")
    table = document.add_table(rows=1, cols=len(HEADER))
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
    for r in rows:
        cells = table.add_row().cells
        if r[0] and not any(r[1:]):
            merged = cells[0].merge(cells[-1])
            merged.text = r[0]
            continue
        for cell, text in zip(cells, r, strict=True):
            cell.text = text
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("build", "name"), [(xlsx_appendix, "приложение.xlsx"), (docx_appendix, "приложение.docx")]
)
def test_the_appendix_table_becomes_template_rows(build, name) -> None:
    read = table_read(build(), name)
    assert read.errors == []
    assert [a["number"] for a in read.activities] == ["1", "2", "3", "4"]
    assert read.activities[2]["title"].endswith("программ перехода в эффективный режим функционирования")
    assert read.activities[0]["section"] == "Организационно-управленческие меры"
    assert read.activities[3]["section"] == "Повышение уровня кадрового потенциала"
    assert read.activities[1]["period"] == "Сентябрь - октябрь"
    assert read.activities[1]["executor"] == "СОИРО, МОЦ"
    assert read.activities[3]["expected_result"] == "Доля обученных педагогов не менее 80 %"
    assert read.sections == ["Организационно-управленческие меры", "Повышение уровня кадрового потенциала"]
    # what was read is a template the roadmaps can use
    tpl = template_from_mapping(
        {"key": "t", "title": "План", "level": "school", "year": 2025, "activities": read.activities},
        name="план",
    )
    assert len(tpl.for_level("school")) == 4


def test_the_indicator_column_is_the_expected_result() -> None:
    header = ["№ п/п", "Мероприятие", "Сроки", "Ответственные", "Показатель"]
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append(
        [1, "Диагностика профессиональных дефицитов", "Февраль", "ИРО", "доля педагогов с ИОМ"]
    )
    buf = io.BytesIO()
    book.save(buf)
    read = table_read(buf.getvalue(), "план.xlsx")
    assert read.errors == []
    assert read.activities == [
        {
            "number": "1",
            "section": "",
            "title": "Диагностика профессиональных дефицитов",
            "period": "Февраль",
            "executor": "ИРО",
            "expected_result": "доля педагогов с ИОМ",
            "output_document": "",
        }
    ]


def test_row_errors_name_the_sheet_row_and_column() -> None:
    rows = [
        ["1.", "Анализ результатов", "Июнь", "СОИРО", ""],
        ["2.", "", "Октябрь", "МОЦ", ""],
        ["1.", "Повторный номер", "Май", "ОО", ""],
    ]
    read = table_read(xlsx_appendix(rows), "план.xlsx")
    messages = [error_text(e) for e in read.errors]
    assert messages == [
        "план.xlsx, лист «Приложение 2», строка 5, столбец «Мероприятие»: "
        "не заполнено наименование мероприятия",
        "план.xlsx, лист «Приложение 2», строка 6, столбец «№ п/п»: номер 1 уже был в строке 4",
    ]
    assert not read.ok


def test_a_file_without_the_table_header_is_refused() -> None:
    book = openpyxl.Workbook()
    book.active.append(["Фамилия", "Имя"])
    book.active.append(["Иванов", "Иван"])
    buf = io.BytesIO()
    book.save(buf)
    read = table_read(buf.getvalue(), "список.xlsx")
    assert read.activities == []
    assert "не найдена строка заголовков" in error_text(read.errors[0])


def test_broken_and_foreign_files_are_refused_in_russian() -> None:
    assert "не читается как XLSX" in error_text(table_read(b"not a zip", "план.xlsx").errors[0])
    assert "не читается как DOCX" in error_text(table_read(b"not a zip", "план.docx").errors[0])
    assert "XLSX или DOCX" in error_text(table_read(b"a;b", "план.csv").errors[0])


def test_reading_twice_gives_the_same_rows() -> None:
    content = docx_appendix()
    assert table_read(content, "a.docx").activities == table_read(content, "a.docx").activities


def test_docx_errors_name_the_table() -> None:
    rows = [["1.", "Анализ результатов", "Июнь", "СОИРО", ""], ["2.", "", "Октябрь", "МОЦ", ""]]
    read = table_read(docx_appendix(rows), "приказ.docx")
    assert [error_text(e) for e in read.errors] == [
        "приказ.docx, таблица 1, строка 3, столбец «Мероприятие»: не заполнено наименование мероприятия"
    ]
