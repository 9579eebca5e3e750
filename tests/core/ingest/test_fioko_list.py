"""FIOKO's published lists: the real Dagestan marker file, plain login lists, each rejection with its place,
and the round trip through the FIOKO-layout exporter."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from shnor.core.ingest.errors import IngestError
from shnor.core.ingest.fioko_list import KINDS, FiokoListError, read_fioko_list
from shnor.core.methods.fioko import PUBLISHED_COLUMNS
from shnor.core.reports.fioko_list import SHEET_NAME, fioko_list_xlsx
from tests.builders import write_csv, write_xlsx

DAGESTAN = "fioko_objectivity_markers_dagestan_2023.xlsx"
MARKER_HEADER = list(PUBLISHED_COLUMNS)


def marker_row(
    year: object, login: str, cells: list[object], count: object, name: str = "Школа"
) -> list[object]:
    return [year, login, "Город", name, *cells, count]


def test_kinds() -> None:
    assert KINDS == ("objectivity", "low_results")


def test_dagestan_real_file(real: Path) -> None:
    lst = read_fioko_list(real / DAGESTAN)
    assert lst.kind == "objectivity"
    assert lst.file == DAGESTAN
    assert lst.sheet == "Признаки необъективности папка "
    assert lst.tests == ["4 РУ", "4 МА", "5 РУ", "5 МА"]
    assert lst.years() == [2023, 2024, 2025]
    # 599 data rows: 159 of 2023, 296 of 2024, 144 of 2025 — but the 2024 block (rows 161–308) is written
    # twice (rows 309–456, cell for cell), so 148 rows are skipped as repeats with a warning.
    assert Counter(r.year for r in lst.rows) == {2023: 159, 2024: 148, 2025: 144}
    assert len({(r.year, r.school_id) for r in lst.rows}) == len(lst.rows) == 451
    assert any("пропущено 148 строк" in w and "строка 309 повторяет строку 161" in w for w in lst.warnings)
    for r in lst.rows:
        assert set(r.markers) == set(lst.tests)
        assert all(v in (0, 1, None) for v in r.markers.values())
        assert r.count == sum(1 for v in r.markers.values() if v == 1)
        assert r.school_id.startswith("edu")
        assert r.name
        assert r.municipality
        assert r.name == r.name.strip()
        assert "  " not in r.name
    first = lst.rows[0]
    assert (first.year, first.school_id, first.source_row) == (2023, "edu053001", 2)
    assert first.markers == {"4 РУ": None, "4 МА": None, "5 РУ": 1, "5 МА": None}
    assert first.municipality == "Агульский муниципальный район"
    by_row = {r.source_row: r for r in lst.rows}
    assert by_row[161].school_id == "edu053021"
    assert by_row[161].year == 2024
    assert 309 not in by_row


def test_dagestan_one_year(real: Path) -> None:
    lst = read_fioko_list(real / DAGESTAN, year=2024)
    assert lst.years() == [2024]
    assert len(lst.rows) == 148
    assert any("пропущено 303 строки других лет: 2023, 2025" in w for w in lst.warnings)
    with pytest.raises(IngestError, match=r"нет строк 2019 года; в файле есть годы: 2023, 2024, 2025"):
        read_fioko_list(real / DAGESTAN, year=2019)


def test_dagestan_not_a_low_results_list(real: Path) -> None:
    with pytest.raises(IngestError, match="признаками необъективности"):
        read_fioko_list(real / DAGESTAN, kind="low_results")
    assert read_fioko_list(real / DAGESTAN, kind="objectivity").kind == "objectivity"


def test_unknown_kind(real: Path) -> None:
    with pytest.raises(IngestError, match="неизвестный вид списка «shnor»"):
        read_fioko_list(real / DAGESTAN, kind="shnor")


@pytest.mark.parametrize(("encoding", "sep"), [("utf-8", ","), ("cp1251", ";"), ("utf-8-sig", ";")])
def test_plain_csv_year_from_file_name(tmp_path: Path, encoding: str, sep: str) -> None:
    path = write_csv(
        tmp_path / "shnor_2024.csv",
        [["edu053001", " Средняя  школа №1 ", "Агульский район"], ["edu053004", "Лицей", "МО «Город»"]],
        ["Логин ОО", "Наименование ОО", "МО"],
        encoding=encoding,
        sep=sep,
    )
    lst = read_fioko_list(path)
    assert lst.kind == "low_results"
    assert lst.tests == []
    assert lst.warnings == []
    assert lst.years() == [2024]
    assert [(r.school_id, r.name, r.municipality, r.source_row) for r in lst.rows] == [
        ("edu053001", "Средняя школа №1", "Агульский район", 2),
        ("edu053004", "Лицей", "МО «Город»", 3),
    ]
    assert all(r.markers == {} and r.count is None for r in lst.rows)


def test_plain_list_year_option_and_kind(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [["sch1"], [" sch2 "]], ["school_id"], encoding="utf-8", sep=",")
    lst = read_fioko_list(path, year=2023)
    assert [(r.year, r.school_id, r.name) for r in lst.rows] == [(2023, "sch1", ""), (2023, "sch2", "")]
    assert read_fioko_list(path, year=2023, kind="objectivity").kind == "objectivity"
    with pytest.raises(IngestError, match=r"list\.csv: не указан год списка: .*укажите год \(--year\)"):
        read_fioko_list(path)


def test_year_column_wins_over_file_name(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "shnor_2030.xlsx", [["2022", "a1"], ["2023", "a2"], ["2022", "a3"]], ["Год", "Код ОО"]
    )
    lst = read_fioko_list(path)
    assert lst.kind == "low_results"
    assert Counter(r.year for r in lst.rows) == {2022: 2, 2023: 1}
    lst = read_fioko_list(path, year=2022)
    assert [r.school_id for r in lst.rows] == ["a1", "a3"]
    assert any("пропущено 1 строка других лет: 2023" in w for w in lst.warnings)


def test_marker_columns_vary_and_numbers_as_floats(tmp_path: Path) -> None:
    """Other test columns, and numeric cells that fastexcel may hand over as '1.0'."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Лист1"
    ws.append(["Год", "Логин", "Муниципалитет", "ОО", "6 ИСТ", "7 МА", "Количество маркеров"])
    ws.append([2025, "x1", "М", "Школа", 1.0, 0.0, 1.0])
    ws.append([2025, "x2", "М", "Школа 2", None, 1, 1])
    wb.save(tmp_path / "list.xlsx")
    lst = read_fioko_list(tmp_path / "list.xlsx")
    assert lst.kind == "objectivity"
    assert lst.tests == ["6 ИСТ", "7 МА"]
    assert [(r.year, r.markers, r.count) for r in lst.rows] == [
        (2025, {"6 ИСТ": 1, "7 МА": 0}, 1),
        (2025, {"6 ИСТ": None, "7 МА": 1}, 1),
    ]


