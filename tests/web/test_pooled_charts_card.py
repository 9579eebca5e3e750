"""The school card draws the pooled lenient-checking and journal-correlation signs by test: one point per
ВПР test of the school, from the tests their records keep."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from django.core.cache import cache
from django.test import Client

from shnor.core.evidence.objectivity_format import compact
from shnor.web.identification.models import SchoolOutcome

LENIENT = {
    "tested": True,
    "n": 52,
    "p_value": 0.0004,
    "statistic": {
        "excess_points": 31.0,
        "excess_full_marks": 9.0,
        "expected_full_marks": 20.0,
        "z": 3.4,
        "between_schools_sd": 0.1,
        "anchor": "one_point",
        "tests": 2,
        "years": [2023, 2024],
    },
    "comparison_group": "ученики региона с тем же баллом за задания с одним баллом, с поправкой на уровень "
    "школы, за несколько лет",
    "tests": {
        "year": [2023, 2024],
        "subject": ["ma", "ma"],
        "grade": [4, 4],
        "n": [24, 28],
        "excess": [0.5, 0.679],
        "se": [0.21, 0.2],
    },
}
JOURNAL = {
    "tested": True,
    "n": 52,
    "p_value": 0.3,
    "statistic": {
        "spearman": 0.55,
        "expected_spearman_at_level": 0.6,
        "z": -0.5,
        "tests": 2,
        "years": [2024],
    },
    "tests": {
        "year": [2024, 2024],
        "subject": ["ma", "ru"],
        "grade": [4, 4],
        "n": [28, 24],
        "spearman": [0.5, 0.61],
        "expected": [0.6, 0.6],
    },
}


def _figures(page: str) -> list[Any]:
    """The objectivity card's charts as the page hands them to the browser."""
    card = page.split('id="flag-objectivity"', 1)[1].split('<div class="card flag', 1)[0]
    return [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', card)]


def _with_pooled(school_id: str, pooled: dict[str, Any]) -> None:
    """The school's objectivity evidence with these pooled signs, stored as the method writes it."""
    for o in SchoolOutcome.objects.filter(method=SchoolOutcome.OBJECTIVITY, school__school_id=school_id):
        o.data = {**o.data, "evidence": compact({**o.data["evidence"], "pooled_signs": pooled})}
        o.save(update_fields=["data"])
    cache.clear()  # (the card caches a done run's outcomes, which never change otherwise)


def _drawn(figures: list[Any], label: str) -> list[Any]:
    return [f for f in figures if any(label in t.get("x", []) for t in f["data"])]


def test_the_card_draws_the_pooled_lenient_and_journal_signs_by_test(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    before = _figures(c.get("/schools/sch0001/").content.decode())
    assert not _drawn(before, "математика, 4 кл., 2023")

    _with_pooled("sch0001", {"lenient_checking": LENIENT, "journal_corr": JOURNAL})
    page = c.get("/schools/sch0001/").content.decode()
    figures = _figures(page)
    assert len(figures) == len(before) + 2
    (lenient,) = _drawn(figures, "математика, 4 кл., 2023")
    school = next(t for t in lenient["data"] if "error_y" in t)
    assert school["x"] == ["математика, 4 кл., 2023", "математика, 4 кл., 2024"]
    assert school["y"] == [0.5, 0.679]
    assert school["error_y"]["array"] == [0.42, 0.4]
    assert any(t["name"] == "как в ОО того же уровня" and set(t["y"]) == {0} for t in lenient["data"])
    (journal,) = _drawn(figures, "русский язык, 4 кл., 2024")
    assert [t["y"] for t in journal["data"]] == [[0.6, 0.6], [0.5, 0.61]]
    assert "Мягкая проверка по работам школы" in page
    # no internal names on the card
    card = page.split('id="flag-objectivity"', 1)[1].split('<div class="card flag', 1)[0]
    assert "excess" not in card
    assert "lenient_checking" not in card


def test_a_pooled_sign_stored_without_its_tests_shows_no_chart(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    before = _figures(c.get("/schools/sch0001/").content.decode())
    old = {k: v for k, v in LENIENT.items() if k != "tests"}
    _with_pooled("sch0001", {"lenient_checking": old})
    page = c.get("/schools/sch0001/").content.decode()
    assert "Мягкая проверка заданий с развёрнутым ответом" in page  # the block is there
    assert _figures(page) == before
