"""РДР files: the ВПР layouts read as their own procedure, the mark from the file or an РДР scale."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from shnor.core.ingest.errors import IngestError
from shnor.core.ingest.rdr import rdr_hints, read_rdr
from shnor.core.store import schema
from tests.builders import HEADER_2021, absent_row, good_tasks, pupil_row, write_csv, write_xlsx

KEY = b"test-key"
HEADER_RDR = [*HEADER_2021, "Отметка"]
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "rdr_example.csv"


def rdr_row(school: str, n: int, score: int, mark: object) -> list[object]:
    return [*pupil_row(school, n, good_tasks(score)), mark]


def scale(procedure: str, min_3: int = 6, min_4: int = 10, min_5: int = 15) -> pl.DataFrame:
    return schema.conform(
        pl.DataFrame(
            [
                {
                    "procedure": procedure,
                    "year": 2025,
                    "subject": "ma",
                    "grade": 4,
                    "max_score": 20,
                    "min_3": min_3,
                    "min_4": min_4,
                    "min_5": min_5,
                }
            ]
        ),
        schema.SCALES,
    )


def test_marks_from_the_file_and_procedure_rdr(tmp_path) -> None:
    rows = [rdr_row("sch1", 1, 3, "2"), rdr_row("sch1", 2, 12, "4"), rdr_row("sch2", 3, 16, "5")]
    rows.append([*absent_row("sch2", 4), ""])
    vf = read_rdr(write_xlsx(tmp_path / "rdr_2025_ma4.xlsx", rows, HEADER_RDR), pseudonym_key=KEY)
    assert (vf.year, vf.subject, vf.grade) == (2025, "ma", 4)
    assert vf.errors == []
    assert set(vf.frame["procedure"]) == {"rdr"}
    present = vf.frame.filter(~pl.col("absent")).sort("source_row")
    assert present["mark"].to_list() == [2, 4, 5]
    assert present["primary_score"].to_list() == [3, 12, 16]
    assert vf.rows_absent == 1
    assert vf.accepted
    assert sorted(vf.schools["school_id"]) == ["sch1", "sch2"]


def test_bad_mark_is_a_row_error_with_its_place(tmp_path) -> None:
    rows = [rdr_row("sch1", 1, 3, "2"), rdr_row("sch1", 2, 12, "7"), rdr_row("sch1", 3, 5, "три")]
    vf = read_rdr(
        write_xlsx(tmp_path / "rdr_2025_ma4.xlsx", rows, HEADER_RDR, sheet="Результаты"), pseudonym_key=KEY
    )
    assert [(e.row, e.column, e.sheet, e.value) for e in vf.errors] == [
        (3, "Отметка", "Результаты", "7"),
        (4, "Отметка", "Результаты", "три"),
    ]
    assert "отметка должна быть от 2 до 5" in str(vf.errors[0])
    assert "строка 3" in str(vf.errors[0])
    assert vf.rows_rejected == 2
    assert vf.frame["source_row"].to_list() == [2]
    assert not vf.accepted  # 2 of 3 rows rejected


def test_empty_mark_taken_from_the_rdr_scale_never_the_vpr_one(tmp_path) -> None:
    rows = [rdr_row("sch1", 1, 8, ""), rdr_row("sch1", 2, 12, "")]
    path = write_xlsx(tmp_path / "rdr_2025_ma4.xlsx", rows, HEADER_RDR)
    by_rdr = read_rdr(path, scales=scale("rdr", min_3=9), pseudonym_key=KEY)
    assert by_rdr.frame["mark"].to_list() == [2, 4]
    no_rdr_scale = read_rdr(path, scales=scale("vpr", min_3=6), pseudonym_key=KEY)
    assert no_rdr_scale.frame.height == 0
    assert {e.message for e in no_rdr_scale.errors} == {
        "нет отметки, а шкала перевода баллов РДР не загружена"
    }
    assert [e.row for e in no_rdr_scale.errors] == [2, 3]


def test_without_a_mark_column_or_a_scale_the_file_is_refused(tmp_path) -> None:
    path = write_xlsx(tmp_path / "rdr_2025_ma4.xlsx", [pupil_row("sch1", 1, good_tasks(5))])
    with pytest.raises(IngestError, match="нет столбца «Отметка»"):
        read_rdr(path, pseudonym_key=KEY)
    vf = read_rdr(path, scales=scale("rdr"), pseudonym_key=KEY)
    assert vf.frame["mark"].to_list() == [2]


def test_tasks_looked_up_under_rdr(tmp_path) -> None:
    tasks = schema.conform(
        pl.DataFrame(
            [
                {"procedure": "rdr", "year": 2025, "subject": "ma", "grade": 4, "task_no": k, "max_points": 1}
                for k in range(1, 16)
            ]
        ),
        schema.TASKS,
    )
    rows = [[*pupil_row("sch1", 1, [1] * 5 + [0] * 10), "3"], [*pupil_row("sch1", 2, [2, *[0] * 14]), "2"]]
    vf = read_rdr(
        write_xlsx(tmp_path / "rdr_2025_ma4.xlsx", rows, HEADER_RDR), tasks=tasks, pseudonym_key=KEY
    )
    assert [e.row for e in vf.errors] == [3]  # task 1 scores 2 of at most 1 in the РДР specification
    assert set(vf.tasks["procedure"]) == {"rdr"}
    assert not any("спецификация заданий" in w for w in vf.warnings)


def test_example_csv_and_name_hints(tmp_path) -> None:
    vf = read_rdr(EXAMPLE, year=2025, subject="ma", grade=7, pseudonym_key=KEY)
    assert vf.errors == []
    assert vf.rows_present == 5
    assert vf.frame.filter(pl.col("mark") == 2).height == 2
    assert rdr_hints("РДР_2024_ru8_район.xlsx") == (2024, "ru", 8)
    assert rdr_hints("results.xlsx") == (None, None, None)
    cp1251 = write_csv(tmp_path / "rdr_2024_ru8.csv", [rdr_row("sch1", 1, 3, "3")], HEADER_RDR)
    assert read_rdr(cp1251, pseudonym_key=KEY).frame["mark"].to_list() == [3]
    with pytest.raises(IngestError, match="укажите"):
        read_rdr(
            write_xlsx(tmp_path / "results.xlsx", [rdr_row("sch1", 1, 3, "3")], HEADER_RDR), pseudonym_key=KEY
        )
