"""The indicator table: configuration, facts from small frames, aggregation with the calculation shown."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from shnor.core.methods import indicators as ind

UNITS = pl.DataFrame(
    {
        "school_id": ["s1", "s2", "s3", "s4"],
        "name": ["Школа 1", "Школа 2", "Школа 3", "Школа 4"],
        "municipality_id": ["m1", "m1", "m2", "m2"],
        "municipality": ["Город", "Город", "Село", "Село"],
        "region_id": ["r"] * 4,
        "region": ["Край"] * 4,
    },
    schema=ind.UNITS_SCHEMA,
)


def outcomes() -> pl.DataFrame:
    rows = []
    for year, low, soc, fioko in ((2023, {"s1", "s2"}, {"s3"}, set()), (2024, {"s1"}, {"s4"}, {"s1"})):
        for s in ("s1", "s2", "s3", "s4"):
            rows += [
                (s, year, "low_results", s in low),
                (s, year, "social_index", s in soc),
                (s, year, "objectivity", False),
            ]
            if s in fioko:
                rows.append((s, year, "fioko", True))
    return pl.DataFrame(
        rows,
        schema={"school_id": pl.String, "year": pl.Int32, "method": pl.String, "flagged": pl.Boolean},
        orient="row",
    )


def test_shipped_table_matches_seed_003() -> None:
    table = ind.load_indicators()
    codes = [i.code for i in table]
    assert len(codes) == len(set(codes)) >= 14
    computed = {i.code for i in table if i.computed}
    manual = {i.code for i in table if not i.computed}
    assert {
        "low_results",
        "positive_dynamics",
        "teachers_diagnosed",
        "trained_on_request",
        "network",
    } <= computed
    assert {"staff_shortage_measures", "resource_centre"} <= manual
    assert all(i.formula and i.sources for i in table)


def test_bad_configuration_is_refused_in_russian() -> None:
    with pytest.raises(ValueError, match="source"):
        ind.load_indicators(
            {"indicator": [{"code": "x", "name": "x", "formula": "x", "unit": "%", "source": "guess"}]}
        )
    spec = {"code": "x", "name": "x", "formula": "x", "unit": "%", "source": "manual"}
    with pytest.raises(ValueError, match="повторяется"):
        ind.load_indicators({"indicator": [spec, spec]})


def test_teacher_threshold_per_area() -> None:
    cfg = {"teacher_deficits": {"threshold": 0.5, "areas": {"Методика": 0.7}}}
    assert ind.teacher_threshold(cfg, "методика ") == 0.7
    assert ind.teacher_threshold(cfg, "предмет") == 0.5


def test_lists_dynamics_and_aggregation() -> None:
    out = outcomes()
    facts = ind.facts_lists(out, 2024)
    targets = ind.targets_of(out, 2024)
    assert targets == {"s1", "s4"}
    table = ind.load_indicators()
    region = {
        r["code"]: r
        for r in ind.indicator_table(
            indicators=table, facts=facts, units=UNITS, level="region", unit_id="r", targets=targets
        )
    }
    assert region["low_results"]["numerator"] == 1
    assert region["low_results"]["denominator"] == 4
    assert region["low_results"]["display"] == "25,0 %"
    # 2023 lists: s1, s2, s3; s2 and s3 left, s1 stayed -> 2/3; s4 entered out of the one outside -> 1/1
    assert region["positive_dynamics"]["numerator"] == 2
    assert region["positive_dynamics"]["denominator"] == 3
    assert region["negative_dynamics"]["value"] == pytest.approx(100.0)
    assert region["objectivity_index"]["value"] == pytest.approx(75.0)
    assert region["teachers_diagnosed"]["display"] == "нет данных"
    mun = {
        r["code"]: r
        for r in ind.indicator_table(
            indicators=table, facts=facts, units=UNITS, level="municipality", unit_id="m1", targets=targets
        )
    }
    assert mun["low_results"]["numerator"] == 1
    assert mun["low_results"]["denominator"] == 2


def test_support_teachers_context_sites_and_manual_values() -> None:
    targets = {"s1", "s4"}
    roadmaps = pl.DataFrame({"school_id": ["s1"], "year": [2024]})
    activities = pl.DataFrame(
        {
            "school_id": ["s1", "s1", "s1", "s1"],
            "year": [2024] * 4,
            "status": ["done", "planned", "cancelled", "planned"],
            "due_date": [dt.date(2024, 3, 1), dt.date(2024, 4, 1), dt.date(2024, 4, 1), dt.date(2030, 1, 1)],
        }
    )
    partners = pl.DataFrame(
        {"school_id": ["s4"], "leader_id": ["s2"], "year": [2024], "status": ["confirmed"]}
    )
    teachers = pl.DataFrame({"teacher_id": [1, 2, 3, 4], "school_id": ["s1", "s1", "s4", "s2"]})
    completions = pl.DataFrame({"teacher_id": [1, 3], "on_request": [True, True], "at_risk": [False, True]})
    context = pl.DataFrame(
        {"school_id": ["s1", "s4", "s2"], "year": [2024] * 3, "staff_shortage": [True, None, True]}
    )
    sites = pl.DataFrame({"school_id": ["s1", "s4"], "complete": [True, False]})
    facts = pl.concat(
        [
            ind.facts_support(
                year=2024,
                targets=targets,
                roadmaps=roadmaps,
                activities=activities,
                partners=partners,
                schools=["s1", "s2", "s3", "s4"],
                today=dt.date(2024, 6, 1),
            ),
            ind.facts_teachers(teachers=teachers, diagnosed=[1, 2, 4], completions=completions),
            ind.facts_context(context, 2024),
            ind.facts_websites(sites),
            ind.facts_deficits(targets, ["s4"]),
        ]
    )
    manual = [
        {
            "indicator": "staff_shortage_measures",
            "level": "school",
            "unit_id": "s1",
            "school_id": "s1",
            "value": 2,
            "note": "",
            "entered": "2024-05-01",
        },
        {
            "indicator": "staff_shortage_measures",
            "level": "school",
            "unit_id": "s1",
            "school_id": "s1",
            "value": 3,
            "note": "",
            "entered": "2024-05-02",
        },
        {
            "indicator": "staff_shortage_measures",
            "level": "school",
            "unit_id": "s3",
            "school_id": "s3",
            "value": 1,
            "note": "",
            "entered": "2024-05-01",
        },
        {
            "indicator": "resource_centre",
            "level": "region",
            "unit_id": "r",
            "school_id": None,
            "value": 1,
            "note": "ЦНППМ",
            "entered": "2024-05-01",
        },
    ]
    rows = {
        r["code"]: r
        for r in ind.indicator_table(
            indicators=ind.load_indicators(),
            facts=facts,
            units=UNITS,
            level="region",
            unit_id="r",
            targets=targets,
            manual=manual,
        )
    }
    assert (rows["programmes"]["numerator"], rows["programmes"]["denominator"]) == (1, 2)
    assert (rows["roadmap_execution"]["numerator"], rows["roadmap_execution"]["denominator"]) == (1, 2)
    assert (rows["network"]["numerator"], rows["network"]["denominator"]) == (2, 4)
    # targets only: s1 (2 teachers, 1 diagnosed... 1 and 2) and s4 (teacher 3, not diagnosed)
    assert (rows["teachers_diagnosed"]["numerator"], rows["teachers_diagnosed"]["denominator"]) == (2, 3)
    assert rows["trained_on_request"]["numerator"] == 2
    assert rows["trained_at_risk"]["numerator"] == 1
    assert (rows["staff_shortage"]["numerator"], rows["staff_shortage"]["denominator"]) == (1, 1)
    assert (rows["sites_documents"]["numerator"], rows["sites_documents"]["denominator"]) == (1, 2)
    assert (rows["pupil_diagnostics"]["numerator"], rows["pupil_diagnostics"]["denominator"]) == (1, 2)
    assert rows["staff_shortage_measures"]["value"] == 4  # latest of s1 (3) + s3 (1)
    assert rows["resource_centre"]["display"] == "да"
    assert rows["resource_centre"]["note"] == "ЦНППМ"
    school = {
        r["code"]: r
        for r in ind.indicator_table(
            indicators=ind.load_indicators(),
            facts=facts,
            units=UNITS,
            level="school",
            unit_id="s1",
            targets=targets,
            manual=manual,
        )
    }
    assert school["staff_shortage_measures"]["value"] == 3
    assert school["staff_shortage_measures"]["editable"]
    assert not school["resource_centre"]["editable"]
