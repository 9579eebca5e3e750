"""Test helpers for the FIOKO and objectivity methods: a small synthetic region and the real Altai file.

Not a conftest: imported explicitly by ``test_fioko*.py`` and ``test_objectivity*.py``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.store import schema

REAL = Path("/work/shared/real")
ALTAI_MA4 = REAL / "vpr_2021_ma4_altai.xlsx"

#: ВПР maths grade 4 (2021): max points and levels of the 15 tasks; scale 0–5/6–9/10–14/15–20.
MA4_MAX = (1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2)
MA4_LEVEL = ("Б",) * 12 + ("П", "Б", "П")
MA4_SCALE = {"max_score": 20, "min_3": 6, "min_4": 10, "min_5": 15}
#: Difficulty of each task's points (logit scale) for the synthetic region: easy Б, hard П.
MA4_DIFFICULTY = (-2.0, -1.6, -0.9, -1.2, -1.5, -1.0, -0.8, -0.4, -0.2, -0.5, 0.0, 0.3, 1.4, 0.6, 2.0)


def tasks_frame(year: int, subject: str = "ma", grade: int = 4, procedure: str = "vpr") -> pl.DataFrame:
    """TASKS rows of the ma4 specification for one year."""
    n = len(MA4_MAX)
    return schema.conform(
        pl.DataFrame(
            {
                "procedure": [procedure] * n,
                "year": [year] * n,
                "subject": [subject] * n,
                "grade": [grade] * n,
                "task_no": list(range(1, n + 1)),
                "task_label": [str(i) for i in range(1, n + 1)],
                "max_points": list(MA4_MAX),
                "level": list(MA4_LEVEL),
            }
        ),
        schema.TASKS,
    )


def scales_frame(years: list[int], units: list[tuple[str, str, int]] | None = None) -> pl.DataFrame:
    """SCALES rows with the ma4 scale for every year and unit."""
    units = units or [("vpr", "ma", 4)]
    rows = [
        {"procedure": p, "year": y, "subject": s, "grade": g, **MA4_SCALE} for y in years for p, s, g in units
    ]
    return schema.conform(pl.DataFrame(rows), schema.SCALES)


def simulate_school(
    rng: np.random.Generator,
    school_id: str,
    n: int,
    mu: float,
    *,
    behaviour: str = "honest",
    strength: float = 0.8,
    year: int = 2021,
    subject: str = "ma",
    grade: int = 4,
    absent_share: float = 0.05,
) -> pl.DataFrame:
    """Pupil rows in RESULTS schema for one school of a Rasch-like ma4 test, with a planted behaviour.

    behaviour: honest | bunching (pupils 1–2 points below «3» raised to the cut with probability
    ``strength``) | copying (a share ``strength`` of pupils copy one of two answer sheets) |
    hard_leak (hard П tasks solved for a share ``strength``) | inflated (every pupil gains points).
    """
    maxp = np.array(MA4_MAX)
    diff = np.array(MA4_DIFFICULTY)
    theta = rng.normal(mu, 1.0, n)
    p = 1.0 / (1.0 + np.exp(-(theta[:, None] - diff[None, :])))
    scores = rng.binomial(np.broadcast_to(maxp, (n, len(maxp))), p)
    journal = np.clip(np.round(3.6 + 0.8 * theta + rng.normal(0, 0.55, n)), 2, 5).astype(int)
    if behaviour == "bunching":
        cut = MA4_SCALE["min_3"]
        for i in range(n):
            tot = scores[i].sum()
            if cut - 2 <= tot < cut and rng.random() < strength:
                for j in np.argsort(diff):  # add points to the easiest unsolved tasks
                    while scores[i].sum() < cut and scores[i, j] < maxp[j]:
                        scores[i, j] += 1
    elif behaviour == "copying":
        sources = scores[np.argsort(-scores.sum(1))[: max(2, n // 10)]][:2].copy()
        k = int(round(strength * n))
        idx = rng.choice(n, size=k, replace=False)
        for m, i in enumerate(idx):
            scores[i] = sources[m % 2]
    elif behaviour == "hard_leak":
        hard = [j for j, lv in enumerate(MA4_LEVEL) if lv != "Б"]
        k = int(round(strength * n))
        for i in rng.choice(n, size=k, replace=False):
            scores[i, hard] = maxp[hard]
    elif behaviour == "inflated":
        for i in range(n):
            for _ in range(int(rng.binomial(4, strength))):
                open_ = np.flatnonzero(scores[i] < maxp)
                if open_.size:
                    scores[i, rng.choice(open_)] += 1
    total = scores.sum(1)
    cuts = (MA4_SCALE["min_3"], MA4_SCALE["min_4"], MA4_SCALE["min_5"])
    mark = 2 + np.searchsorted(np.array(cuts), total, side="right")
    absent = rng.random(n) < absent_share
    frame = pl.DataFrame(
        {
            "batch_id": ["synthetic"] * n,
            "procedure": ["vpr"] * n,
            "year": [year] * n,
            "subject": [subject] * n,
            "grade": [grade] * n,
            "school_id": [school_id] * n,
            "class_name": ["4а"] * n,
            "pupil_key": [f"{school_id}-{year}-{i}" for i in range(n)],
            "variant": ["1"] * n,
            "absent": absent.tolist(),
            "journal_mark": journal.tolist(),
            "primary_score": [None if a else int(t) for a, t in zip(absent, total, strict=True)],
            "mark": [None if a else int(m) for a, m in zip(absent, mark, strict=True)],
            "task_scores": [None if a else s.tolist() for a, s in zip(absent, scores, strict=True)],
            "not_attempted": [None if a else [False] * len(maxp) for a in absent],
            "source_row": list(range(2, n + 2)),
        }
    )
    return schema.conform(frame, schema.RESULTS)


def synthetic_region(
    seed: int,
    n_schools: int = 120,
    *,
    planted: dict[str, str] | None = None,
    strength: float = 0.8,
    year: int = 2021,
    size: tuple[int, int] = (25, 70),
    mus: dict[str, float] | None = None,
) -> tuple[pl.DataFrame, dict[str, str]]:
    """RESULTS rows of a region of honest schools plus the ``planted`` ones {school_id: behaviour}."""
    rng = np.random.default_rng(seed)
    planted = planted or {}
    mus = mus or {}
    frames, truth = [], {}
    ids = [f"sch{22000 + i:05d}" for i in range(n_schools)] + [s for s in planted if not s.startswith("sch2")]
    for sid in ids:
        behaviour = planted.get(sid, "honest")
        mu = mus.get(sid, float(rng.normal(0.3, 0.45)))
        n = int(rng.integers(size[0], size[1] + 1))
        frames.append(simulate_school(rng, sid, n, mu, behaviour=behaviour, strength=strength, year=year))
        truth[sid] = behaviour
    return pl.concat(frames), truth


def inputs_for(results: pl.DataFrame, year: int, schools: pl.DataFrame | None = None) -> Inputs:
    """Inputs over synthetic or real ma4 results with the ma4 tasks and scale for every year present."""
    years = sorted(set(results["year"].to_list()))
    tasks = pl.concat([tasks_frame(y) for y in years] + [tasks_frame(y, "ma", 5) for y in years])
    scales = scales_frame(years, [("vpr", "ma", 4), ("vpr", "ma", 5)])
    kw = {"schools": schools} if schools is not None else {}
    return Inputs(year=year, results=results.lazy(), tasks=tasks, scales=scales, **kw)


# ------------------------------------------------------------------------------------------------
# the real Altai 2021 maths-4 file


def load_altai_raw() -> list[list]:
    """The raw rows of the Altai 2021 maths-4 file (header first), for independent recomputations."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(ALTAI_MA4))
    return wb.get_sheet_by_name(wb.sheet_names[0]).to_python()


@functools.cache
def _altai_vpr():
    from shnor.core.ingest.vpr import read_vpr
    from shnor.core.reference import shipped_scales, shipped_tasks

    return read_vpr(
        ALTAI_MA4,
        year=2021,
        subject="ma",
        grade=4,
        tasks=shipped_tasks(),
        scales=shipped_scales(),
        pseudonym_key=b"k",
    )


def altai_results() -> pl.DataFrame:
    """The Altai file in RESULTS, read by the product's importer (``shnor.core.ingest.vpr.read_vpr``)."""
    return _altai_vpr().frame


def altai_inputs() -> Inputs:
    """Inputs over the Altai file with the shipped task specification and mark scales."""
    from shnor.core.reference import shipped_scales, shipped_tasks

    return Inputs(year=2021, results=altai_results().lazy(), tasks=shipped_tasks(), scales=shipped_scales())
