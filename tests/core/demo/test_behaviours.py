"""Planted behaviours are present at their stated strength; honest schools stay honest."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import spearmanr

from shnor.core.demo import DemoConfig, DemoData


def _members(region: DemoData, behaviour: str) -> list[str]:
    return region.truth.filter(pl.col("behaviour") == behaviour)["school_id"].to_list()


def _honest(region: DemoData) -> list[str]:
    return region.effects.filter(pl.col("behaviours") == "")["school_id"].to_list()


def _present(vpr: pl.DataFrame) -> pl.DataFrame:
    return vpr.filter(~pl.col("absent"))


def test_truth_table(region: DemoData) -> None:
    t = region.truth
    assert t.columns[:4] == ["school_id", "behaviour", "years", "strength"]
    assert set(t["behaviour"]) == set(DemoConfig.BEHAVIOURS)
    manip = t.filter(pl.col("behaviour").is_in(DemoConfig.BEHAVIOURS[1:6]))
    assert manip["school_id"].is_unique().all()  # one manipulation per school
    assert t.filter(pl.col("behaviour") == "gain_then_fall")["years"].unique().to_list() == ["2023;2024"]
    cfg = region.config
    for b in cfg.BEHAVIOURS:
        assert (t.filter(pl.col("behaviour") == b)["strength"] == cfg.behaviour(b).strength).all()
    e = region.effects
    assert {"school_id", "effectiveness", "disadvantage"} <= set(e.columns)
    assert e.height == region.schools.height


def test_switching_off() -> None:
    honest = DemoConfig(seed=3, size="municipality").honest()
    from shnor.core.demo import generate

    data = generate(honest)
    assert data.truth.height == 0


def test_low_effectiveness_in_every_context(region: DemoData, vpr: pl.DataFrame) -> None:
    low = region.truth.filter(pl.col("behaviour") == "low_effectiveness")
    assert set(low["context_cell"]) == {
        "город/благополучная",
        "город/неблагополучная",
        "село/благополучная",
        "село/неблагополучная",
    }
    eff = region.effects.filter(pl.col("school_id").is_in(low["school_id"].implode()))
    assert (eff["effectiveness"] < -region.config.low_effectiveness.strength + 0.2).all()
    # context-adjusted: school mean z-score regressed on disadvantage; low-effectiveness residuals negative
    z = _present(vpr).with_columns(
        ((pl.col("primary_score") - pl.col("primary_score").mean()) / pl.col("primary_score").std())
        .over("year", "subject", "grade")
        .alias("z")
    )
    school = z.group_by("school_id").agg(pl.col("z").mean(), pl.len()).join(region.effects, on="school_id")
    school = school.filter(pl.col("len") >= 30)
    x = np.c_[np.ones(school.height), school["disadvantage"].to_numpy(), school["intake"].to_numpy()]
    beta, *_ = np.linalg.lstsq(x, school["z"].to_numpy(), rcond=None)
    school = school.with_columns(pl.Series("resid", school["z"].to_numpy() - x @ beta))
    low_res = school.filter(pl.col("school_id").is_in(low["school_id"].implode()))["resid"]
    assert low_res.len() >= 8
    assert (low_res < 0).mean() >= 0.9
    assert low_res.mean() < -0.3


def test_boundary_bunching(region: DemoData, vpr: pl.DataFrame) -> None:
    inflating = _members(region, "boundary_inflation")
    honest = _honest(region)
    p = _present(vpr).join(region.scales, on=["procedure", "year", "subject", "grade"])
    p = p.with_columns((pl.col("primary_score") - pl.col("min_3")).alias("gap"))

    def shares(ids: list[str]) -> tuple[float, float]:
        g = p.filter(pl.col("school_id").is_in(ids))
        at = (g["gap"] == 0).mean()
        below = g["gap"].is_between(-3, -1).mean()
        return at, below

    at_i, below_i = shares(inflating)
    at_h, below_h = shares(honest)
    assert at_i > 1.5 * at_h  # excess exactly at the 3 threshold
    # strength 0.8: about 80 % of the pupils just below are pushed up
    assert below_i < 0.45 * below_h


def test_hard_task_help(region: DemoData, vpr: pl.DataFrame) -> None:
    tasks = region.tasks.select("year", "subject", "grade", "task_no", "level", "max_points")
    long = (
        _present(vpr)
        .select(
            "school_id",
            "year",
            "subject",
            "grade",
            "task_scores",
            pl.int_ranges(1, pl.col("task_scores").list.len() + 1).alias("task_no"),
        )
        .explode("task_scores", "task_no")
        .with_columns(pl.col("task_no").cast(pl.Int16))
        .join(tasks, on=["year", "subject", "grade", "task_no"])
        .with_columns(
            (pl.col("task_scores") / pl.col("max_points")).alias("success"),
            pl.col("level").is_in(["П", "В"]).alias("hard"),
        )
    )

    def gap(ids: list[str]) -> float:
        g = long.filter(pl.col("school_id").is_in(ids)).group_by("hard").agg(pl.col("success").mean())
        d = dict(zip(g["hard"], g["success"], strict=True))
        return d[True] - d[False]

    helped, honest = gap(_members(region, "hard_task_help")), gap(_honest(region))
    # strength 0.5 fills half of the unsolved П/В points: the hard-minus-easy gap shrinks by > 0.2
    assert helped > honest + 0.2


def test_answer_copying(region: DemoData, vpr: pl.DataFrame) -> None:
    p = _present(vpr).with_columns(
        pl.len().over("year", "subject", "grade", "school_id", "class_name", "task_scores").alias("same")
    )

    def dup_share(ids: list[str]) -> float:
        return (p.filter(pl.col("school_id").is_in(ids))["same"] > 1).mean()

    copying, honest = dup_share(_members(region, "answer_copying")), dup_share(_honest(region))
    assert copying > 0.35  # strength 0.5: about half of each class carries the top pupil's vector
    assert copying > honest + 0.2


def test_journal_adjusted(region: DemoData, vpr: pl.DataFrame) -> None:
    p = _present(vpr).filter(pl.col("journal_mark").is_not_null())
    adjusted = set(_members(region, "journal_adjusted"))
    rs_adj, rs_honest = [], []
    for (sid, _y, _s, _g), g in p.group_by("school_id", "year", "subject", "grade"):
        if g.height < 15 or g["journal_mark"].n_unique() < 2:
            continue
        r = spearmanr(g["journal_mark"], g["primary_score"]).statistic
        if sid in adjusted:
            rs_adj.append(r)
        else:
            rs_honest.append(r)
    assert len(rs_adj) >= 20
    assert np.mean(np.array(rs_adj) <= 0) >= 0.95
    assert np.median(rs_adj) < -0.3
    assert np.mean(np.array(rs_honest) < 0) < 0.01


def test_gain_then_fall(region: DemoData, vpr: pl.DataFrame) -> None:
    ids = _members(region, "gain_then_fall")
    z = _present(vpr).with_columns(
        ((pl.col("primary_score") - pl.col("primary_score").mean()) / pl.col("primary_score").std())
        .over("year", "subject", "grade")
        .alias("z")
    )
    by_year = z.filter(pl.col("school_id").is_in(ids)).group_by("school_id", "year").agg(pl.col("z").mean())
    wide = by_year.pivot("year", index="school_id", values="z")
    gain = (wide["2023"] - wide["2022"]).to_numpy()
    fall = (wide["2024"] - wide["2023"]).to_numpy()
    strength = region.config.gain_then_fall.strength
    assert np.mean(gain) > 0.5 * strength
    assert np.mean(fall) < -0.5 * strength
    assert (gain > 0).mean() >= 0.8
    assert (fall < 0).mean() >= 0.8


def test_strong_lyceums(region: DemoData, vpr: pl.DataFrame) -> None:
    ids = _members(region, "strong_lyceum")
    kinds = region.schools.filter(pl.col("school_id").is_in(ids))["kind"]
    assert set(kinds) <= {"лицей", "гимназия"}
    assert len(ids) >= 5
    eff = region.effects.filter(pl.col("school_id").is_in(ids))["effectiveness"]
    assert eff.min() > region.config.strong_lyceum.strength - 0.2
    pct = _present(vpr).with_columns(
        pl.col("primary_score").rank().over("year", "subject", "grade")
        / pl.len().over("year", "subject", "grade")
    )
    means = pct.group_by(pl.col("school_id").is_in(ids).alias("lyc")).agg(pl.col("primary_score").mean())
    d = dict(zip(means["lyc"], means["primary_score"], strict=True))
    assert d[True] > d[False] + 0.15  # mean percentile rank well above the rest
    # genuinely strong: their journal marks agree with scores as in honest schools
    p = pct.filter(pl.col("school_id").is_in(ids) & pl.col("journal_mark").is_not_null())
    assert spearmanr(p["journal_mark"], p["primary_score"]).statistic > 0.5
