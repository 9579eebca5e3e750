"""The card's objectivity blocks read charts shared between signs and the school's one threshold."""

from __future__ import annotations

from django.test import Client

from shnor.web.identification.evidence import sign_blocks

PROFILE = {
    "task_success": {
        "school": [90.0, 40.0],
        "region": [80.0, 50.0],
        "expected_same_total": [82.0, 45.0],
        "levels": ["Б", "П"],
    }
}


def _evidence(**top):
    return {
        "significant": ["person_fit:vpr:ma:4"],
        "signs": [
            {
                "id": "task_pattern:vpr:ma:4",
                "sign": "task_pattern",
                "tested": True,
                "p_value": 0.3,
                "comparison_group": "ученики региона с тем же первичным баллом",
                "chart": PROFILE,
            },
            {
                "id": "person_fit:vpr:ma:4",
                "sign": "person_fit",
                "tested": True,
                "p_value": 1e-5,
                "comparison_group": "ученики региона с тем же первичным баллом",
                "chart_of": "task_pattern:vpr:ma:4",
            },
            {"id": "journal:vpr:ma:4", "sign": "journal", "tested": False, "reason": "нет отметок"},
        ],
        **top,
    }


def test_a_sign_pointing_to_a_twin_chart_draws_it_and_shows_the_school_threshold() -> None:
    blocks = sign_blocks(_evidence(threshold={"sign_p_value_at_most": 0.001, "q": 0.05}))
    assert [b["id"] for b in blocks] == ["person_fit:vpr:ma:4", "task_pattern:vpr:ma:4"]  # significant first
    fit, pattern = blocks
    assert fit["significant"]
    assert not pattern["significant"]
    assert len(fit["charts"]) == len(pattern["charts"]) >= 1
    assert fit["charts"][0]["figure"] == pattern["charts"][0]["figure"]
    assert any(k == "Порог" and "0,001" in v and "0,05" in v for k, v in fit["facts"])
    assert any(k == "Группа сравнения" for k, _ in fit["facts"])


def test_a_missing_twin_or_threshold_leaves_the_block_without_them() -> None:
    ev = _evidence()
    ev["signs"] = ev["signs"][1:]  # the twin record is absent
    (fit,) = sign_blocks(ev)
    assert fit["charts"] == []
    assert all(k != "Порог" for k, _ in fit["facts"])


def test_the_api_gives_each_sign_in_words_with_the_same_badge_as_the_card(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    outcomes = c.get(f"/api/schools/sch0001/outcomes?run={world.run.pk}").json()
    signs = next(o for o in outcomes if o["method"] == "objectivity")["presentation"]["signs"]
    assert signs
    for s in signs:
        assert s["badge"] == ("выделяется" if s["significant"] else "не выделяется")
        assert s["sentences"]
        assert all("e-" not in sentence for sentence in s["sentences"])
