"""The generator: region, cohorts, behaviours, ВПР and ГИА results (vectorised, deterministic)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from shnor.core.demo import irt
from shnor.core.demo.cohorts import Enrolment, class_index, simulate
from shnor.core.demo.config import DemoConfig
from shnor.core.demo.manipulations import (
    plant_answer_copying,
    plant_boundary_inflation,
    plant_hard_task_help,
)
from shnor.core.demo.region import Region, build_region
from shnor.core.demo.specs import (
    EGE_MIN_TEST,
    GIA_SPECS,
    JOURNAL_SHARES,
    TestSpec,
    ege_test_score,
    vpr_spec,
    x_rates,
)
from shnor.core.store import schema

_SUBJ_NO = {"ma": 1, "ru": 2}
_LETTERS = "абвгдежзиклмнопрстуфхцчшщэюя"
_MANIPULATIONS = (
    "boundary_inflation",
    "hard_task_help",
    "answer_copying",
    "journal_adjusted",
    "gain_then_fall",
)
#: file-only columns carried beside RESULTS for the ФИС ОКО writer
RAW_EXTRA = ("_municipality", "_number", "_code", "_gender_text", "_x_text")


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *key])))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def pupil_keys(pid: np.ndarray, seed: int) -> pl.Series:
    """Pseudonymous persistent pupil keys: 16 hex digits of a keyed bijection of the pupil id."""
    mult = np.uint64(0x9E3779B97F4A7C15)
    key = np.uint64((seed * 0x2545F4914F6CDD1D + 0x5851F42D4C957F2D) % (1 << 64))
    x = pid.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = x * mult + key
        x ^= x >> np.uint64(29)
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(32)
    nibbles = (x[:, None] >> (np.uint64(4) * np.arange(15, -1, -1, dtype=np.uint64))[None, :]) & np.uint64(15)
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nibbles.astype(np.int64)]
    return pl.Series("pupil_key", np.ascontiguousarray(chars).view("S16").ravel()).cast(pl.String)


@dataclass
class Assignment:
    """Planted behaviours: school index sets, years and effects."""

    effectiveness: np.ndarray  # true school effectiveness (pupil-SD units)
    members: dict[str, np.ndarray] = field(default_factory=dict)  # behaviour -> bool mask over schools
    years: dict[str, tuple[int, ...]] = field(default_factory=dict)
    gain_year: int | None = None
    fall_year: int | None = None
    cell: np.ndarray | None = None  # context cell label of every school


def assign_behaviours(config: DemoConfig, region: Region, rng: np.random.Generator) -> Assignment:
    """True effectiveness of every school and the schools, years and effects of each planted behaviour."""
    s = region.schools
    n = s.height
    kind = s["kind"].to_numpy()
    lo, hi = s["_lo"].to_numpy(), s["_hi"].to_numpy()
    size = s["_size"].to_numpy()
    d = s["_d"].to_numpy()
    village = (s["locality"] == "село").to_numpy()
    g_lo, g_hi = min(config.grades), max(config.grades)
    vpr = (lo <= g_hi) & (hi >= g_lo) & (kind != "вечерняя")
    n_vpr = int(vpr.sum())
    eff = rng.normal(0.0, config.effectiveness_sd, n)
    taken = np.zeros(n, dtype=bool)
    out = Assignment(effectiveness=eff)
    adv = d <= np.median(d[vpr]) if n_vpr else np.zeros(n, dtype=bool)
    out.cell = np.where(village, "село", "город").astype(object) + np.where(
        adv, "/благополучная", "/неблагополучная"
    )

    def count(b: str, eligible: np.ndarray, base: int) -> int:
        beh = config.behaviour(b)
        if not beh.enabled or not eligible.any():
            return 0
        return int(min(eligible.sum(), max(beh.min_count, round(beh.share * base))))

    # strong lyceums and gymnasiums: genuinely effective, never manipulating
    lyc = vpr & np.isin(kind, ["лицей", "гимназия"])
    k = count("strong_lyceum", lyc, int(lyc.sum()))
    chosen = rng.choice(np.flatnonzero(lyc), size=k, replace=False) if k else np.array([], dtype=np.int64)
    mask = np.zeros(n, dtype=bool)
    mask[chosen] = True
    eff[mask] = config.strong_lyceum.strength + rng.normal(0.0, 0.05, k)
    out.members["strong_lyceum"] = mask
    taken |= mask

    # low effectiveness in every context: city/village x advantaged/disadvantaged
    elig = vpr & np.isin(kind, ["СОШ", "ООШ"]) & ~taken & (lo <= g_lo) & (hi >= min(g_hi, 8))
    k = count("low_effectiveness", elig, n_vpr)
    mask = np.zeros(n, dtype=bool)
    if k:
        cells = [elig & (village == v) & (adv == a) for v in (False, True) for a in (True, False)]
        cells = [c for c in cells if c.any()]
        per = [k // len(cells) + (1 if i < k % len(cells) else 0) for i in range(len(cells))]
        for c, m in zip(cells, per, strict=True):
            idx = np.flatnonzero(c)
            mask[rng.choice(idx, size=min(m, idx.size), replace=False)] = True
    eff[mask] = -config.low_effectiveness.strength + rng.normal(0.0, 0.05, int(mask.sum()))
    out.members["low_effectiveness"] = mask
    taken |= mask

    # manipulations: ordinary schools with enough pupils to show the pattern, one behaviour each
    for b in _MANIPULATIONS:
        min_size = 18 if b == "answer_copying" else 10
        elig = vpr & ~taken & (size >= min_size) & ~np.isin(kind, ["коррекционная", "НОШ"])
        k = count(b, elig, n_vpr)
        mask = np.zeros(n, dtype=bool)
        if k:
            mask[rng.choice(np.flatnonzero(elig), size=k, replace=False)] = True
        out.members[b] = mask
        taken |= mask

    years = tuple(config.years)
    for b in config.BEHAVIOURS:
        out.years[b] = years
    if len(years) >= 3:
        out.gain_year, out.fall_year = years[-2], years[-1]
    elif len(years) == 2:
        out.gain_year, out.fall_year = years[0], years[1]
    else:
        out.gain_year = years[0]
    out.years["gain_then_fall"] = tuple(y for y in (out.gain_year, out.fall_year) if y is not None)
    return out


@dataclass
class State:
    """Everything drawn once per region that the tests of every year share."""

    config: DemoConfig
    region: Region
    assignment: Assignment
    enrolment: list[Enrolment]
    shocks: np.ndarray  # (n_years, 2 subjects, n_schools) school-year-subject shocks
    subject_eff: np.ndarray  # (2, n_schools) subject-specific deviation of effectiveness
    leniency: np.ndarray  # (n_schools,) journal marking leniency


def build_state(config: DemoConfig) -> State:
    """Region, behaviours, enrolment and school-level noise, each from its own seeded stream."""
    rng = _rng(config.seed, 0)
    region = build_region(config, rng)
    assignment = assign_behaviours(config, region, _rng(config.seed, 1))
    s = region.schools
    g_min = min(config.grades)
    g_max = 11 if config.gia else max(config.grades)
    enrolment = simulate(
        _rng(config.seed, 2),
        s["_size"].to_numpy(),
        s["_lo"].to_numpy(),
        s["_hi"].to_numpy(),
        len(config.years),
        g_min,
        g_max,
        config.churn,
        config.ability_persistence,
    )
    r = _rng(config.seed, 3)
    n = s.height
    return State(
        config=config,
        region=region,
        assignment=assignment,
        enrolment=enrolment,
        shocks=r.normal(0.0, 0.08, (len(config.years), 2, n)),
        subject_eff=r.normal(0.0, 0.08, (2, n)),
        leniency=r.normal(0.0, config.journal_leniency_sd, n),
    )


def _ability(state: State, enr: Enrolment, year_i: int, subject: str) -> np.ndarray:
    """θ = pupil effect + school effectiveness + intake + social-context effect + yearly shock."""
    c = state.config
    s = state.region.schools
    sc = enr.school
    j = _SUBJ_NO[subject] - 1
    spec_ab = enr.s_ma if subject == "ma" else enr.s_ru
    school_part = (
        state.assignment.effectiveness
        + state.subject_eff[j]
        + s["_intake"].to_numpy()
        - c.context_effect * s["_d"].to_numpy()
        + state.shocks[year_i, j]
    )
    return 0.80 * enr.g.astype(np.float64) + 0.45 * spec_ab + school_part[sc]


def _standardise(theta: np.ndarray) -> np.ndarray:
    """Regional θ of one test centred and scaled to N(0, 1), the distribution items are calibrated on."""
    if theta.size < 2:
        return theta
    return (theta - theta.mean()) / theta.std()


def _marks(total: np.ndarray, cuts: tuple[int, int, int]) -> np.ndarray:
    return (2 + (total >= cuts[0]).astype(np.int8) + (total >= cuts[1]) + (total >= cuts[2])).astype(np.int8)


def _solve_intercept(lin: np.ndarray, target: float) -> float:
    lo, hi = -12.0, 12.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if _expit(mid + lin).mean() < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _class_names(style: np.ndarray, cls: np.ndarray, k: np.ndarray, grade: int) -> np.ndarray:
    letters = np.array(list(_LETTERS))[np.minimum(cls, len(_LETTERS) - 1)]
    out = np.where(style == "upper", np.char.upper(letters), letters).astype(object)
    digit = style == "digit"
    out[digit] = np.char.add(str(grade), np.char.upper(letters[digit].astype(str)))
    single = (k == 1) & ~digit
    out[single] = "нет"
    return out


def _test_pupils(state: State, yi: int, grade: int) -> tuple[Enrolment, np.ndarray, np.ndarray]:
    """Pupils of the grade outside evening schools, in file order, with their class and classes per grade."""
    s = state.region.schools
    enr_all = state.enrolment[yi]
    cls_all, k_all = class_index(enr_all, s.height)
    sel = np.flatnonzero((enr_all.grade == grade) & (s["kind"].to_numpy() != "вечерняя")[enr_all.school])
    enr = enr_all.take(sel)
    cls, kcls = cls_all[sel], k_all[sel]
    # file order: school (registry order), class, position
    order = np.lexsort((enr.pid, enr.u_class, cls, enr.school))
    return enr.take(order), cls[order], kcls[order]


def _responses(
    theta: np.ndarray, spec: TestSpec, params: irt.ItemParams, c: DemoConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Item scores and "X" (not attempted) among zero scores, the pupil's propensity to leave tasks."""
    n = theta.size
    scores = irt.sample(theta, params, rng)
    propensity = rng.gamma(c.x_propensity_shape, 1.0 / c.x_propensity_shape, n)
    p_x = np.minimum(1.0, x_rates(spec)[None, :] * propensity[:, None])
    na = (scores == 0) & (rng.random(scores.shape) < p_x)
    return scores, na


