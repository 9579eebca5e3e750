"""Each rejection rule, the threshold, CSV encodings and missing columns, on small files built by code."""

from __future__ import annotations

import polars as pl
import pytest

from shnor.core.ingest.errors import IngestError
from shnor.core.ingest.vpr import read_vpr
from shnor.core.reference import shipped_scales, shipped_tasks
from tests.builders import HEADER_2021, absent_row, good_tasks, pupil_row, school_rows, write_csv, write_xlsx

KEY = b"k"


def read(path, **kw):
    kw.setdefault("tasks", shipped_tasks())
    kw.setdefault("scales", shipped_scales())
    return read_vpr(path, pseudonym_key=KEY, **kw)


def base_rows(n: int = 40) -> list[list[object]]:
    return school_rows("sch000001", [(7 * i) % 21 for i in range(n)])


@pytest.mark.parametrize(
    ("bad_row", "column", "message"),
    [
        (
            pupil_row("sch000001", 99, good_tasks(20), total=21),
            "всего баллов",
            "больше максимума работы (20)",
        ),
        (pupil_row("sch000001", 99, [2, *good_tasks(10)[1:]]), "балл за 1", "больше максимума задания (1)"),
        (
            pupil_row("sch000001", 99, good_tasks(10), total=11),
            "всего баллов",
            "не равна сумме баллов за задания (10)",
        ),
        (pupil_row("sch000001", 99, [-1, *good_tasks(10)[1:]]), "балл за 1", "отрицательный балл"),
        (
            pupil_row("sch000001", 99, ["abc", *good_tasks(10)[1:]], total=9),
            "балл за 1",
            "недопустимое значение",
        ),
        (
            pupil_row("sch000001", 99, good_tasks(10), total="много"),
            "всего баллов",
            "сумма баллов не указана",
        ),
        (pupil_row("", 99, good_tasks(10)), "логин школы", "не указан логин школы"),
        (
            pupil_row("sch000001", 1, good_tasks(3)),
            "код обучающегося",
            "повтор ученика: код уже встречался в строке 2",
        ),
    ],
)
def test_each_rule_rejects_its_row_by_number(tmp_path, bad_row, column, message) -> None:
    rows = base_rows()
    rows.insert(10, bad_row)
    vf = read(write_xlsx(tmp_path / "vpr_2021_ma4_t.xlsx", rows))
    assert vf.rows_rejected == 1
    assert {e.row for e in vf.errors} == {12}
    (err,) = [e for e in vf.errors if message in e.message]
    assert err.row == 12  # header is row 1, inserted as the 11th data row
    assert err.column == column
    assert message in err.message
    assert err.sheet == "Sheet"
    assert err.file == "vpr_2021_ma4_t.xlsx"
    assert "строка 12" in str(err)
    assert 12 not in vf.frame["source_row"].to_list()
    assert vf.frame.height == 40


def test_not_attempted_spellings_score_zero(tmp_path) -> None:
    tasks = ["X", "x", "Х", "х", "не пройд.", *good_tasks(5)[5:]]
    rows = [pupil_row("sch000001", 1, tasks, total=0), *base_rows()[1:]]
    vf = read(write_xlsx(tmp_path / "vpr_2021_ma4_t.xlsx", rows))
    assert vf.rows_rejected == 0
    first = vf.frame.filter(pl.col("source_row") == 2).row(0, named=True)
    assert first["not_attempted"][:5] == [True] * 5
    assert first["task_scores"][:5] == [0] * 5
    assert vf.not_attempted == 5


def test_absent_pupils_are_counted_not_scored(tmp_path) -> None:
    rows = [*base_rows(), absent_row("sch000001", 200), absent_row("sch000002", 201)]
    vf = read(write_xlsx(tmp_path / "vpr_2021_ma4_t.xlsx", rows))
    assert vf.rows_absent == 2
    assert vf.rows_rejected == 0
    absent = vf.frame.filter(pl.col("absent"))
    assert absent.height == 2
    assert absent["primary_score"].is_null().all()
    assert absent["mark"].is_null().all()
    assert vf.rows_present == 40


