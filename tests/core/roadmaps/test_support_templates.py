"""Roadmap templates carry the real activities of the seed orders; periods read into dates."""

from __future__ import annotations

import datetime as dt

import pytest

from shnor.core.roadmaps import period_parse, template_get, templates_load
from shnor.core.roadmaps.templates import TemplateError, template_parse


def test_every_template_loads_with_the_seed_counts() -> None:
    t = templates_load()
    counts = {k: len(v.activities) for k, v in t.items()}
    assert counts == {
        "chel_region_2024": 16,  # seed 000: 12 for all ШНОР + track activities (1 network, 3 individual)
        "chel_municipal_2024": 13,  # seed 001: 11 + 2 МОУО activities of seed 000
        "smolensk_low_2019": 42,  # seed 004 app. 2: numbered 1..43, item 9 missing in the source
        "smolensk_objectivity_2019": 6,  # seed 004 app. 3
        "chebarkul_2023": 14,  # seed 002: 1-12, 19, 20
        "school_tracks": 16,
    }


def test_smolensk_plan_has_its_four_sections_and_real_rows() -> None:
    t = template_get("smolensk_low_2019")
    assert t.sections == (
        "Организационно-управленческие меры",
        "Повышение уровня кадрового потенциала",
        "Оказание методической помощи",
        "Оказание финансовой помощи",
    )
    assert [a.number for a in t.activities][:9] == ["1", "2", "3", "4", "5", "6", "7", "8", "10"]
    a43 = t.activity("43")
    assert a43 is not None
    assert a43.period == "Июнь, июль"
    assert a43.executor == "ОМСУ"
    assert t.order["number"] == "863-ОД"
    assert t.order["date"] == "11.10.2019"
    # levels derived from the executor: ОО -> school, МОЦ/ОМСУ/ОМО -> municipality
    assert set(t.activity("7").levels) == {"region", "school"}
    assert set(t.activity("23").levels) == {"region", "municipality", "school"}
    assert t.activity("38").levels == ("region",)
    assert len(t.for_level("municipality")) == 21
    assert len(t.for_level("school")) == 11


def test_chebarkul_complex_keeps_outputs_and_stages() -> None:
    t = template_get("chebarkul_2023")
    assert t.sections == ("Подготовительный этап", "Реализационный этап", "Обобщающий этап")
    first = t.activities[0]
    assert first.output_document == "Приказ Управления образования администрации"
    assert [a.number for a in t.activities][-2:] == ["19", "20"]


def test_track_activities_and_links_resolve() -> None:
    t = template_get("school_tracks")
    assert {a.key.split(".")[0] for a in t.for_tracks(["network"])} == {"network"}
    assert len(t.for_tracks(["common"])) == 6
    assert len(t.for_tracks(["objectivity"])) == 6
    m = template_get("chel_municipal_2024")
    assert m.activity("2.1").implements == ("chel_region_2024:network.1",)


def test_bad_template_is_refused_in_russian() -> None:
    with pytest.raises(TemplateError, match="уровень"):
        template_parse('key="x"\ntitle="t"\nlevel="country"\n', name="x.toml")
    with pytest.raises(TemplateError, match="наименование|title"):
        template_parse('key="x"\ntitle="t"\nlevel="region"\n[[activities]]\nnumber="1"\n', name="x.toml")


@pytest.mark.parametrize(
    ("text", "year", "cal", "start", "due"),
    [
        (
            "Февраль – апрель 2024 г., сентябрь – ноябрь 2024 г.",
            2024,
            "calendar_year",
            dt.date(2024, 2, 1),
            dt.date(2024, 11, 30),
        ),
        ("Март 2024 г.", 2024, "calendar_year", dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
        ("В течение года", 2024, "calendar_year", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        ("По специальному графику", 2024, "calendar_year", None, dt.date(2024, 12, 31)),
        ("Октябрь", 2019, "school_year", dt.date(2019, 10, 1), dt.date(2019, 10, 31)),
        ("Май", 2019, "school_year", dt.date(2020, 5, 1), dt.date(2020, 5, 31)),
        ("Июнь, июль", 2019, "school_year", dt.date(2020, 6, 1), dt.date(2020, 7, 31)),
        ("В течение года", 2019, "school_year", dt.date(2019, 9, 1), dt.date(2020, 8, 31)),
        ("Январь 2024 г.", 2023, "calendar_year", dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
        ("IV квартал 2024 г.", 2024, "calendar_year", dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
    ],
)
def test_period_parse(text, year, cal, start, due) -> None:
    p = period_parse(text, year=year, calendar=cal)
    assert (p.start, p.due) == (start, due)


@pytest.mark.parametrize(
    ("text", "year", "cal", "start", "due"),
    [
        ("до 01.09.2025", 2025, "calendar_year", None, dt.date(2025, 9, 1)),
        ("01.09.2025", 2024, "school_year", None, dt.date(2025, 9, 1)),
        ("не позднее 15.08.2025", 2025, "calendar_year", None, dt.date(2025, 8, 15)),
        ("с 01.09.2025 по 30.06.2026", 2025, "school_year", dt.date(2025, 9, 1), dt.date(2026, 6, 30)),
        ("до 1 сентября 2025 г.", 2024, "calendar_year", None, dt.date(2025, 9, 1)),
        ("до 15 августа", 2025, "calendar_year", None, dt.date(2025, 8, 15)),
        ("до 15 августа", 2025, "school_year", None, dt.date(2026, 8, 15)),
        ("до 20 мая", 2025, "calendar_year", None, dt.date(2025, 5, 20)),
        ("с 1 сентября по 31 мая", 2025, "calendar_year", dt.date(2025, 9, 1), dt.date(2026, 5, 31)),
        ("до 31.02.2025", 2025, "calendar_year", None, None),
    ],
)
def test_period_parse_reads_exact_dates(text, year, cal, start, due) -> None:
    """An explicit date is the due date as written, not the end of its year."""
    p = period_parse(text, year=year, calendar=cal)
    assert (p.start, p.due) == (start, due)


def test_period_due_invents_no_date_for_unreadable_text() -> None:
    from shnor.core.roadmaps.templates import period_due

    assert period_due("по графику", year=2025).due is None
    assert period_due("", year=2025).due is None
    assert period_due("до 01.09.2025", year=2024).due == dt.date(2025, 9, 1)
    assert period_due("Март 2025 г.", year=2025).due == dt.date(2025, 3, 31)
    # templates keep their year-end due for a schedule phrase (reminders of template activities)
    assert period_parse("По специальному графику", year=2025).due == dt.date(2025, 12, 31)
