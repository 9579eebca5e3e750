"""Structure, determinism, cohorts and scale rules of the synthetic region."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from shnor.core.demo import DemoConfig, DemoData, generate
from shnor.core.store import schema


def test_deterministic_from_seed() -> None:
    a = generate(DemoConfig(seed=5, size="municipality"))
    b = generate(DemoConfig(seed=5, size="municipality"))
    c = generate(DemoConfig(seed=6, size="municipality"))
    assert a.results.equals(b.results)
    assert a.schools.equals(b.schools)
    assert a.context.equals(b.context)
    assert a.truth.equals(b.truth)
    assert not a.results.equals(c.results)


def test_frames_follow_schemas(small: DemoData) -> None:
    assert small.results.schema == pl.Schema(schema.RESULTS)
    assert small.schools.schema == pl.Schema(schema.SCHOOLS)
    assert small.context.schema == pl.Schema(schema.CONTEXT)
    assert small.tasks.schema == pl.Schema(schema.TASKS)
    assert small.scales.schema == pl.Schema(schema.SCALES)
    assert small.gia.columns == [
        "year", "exam", "school_id", "subject", "student_code", "primary_score", "test_score", "mark",
        "below_min",
    ]  # fmt: skip
    assert set(small.results["procedure"].unique()) == {"vpr", "oge", "ege"}
    assert small.results["pupil_key"].null_count() == 0


def test_region_structure(region: DemoData) -> None:
    s = region.schools
    assert 250 <= s.height <= 350
    assert s["municipality_id"].n_unique() == 10
    assert s["school_id"].is_unique().all()
    assert s["school_id"].str.contains(r"^sch22\d{4}$").all()
    assert s["website"].str.contains(r"^http://school\d{3}\.example\.local$").all()
    assert {"СОШ", "ООШ", "НОШ", "лицей", "гимназия", "коррекционная"} <= set(s["kind"])
    assert set(s["locality"]) == {"город", "село"}
    assert s["latitude"].is_between(50, 56).all()
    assert s["longitude"].is_between(77, 89).all()
    # sizes: tiny rural schools and large lyceums
    g4 = region.vpr_results.filter(
        (pl.col("year") == 2024) & (pl.col("subject") == "ma") & (pl.col("grade") == 4)
    )
    per_school = (
        g4.group_by("school_id").len().join(s.select("school_id", "kind", "locality"), on="school_id")
    )
    village = per_school.filter(pl.col("locality") == "село")["len"]
    assert village.median() <= 15
    assert per_school.filter(pl.col("kind").is_in(["лицей", "гимназия"]))["len"].median() >= 80


def test_context_tracks_disadvantage(region: DemoData) -> None:
    ctx = region.context.filter(pl.col("year") == 2024).join(region.effects, on="school_id")
    d = ctx["disadvantage"].to_numpy()
    assert np.corrcoef(d, ctx["share_low_income"].to_numpy())[0, 1] > 0.5
    assert np.corrcoef(d, ctx["share_parents_higher_ed"].to_numpy())[0, 1] < -0.5
    eff = region.effects
    village = eff.filter(pl.col("locality") == "село")["disadvantage"].mean()
    city = eff.filter(pl.col("locality") == "город")["disadvantage"].mean()
    assert village > city + 0.4
    assert region.context.height == region.schools.height * 3


def test_cohorts_persist(vpr: pl.DataFrame) -> None:
    for year in (2022, 2023):
        g4 = vpr.filter((pl.col("year") == year) & (pl.col("grade") == 4) & (pl.col("subject") == "ma"))
        g5 = vpr.filter((pl.col("year") == year + 1) & (pl.col("grade") == 5) & (pl.col("subject") == "ma"))
        both = g5.join(g4.select("school_id", "pupil_key"), on=["school_id", "pupil_key"], how="semi")
        assert both.height / g5.height > 0.85
        per_school = (
            g5.with_columns(pl.col("pupil_key").is_in(g4["pupil_key"].implode()).alias("stayed"))
            .group_by("school_id")
            .agg(pl.col("stayed").mean())
        )
        assert per_school["stayed"].median() > 0.8
    # the same pupil has the same code in maths and Russian of one year
    ma = vpr.filter((pl.col("year") == 2024) & (pl.col("grade") == 6) & (pl.col("subject") == "ma"))
    ru = vpr.filter((pl.col("year") == 2024) & (pl.col("grade") == 6) & (pl.col("subject") == "ru"))
    assert ma.select("school_id", "pupil_key", "source_row").equals(
        ru.select("school_id", "pupil_key", "source_row")
    )


def test_marks_follow_scales_exactly(region: DemoData, vpr: pl.DataFrame) -> None:
    maxima = region.tasks.group_by("year", "subject", "grade").agg(pl.col("max_points").sort_by("task_no"))
    joined = vpr.join(region.scales, on=["procedure", "year", "subject", "grade"]).join(
        maxima, on=["year", "subject", "grade"]
    )
    assert joined.height == vpr.height
    present = joined.filter(~pl.col("absent"))
    expected = (
        pl.when(pl.col("primary_score") >= pl.col("min_5")).then(5)
        .when(pl.col("primary_score") >= pl.col("min_4")).then(4)
        .when(pl.col("primary_score") >= pl.col("min_3")).then(3)
        .otherwise(2)
    )  # fmt: skip
    assert (present["mark"] == present.select(expected)["literal"].cast(pl.Int8)).all()
    assert (present["primary_score"] == present["task_scores"].list.sum()).all()
    assert (present["primary_score"] <= present["max_score"]).all()
    scores = present.select(
        pl.col("task_scores").explode(), pl.col("max_points").explode(), pl.col("not_attempted").explode()
    )
    assert (scores["task_scores"] <= scores["max_points"]).all()
    assert (scores["task_scores"] >= 0).all()
    assert scores.filter(pl.col("not_attempted"))["task_scores"].eq(0).all()
    absent = joined.filter(pl.col("absent"))
    assert absent.height > 0
    for col in ("primary_score", "mark", "task_scores", "journal_mark", "class_name", "gender"):
        assert absent[col].null_count() == absent.height
    assert (absent["variant"] == "отсутствовал").all()
    # scales of the real tests are the official 2021 ones
    sc = {
        (r["subject"], r["grade"]): (r["max_score"], r["min_3"], r["min_4"], r["min_5"])
        for r in region.scales.filter(pl.col("year") == 2024).iter_rows(named=True)
    }  # noqa: E501
    assert sc[("ma", 4)] == (20, 6, 10, 15)
    assert sc[("ru", 4)] == (38, 14, 24, 33)
    assert sc[("ma", 5)] == (20, 7, 11, 15)
    assert sc[("ru", 5)] == (45, 18, 29, 39)
    assert sc[("ma", 6)] == (16, 6, 10, 14)
    assert sc[("ma", 8)] == (25, 8, 15, 21)


def test_ma4_structure_is_the_real_specification(region: DemoData) -> None:
    t = region.tasks.filter(
        (pl.col("year") == 2024) & (pl.col("subject") == "ma") & (pl.col("grade") == 4)
    ).sort("task_no")
    assert t["max_points"].to_list() == [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]
    assert t["task_label"].to_list() == [
        "1",
        "2",
        "3",
        "4",
        "5.1",
        "5.2",
        "6.1",
        "6.2",
        "7",
        "8",
        "9.1",
        "9.2",
        "10",
        "11",
        "12",
    ]
    assert t.filter(pl.col("level") == "П")["task_label"].to_list() == ["10", "12"]
    # every other test: maxima sum to the scale maximum, levels from Б/П/В
    sums = region.tasks.group_by("year", "subject", "grade").agg(pl.col("max_points").sum().alias("s"))
    check = sums.join(region.scales, on=["year", "subject", "grade"])
    assert (check["s"] == check["max_score"]).all()
    assert set(region.tasks["level"]) <= {"Б", "П", "В"}


def test_gia(region: DemoData) -> None:
    gia = region.gia
    assert set(gia["exam"]) == {"oge", "ege"}
    oge = gia.filter(pl.col("exam") == "oge")
    assert oge["mark"].is_between(2, 5).all()
    assert oge["test_score"].null_count() == oge.height
    assert (oge["below_min"] == (oge["mark"] == 2)).all()
    ege = gia.filter(pl.col("exam") == "ege")
    assert ege["test_score"].is_between(0, 100).all()
    assert ege["mark"].null_count() == ege.height
    ru = ege.filter(pl.col("subject") == "ru")
    assert (ru["below_min"] == (ru["test_score"] < 24)).all()
    # profile maths is taken by fewer pupils than Russian
    assert ege.filter(pl.col("subject") == "ma").height < 0.7 * ru.height
    # the ОГЭ cohort of a year is largely the grade-8 ВПР cohort of the year before
    g8 = region.vpr_results.filter(
        (pl.col("year") == 2023) & (pl.col("grade") == 8) & (pl.col("subject") == "ma")
    )
    g9 = region.results.filter(
        (pl.col("procedure") == "oge") & (pl.col("year") == 2024) & (pl.col("subject") == "ma")
    )
    assert g9["pupil_key"].is_in(g8["pupil_key"].implode()).mean() > 0.8


@pytest.mark.parametrize("size", ["municipality"])
def test_config_validation(size: str) -> None:
    with pytest.raises(ValueError, match="size"):
        DemoConfig(size="planet")
    with pytest.raises(ValueError, match="класс 3"):
        DemoConfig(size=size, grades=(3,))
    with pytest.raises(ValueError, match="по возрастанию"):
        DemoConfig(size=size, years=(2024, 2023))
