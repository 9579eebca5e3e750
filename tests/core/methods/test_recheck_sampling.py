"""The sample of ВПР works to re-check: every flagged school, a control group of the size the formula gives,
spread over strata in proportion, works chosen at random positions, the same for the same seed."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest

from shnor.core.methods.recheck_sampling import CONTROL, FLAGGED, SAMPLE, recheck_sample


def participants(towns: int = 40, villages: int = 30, tests: tuple[int, ...] = (4,)) -> pl.DataFrame:
    rows = []
    for grade in tests:
        for i in range(towns + villages):
            rows.append(
                {
                    "school_id": f"s{i:03d}",
                    "year": 2021,
                    "subject": "ma",
                    "grade": grade,
                    "n": 21 + i % 40,
                    "stratum": "город" if i < towns else "село",
                }
            )
    return pl.DataFrame(rows)


FLAGGED_IDS = ["s001", "s045", "s069"]


def test_flagged_schools_all_present_with_all_their_tests() -> None:
    frame = participants(tests=(4, 5)).vstack(
        pl.DataFrame(
            [{"school_id": "s001", "year": 2021, "subject": "ru", "grade": 4, "n": 7, "stratum": "город"}]
        )
    )
    sample = recheck_sample(frame, FLAGGED_IDS).schools
    assert dict(sample.schema) == SAMPLE
    flagged = sample.filter(pl.col("group") == FLAGGED)
    assert Counter(flagged["school_id"]) == {"s001": 3, "s045": 2, "s069": 2}
    small = flagged.filter(pl.col("subject") == "ru").row(0, named=True)
    assert (small["works_to_recheck"], small["participants"], small["positions"]) == (7, 7, list(range(1, 8)))
    assert set(flagged.filter(pl.col("subject") == "ma")["works_to_recheck"]) == {20}


def test_control_size_by_the_formula() -> None:
    result = recheck_sample(participants(), FLAGGED_IDS, control_share_expected=0.1, margin=0.05)
    assert result.control_works_required == 139  # 1,96²·0,1·0,9/0,05² = 138,3
    control = result.schools.filter(pl.col("group") == CONTROL)
    assert control.height == 7  # 139 works at 20 a school
    assert control["works_to_recheck"].sum() == 140
    assert not set(control["school_id"]) & set(FLAGGED_IDS)
    assert "138,3" in result.explanation
    assert "139 работ" in result.explanation
    assert "7 школ по 20 работ" in result.explanation
    assert "контрольных школ 7 из 67 без признаков (работ 140)" in result.explanation
    assert "e-" not in result.explanation


def test_control_per_test() -> None:
    control = recheck_sample(participants(tests=(4, 5)), FLAGGED_IDS).schools.filter(
        pl.col("group") == CONTROL
    )
    assert Counter(control["grade"]) == {4: 7, 5: 7}


def test_control_stratified_proportionally() -> None:
    # unflagged: 40 − 1 town schools and 30 − 2 village schools → 7·39/67 = 4,07 and 7·28/67 = 2,93
    control = recheck_sample(participants(), FLAGGED_IDS).schools.filter(pl.col("group") == CONTROL)
    assert Counter(control["stratum"]) == {"город": 4, "село": 3}
    wide = recheck_sample(participants(towns=60, villages=10), [], margin=0.02)
    counts = Counter(wide.schools["stratum"])
    total = sum(counts.values())
    assert total == 44  # 1,96²·0,09/0,02² = 864,3 → 865 works → 44 schools
    assert counts["село"] == round(total * 10 / 70)


def test_small_schools_topped_up_to_required_works() -> None:
    frame = participants().with_columns(pl.lit(10).alias("n"))
    control = recheck_sample(frame, FLAGGED_IDS).schools.filter(pl.col("group") == CONTROL)
    assert control["works_to_recheck"].sum() >= 139
    assert control.height == 14
    strata = Counter(control["stratum"])
    assert strata["город"] in (7, 8)
    assert strata["село"] in (6, 7)


def test_not_enough_schools_takes_all_and_says_so() -> None:
    result = recheck_sample(participants(towns=3, villages=2), ["s000"])
    control = result.schools.filter(pl.col("group") == CONTROL)
    assert sorted(control["school_id"]) == ["s001", "s002", "s003", "s004"]
    assert "меньше нужного" in result.explanation


def test_deterministic_with_seed() -> None:
    a = recheck_sample(participants(), FLAGGED_IDS, seed=7).schools
    b = recheck_sample(participants().sample(fraction=1.0, shuffle=True, seed=3), FLAGGED_IDS, seed=7).schools
    c = recheck_sample(participants(), FLAGGED_IDS, seed=8).schools
    assert a.equals(b)
    assert not a.equals(c)


def test_adding_a_test_keeps_the_others() -> None:
    one = recheck_sample(participants(tests=(4,)), FLAGGED_IDS).schools
    two = recheck_sample(participants(tests=(4, 5)), FLAGGED_IDS).schools
    assert two.filter(pl.col("grade") == 4).equals(one)


def test_positions_unique_and_within_participants() -> None:
    sample = recheck_sample(participants(), FLAGGED_IDS).schools
    for row in sample.iter_rows(named=True):
        positions = row["positions"]
        assert len(positions) == row["works_to_recheck"] == min(row["participants"], 20)
        assert len(set(positions)) == len(positions)
        assert positions == sorted(positions)
        assert positions[0] >= 1
        assert positions[-1] <= row["participants"]
    assert any(row["positions"] != list(range(1, 21)) for row in sample.iter_rows(named=True))


def test_without_stratum_and_missing_flagged_school() -> None:
    result = recheck_sample(participants().drop("stratum"), ["s001", "nowhere"])
    assert result.schools["stratum"].null_count() == result.schools.height
    assert result.schools.filter(pl.col("group") == CONTROL).height == 7
    assert "Нет данных об участниках, школы не включены: nowhere." in result.explanation


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="нет столбцов: n"):
        recheck_sample(participants().drop("n"), [])
    with pytest.raises(ValueError, match="Допустимая погрешность"):
        recheck_sample(participants(), [], margin=0)
    with pytest.raises(ValueError, match="Школа s000 повторяется"):
        recheck_sample(pl.concat([participants(), participants().head(1)]), [])
