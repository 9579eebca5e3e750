"""Objectivity evidence in plain Russian: numbers, rarity, one rule of significance, no raw keys."""

from __future__ import annotations

import re

import pytest

from shnor.core.evidence import ObjectivityEvidence
from shnor.core.evidence.plain import plain_signs, plain_signs_of, rarity, ru_number
from shnor.web.identification.presenters import fmt, sign_blocks

LATIN = re.compile(r"[A-Za-z]")
E_NOTATION = re.compile(r"\d[eE][-+]?\d")


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (0.3684, 2, "0,37"),
        (1234567.891, 2, "1\u00a0234\u00a0567,89"),
        (1000, 0, "1\u00a0000"),
        (4.18e-71, 4, "< 0,0001"),
        (-0.194, 2, "−0,19"),
        (5.0, 2, "5"),
        (None, 2, "—"),
    ],
)
def test_ru_number(x, digits, text) -> None:
    assert ru_number(x, digits) == text


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.05, "обычное дело: так бывает примерно у каждой 20-й школы"),
        (0.5, "обычное дело: так бывает примерно у каждой 2-й школы"),
        (0.049, "примерно 1 случай на 20 школ"),
        (0.01, "примерно 1 случай на 100 школ"),
        (0.001, "примерно 1 случай на 1\u00a0000 школ"),
        (0.0001, "примерно 1 случай на 10\u00a0000 школ"),
        (1e-6, "примерно 1 случай на 1\u00a0000\u00a0000 школ"),
        (4.18e-71, "реже 1 случая на миллион школ"),
    ],
)
def test_rarity(p, text) -> None:
    assert rarity(p) == text


def test_fmt_never_prints_e_notation() -> None:
    assert fmt(4.18e-71) == "< 0,0001"
    assert fmt(0.3684) == "0,3684"


def _flagged() -> dict:
    """A flagged school's evidence as the extended detector stores it (as tests/web/world.py builds it,
    plus the current layout: the school's threshold at the top, pooled tests, the boundary's cut)."""
    hist = [0, 1, 2, 3, 2, 3, 14, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    expected = [0.5, 1, 2, 3, 4, 5, 6, 7.5, 8, 7, 6, 5, 4, 3, 2, 1]
    return {
        "n_signs": 2,
        "signs": "bunching:vpr:ma:4; journal_corr:vpr:ma:4",
        "evidence": {
            "year": 2024,
            "threshold": {"q": 0.05, "sign_p_value_at_most": 0.00065},
            "sign_p_values": {"bunching": 1e-9, "journal_corr": 0.0004, "task_pattern": 0.3},
            "significant": ["bunching:vpr:ma:4", "journal_corr:vpr:ma:4"],
            "signs": [
                {
                    "id": "bunching:vpr:ma:4",
                    "sign": "bunching",
                    "tested": True,
                    "n": 64,
                    "p_value": 4.18e-71,
                    "statistic": {
                        "boundary": "min_3",
                        "at_or_above": 14,
                        "n_window": 22,
                        "observed_share": 0.6364,
                        "expected_share": 0.3684,
                    },
                    "boundaries": [{"boundary": "min_3", "cut": 6, "window": [3, 6]}],
                    "chart": {"histogram": hist, "expected": expected},
                },
                {
                    "id": "journal_corr:vpr:ma:4",
                    "sign": "journal_corr",
                    "tested": True,
                    "n": 64,
                    "p_value": 0.0043,  # above the threshold: listed by the method, not significant
                    "statistic": {
                        "spearman": 0.21,
                        "expected_spearman_at_level": 0.58,
                        "region_spearman": 0.64,
                        "school_level_sd": -0.19,
                        "z": -2.6,
                    },
                },
                {
                    "id": "task_pattern:vpr:ma:4",
                    "sign": "task_pattern",
                    "tested": True,
                    "n": 64,
                    "p_value": 0.3,
                    "statistic": {"z": 0.5, "excess_hard_points": 3.2, "excess_hard_points_per_pupil": 0.05},
                    "chart": {
                        "task_success": {
                            "school": [90.0, 40.0],
                            "region": [80.0, 50.0],
                            "expected_same_total": [82.0, 45.0],
                            "levels": ["Б", "П"],
                        }
                    },
                },
                {"id": "similarity:vpr:ma:4", "sign": "similarity", "tested": False, "reason": "мало"},
            ],
            "pooled_signs": {
                "fluctuation": {
                    "tested": True,
                    "p_value": 0.4,
                    "statistic": {"gain_sd": 0.1, "spike_sd": 0.2, "z_gain": 0.3},
                }
            },
        },
    }


def test_every_sentence_is_plain_russian_and_significance_follows_one_rule() -> None:
    signs = plain_signs_of(_flagged())
    assert {s.code for s in signs} >= {"bunching:vpr:ma:4", "task_pattern:vpr:ma:4", "fluctuation:pooled"}
    assert all(s.code != "similarity:vpr:ma:4" for s in signs)  # not tested
    for s in signs:
        for text in [s.title, *s.sentences]:
            assert not LATIN.search(text), text
            assert not E_NOTATION.search(text), text
        assert s.threshold is not None
        assert s.significant == (s.value is not None and s.value <= s.threshold)
        assert ("Это выделяется" in " ".join(s.sentences)) == s.significant


def test_a_sign_above_its_threshold_is_not_significant_and_its_badge_says_so() -> None:
    by_code = {s.code: s for s in plain_signs_of(_flagged())}
    corr = by_code["journal_corr:vpr:ma:4"]
    assert not corr.significant
    assert corr.badge == "не выделяется"
    (block,) = [b for b in sign_blocks(_flagged()["evidence"]) if b["id"] == corr.code]
    assert not block["significant"]
    assert block["badge"] == "не выделяется"
    # the sign as a whole (all the school's works together) is below the threshold: shown as such
    assert by_code["journal_corr:combined"].significant


def test_bunching_in_words_with_the_mark_boundary_on_its_chart() -> None:
    (bunching,) = [s for s in plain_signs_of(_flagged()) if s.code == "bunching:vpr:ma:4"]
    text = " ".join(bunching.sentences)
    assert "порогом отметки «3» (6 баллов)" in text
    assert "min_3" not in text
    assert "реже 1 случая на миллион школ" in text
    assert bunching.chart is not None
    assert bunching.chart.boundaries == [(5.5, "отметка «3» от 6 баллов")]


def test_the_histogram_figure_draws_the_boundary_line() -> None:
    (block,) = [b for b in sign_blocks(_flagged()["evidence"]) if b["id"] == "bunching:vpr:ma:4"]
    (shape,) = block["charts"][0]["figure"]["layout"]["shapes"]
    assert shape["x0"] == shape["x1"] == 5.5


def test_without_a_stated_threshold_the_method_level_is_used_for_badge_and_words() -> None:
    ev = ObjectivityEvidence.parse(
        {"evidence": {"signs": [{"id": "journal:vpr:ma:4", "tested": True, "p_value": 0.2}]}}
    )
    (s,) = plain_signs(ev)
    assert s.threshold == 0.05
    assert not s.significant