def _journal_marks(
    state: State,
    sc: np.ndarray,
    theta_true: np.ndarray,
    honest_total: np.ndarray,
    present: np.ndarray,
    grade: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Journal marks (teacher's view of ability, school leniency; adjusted schools invert it), no-mark
    rows."""
    c = state.config
    n = sc.size
    rho = np.full(n, c.journal_rho)
    adj = state.assignment.members["journal_adjusted"][sc]
    rho[adj] = (1.0 - 2.0 * c.journal_adjusted.strength) * c.journal_rho
    # the teacher sees true ability and, in part, the same day-to-day form the test measures
    w = c.journal_score_weight
    seen = _standardise((1.0 - w) * theta_true + w * _standardise(honest_total.astype(np.float64)))
    view = rho * seen + np.sqrt(1.0 - rho**2) * rng.standard_normal(n) + state.leniency[sc]
    shares = np.cumsum(JOURNAL_SHARES[grade])[:-1]
    cuts = np.quantile(view[present], shares) if present.any() else np.zeros(3)
    journal = (2 + np.searchsorted(cuts, view)).astype(np.int8)
    no_mark = rng.random(n) < 0.0003
    return journal, no_mark


def _pupil_columns(
    state: State, enr: Enrolment, cls: np.ndarray, kcls: np.ndarray, grade: int
) -> dict[str, Any]:
    """Who each row is: school, class, pupil key, gender, and the file-only columns of RAW_EXTRA."""
    s = state.region.schools
    sc = enr.school
    n = enr.size
    class_style = s["_class_style"].to_numpy()[sc]
    class_name = _class_names(class_style, cls, kcls, grade)
    gender = np.where(enr.female, "ж", "м")
    gender_text = np.where(s["_gender_upper"].to_numpy()[sc], np.char.upper(gender), gender)
    # pupil numbers restart in every school; the code is grade*10000 + number (as in the real file)
    first_row = np.r_[True, sc[1:] != sc[:-1]]
    starts = np.maximum.accumulate(np.where(first_row, np.arange(n), 0))
    number = np.arange(n) - starts + 1
    return {
        "school_id": s["school_id"].to_numpy()[sc],
        "class_name": class_name.astype(str),
        "pupil_key": pupil_keys(enr.pid, state.config.seed),
        "gender": gender,
        "_municipality": s["municipality"].to_numpy()[sc],
        "_number": number,
        "_code": grade * 10000 + number,
        "_gender_text": gender_text,
        "_x_text": s["_x_text"].to_numpy()[sc],
    }


def _test_frame(
    key: tuple[int, str, int], who: dict[str, Any], scored: dict[str, Any], no_mark: np.ndarray
) -> pl.DataFrame:
    """RESULTS plus RAW_EXTRA columns of one test; absent pupils keep only the school, key and variant."""
    year, subject, grade = key
    n = no_mark.size
    batch = f"vpr_{year}_{subject}{grade}_demo"
    frame = pl.DataFrame(
        {
            "batch_id": pl.Series([batch] * n, dtype=pl.String),
            "procedure": "vpr",
            "year": np.full(n, year, dtype=np.int16),
            "subject": subject,
            "grade": np.full(n, grade, dtype=np.int8),
            "school_id": who["school_id"],
            "class_name": who["class_name"],
            "pupil_key": who["pupil_key"],
            "gender": who["gender"],
            **scored,
            "source_row": np.arange(2, n + 2, dtype=np.int32),
            **{col: who[col] for col in RAW_EXTRA},
        }
    )
    nulls_if_absent = [
        "class_name",
        "gender",
        "journal_mark",
        "primary_score",
        "mark",
        "task_scores",
        "not_attempted",
    ]
    frame = frame.with_columns(
        pl.when(pl.col("absent")).then(pl.lit("отсутствовал")).otherwise(pl.col("variant")).alias("variant"),
        *[pl.when(pl.col("absent")).then(None).otherwise(pl.col(col)).alias(col) for col in nulls_if_absent],
        pl.when(pl.col("absent")).then(None).otherwise(pl.col("_gender_text")).alias("_gender_text"),
    ).with_columns(
        pl.when(pl.Series(no_mark)).then(None).otherwise(pl.col("journal_mark")).alias("journal_mark"),
    )
    out = schema.conform(frame, schema.RESULTS)
    return out.with_columns(frame.select(RAW_EXTRA))


def vpr_test(state: State, year: int, subject: str, grade: int) -> pl.DataFrame:
    """One ВПР test: RESULTS columns plus the file-only columns of RAW_EXTRA, in file order."""
    c = state.config
    a = state.assignment
    spec = vpr_spec(subject, grade)
    params = irt.calibrate(spec)
    yi = c.years.index(year)
    rng = _rng(c.seed, 10, year, _SUBJ_NO[subject], grade)
    enr, cls, kcls = _test_pupils(state, yi, grade)
    n = enr.size
    sc = enr.school
    theta_true = _standardise(_ability(state, enr, yi, subject))
    theta = theta_true.copy()
    if a.gain_year == year:
        theta += np.where(a.members["gain_then_fall"][sc], c.gain_then_fall.strength, 0.0)

    # absence: weaker pupils are absent a bit more often
    lin = -0.35 * theta_true
    absent = rng.random(n) < _expit(_solve_intercept(lin, c.absent_share) + lin)
    present = ~absent

    scores, na = _responses(theta, spec, params, c, rng)
    honest_total = scores.sum(axis=1, dtype=np.int64)
    # the planted manipulations, each drawing from the same stream in this order
    member = {
        b: a.members[b][sc] & present for b in ("hard_task_help", "answer_copying", "boundary_inflation")
    }
    plant_hard_task_help(scores, na, member["hard_task_help"], spec, c.hard_task_help.strength, rng)
    plant_answer_copying(scores, na, member["answer_copying"], (sc, cls), c.answer_copying.strength, rng)
    plant_boundary_inflation(scores, na, member["boundary_inflation"], spec, params, c, rng)

    total = scores.sum(axis=1, dtype=np.int64)
    journal, no_mark = _journal_marks(state, sc, theta_true, honest_total, present, grade, rng)
    who = _pupil_columns(state, enr, cls, kcls, grade)
    scored = {
        "variant": rng.integers(1, 3, n).astype(str),
        "absent": absent,
        "journal_mark": journal,
        "primary_score": total.astype(np.int16),
        "mark": _marks(total, spec.cuts),
        "task_scores": pl.Series(scores).cast(pl.List(pl.Int8)),
        "not_attempted": pl.Series(na).cast(pl.List(pl.Boolean)),
    }
    return _test_frame((year, subject, grade), who, scored, no_mark)


def gia_results(state: State) -> pl.DataFrame:
    """ОГЭ (grade 9, ru and ma) and ЕГЭ (grade 11, ru for all, profile ma for ~45 %) in RESULTS form."""
    c = state.config
    s = state.region.schools
    parts = []
    for yi, year in enumerate(c.years):
        enr_all = state.enrolment[yi]
        for exam, grade in (("oge", 9), ("ege", 11)):
            sel = np.flatnonzero(enr_all.grade == grade)
            enr = enr_all.take(sel[np.lexsort((enr_all.pid[sel], enr_all.school[sel]))])
            if enr.size == 0:
                continue
            sc = enr.school
            first_row = np.r_[True, sc[1:] != sc[:-1]]
            number = (
                np.arange(enr.size) - np.maximum.accumulate(np.where(first_row, np.arange(enr.size), 0)) + 1
            )
            for subject in ("ru", "ma"):
                spec = GIA_SPECS[(exam, subject)]
                rng = _rng(c.seed, 20, year, _SUBJ_NO[subject], grade)
                theta = _standardise(_ability(state, enr, yi, subject))
                take = rng.random(enr.size) > 0.01  # a few do not sit the exam
                if exam == "ege" and subject == "ma":
                    choice = theta + rng.normal(0.0, 0.8, enr.size)
                    take &= choice > np.quantile(choice, 0.55)
                idx = np.flatnonzero(take)
                total = irt.sample(theta[idx], irt.calibrate(spec), rng).sum(axis=1, dtype=np.int64)
                frame = {
                    "procedure": exam,
                    "year": np.full(idx.size, year, dtype=np.int16),
                    "subject": subject,
                    "grade": np.full(idx.size, grade, dtype=np.int8),
                    "school_id": s["school_id"].to_numpy()[sc[idx]],
                    "pupil_key": pupil_keys(enr.pid[idx], c.seed),
                    "gender": np.where(enr.female[idx], "ж", "м"),
                    "absent": np.zeros(idx.size, dtype=bool),
                    "primary_score": total,
                    "_code": (grade * 10000 + number[idx]).astype(str),
                }
                if exam == "oge":
                    mark = _marks(total, spec.cuts)
                    frame |= {"mark": mark, "below_min": mark == 2}
                else:
                    test = ege_test_score(subject, total)
                    frame |= {"test_score": test, "below_min": test < EGE_MIN_TEST[subject]}
                parts.append(
                    pl.DataFrame(frame).with_columns(pl.lit(f"gia_demo_{exam}_{year}").alias("batch_id"))
                )
    if not parts:
        return schema.empty(schema.RESULTS).with_columns(pl.lit(None, pl.String).alias("_code"))
    results = pl.concat(parts, how="diagonal_relaxed").with_row_index("_r")
    results = results.with_columns((pl.col("_r") + 2).alias("source_row"))
    return schema.conform(results, schema.RESULTS).with_columns(results["_code"])


def tests_of(config: DemoConfig) -> Iterator[tuple[int, str, int]]:
    """(year, subject, grade) of every ВПР test, in generation order."""
    for year in config.years:
        for subject in config.subjects:
            for grade in config.grades:
                yield year, subject, grade


def tasks_frame(config: DemoConfig) -> pl.DataFrame:
    """The task specifications of the generated tests (TASKS schema)."""
    rows = []
    for year in config.years:
        for subject in config.subjects:
            for grade in config.grades:
                spec = vpr_spec(subject, grade)
                for i, t in enumerate(spec.tasks, start=1):
                    rows.append(
                        {
                            "procedure": "vpr", "year": year, "subject": subject, "grade": grade,
                            "task_no": i, "task_label": t.label, "max_points": t.max_points, "level": t.level,
                            "skill": t.skill, "kes": t.kes, "kt": t.kt,
                        }
                    )  # fmt: skip
    return schema.conform(pl.DataFrame(rows, infer_schema_length=None), schema.TASKS)


def scales_frame(config: DemoConfig) -> pl.DataFrame:
    """The mark scales of the generated ВПР and ОГЭ tests (SCALES schema)."""
    specs: list[TestSpec] = [vpr_spec(s, g) for s in config.subjects for g in config.grades]
    if config.gia:
        specs += [GIA_SPECS[("oge", s)] for s in ("ma", "ru")]
    rows = [
        {
            "procedure": sp.procedure, "year": y, "subject": sp.subject, "grade": sp.grade,
            "max_score": sp.max_score, "min_3": sp.cuts[0], "min_4": sp.cuts[1], "min_5": sp.cuts[2],
        }
        for y in config.years
        for sp in specs
    ]  # fmt: skip
    return schema.conform(pl.DataFrame(rows), schema.SCALES)


_STRENGTH_UNIT = {
    "low_effectiveness": "effectiveness −strength (pupil-SD)",
    "boundary_inflation": "P(pushed to min_3 | within window below)",
    "hard_task_help": "P(unsolved П/В task filled to max)",
    "answer_copying": "share of a class copying the top answer string",
    "journal_adjusted": "0.5 unrelated … 1 inverted journal marks",
    "gain_then_fall": "ability shift in the gain year (pupil-SD)",
    "strong_lyceum": "effectiveness +strength (pupil-SD)",
}


def truth_frames(state: State) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The planted behaviours per school and the true effects of every school (for checking methods)."""
    c = state.config
    a = state.assignment
    assert a.cell is not None
    s = state.region.schools
    ids = s["school_id"].to_numpy()
    rows = []
    for b in c.BEHAVIOURS:
        mask = a.members.get(b)
        if mask is None:
            continue
        years = ";".join(str(y) for y in a.years[b])
        detail = _STRENGTH_UNIT[b]
        if b == "gain_then_fall":
            detail += f"; gain {a.gain_year}" + (f", fall {a.fall_year}" if a.fall_year else "")
        for i in np.flatnonzero(mask):
            rows.append(
                {
                    "school_id": ids[i], "behaviour": b, "years": years,
                    "strength": float(c.behaviour(b).strength), "detail": detail, "context_cell": a.cell[i],
                }
            )  # fmt: skip
    truth = pl.DataFrame(
        rows,
        schema={"school_id": pl.String, "behaviour": pl.String, "years": pl.String, "strength": pl.Float64,
                "detail": pl.String, "context_cell": pl.String},
    )  # fmt: skip
    behaviours = truth.group_by("school_id").agg(pl.col("behaviour").sort().str.join(";").alias("behaviours"))
    effects = (
        pl.DataFrame(
            {
                "school_id": ids,
                "effectiveness": np.round(a.effectiveness, 4),
                "disadvantage": np.round(s["_d"].to_numpy(), 4),
                "intake": s["_intake"].to_numpy(),
                "context_cell": a.cell.astype(str),
                "kind": s["kind"].to_numpy(),
                "locality": s["locality"].to_numpy(),
                "pupils_per_grade": np.round(s["_size"].to_numpy(), 1),
            }
        )
        .join(behaviours, on="school_id", how="left")
        .with_columns(pl.col("behaviours").fill_null(""))
    )
    return truth, effects