@pytest.mark.parametrize(("n_bad", "accepted"), [(2, True), (3, False)])
def test_rejection_threshold(tmp_path, n_bad, accepted) -> None:
    # 60 rows with a 5 % threshold: 2 bad rows (3.3 %) pass, 3 bad rows (5 %) reject the whole file
    rows = school_rows("sch000001", [10] * (60 - n_bad)) + [
        pupil_row("sch000001", 100 + i, good_tasks(20), total=25) for i in range(n_bad)
    ]
    vf = read(write_xlsx(tmp_path / "vpr_2021_ma4_t.xlsx", rows))
    assert vf.rows_rejected == n_bad
    assert vf.accepted is accepted


def test_threshold_is_an_option(tmp_path) -> None:
    rows = school_rows("sch000001", [10] * 57) + [
        pupil_row("sch000001", 100 + i, good_tasks(5), total=6) for i in range(3)
    ]
    path = write_xlsx(tmp_path / "vpr_2021_ma4_t.xlsx", rows)
    assert not read(path).accepted
    assert read(path, max_rejected=0.10).accepted


def test_csv_windows1251_semicolon_decimal_comma(tmp_path) -> None:
    rows = base_rows(10)
    rows[0][8] = "10,0"  # decimal comma total
    rows[0][9:24] = [str(t) for t in good_tasks(10)]
    path = write_csv(tmp_path / "ВПР 2021 Математика 4 класс.csv", rows, encoding="cp1251", sep=";")
    assert "логин школы".encode("cp1251") in path.read_bytes()
    vf = read(path)
    assert (vf.layout, vf.year, vf.subject, vf.grade) == ("fisoko2021", 2021, "ma", 4)
    assert vf.rows_rejected == 0
    assert vf.frame.height == 10
    assert vf.frame["primary_score"][0] == 10
    assert vf.schools["municipality"][0] == "Тестовый район"


def test_csv_utf8_comma(tmp_path) -> None:
    path = write_csv(tmp_path / "vpr_2021_ma4.csv", base_rows(5), encoding="utf-8-sig", sep=",")
    vf = read(path)
    assert vf.frame.height == 5
    assert vf.rows_rejected == 0


def test_missing_columns_are_named(tmp_path) -> None:
    header = [h for h in HEADER_2021 if h not in ("всего баллов", "вариант")]
    rows = [r[:7] + r[9:] for r in base_rows(5)]
    with pytest.raises(IngestError) as info:
        read(write_xlsx(tmp_path / "vpr_2021_ma4_t.xlsx", rows, header=header))
    text = str(info.value)
    assert "нет обязательных столбцов" in text
    assert "вариант" in text
    assert "сумма баллов" in text
    assert "vpr_2021_ma4_t.xlsx" in text


def test_year_subject_grade_required(tmp_path) -> None:
    path = write_xlsx(tmp_path / "results.xlsx", base_rows(5))
    with pytest.raises(IngestError, match="укажите --year, --subject, --grade"):
        read(path)
    vf = read(path, year=2021, subject="ma", grade=4)
    assert vf.frame.height == 5
    with pytest.raises(IngestError, match="неизвестный код предмета"):
        read(path, year=2021, subject="zz", grade=4)


def test_not_an_excel_file(tmp_path) -> None:
    path = tmp_path / "vpr_2021_ma4.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(IngestError, match="не читается как книга Excel"):
        read(path)


def test_without_task_specification_totals_still_checked(tmp_path) -> None:
    rows = [*base_rows(), pupil_row("sch000001", 99, good_tasks(20), total=21)]
    vf = read(write_xlsx(tmp_path / "vpr_2023_ma4_t.xlsx", rows), tasks=None)
    assert any("спецификация заданий" in w for w in vf.warnings)
    assert vf.rows_rejected == 1
