"""Learning deficits: success tables, intervals, deficits, thresholds, tracking, pupils at risk, contract."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods import deficits as dm
from shnor.core.store import schema
from tests.core.methods.test_deficits_builders import (
    MAXIMA,
    SKILL_A,
    SKILL_B,
    SKILL_C,
    TASKS_6,
    inputs,
    planted_region,
    results_frame,
    tasks_frame,
)

CFG = default_config()["deficits"]


def cfg(**over):
    """The shipped section with some keys overridden (nested dicts merged)."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in CFG.items()}
    for k, v in over.items():
        if isinstance(v, dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------------
# configuration and element map


def test_defaults_have_version_and_documented_sections() -> None:
    assert CFG["version"]
    for key in ("interval", "comparison", "relative", "absolute", "tracking", "risk", "recommendations"):
        assert key in CFG
    assert CFG["min_pupils"] == 10
    assert (CFG["absolute"]["basic_target"], CFG["absolute"]["basic_min"]) == (0.60, 0.57)
    assert (CFG["absolute"]["advanced_target"], CFG["absolute"]["advanced_min"]) == (0.30, 0.285)


def test_skill_wording_is_normalised_and_codes_split() -> None:
    assert (
        dm.normalise_skill("Умение выполнять арифмети- ческие   действия.")
        == "Умение выполнять арифметические действия"
    )
    emap = dm.element_map(tasks_frame())
    skills = emap.filter(pl.col("dimension") == "skill")
    assert sorted(skills["element"].unique().to_list()) == sorted([SKILL_A, SKILL_B, SKILL_C])
    kes = emap.filter(pl.col("dimension") == "kes")
    # task 3 ("1; 2") and task 6 ("4;1") count towards each of their codes
    assert sorted(kes.filter(pl.col("task_no") == 3)["element"].to_list()) == ["1", "2"]
    assert sorted(kes.filter(pl.col("task_no") == 6)["element"].to_list()) == ["1", "4"]
    info = dm.element_info(emap)
    b = info.filter((pl.col("dimension") == "skill") & (pl.col("element") == SKILL_B)).row(0, named=True)
    assert b["levels"] == "Б/П"
    assert b["max_points"] == 3
    assert b["tasks"] == "3, 4"
    # max-points-weighted thresholds: (2·0.60 + 1·0.30)/3 and (2·0.57 + 1·0.285)/3
    assert b["threshold_target"] == pytest.approx(0.5)
    assert b["threshold_min"] == pytest.approx(0.475)


# ---------------------------------------------------------------------------------------------
# success against an independent numpy computation


def _elements_numpy() -> dict[tuple[str, str], list[int]]:
    """dimension, element → 0-based task indices (built by hand from TASKS_6)."""
    out: dict[tuple[str, str], list[int]] = {}
    for i, (label, _mx, lvl, skill, kes) in enumerate(TASKS_6):
        out.setdefault(("task", label), []).append(i)
        out.setdefault(("level", lvl), []).append(i)
        out.setdefault(("skill", dm.normalise_skill(skill)), []).append(i)
        for code in [c.strip() for c in kes.split(";") if c.strip()]:
            out.setdefault(("kes", code), []).append(i)
    return out


def test_success_matches_numpy_by_class_school_region() -> None:
    rng = np.random.default_rng(3)
    n = 41
    scores = np.stack([rng.integers(0, m + 1, size=n) for m in MAXIMA], axis=1)
    schools = [("X", "Y", "Z")[i % 3] for i in range(n)]
    classes = [("а", "Б", None)[(i // 3) % 3] for i in range(n)]
    frame = results_frame(scores, schools, classes, absent=4)
    tab = dm.success(
        frame.lazy(),
        tasks_frame(),
        units=("class", "school", "region"),
        dimensions=("task", "level", "skill", "kes"),
    )
    elements = _elements_numpy()
    norm_cls = np.array([{"а": "А", "Б": "Б", None: dm.NO_CLASS}[c] for c in classes])
    sch = np.array(schools)
    checked = 0
    for (dim, el), idx in elements.items():
        share = scores[:, idx].sum(axis=1) / MAXIMA[idx].sum()
        rows = tab.filter((pl.col("dimension") == dim) & (pl.col("element") == el))
        reg = rows.filter(pl.col("unit") == "region").row(0, named=True)
        assert reg["n_pupils"] == n
        assert reg["success"] == pytest.approx(share.mean(), abs=1e-12)
        assert reg["success"] == pytest.approx(scores[:, idx].sum() / (n * MAXIMA[idx].sum()), abs=1e-12)
        assert reg["sd"] == pytest.approx(share.std(ddof=1), abs=1e-12)
        for s in ("X", "Y", "Z"):
            r = rows.filter((pl.col("unit") == "school") & (pl.col("school_id") == s)).row(0, named=True)
            assert r["success"] == pytest.approx(share[sch == s].mean(), abs=1e-12)
            assert r["n_pupils"] == int((sch == s).sum())
            for c in ("А", "Б", dm.NO_CLASS):
                m = (sch == s) & (norm_cls == c)
                r = rows.filter(
                    (pl.col("unit") == "class") & (pl.col("school_id") == s) & (pl.col("class_name") == c)
                )
                assert r.height == (1 if m.any() else 0)
                if m.any():
                    assert r["success"][0] == pytest.approx(share[m].mean(), abs=1e-12)
                    checked += 1
    assert checked > 50
    assert set(tab.columns) == set(dm.SUCCESS_SCHEMA)


def test_success_municipality_rows_from_registry() -> None:
    frame = planted_region(n_schools=6, n_pupils=12)
    schools = schema.conform(
        pl.DataFrame(
            {
                "school_id": [f"S{k:02d}" for k in range(6)],
                "municipality_id": ["m1"] * 3 + ["m2"] * 3,
                "region_id": ["22"] * 6,
            }
        ),
        schema.SCHOOLS,
    )
    tab = dm.success(
        frame.lazy(),
        tasks_frame(),
        schools,
        units=("school", "municipality", "region"),
        dimensions=("skill",),
    )
    mun = tab.filter(pl.col("unit") == "municipality")
    assert sorted(mun["municipality_id"].unique().to_list()) == ["m1", "m2"]
    assert set(mun["n_schools"].to_list()) == {3}
    sch = tab.filter(pl.col("unit") == "school")
    for m in ("m1", "m2"):
        for el in (SKILL_A, SKILL_B):
            part = sch.filter((pl.col("municipality_id") == m) & (pl.col("element") == el))
            expect = (part["success"] * part["n_pupils"]).sum() / part["n_pupils"].sum()
            got = mun.filter((pl.col("municipality_id") == m) & (pl.col("element") == el))["success"][0]
            assert got == pytest.approx(expect)
    assert tab.filter(pl.col("unit") == "region")["region"].to_list()[0] == "22"


def test_interval_methods() -> None:
    # one-point task, 20 pupils, 10 solved: Wilson equals the textbook interval on n = 20 (n_eff = n − 1 with
    # ddof 1)
    p, n = 0.5, 20
    sd = np.sqrt(p * (1 - p) * n / (n - 1))
    lo, hi = dm.interval(np.array([p]), np.array([sd]), np.array([n]), np.array([1]))
    z = 1.959963984540054
    ne = p * (1 - p) / (sd**2 / n)
    centre = (p + z * z / (2 * ne)) / (1 + z * z / ne)
    half = z / (1 + z * z / ne) * np.sqrt(p * (1 - p) / ne + z * z / (4 * ne * ne))
    assert lo[0] == pytest.approx(centre - half)
    assert hi[0] == pytest.approx(centre + half)
    # all pupils solved everything: Wilson stays below 1 at the lower end, t collapses
    lo, hi = dm.interval(np.array([1.0]), np.array([0.0]), np.array([15]), np.array([2]))
    assert 0.8 < lo[0] < 1
    assert hi[0] == pytest.approx(1.0)
    lo_t, hi_t = dm.interval(np.array([0.6]), np.array([0.3]), np.array([25]), np.array([3]), method="t")
    from scipy import stats

    half = stats.t.ppf(0.975, 24) * 0.3 / 5
    assert lo_t[0] == pytest.approx(0.6 - half)
    assert hi_t[0] == pytest.approx(0.6 + half)
    with pytest.raises(ValueError, match="интервала"):
        dm.interval(np.array([0.5]), np.array([0.1]), np.array([10]), np.array([1]), method="bootstrap")


# ---------------------------------------------------------------------------------------------
# deficits


def test_planted_skill_deficit_is_found_and_normal_schools_show_none() -> None:
    # identical normal schools (the same 30 score rows copied) and one school weak in skill B only
    rng = np.random.default_rng(11)
    base = np.stack([rng.binomial(m, 0.7, size=30) for m in MAXIMA], axis=1)
    weak = base.copy()
    weak[:, 2] = rng.binomial(2, 0.2, size=30)
    weak[:, 3] = rng.binomial(1, 0.2, size=30)
    frames = [results_frame(base, [f"N{k}"] * 30, ["А"] * 15 + ["Б"] * 15) for k in range(12)]
    frames.append(results_frame(weak, ["W"] * 30, ["А"] * 15 + ["Б"] * 15))
    inp = inputs(pl.concat(frames))
    tab = dm.deficit_table(inp, CFG)
    school = tab.filter(pl.col("unit") == "school")
    found = school.filter(pl.col("deficit"))
    assert set(found["school_id"]) == {"W"}
    w_skills = found.filter(pl.col("dimension") == "skill")["element"].to_list()
    assert w_skills == [SKILL_B]
    assert sorted(found.filter(pl.col("dimension") == "task")["element"].to_list()) == ["3", "4"]
    row = found.filter(pl.col("dimension") == "skill").row(0, named=True)
    assert row["upper"] < row["comparison_success"]
    assert row["gap"] <= -0.10
    assert row["comparison_kind"] == "region"
    assert row["comparison_n_schools"] == 12
    # the comparison of a normal school excludes itself but includes W
    n0 = school.filter((pl.col("school_id") == "N0") & (pl.col("element") == SKILL_B)).row(0, named=True)
    assert n0["comparison_n_schools"] == 12
    assert n0["status"] == "ok"
    # class level: both classes of W inherit the deficit, no class of a normal school has one
    cls = tab.filter((pl.col("unit") == "class") & pl.col("deficit"))
    assert set(cls["school_id"]) <= {"W"}


def test_false_positive_rate_on_honest_random_schools_is_controlled() -> None:
    planted = {"S00": np.array([0.7, 0.7, 0.25, 0.25, 0.7, 0.7])}
    frame = planted_region(seed=5, n_schools=100, n_pupils=30, planted=planted)
    tab = dm.deficit_table(inputs(frame), CFG)
    school = tab.filter((pl.col("unit") == "school") & (pl.col("dimension") == "skill"))
    hit = school.filter((pl.col("school_id") == "S00") & (pl.col("element") == SKILL_B))
    assert hit["deficit"].to_list() == [True]
    honest = school.filter(pl.col("school_id") != "S00")
    rate = honest["deficit"].mean()
    # nominal one-sided 2.5 % (interval) and a 10-point minimum gap; 0.04 leaves room for sampling noise
    assert rate <= 0.04, rate


def test_minimum_group_size_is_honoured() -> None:
    rng = np.random.default_rng(2)
    normal = [results_frame(random_scores_fixed(rng, 20, 0.8), [f"N{k}"] * 20, ["А"] * 20) for k in range(8)]
    tiny = results_frame(np.zeros((9, 6), dtype=int), ["T"] * 9, ["А"] * 9)
    inp = inputs(pl.concat([*normal, tiny]))
    tab = dm.deficit_table(inp, CFG).filter(pl.col("school_id") == "T")
    assert set(tab["status"]) == {"insufficient"}
    assert not tab["deficit"].any()
    tab5 = dm.deficit_table(inp, cfg(min_pupils=5)).filter(
        (pl.col("school_id") == "T") & (pl.col("unit") == "school")
    )
    assert tab5["deficit"].all()
    # a comparison group that is too small falls back to the region
    schools = schema.conform(
        pl.DataFrame(
            {"school_id": [f"N{k}" for k in range(8)] + ["T"], "cluster": ["big"] * 6 + ["small"] * 3}
        ),
        schema.SCHOOLS.copy() | {"cluster": pl.String()},
    )
    inp2 = inputs(pl.concat([*normal, tiny]), schools=schools)
    t2 = dm.deficit_table(inp2, cfg(min_pupils=5)).filter(pl.col("unit") == "school")
    kinds = dict(zip(t2["school_id"], t2["comparison_kind"], strict=False))
    assert kinds["N0"] == "cluster"
    assert kinds["T"] == "region"
    assert kinds["N7"] == "region"
    no_group = dm.deficit_table(inp, cfg(comparison={"min_group_pupils": 10_000})).filter(
        pl.col("unit") == "school"
    )
    assert set(no_group["status"]) <= {"no_comparison", "insufficient"}


def random_scores_fixed(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    return np.stack([rng.binomial(m, p, size=n) for m in MAXIMA], axis=1)


def test_absolute_thresholds_option() -> None:
    def school(sid: str, solved1: int, solved4: int) -> pl.DataFrame:
        sc = np.ones((50, 6), dtype=int) * MAXIMA
        sc[solved1:, 0] = 0  # task 1 (Б): solved1/50
        sc[solved4:, 3] = 0  # task 4 (П): solved4/50
        return results_frame(sc, [sid] * 50, ["А"] * 50)

    frame = pl.concat([school("B58", 29, 15), school("B50", 25, 14), school("B60", 30, 40)])
    tab = dm.deficit_table(inputs(frame), cfg(rule="absolute", deficit_dimensions=["task"]))
    t = tab.filter(pl.col("unit") == "school")

    def st(sid: str, task: str) -> tuple[str, str]:
        r = t.filter((pl.col("school_id") == sid) & (pl.col("element") == task)).row(0, named=True)
        return r["absolute_status"], r["status"]

    assert st("B58", "1") == ("borderline", "possible")  # 58 %: 57 ≤ x < 60
    assert st("B50", "1") == ("not_mastered", "deficit")  # 50 % < 57 %
    assert st("B60", "1") == ("mastered", "ok")  # 60 %
    assert st("B58", "4") == ("mastered", "ok")  # 30 % of a П task
    assert st("B50", "4") == ("not_mastered", "deficit")  # 28 % < 28.5 %
    # "upper": only clearly not mastered elements are deficits
    up = dm.deficit_table(
        inputs(frame), cfg(rule="absolute", deficit_dimensions=["task"], absolute={"use": "upper"})
    )
    r = up.filter((pl.col("unit") == "school") & (pl.col("school_id") == "B50") & (pl.col("element") == "1"))
    assert r["absolute_status"][0] == "borderline"
    # relative only: these three schools are no deficits at the 10-point gap for task 1 except none
    rel = dm.deficit_table(inputs(frame), cfg(deficit_dimensions=["task"], min_pupils=10))
    assert rel.filter((pl.col("element") == "1") & pl.col("deficit")).height == 0
    with pytest.raises(ValueError, match="rule"):
        dm.deficit_table(inputs(frame), cfg(rule="strict"))


# ---------------------------------------------------------------------------------------------
# tracking


COHORT_G5 = [
    ("1", 1, "Б", "Вычислять значения числовых выражений", "1"),
    ("2", 2, "Б", "Решать текстовые задачи разных типов", "3"),
    ("3", 1, "П", "Решать текстовые задачи разных типов", "3"),
    ("4", 2, "Б", "Читать информацию из таблиц и диаграмм", "7"),
]


def test_cohort_and_same_grade_tracking() -> None:
    rng = np.random.default_rng(21)
    weak_b = np.array([0.75, 0.75, 0.2, 0.2, 0.75, 0.75])
    # 2023 grade 4 and grade 5; 2024 grade 5 (the grade-4 cohort of 2023)
    g4_2023 = planted_region(
        seed=1, n_schools=15, n_pupils=25, p=0.75, planted={"S01": weak_b, "S02": weak_b}, year=2023, grade=4
    )
    g5_2023 = planted_region(
        seed=2, n_schools=15, n_pupils=25, p=0.75, planted={"S03": weak_b}, year=2023, grade=5
    )
    max5 = np.array([t[1] for t in COHORT_G5])
    frames = []
    for k in range(15):
        sid = f"S{k:02d}"
        p = np.array([0.75, 0.2, 0.2, 0.75]) if sid in ("S01", "S03") else np.full(4, 0.75)
        sc = np.stack([rng.binomial(m, q, size=25) for m, q in zip(max5, p, strict=True)], axis=1)
        frames.append(results_frame(sc, [sid] * 25, ["А"] * 25, year=2024, grade=5, cuts=(2, 4, 5)))
    g5_2024 = pl.concat(frames)
    tasks = pl.concat([tasks_frame(2023, 4), tasks_frame(2023, 5), tasks_frame(2024, 5, spec=COHORT_G5)])
    from shnor.core.methods.base import Inputs

    inp = Inputs(year=2024, results=pl.concat([g4_2023, g5_2023, g5_2024]).lazy(), tasks=tasks)
    out = dm.run(inp, CFG)
    skill = out.filter((pl.col("unit") == "school") & (pl.col("dimension") == "skill"))
    by_school = {r["school_id"]: r for r in skill.iter_rows(named=True)}
    assert set(by_school) == {"S01", "S03"}
    assert by_school["S01"]["topic"] == "ma.text_problems"
    # S01: weak in text problems in grade 4 (2023) and again in grade 5 (2024): the cohort's deficit persists
    assert by_school["S01"]["persists_cohort"] is True
    assert by_school["S01"]["persists_grade"] is False
    # S03: grade 5 had it in 2023 already (another cohort): same grade, not the same cohort
    assert by_school["S03"]["persists_grade"] is True
    assert by_school["S03"]["persists_cohort"] is False
    ev = json.loads(by_school["S01"]["evidence"])
    assert ev["persists_cohort"] is True
    # switched off: nulls
    off = dm.run(inp, cfg(tracking={"enabled": False}))
    assert off["persists_cohort"].null_count() == off.height


def test_track_matches_generic_topics_only_by_element() -> None:
    cur = pl.DataFrame(
        {
            "school_id": ["A", "A"],
            "procedure": ["vpr", "vpr"],
            "subject": ["ru", "ru"],
            "grade": pl.Series([5, 5], dtype=pl.Int8),
            "year": pl.Series([2024, 2024], dtype=pl.Int16),
            "unit": ["school", "school"],
            "dimension": ["task", "task"],
            "element": ["3", "7"],
            "topic": ["ru.basic", "ru.basic"],
        }
    )
    prev = cur.with_columns(
        pl.lit(2023, dtype=pl.Int16).alias("year"),
        pl.lit(4, dtype=pl.Int8).alias("grade"),
        pl.Series("element", ["9", "9"]),
    )
    out = dm.track(cur, prev)
    assert not out["persists_cohort"].any()  # a generic fallback topic is no evidence of the same deficit
    same = dm.track(cur, cur.with_columns(pl.lit(2023, dtype=pl.Int16).alias("year")).head(1))
    assert same["persists_grade"].to_list() == [True, False]


def test_run_tracks_against_last_years_full_deficits_though_it_leaves_out_their_classes() -> None:
    from shnor.core.demo import DemoConfig, generate
    from shnor.core.methods.base import Inputs

    d = generate(DemoConfig(seed=1, size="municipality"))
    inp = Inputs(year=2024, results=d.results.lazy(), tasks=d.tasks, scales=d.scales, schools=d.schools)
    prev = dm.deficits(inp, CFG, year=2023)
    assert prev.filter(pl.col("unit") == "class").height > 0  # last year has class rows to leave out
    expected = dm.track(dm.deficits(inp, CFG), prev)
    out = dm.run(inp, CFG, evidence=False)
    assert out.select("persists_grade", "persists_cohort").equals(
        expected.select("persists_grade", "persists_cohort")
    )
    assert out["persists_grade"].any()  # something to agree on


# ---------------------------------------------------------------------------------------------
# pupils at risk


def test_pupils_at_risk_with_weakest_skills_and_groups() -> None:
    rng = np.random.default_rng(4)
    others = [results_frame(random_scores_fixed(rng, 20, 0.75), [f"N{k}"] * 20, ["А"] * 20) for k in range(5)]
    sc = np.tile(MAXIMA, (6, 1))
    sc[0] = [0, 0, 1, 0, 0, 0]  # total 1 → «2»; basic share 1/6
    sc[1] = [1, 1, 0, 0, 1, 0]  # total 3 = min_3 → near threshold (margin 2); basic 3/6 = 0.5 → not low
    sc[2] = [1, 1, 0, 0, 2, 0]  # total 4 → near threshold; basic 4/6
    sc[3] = [1, 0, 0, 1, 0, 1]  # total 3 → near; basic 1/6 → low; weakest: text (B) and tables (C)
    frame = pl.concat([*others, results_frame(sc, ["R"] * 6, ["4а", "4а", "4а", "4б", "4б", "4б"])])
    risk = dm.pupils_at_risk(inputs(frame), CFG, school_ids=["R"])
    assert set(risk.columns) == set(dm.RISK_SCHEMA)
    got = {r["pupil_key"][-4:]: r for r in risk.iter_rows(named=True)}
    assert set(got) == {"0000", "0001", "0002", "0003"}
    assert got["0000"]["reasons"] == "mark2;low_basic"
    assert got["0001"]["reasons"] == "near_threshold"
    assert got["0002"]["reasons"] == "near_threshold"
    assert got["0003"]["reasons"] == "near_threshold;low_basic"
    assert got["0000"]["class_name"] == "4А"
    weakest0 = [w["element"] for w in json.loads(got["0000"]["weakest_elements"])]
    assert set(weakest0) == {SKILL_A, SKILL_B, SKILL_C}
    assert len(weakest0) == 3
    w3 = json.loads(got["0003"]["weakest_elements"])
    assert [w["element"] for w in w3][:1] in ([SKILL_C], [SKILL_B])
    assert all(w["share"] < 0.5 for w in w3)
    # pseudonymous keys only: no source codes or names in the output
    assert all(k.startswith("R-2024-") for k in risk["pupil_key"])
    groups = dm.risk_groups(risk)
    g = groups.filter((pl.col("class_name") == "4А") & (pl.col("element") == SKILL_B))
    assert g["n_pupils"][0] >= 2
    # a reason switched off
    only2 = dm.pupils_at_risk(inputs(frame), cfg(risk={"reasons": ["mark2"]}), school_ids=["R"])
    assert only2["pupil_key"].to_list() == ["R-2024-0000"]


def test_skills_fall_back_to_tasks_when_the_test_has_none() -> None:
    spec = [(lab, mx, lvl, None, None) for lab, mx, lvl, _s, _k in TASKS_6]
    rng = np.random.default_rng(9)
    frame = pl.concat(
        [results_frame(random_scores_fixed(rng, 15, 0.6), [f"N{k}"] * 15, ["А"] * 15) for k in range(3)]
    )
    inp = inputs(frame, tasks=tasks_frame(spec=spec))
    risk = dm.pupils_at_risk(inp, CFG)
    assert risk.height > 0
    labels = {w["label"] for r in risk["weakest_elements"].to_list() if r for w in json.loads(r)}
    assert labels
    assert all(lab.startswith("Задание ") for lab in labels)


# ---------------------------------------------------------------------------------------------
# the method contract


def test_run_contract_evidence_recommendations_and_determinism() -> None:
    planted = {"S03": np.array([0.7, 0.7, 0.15, 0.15, 0.7, 0.7])}
    inp = inputs(planted_region(seed=8, n_schools=20, n_pupils=25, planted=planted))
    out = dm.run(inp, CFG)
    assert list(out.columns) == list(dm.OUTPUT_SCHEMA)
    assert out.schema == pl.Schema(dm.OUTPUT_SCHEMA)
    assert out.height > 0
    assert out["school_id"].null_count() == 0
    assert out["recommendation_ids"].null_count() == 0
    s03 = out.filter(
        (pl.col("school_id") == "S03") & (pl.col("unit") == "school") & (pl.col("dimension") == "skill")
    )
    assert s03["element"].to_list() == [SKILL_B]
    assert s03["recommendation_ids"][0].split(";")[0] == "ma-text-1"
    ev = json.loads(s03["evidence"][0])
    for key in ("success", "interval", "comparison", "gap", "z", "rule", "thresholds", "recommendations"):
        assert key in ev
    assert ev["comparison"]["kind"] == "region"
    assert ev["interval"][1] < ev["comparison"]["success"]
    again = dm.run(inputs(planted_region(seed=8, n_schools=20, n_pupils=25, planted=planted)), CFG)
    assert again.equals(out)
    # no results for the year: an empty frame with the schema
    empty = dm.run(inputs(planted_region(n_schools=2, n_pupils=3), year=2030), CFG)
    assert empty.height == 0
    assert empty.schema == pl.Schema(dm.OUTPUT_SCHEMA)


def test_demo_region_runs_with_registry() -> None:
    from shnor.core.demo import DemoConfig, generate
    from shnor.core.methods.base import Inputs

    d = generate(DemoConfig(seed=1, size="municipality"))
    inp = Inputs(year=2024, results=d.results.lazy(), tasks=d.tasks, scales=d.scales, schools=d.schools)
    suc = dm.success(
        inp.results,
        inp.tasks,
        inp.schools,
        year=2024,
        units=("school", "municipality", "region"),
        dimensions=("task", "skill"),
    )
    assert suc.filter(pl.col("unit") == "municipality").height > 0
    out = dm.run(inp, CFG)
    assert out.height > 0
    low = set(d.truth.filter(pl.col("behaviour") == "low_effectiveness")["school_id"])
    per_school = out.filter(pl.col("unit") == "school").group_by("school_id").len()
    counts = dict(zip(per_school["school_id"], per_school["len"], strict=True))
    all_ids = d.schools["school_id"].to_list()
    low_mean = np.mean([counts.get(s, 0) for s in low])
    rest_mean = np.mean([counts.get(s, 0) for s in all_ids if s not in low])
    assert low_mean > rest_mean  # ineffective schools show more deficits
