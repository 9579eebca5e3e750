"""The ``shnor`` command through its runner: summaries, exit codes, Russian messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from shnor.cli import main
from shnor.web.assessments.models import ImportBatch
from tests.builders import HEADER_2021, school_rows, write_xlsx

pytestmark = pytest.mark.django_db


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_import_real_file_then_again(home, real) -> None:
    path = str(real / "vpr_2021_ma4_altai.xlsx")
    first = run("import", "vpr", path, "--year", "2021", "--subject", "ma", "--grade", "4")
    assert first.exit_code == 0, first.output
    assert "сохранено участников 24849 и отсутствовавших 1732 из 631 школ" in first.output
    assert "Итого файлов: 1; загружено: 1" in first.output
    second = run("import", "vpr", path, "--year", "2021", "--subject", "ma", "--grade", "4")
    assert second.exit_code == 0
    assert "файл уже загружен, ничего не изменено" in second.output
    assert ImportBatch.objects.count() == 1


def test_import_other_layouts_from_file_names(home, real) -> None:
    res = run(
        "import",
        "vpr",
        str(real / "vpr_2020autumn_ma5_altai.xlsx"),
        str(real / "vpr_2022_ma4_protocol_sample.xlsx"),
    )
    assert res.exit_code == 0, res.output
    assert "ВПР 2020, Математика, 5 класс (выгрузка ФИС ОКО образца 2020 г.)" in res.output
    assert "ВПР 2022, Математика, 4 класс (протокол ФИС ОКО образца 2022 г.)" in res.output
    assert ImportBatch.objects.count() == 2


def test_missing_columns_exit_non_zero(home, tmp_path) -> None:
    header = [h for h in HEADER_2021 if h != "всего баллов"]
    rows = [r[:8] + r[9:] for r in school_rows("sch1", [5, 6])]
    path = write_xlsx(tmp_path / "vpr_2021_ma4_x.xlsx", rows, header=header)
    res = CliRunner().invoke(main, ["import", "vpr", str(path)])
    assert res.exit_code == 1
    assert "нет обязательных столбцов: сумма баллов" in res.output
    assert ImportBatch.objects.count() == 0


def test_no_year_asks_for_it(home, tmp_path) -> None:
    path = write_xlsx(tmp_path / "results.xlsx", school_rows("sch1", [5]))
    res = CliRunner().invoke(main, ["import", "vpr", str(path)])
    assert res.exit_code == 1
    assert "укажите --year, --subject, --grade" in res.output


def test_help_is_russian() -> None:
    res = run("import", "vpr", "--help")
    assert res.exit_code == 0
    assert "Результаты ВПР по ученикам" in res.output


def test_import_rdr_own_procedure_then_again(home) -> None:
    example = str(Path(__file__).resolve().parents[1] / "docs" / "examples" / "rdr_example.csv")
    first = run("import", "rdr", example, "--year", "2025", "--subject", "ma", "--grade", "7")
    assert first.exit_code == 0, first.output
    assert "РДР 2025, Математика, 7 класс" in first.output
    assert "сохранено участников 5 и отсутствовавших 1 из 2 школ" in first.output
    assert ImportBatch.objects.get().procedure == "rdr"
    second = run("import", "rdr", example, "--year", "2025", "--subject", "ma", "--grade", "7")
    assert second.exit_code == 0
    assert "файл уже загружен, ничего не изменено" in second.output
    assert ImportBatch.objects.count() == 1
    assert "РДР" in run("import", "rdr", "--help").output


def test_import_rdr_bad_marks_exit_non_zero(home, tmp_path) -> None:
    rows = [[*r, m] for r, m in zip(school_rows("sch1", [5, 6, 7]), ["3", "6", ""], strict=True)]
    path = write_xlsx(tmp_path / "rdr_2025_ma4.xlsx", rows, header=[*HEADER_2021, "Отметка"])
    res = run("import", "rdr", str(path))
    assert res.exit_code == 1
    assert "строка 3, столбец «Отметка»: отметка должна быть от 2 до 5" in res.output
    assert ImportBatch.objects.count() == 0


def test_import_context_twice_says_unchanged(home, tmp_path) -> None:
    schools = tmp_path / "schools.csv"
    schools.write_text(
        "school_id,name,municipality_id,municipality,region_id,region\nsch1,Школа 1,m1,Район,r1,Край\n",
        encoding="utf-8",
    )
    context = tmp_path / "context.csv"
    context.write_text("year,school_id,share_low_income\n2025,sch1,20\n", encoding="utf-8")
    assert run("import", "schools", str(schools)).exit_code == 0
    assert "ничего не изменено" in run("import", "schools", str(schools)).output
    assert "загружено 1" in run("import", "context", str(context)).output
    again = run("import", "context", str(context))
    assert again.exit_code == 0
    assert "все записи файла уже загружены, ничего не изменено" in again.output
