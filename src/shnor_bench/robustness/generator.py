"""A synthetic region for the robustness suite, written independently of ``shnor.core.demo``.

Schools get a size (participants per test, from the variant's mix), a locality and a level; strong
lyceums a large advantage. Each year and grade the school's pupils get an ability (the school's level
with a small honest drift, plus a pupil's own), sit ВПР ma and ru (their own tests: task structure,
difficulties and cut scores drawn here, cut scores at the 12th/50th/85th percentiles of an honest
population), answer by a 2PL or a graded response model, and get a journal mark from a noisy view of
their ability. Behaviours are planted by ``planting``. Output: the RESULTS, TASKS, SCALES and
SCHOOLS frames the methods read, and the truth.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from shnor.core.store import schema
from shnor_bench.robustness import planting
from shnor_bench.robustness.variants import BEHAVIOURS, Variant

#: Shares of journal marks 2, 3, 4, 5 in the region (before any school's leniency).
JOURNAL_SHARES = (0.04, 0.36, 0.42, 0.18)
LETTERS = "АБВГДЕЖЗ"


@dataclass(frozen=True)
class Spec:
    """One test: per task the maximum, the level (Б/П/В), the discrimination and step difficulties
    (tasks × max steps, NaN beyond a task's maximum), and the «3»/«4»/«5» cut scores."""

    maxima: np.ndarray
    levels: list[str]
    a: np.ndarray
    b: np.ndarray
    cuts: tuple[int, int, int]

    @property
    def max_score(self) -> int:
        return int(self.maxima.sum())


def respond(theta: np.ndarray, spec: Spec, model: str, rng: np.random.Generator) -> np.ndarray:
    """Task scores (pupils × tasks, int8). "2pl": a task's points are independent 2PL steps;
    "graded": P(X ≥ k) = expit(a(θ − b_k)) with ordered b_k, one uniform per pupil and task."""
    n, t = theta.size, spec.maxima.size
    out = np.zeros((n, t), np.int8)
    for j in range(t):
        m = int(spec.maxima[j])
        p = 1.0 / (1.0 + np.exp(-spec.a[j] * (theta[:, None] - spec.b[j, :m][None, :])))
        if model == "graded":
            u = rng.random(n)[:, None]
            out[:, j] = (u < p).sum(1)
        else:
            out[:, j] = (rng.random((n, m)) < p).sum(1)
    return out


def make_spec(subject: str, grade: int, variant: Variant, rng: np.random.Generator) -> Spec:
    """A test of ``subject``/``grade``: maths mostly one-point tasks, Russian more multi-point ones."""
    n = int(rng.integers(12, 17))
    maxima = rng.choice([1, 1, 1, 2, 2, 3], n) if subject == "ma" else rng.choice([1, 2, 2, 3, 3, 4], n)
    n_b, n_p = round(0.62 * n), round(0.26 * n)
    levels = ["Б"] * n_b + ["П"] * n_p + ["В"] * (n - n_b - n_p)
    centre = np.array([{"Б": -1.0, "П": 0.3, "В": 1.2}[lv] for lv in levels]) + rng.normal(0, 0.45, n)
    lo, hi = variant.discrimination
    a = rng.uniform(lo, hi, n)
    m_max = int(maxima.max())
    b = np.full((n, m_max), np.nan)
    for j in range(n):
        m = int(maxima[j])
        b[j, :m] = centre[j] + np.sort(rng.normal(0, 0.5, m)) + np.linspace(-0.4, 0.4, m) * (m > 1)
    spec = Spec(maxima.astype(np.int64), levels, a, b, (0, 0, 0))
    honest = respond(rng.standard_normal(20_000), spec, variant.model, rng).sum(1)
    c3, c4, c5 = (int(np.quantile(honest, q)) for q in (0.12, 0.50, 0.85))
    c3 = max(c3, 4)
    c4, c5 = max(c4, c3 + 2), max(c5, c4 + 2)
    return Spec(spec.maxima, levels, a, b, (c3, min(c4, spec.max_score - 1), min(c5, spec.max_score)))


@dataclass
class Region:
    """The generated region: the frames the methods read and the planted truth (``truth``: school_id,
    group — a behaviour, ``strong_lyceum`` or ``honest`` — strength level, strength)."""

    variant: Variant
    seed: int
    results: pl.DataFrame
    tasks: pl.DataFrame
    scales: pl.DataFrame
    schools: pl.DataFrame
    truth: pl.DataFrame

    @property
    def year(self) -> int:
        return max(self.variant.years)


def _schools(variant: Variant, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = variant.n_schools
    shares = np.array([s for s, _, _ in variant.sizes], float)
    band = rng.choice(len(shares), n, p=shares / shares.sum())
    lo = np.array([x for _, x, _ in variant.sizes])[band]
    hi = np.array([x for _, _, x in variant.sizes])[band]
    size = rng.integers(lo, hi + 1)
    v = variant.village
    village = rng.random(n) < np.where(size < 20, min(1.0, 1.4 * v), 0.5 * v)
    level = rng.normal(0.0, variant.school_sd, n) - 0.25 * village
    lyceum = np.zeros(n, bool)
    big = np.flatnonzero(size >= 30)
    lyc = rng.choice(big, min(variant.lyceums, big.size), replace=False)
    lyceum[lyc] = True
    village[lyc] = False
    level[lyc] = variant.lyceum_advantage + rng.normal(0.0, 0.1, lyc.size)
    # behaviours: disjoint sets of ordinary schools with at least 5 participants a test
    group = np.array(["honest"] * n, dtype=object)
    group[lyceum] = "strong_lyceum"
    strong = np.zeros(n, bool)
    eligible = np.flatnonzero(~lyceum & (size >= 5))
    k = max(4, round(variant.share * n)) if variant.share > 0 else 0
    picked = rng.permutation(eligible)[: k * len(BEHAVIOURS)]
    for i, b in enumerate(BEHAVIOURS):
        members = picked[i * k : (i + 1) * k]
        group[members] = b
        strong[members[::2]] = True
    return {
        "size": size,
        "village": village,
        "level": level,
        "group": group,
        "strong": strong,
        "leniency": rng.normal(0.0, 0.25, n),
    }


def generate(variant: Variant, seed: int) -> Region:
    """The region of ``variant`` for ``seed`` (deterministic)."""
    rng = np.random.default_rng([seed, zlib.crc32(variant.name.encode())])
    sch = _schools(variant, rng)
    n = variant.n_schools
    ids = np.array([f"rb{seed:02d}{i:04d}" for i in range(n)])
    specs = {(s, g): make_spec(s, g, variant, rng) for s in variant.subjects for g in variant.grades}
    target = max(variant.years)
    strength = np.array(
        [
            (variant.strong(g) if g in BEHAVIOURS else 0.0) * (1.0 if st else 0.5)
            for g, st in zip(sch["group"], sch["strong"], strict=True)
        ]
    )
    frames = []
    for year in variant.years:
        for grade in variant.grades:
            frames.append(_year_grade(variant, rng, sch, ids, specs, strength, year, grade, target))
    results = pl.concat(frames, how="vertical")
    tasks = pl.DataFrame(
        [
            {
                "procedure": "vpr",
                "year": y,
                "subject": s,
                "grade": g,
                "task_no": j + 1,
                "task_label": str(j + 1),
                "max_points": int(sp.maxima[j]),
                "level": sp.levels[j],
                "skill": None,
                "kes": None,
                "kt": None,
            }
            for y in variant.years
            for (s, g), sp in specs.items()
            for j in range(sp.maxima.size)
        ],
        schema=schema.TASKS,
    )
    scales = pl.DataFrame(
        [
            {
                "procedure": "vpr",
                "year": y,
                "subject": s,
                "grade": g,
                "max_score": sp.max_score,
                "min_3": sp.cuts[0],
                "min_4": sp.cuts[1],
                "min_5": sp.cuts[2],
            }
            for y in variant.years
            for (s, g), sp in specs.items()
        ],
        schema=schema.SCALES,
    )
    schools = pl.DataFrame(
        {
            "school_id": ids,
            "name": [f"Школа {i}" for i in range(n)],
            "municipality_id": [f"m{i % 10}" for i in range(n)],
            "municipality": [f"Район {i % 10}" for i in range(n)],
            "region_id": ["r"] * n,
            "region": ["Регион"] * n,
            "kind": np.where(sch["group"] == "strong_lyceum", "лицей", "СОШ"),
            "locality": np.where(sch["village"], "село", "город"),
            "pupils": (sch["size"] * 9).astype(np.int32),
            "is_small": sch["size"] < 10,
            "latitude": [None] * n,
            "longitude": [None] * n,
            "website": [None] * n,
            "in_registry": [True] * n,
        },
        schema=schema.SCHOOLS,
    )
    truth = pl.DataFrame(
        {
            "school_id": ids,
            "group": sch["group"].astype(str),
            "level": np.where(
                np.isin(sch["group"], BEHAVIOURS), np.where(sch["strong"], "strong", "weak"), ""
            ),
            "strength": strength,
            "village": sch["village"],
        }
    )
    return Region(variant, seed, results, tasks, scales, schools, truth)


def _year_grade(
    variant: Variant,
    rng: np.random.Generator,
    sch: dict[str, np.ndarray],
    ids: np.ndarray,
    specs: dict[tuple[str, int], Spec],
    strength: np.ndarray,
    year: int,
    grade: int,
    target: int,
) -> pl.DataFrame:
    """One year and grade: the pupils, their absence, and both subjects' results."""
    group = sch["group"]
    this_year = year == target
    n_s = np.maximum(1, np.round(sch["size"] * np.exp(rng.normal(0, 0.12, ids.size)))).astype(np.int64)
    school = np.repeat(np.arange(ids.size), n_s)
    level = sch["level"] + rng.normal(0, 0.12, ids.size)  # honest year-to-year drift
    theta = level[school] + rng.normal(0, 0.85, school.size)
    if this_year:
        theta += np.where(group[school] == "gain", strength[school], 0.0)
    pos = np.arange(school.size) - np.repeat(np.cumsum(n_s) - n_s, n_s)
    cls = pos // 25
    logit = np.log(variant.absent_rate / (1 - variant.absent_rate))
    absent = rng.random(school.size) < 1.0 / (1.0 + np.exp(-(logit - 0.3 * theta)))
    if this_year:
        absent |= planting.keep_weak_away(theta, school, group == "selective_participation", strength, rng)
    parts = []
    for subject in variant.subjects:
        spec = specs[(subject, grade)]
        th = theta + rng.normal(0, 0.35, theta.size)
        scores = respond(th, spec, variant.model, rng)
        sel = lambda b: (group == b)[school] & ~absent  # noqa: E731
        planting.lenient_checking(scores, spec, sel("lenient_checking"), strength[school], rng)
        if this_year:
            planting.copy_answers(scores, school, cls, sel("answer_copying"), strength[school], rng)
        planting.bunch_at_cut(scores, spec, sel("boundary_bunching"), strength[school], rng)
        total = scores.sum(1).astype(np.int64)
        c3, c4, c5 = spec.cuts
        mark = 2 + (total >= c3).astype(np.int64) + (total >= c4) + (total >= c5)
        z = (th - th.mean()) / th.std()
        view = variant.journal_rho * z + np.sqrt(1 - variant.journal_rho**2) * rng.standard_normal(z.size)
        view += sch["leniency"][school]
        qs = np.quantile(view, np.cumsum(JOURNAL_SHARES)[:-1])
        journal = 2 + (view[:, None] > qs[None, :]).sum(1)
        planting.inflate_journal(journal, sel("journal_inflated"), strength[school], rng)
        parts.append(
            pl.DataFrame(
                {
                    "batch_id": "robustness",
                    "procedure": "vpr",
                    "year": year,
                    "subject": subject,
                    "grade": grade,
                    "school_id": ids[school],
                    "class_name": [f"{grade}{LETTERS[min(c, 7)]}" for c in cls],
                    "pupil_key": [f"{ids[s]}-{year}-{grade}-{p}" for s, p in zip(school, pos, strict=True)],
                    "gender": None,
                    "variant": "1",
                    "absent": absent,
                    "journal_mark": journal,
                    "primary_score": total,
                    "mark": mark,
                    "test_score": None,
                    "below_min": None,
                    "task_scores": pl.Series(scores).cast(pl.List(pl.Int8)),
                    "not_attempted": pl.Series(scores < 0).cast(pl.List(pl.Boolean)),
                    "source_row": np.arange(school.size) + 2,
                },
                schema_overrides={
                    k: v for k, v in schema.RESULTS.items() if k not in ("task_scores", "not_attempted")
                },
            )
            .with_columns(
                *(
                    pl.when(pl.col("absent")).then(None).otherwise(pl.col(c)).alias(c)
                    for c in ("primary_score", "mark", "task_scores", "not_attempted", "journal_mark")
                )
            )
            .select([pl.col(k).cast(v) for k, v in schema.RESULTS.items()])
        )
    return pl.concat(parts)
