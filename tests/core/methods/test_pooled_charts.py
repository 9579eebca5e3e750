"""The pooled lenient-checking and journal-correlation signs keep the tests their sums are made of, as
columns a chart draws: their parts add up to the record's numbers, they survive the stored layouts, and
the figure draws one point per test."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest

from shnor.core.evidence.objectivity_format import compact_pooled, expand_pooled
from shnor.core.evidence.objectivity_shared import resolve, share
from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.pooled_marks import journal_corr_pooled, lenient_pooled
from shnor.web.identification.figures import journal_tests_figure, lenient_tests_figure
from tests.core.methods.test_objectivity_pooled_marks import _cfg, _region

LENIENT = ("year", "subject", "grade", "n", "excess", "se")
JOURNAL = ("year", "subject", "grade", "n", "spearman", "expected")


@pytest.fixture(scope="module")
def region() -> Inputs:
    return _region(small=8, lenient=0.6, journal_random=0.9)


@pytest.fixture(scope="module")
def lenient(region: Inputs) -> dict[str, dict[str, Any]]:
    return lenient_pooled(region, _cfg())


@pytest.fixture(scope="module")
def journal(region: Inputs) -> dict[str, dict[str, Any]]:
    return journal_corr_pooled(region, _cfg())


def _tested(records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = [r for r in records.values() if r["tested"]]
    assert len(out) >= 100
    return out


def _same_length(cols: dict[str, list[Any]], keys: tuple[str, ...], tests: int) -> None:
    assert tuple(cols) == keys
    assert all(len(cols[k]) == tests for k in keys)


def test_the_lenient_tests_add_up_to_the_record(lenient) -> None:
    for rec in _tested(lenient):
        cols, stat = rec["tests"], rec["statistic"]
        _same_length(cols, LENIENT, stat["tests"])
        assert sum(cols["n"]) == rec["n"]
        assert sorted(set(cols["year"])) == stat["years"]
        # Σ pupils × excess per pupil is the record's excess points (before the between-school term),
        # to the 2 decimals of each test and of the record
        weighted = sum(n * e for n, e in zip(cols["n"], cols["excess"], strict=True))
        assert weighted == pytest.approx(stat["excess_points"], abs=0.005 * rec["n"] + 0.005)
        assert all(s > 0 for s in cols["se"])
        assert all(round(v, 2) == v for k in ("excess", "se") for v in cols[k])


def test_the_lenient_tests_show_the_lenient_school(lenient) -> None:
    small = lenient["s000"]["tests"]
    # a chance of 0.6 of a point more on each criteria task: no test below zero, half of them one
    # standard error above it or more
    assert all(e >= 0 for e in small["excess"])
    assert sum(e > small_se for e, small_se in zip(small["excess"], small["se"], strict=True)) >= 3
    assert all(n == 8 for n in small["n"])


def test_the_journal_tests_add_up_to_the_record(journal) -> None:
    for rec in _tested(journal):
        cols, stat = rec["tests"], rec["statistic"]
        _same_length(cols, JOURNAL, stat["tests"])
        assert sum(cols["n"]) == rec["n"]
        assert sorted(set(cols["year"])) == stat["years"]
        # the record's correlations are the (n − 3)-weighted means of the tests'
        w = [n - 3 for n in cols["n"]]
        for col, key in (("spearman", "spearman"), ("expected", "expected_spearman_at_level")):
            mean = sum(a * b for a, b in zip(w, cols[col], strict=True)) / sum(w)
            assert mean == pytest.approx(stat[key], abs=0.0051)
        assert all(-1 <= v <= 1 for v in cols["spearman"])


def test_the_tests_round_trip_the_stored_layouts(lenient, journal) -> None:
    shared: dict[str, Any] = {}
    sids = ["s000", "s001", "s002"]
    evidence = [
        {
            "format": 2,
            "p_combined": 0.5,
            "sign_p_values": {},
            "signs": [],
            "pooled_signs": compact_pooled(
                {
                    "lenient_checking": {
                        **lenient[s],
                        "sign": "lenient_checking",
                        "id": "lenient_checking:pooled",
                    },
                    "journal_corr": {**journal[s], "sign": "journal_corr", "id": "journal_corr:pooled"},
                }
            ),
        }
        for s in sids
    ]
    stored = [orjson.loads(orjson.dumps(share(ev, shared))) for ev in evidence]
    shared = orjson.loads(orjson.dumps(shared))
    for sid, ev, v3 in zip(sids, evidence, stored, strict=True):
        back = resolve(v3, shared)
        assert back == ev
        for name, rec in (("lenient_checking", lenient[sid]), ("journal_corr", journal[sid])):
            assert expand_pooled(back["pooled_signs"][name], name)["tests"] == rec["tests"]
    # which tests they are (year, subject, grade) is left to the run where it is the run's; the numbers
    # are the school's own
    moved = {str(k) for part in shared.values() if isinstance(part, dict) for k in part if "tests" in str(k)}
    assert moved <= {"tests.year", "tests.subject", "tests.grade"}
    assert "tests.year" in moved


def test_the_lenient_figure_draws_a_point_per_test_with_its_whiskers() -> None:
    tests = {
        "year": [2023, 2024],
        "subject": ["ma", "ru"],
        "grade": [4, 5],
        "n": [10, 30],
        "excess": [0.5, 1.5],
        "se": [0.2, 0.1],
    }
    fig = lenient_tests_figure(tests)
    assert fig is not None
    zero, school, mean = fig["data"]
    assert school["x"] == ["математика, 4 кл., 2023", "русский язык, 5 кл., 2024"]
    assert school["y"] == [0.5, 1.5]
    assert school["error_y"]["array"] == pytest.approx([0.4, 0.2])
    assert zero["y"] == [0, 0]
    assert zero["name"] == "как в ОО того же уровня"
    assert mean["y"][0] == pytest.approx((10 * 0.5 + 30 * 1.5) / 40)
    assert "участников" in school["hovertemplate"]
    titles = fig["layout"]["xaxis"]["title"]["text"] + fig["layout"]["yaxis"]["title"]["text"]
    assert "excess" not in titles
    assert "ученика" in titles
    assert lenient_tests_figure({**tests, "se": [0.2]}) is None  # columns of other lengths
    assert lenient_tests_figure(None) is None


def test_the_journal_figure_draws_the_school_against_its_level() -> None:
    tests = {
        "year": [2024],
        "subject": ["ru"],
        "grade": [4],
        "n": [12],
        "spearman": [0.1],
        "expected": [0.62],
    }
    fig = journal_tests_figure(tests)
    assert fig is not None
    expected, school = fig["data"]
    assert school["x"] == expected["x"] == ["русский язык, 4 кл., 2024"]
    assert school["y"] == [0.1]
    assert expected["y"] == [0.62]
    assert expected["name"] == "ожидаемо в ОО того же уровня"
    assert school["customdata"] == [12]
    assert journal_tests_figure({**tests, "spearman": [math.nan]}) is not None  # (a number, drawn as a gap)
    assert journal_tests_figure({**tests, "spearman": [None]}) is None
