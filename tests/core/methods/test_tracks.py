"""Support tracks and their Russian reasons."""

from __future__ import annotations

import json

import polars as pl

from shnor.core.config import default_config
from shnor.core.methods import tracks

CFG = default_config()["tracks"]


def low_frame():
    def ev(years):
        return json.dumps({"persistence": {"years_listed": years}})

    return pl.DataFrame(
        {
            "school_id": ["P", "F", "R", "N", "O", "Q"],
            "low_results": [True, True, True, False, False, True],
            "risk_list": [True, False, False, True, False, False],
            "years_in_list": [3, 1, 1, 0, 0, 4],
            "first_year": [2022, 2024, 2024, None, None, 2021],
            "category": ["persistent", "first", "repeated", "none", "none", "persistent"],
            "evidence": [
                ev([2022, 2023, 2024]),
                ev([2024]),
                ev([2022, 2024]),
                ev([]),
                ev([]),
                ev([2021, 2022, 2023, 2024]),
            ],
        }
    )


def objectivity():
    return pl.DataFrame(
        {
            "school_id": ["O", "F", "N"],
            "flagged": [True, True, False],
            "signs": ["inflated_mean", "bunching", None],
        }
    )


def test_tracks_and_reasons():
    out = tracks.assign(low_frame(), objectivity(), CFG, year=2024)
    assert list(out.columns)[:3] == ["school_id", "track", "reasons"]
    got = {r["school_id"]: r for r in out.iter_rows(named=True)}
    assert set(got) == {"P", "F", "R", "O", "Q"}  # N: on the risk list only, not ШНОР, not flagged
    assert got["P"]["track"] == "individual"
    assert "ШНОР 3 года подряд (2022–2024)" in got["P"]["reasons"]
    assert "в списке риска по правилу Рособрнадзора" in got["P"]["reasons"]
    assert got["P"]["tracks"] == ["common", "individual"]
    assert got["R"]["track"] == "network"
    assert got["R"]["reasons"].startswith("ШНОР повторно за последние три года (2022, 2024)")
    assert "все ШНОР:" in got["R"]["reasons"]
    assert got["R"]["tracks"] == ["common", "network"]
    # first time ШНОР with objectivity signs: individual track, both reasons
    assert got["F"]["track"] == "individual"
    assert "ШНОР впервые (2024)" in got["F"]["reasons"]
    assert "признаки необъективности результатов: скопление у порога отметки" in got["F"]["reasons"]
    assert got["F"]["tracks"] == ["common", "network", "individual"]
    # not ШНОР but flagged: individual, without the common ШНОР activities
    assert got["O"]["track"] == "individual"
    assert got["O"]["tracks"] == ["individual"]
    assert "все ШНОР" not in got["O"]["reasons"]
    assert "ШНОР 4 года подряд (2021–2024)" in got["Q"]["reasons"]
    assert got["P"]["track_label"] == "Индивидуальное сопровождение"
    assert json.loads(got["P"]["evidence"])["years_in_list"] == 3


def test_tracks_without_objectivity_and_options():
    out = tracks.assign(low_frame(), None, CFG, year=2024)
    assert "O" not in out["school_id"].to_list()
    cfg = {**CFG, "persistent_years": 5, "objectivity_individual": False, "social_risk_common": True}
    social = pl.DataFrame({"school_id": ["N", "Z"], "social_risk": [False, True]})
    out = tracks.assign(low_frame(), objectivity(), cfg, year=2024, social=social)
    got = {r["school_id"]: r for r in out.iter_rows(named=True)}
    assert got["P"]["track"] == "network"
    assert got["F"]["track"] == "network"
    assert "O" not in got
    assert got["Z"]["track"] == "common"
    assert "ШНСУ" in got["Z"]["reasons"]


def test_objectivity_reasons_group_signs_by_kind():
    from shnor.core.methods.tracks import _signs_text

    text = _signs_text("similarity:vpr:ma:8; similarity:vpr:ru:7; similarity:vpr:ma:5; journal:vpr:ma:4")
    assert text.startswith("совпадающие наборы ответов (3 работы), ")
    assert "журнал" in text
    assert "vpr:" not in text
