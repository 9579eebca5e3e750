"""Registry, context, ГИА and reference imports."""

from __future__ import annotations

import pytest

from shnor.web.assessments.models import Scale, TaskSpec
from shnor.web.assessments.selectors import results_scan, scales_frame
from shnor.web.assessments.services import gia_file_import, scales_file_import, tasks_file_import
from shnor.web.registry.models import School, SchoolContext
from shnor.web.registry.selectors import context_frame, schools_frame
from shnor.web.registry.services import context_file_import, schools_file_import

pytestmark = pytest.mark.django_db

SCHOOLS = (
    "school_id;name;municipality_id;municipality;region_id;region;kind;locality;pupils;is_small;latitude;longitude;website\n"
    "sch1;МБОУ СОШ №1;m1;Город;r22;Алтайский край;СОШ;город;800;нет;53,3;83,7;http://s1.example.local\n"
    "sch2;МКОУ Сельская ООШ;m2;Район;r22;Алтайский край;ООШ;село;40;да;52,1;82,0;\n"
)


def write(path, text, encoding="cp1251"):
    path.write_bytes(text.encode(encoding))
    return path


def test_schools_and_context(home, tmp_path) -> None:
    out = schools_file_import(path=write(tmp_path / "schools.csv", SCHOOLS))
    assert out.status == "stored", out.summary
    s2 = School.objects.get(school_id="sch2")
    assert (s2.is_small, s2.locality, s2.municipality.name, s2.region.name, s2.in_registry) == (
        True,
        "село",
        "Район",
        "Алтайский край",
        True,
    )
    assert schools_frame().height == 2
    ctx = "year,school_id,share_low_income,is_remote\n2023,sch1,12.5,0\n2023,sch2,60,1\n2023,sch9,10,0\n"
    out = context_file_import(path=write(tmp_path / "context.csv", ctx, "utf-8"), max_rejected=0.5)
    assert out.status == "stored"
    assert any(e.row == 4 and "нет в реестре" in e.message for e in out.errors)
    assert SchoolContext.objects.count() == 2
    frame = context_frame()
    assert sorted(frame["share_low_income"].to_list()) == [0.125, 0.6]  # percent detected and converted


def test_school_file_with_missing_column_is_rejected(home, tmp_path) -> None:
    from shnor.core.ingest.errors import IngestError

    with pytest.raises(IngestError, match="нет обязательных столбцов: municipality_id"):
        schools_file_import(
            path=write(tmp_path / "schools.csv", "school_id;name;municipality;region_id;region\nx;y;z;r;q\n")
        )
    assert School.objects.count() == 0


def test_bad_rows_over_threshold_store_nothing(home, tmp_path) -> None:
    bad = SCHOOLS + "sch3;Школа;m1;Город;r22;Алтайский край;СОШ;деревня;много;;;;\n"
    out = schools_file_import(path=write(tmp_path / "schools.csv", bad))
    assert out.status == "rejected"
    assert {e.column for e in out.errors} == {"locality", "pupils"}
    assert School.objects.count() == 0


def test_gia_import(home, tmp_path) -> None:
    text = (
        "year,exam,school_id,subject,student_code,primary_score,test_score,mark,below_min\n"
        "2024,ege,sch1,ma,A1,10,62,,false\n"
        "2024,oge,sch1,ru,B1,20,,4,\n"
        "2024,oge,sch1,ru,B2,5,,2,\n"
        "2024,ege,sch1,ru,A1,30,85,,0\n"
    )
    out = gia_file_import(path=write(tmp_path / "gia.csv", text, "utf-8"))
    assert out.status == "stored", out.summary
    frame = results_scan().collect().sort("source_row")
    assert frame["procedure"].to_list() == ["ege", "oge", "oge", "ege"]
    assert frame["grade"].to_list() == [11, 9, 9, 11]
    assert frame["below_min"].to_list() == [False, False, True, False]
    assert School.objects.get(school_id="sch1").in_registry is False
    assert gia_file_import(path=tmp_path / "gia.csv").status == "unchanged"


def test_scales_and_task_spec(home, tmp_path, real) -> None:
    scales = (
        "year,procedure,subject,grade,max_score,min_3,min_4,min_5\n"
        "2024,vpr,ma,4,20,6,10,15\n2024,vpr,ru,4,38,14,24,33\n"
    )
    assert scales_file_import(path=write(tmp_path / "scales.csv", scales, "utf-8")).status == "stored"
    assert Scale.objects.filter(year=2024).count() == 2
    assert scales_frame().filter(scales_frame()["year"] == 2024).height == 2
    bad = "year,procedure,subject,grade,max_score,min_3,min_4,min_5\n2025,vpr,ma,4,20,10,6,15\n"
    out = scales_file_import(path=write(tmp_path / "scales2.csv", bad, "utf-8"))
    assert out.status == "rejected"
    assert out.errors[0].row == 2
    assert not Scale.objects.filter(year=2025).exists()

    out = tasks_file_import(path=real / "vpr_ma4_task_spec.xlsx", year=2023)
    assert out.status == "stored", out.summary
    tasks = TaskSpec.objects.filter(year=2023, subject="ma", grade=4).order_by("task_no")
    assert [t.max_points for t in tasks] == [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]
    assert [t.level for t in tasks].count("П") == 2
    assert tasks[2].kes == "1; 2; 4"
    assert "15 заданий, максимум 20" in out.summary


def test_tasks_csv_with_printed_labels(home, tmp_path) -> None:
    text = (
        "year,procedure,subject,grade,task,max_points,level\n"
        "2024,vpr,ma,4,1,1,Б\n2024,vpr,ma,4,5.1,1,Б\n2024,vpr,ma,4,5.2,1,П\n2024,vpr,ma,4,12,2,В\n"
    )
    out = tasks_file_import(path=write(tmp_path / "tasks.csv", text, "utf-8"))
    assert out.status == "stored", out.summary
    tasks = list(
        TaskSpec.objects.filter(year=2024).order_by("task_no").values_list("task_no", "task_label", "level")
    )
    assert tasks == [(1, "1", "Б"), (2, "5.1", "Б"), (3, "5.2", "П"), (4, "12", "В")]