def test_sheet_name_makes_objectivity(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "f_2024.xlsx", [["x1"]], ["Логин"], sheet="Признаки необъективности")
    assert read_fioko_list(path).kind == "objectivity"
    with pytest.raises(IngestError, match="признаками необъективности"):
        read_fioko_list(path, kind="low_results")


@pytest.mark.parametrize(
    ("rows", "row", "column", "message"),
    [
        ([marker_row("2024", "", [1, 0, 0, 0], 1)], 2, "Логин", "пустой логин ОО"),
        ([marker_row("24", "a", [1, 0, 0, 0], 1)], 2, "Год", "год должен быть целым числом от 2000 до 2100"),
        ([marker_row("2024.5", "a", [1, 0, 0, 0], 1)], 2, "Год", "от 2000 до 2100"),
        ([marker_row("", "a", [1, 0, 0, 0], 1)], 2, "Год", "пустой год"),
        ([marker_row("2024", "a", [1, 2, 0, 0], 1)], 2, "4 МА", "ожидается 1 (маркер), 0"),
        ([marker_row("2024", "a", [1, "да", 0, 0], 1)], 2, "4 МА", "ожидается 1 (маркер), 0"),
        ([marker_row("2024", "a", [1, 1, 0, None], 1)], 2, "Количество маркеров", "указано маркеров: 1"),
        ([marker_row("2024", "a", [1, 0, 0, 0], "много")], 2, "Количество маркеров", "целое"),
        (
            [marker_row("2024", "a", [1, 0, 0, 0], 1), marker_row("2024", "a", [0, 1, 0, 0], 1)],
            3,
            "Логин",
            "первая запись в строке 2",
        ),
    ],
)
def test_row_errors_name_their_place(
    tmp_path: Path, rows: list[list[object]], row: int, column: str, message: str
) -> None:
    path = write_xlsx(tmp_path / "markers.xlsx", rows, MARKER_HEADER, sheet=SHEET_NAME)
    with pytest.raises(FiokoListError) as info:
        read_fioko_list(path)
    err = info.value.errors[0]
    assert (err.file, err.sheet, err.row, err.column) == ("markers.xlsx", SHEET_NAME, row, column)
    assert message in err.message
    assert f"строка {row}, столбец «{column}»" in str(info.value)
    assert "markers.xlsx" in str(info.value)


