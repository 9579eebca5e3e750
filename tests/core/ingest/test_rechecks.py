"""Expert re-check files: both layouts, CSV in Windows-1251 and XLSX, each rejection with its place."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from shnor.core.ingest.errors import IngestError
from shnor.core.ingest.rechecks import RECHECKS, RecheckError, read_rechecks
from tests.builders import write_csv, write_xlsx

LONG = ["year", "school_id", "subject", "grade", "work", "task", "school_score", "expert_score"]
LONG_RU = ["Год", "Логин ОО", "Предмет", "Класс", "Код участника", "Задание", "Балл ОО", "Балл эксперта"]
WIDE = ["Год", "Логин ОО", "Предмет", "Класс", "Номер работы", "1 ОО", "1 эксперт", "2(1) ОО", "2(1) эксперт"]
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "rechecks_example.csv"


def long_rows() -> list[list[object]]:
    return [
        [2021, "sch1", "ma", 4, "10001", "1", "1", "1"],
        [2021, "sch1", "ma", 4, "10001", "2", "2", "0"],
        [2021, "sch1", "ma", 4, "10002", "1", "0,5", "0,5"],
        [2021, "sch1", "ma", 4, "10002", "2", "2", ""],
    ]


def errors_of(path: Path) -> list[tuple[int, str, str]]:
    with pytest.raises(RecheckError) as info:
        read_rechecks(path)
    assert str(info.value).startswith("Файл перепроверки не импортирован")
    return [(e.row, e.column, e.message) for e in info.value.errors]


def test_long_csv_utf8_comma(tmp_path: Path) -> None:
    rows = [[f'"{c}"' if "," in str(c) else c for c in r] for r in long_rows()]  # a quoted decimal comma
    path = write_csv(tmp_path / "r.csv", rows, LONG, encoding="utf-8", sep=",")
    read = read_rechecks(path)
    assert read.file == "r.csv"
    assert dict(read.rows.schema) == RECHECKS
    assert read.rows.rows() == [
        (2021, "sch1", "ma", 4, "10001", "1", 1.0, 1.0, 2),
        (2021, "sch1", "ma", 4, "10001", "2", 2.0, 0.0, 3),
        (2021, "sch1", "ma", 4, "10002", "1", 0.5, 0.5, 4),
    ]
    assert read.warnings == ["r.csv: пропущено строк без балла эксперта (не перепроверялись): 1"]


def test_long_csv_cp1251_semicolon_russian_headers(tmp_path: Path) -> None:
    rows = [[r[0], r[1], "Математика", *r[3:]] for r in long_rows()]
    path = write_csv(tmp_path / "r.csv", rows, LONG_RU, encoding="cp1251", sep=";")
    read = read_rechecks(path)
    assert read.rows["subject"].to_list() == ["ma", "ma", "ma"]
    assert read.rows["school_score"].to_list() == [1.0, 2.0, 0.5]


def test_school_score_alias_and_x(tmp_path: Path) -> None:
    header = [*LONG_RU[:6], "Балл школы", "Балл эксперта"]
    path = write_csv(tmp_path / "r.csv", [[2021, "s", "ru", 5, "7", "3", "Х", "0"]], header)
    assert read_rechecks(path).rows["school_score"].to_list() == [0.0]


def test_long_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", long_rows(), LONG, sheet="Перепроверка")
    read = read_rechecks(path)
    assert read.rows.height == 3
    assert read.warnings == [
        "r.xlsx, лист «Перепроверка»: пропущено строк без балла эксперта (не перепроверялись): 1"
    ]


def test_wide_csv(tmp_path: Path) -> None:
    rows = [
        [2022, "sch2", "Русский язык", 5, "501", "1", "0", "2", "2"],
        [2022, "sch2", "ru", 5, "502", "1", "", "", ""],
    ]
    read = read_rechecks(write_csv(tmp_path / "w.csv", rows, WIDE))
    assert read.rows.select("work", "task", "school_score", "expert_score", "source_row").rows() == [
        ("501", "1", 1.0, 0.0, 2),
        ("501", "2(1)", 2.0, 2.0, 2),
    ]
    assert read.rows["subject"].unique().to_list() == ["ru"]
    assert read.warnings == ["w.csv: пропущено заданий без балла эксперта (не перепроверялись): 1"]


def test_wide_xlsx(tmp_path: Path) -> None:
    rows = [[2022, "sch2", "ma", 6, "1", "1", "1", "2", "1"]]
    read = read_rechecks(write_xlsx(tmp_path / "w.xlsx", rows, WIDE))
    assert read.rows["task"].to_list() == ["1", "2(1)"]
    assert read.rows["expert_score"].to_list() == [1.0, 1.0]


def test_bad_cells_name_their_place(tmp_path: Path) -> None:
    rows = [
        [1999, "sch1", "ma", 4, "1", "1", "1", "1"],
        [2021, "", "ma", 4, "1", "1", "1", "1"],
        [2021, "sch1", "Астрология", 4, "1", "1", "1", "1"],
        [2021, "sch1", "ma", 12, "1", "1", "1", "1"],
        [2021, "sch1", "ma", 4, "", "1", "1", "1"],
        [2021, "sch1", "ma", 4, "2", "", "1", "1"],
        [2021, "sch1", "ma", 4, "3", "1", "-1", "1"],
        [2021, "sch1", "ma", 4, "3", "2", "1", "много"],
        [2021, "sch1", "ma", 4, "3", "3", "", "1"],
    ]
    found = errors_of(write_csv(tmp_path / "bad.csv", rows, LONG_RU))
    assert found == [
        (2, "Год", "ожидается целое число от 2000 до 2100"),
        (3, "Логин ОО", "пустой логин ОО"),
        (4, "Предмет", "неизвестный предмет; ожидается код (ru, ma …) или название"),
        (5, "Класс", "ожидается целое число от 1 до 11"),
        (6, "Код участника", "пустой код участника (номер работы)"),
        (7, "Задание", "пустой номер задания"),
        (8, "Балл ОО", "балл ОО должен быть неотрицательным числом"),
        (9, "Балл эксперта", "балл эксперта должен быть неотрицательным числом"),
        (10, "Балл ОО", "пустой балл ОО"),
    ]


def test_error_message_names_file_and_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bad.xlsx", [[2021, "s", "ma", "четвёртый", "1", "1", "1", "1"]], LONG)
    with pytest.raises(RecheckError, match=r"bad\.xlsx, лист «Sheet», строка 2, столбец «grade»"):
        read_rechecks(path)


def test_same_task_twice_names_first_row(tmp_path: Path) -> None:
    rows = [*long_rows()[:3], [2021, "sch1", "ma", 4, "10001", "2", "1", "1"]]
    found = errors_of(write_csv(tmp_path / "d.csv", rows, LONG))
    assert found == [(5, "task", "задание 2 работы 10001 уже есть в строке 3")]


def test_same_work_twice_in_wide_layout(tmp_path: Path) -> None:
    rows = [[2022, "s", "ma", 5, "9", "1", "1", "1", "1"], [2022, "s", "ma", 5, "9", "0", "0", "1", "1"]]
    found = errors_of(write_csv(tmp_path / "d.csv", rows, WIDE))
    assert found == [(3, "Номер работы", "работа 9 уже есть в строке 2")]


def test_wide_bad_score_names_task_column(tmp_path: Path) -> None:
    rows = [[2022, "s", "ma", 5, "9", "1", "1", "1", "абв"]]
    found = errors_of(write_csv(tmp_path / "d.csv", rows, WIDE))
    assert found == [(2, "2(1) эксперт", "балл эксперта должен быть неотрицательным числом")]


def test_missing_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [[2021, "s", "ma", 4, "1", "1", "1"]], LONG[:7])
    with pytest.raises(IngestError, match=r"m\.csv: нет столбцов «expert_score» \(«Балл эксперта»\)"):
        read_rechecks(path)
    path = write_csv(tmp_path / "n.csv", [[2021, "s", "ma", 4]], LONG[:4])
    with pytest.raises(IngestError, match="«work» .*пар «1 ОО» и «1 эксперт»; найдены столбцы — «year»"):
        read_rechecks(path)


def test_nothing_rechecked(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [[2021, "s", "ma", 4, "1", "1", "1", ""]], LONG)
    with pytest.raises(IngestError, match="нет ни одной перепроверенной работы"):
        read_rechecks(path)


def test_example_file_reads() -> None:
    read = read_rechecks(EXAMPLE)
    assert read.rows.height == 29
    assert sorted(read.rows["school_id"].unique().to_list()) == ["sch220101", "sch220102"]
    assert read.rows.select("year", "subject", "grade").unique().rows() == [(2021, "ma", 4)]
    changed = read.rows.filter(pl.col("school_score") != pl.col("expert_score"))
    assert changed["school_id"].unique().to_list() == ["sch220101"]
    assert len(read.warnings) == 1