def test_count_mismatch_says_which_columns(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "m.xlsx", [marker_row("2024", "a", [1, 0, 1, 0], 3)], MARKER_HEADER, sheet=SHEET_NAME
    )
    with pytest.raises(FiokoListError, match=r"указано маркеров: 3, а отмечено .*: 2 \(4 РУ, 5 РУ\)"):
        read_fioko_list(path)


def test_every_bad_row_reported_and_message_shortened(tmp_path: Path) -> None:
    rows = [marker_row("2024", "", [1, 0, 0, 0], 1) for _ in range(8)]
    path = write_xlsx(tmp_path / "m.xlsx", rows, MARKER_HEADER, sheet=SHEET_NAME)
    with pytest.raises(FiokoListError) as info:
        read_fioko_list(path)
    assert [e.row for e in info.value.errors] == list(range(2, 10))
    assert "ошибок: 8" in str(info.value)
    assert "и ещё 3 ошибки" in str(info.value)
    assert "строка 7," not in str(info.value)


def test_same_login_other_year_is_fine_and_exact_repeat_skipped(tmp_path: Path) -> None:
    rows = [
        marker_row("2023", "a", [1, 0, 0, 0], 1),
        marker_row("2024", "a", [1, 0, 0, 0], 1),
        marker_row("2024", "a", [1, 0, 0, 0], 1),
    ]
    lst = read_fioko_list(write_xlsx(tmp_path / "m.xlsx", rows, MARKER_HEADER, sheet=SHEET_NAME))
    assert [(r.year, r.source_row) for r in lst.rows] == [(2023, 2), (2024, 3)]
    assert any("строка 4 повторяет строку 3" in w for w in lst.warnings)


def test_errors_in_skipped_years_are_not_reported(tmp_path: Path) -> None:
    rows = [marker_row("2023", "a", [1, 9, 0, 0], 1), marker_row("2024", "b", [1, 0, 0, 0], 1)]
    path = write_xlsx(tmp_path / "m.xlsx", rows, MARKER_HEADER, sheet=SHEET_NAME)
    assert [r.school_id for r in read_fioko_list(path, year=2024).rows] == ["b"]
    with pytest.raises(FiokoListError, match="строка 2, столбец «4 МА»"):
        read_fioko_list(path)


def test_no_login_column_names_columns_found(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x_2024.csv", [["a", "b"]], ["Школа", "Район"], encoding="utf-8", sep=",")
    with pytest.raises(IngestError, match=r"x_2024\.csv: нет столбца с логином ОО .*«Школа», «Район»"):
        read_fioko_list(path)


def test_empty_list_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x_2024.csv", [], ["Логин"], encoding="utf-8", sep=",")
    with pytest.raises(IngestError, match="список пуст"):
        read_fioko_list(path)


def test_round_trip_with_fioko_layout_exporter(tmp_path: Path) -> None:
    schema = {"Год": pl.Int16(), "Логин": pl.String(), "Муниципалитет": pl.String(), "ОО": pl.String()}
    schema |= {c: pl.Int8() for c in PUBLISHED_COLUMNS[4:]}
    frame = pl.DataFrame(
        [
            (2024, "edu1", "Агульский район", "МКОУ «Тпигская СОШ»", 1, 0, None, 1, 2),
            (2024, "edu2", "Город Махачкала", "МБОУ «Лицей №1»", None, None, 1, None, 1),
            (2024, "edu3", None, None, 0, 1, 0, 0, 1),
        ],
        schema=schema,
        orient="row",
    )
    path = tmp_path / "fioko_markers_2024.xlsx"
    path.write_bytes(fioko_list_xlsx(frame))
    lst = read_fioko_list(path)
    assert lst.kind == "objectivity"
    assert lst.sheet == SHEET_NAME
    assert lst.warnings == []
    assert lst.tests == list(PUBLISHED_COLUMNS[4:8])
    back = [
        (r.year, r.school_id, r.municipality or None, r.name or None, *r.markers.values(), r.count)
        for r in lst.rows
    ]
    assert back == frame.rows()
    assert [r.source_row for r in lst.rows] == [2, 3, 4]


def test_marker_cells_written_as_decimals(tmp_path: Path) -> None:
    """Cells such as '1.0' / '0,0' (numbers that went through a float on the way) are 1 and 0."""
    rows = [marker_row("2024.0", "a", ["1.0", "0.0", "0,0", ""], "1.0")]
    path = write_csv(tmp_path / "m.csv", rows, MARKER_HEADER, encoding="cp1251", sep=";")
    (row,) = read_fioko_list(path).rows
    assert row.year == 2024
    assert row.markers == {"4 РУ": 1, "4 МА": 0, "5 РУ": 0, "5 МА": None}
    assert row.count == 1
