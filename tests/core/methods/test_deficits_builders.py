"""Small hand-made frames for the deficit tests (builders only; no tests here)."""

from __future__ import annotations

import numpy as np
import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.store import schema

#: A 6-position test: (label, max, level, skill, kes)
TASKS_6 = [
    ("1", 1, "Б", "Умение выполнять арифмети- ческие действия с числами", "2"),
    ("2", 1, "Б", "Умение выполнять арифметические действия с числами.", "2"),
    ("3", 2, "Б", "Умение решать текстовые задачи", "1; 2"),
    ("4", 1, "П", "Умение решать текстовые задачи", "1"),
    ("5", 2, "Б", "Умение работать с таблицами и диаграммами", "4"),
    ("6", 1, "П", "Умение работать с таблицами и диаграммами", "4;1"),
]
SKILL_A = "Умение выполнять арифметические действия с числами"
SKILL_B = "Умение решать текстовые задачи"
SKILL_C = "Умение работать с таблицами и диаграммами"
MAXIMA = np.array([t[1] for t in TASKS_6])


def tasks_frame(year: int = 2024, grade: int = 4, subject: str = "ma", spec=TASKS_6) -> pl.DataFrame:
    """TASKS rows for one test."""
    return schema.conform(
        pl.DataFrame(
            [
                {
                    "procedure": "vpr",
                    "year": year,
                    "subject": subject,
                    "grade": grade,
                    "task_no": i,
                    "task_label": label,
                    "max_points": mx,
                    "level": lvl,
                    "skill": skill,
                    "kes": kes,
                }
                for i, (label, mx, lvl, skill, kes) in enumerate(spec, start=1)
            ]
        ),
        schema.TASKS,
    )


def scales_frame(
    year: int = 2024, grade: int = 4, subject: str = "ma", max_score: int = 8, cuts=(3, 5, 7)
) -> pl.DataFrame:
    """SCALES row for the 6-position test (max 8)."""
    return schema.conform(
        pl.DataFrame(
            [
                {
                    "procedure": "vpr",
                    "year": year,
                    "subject": subject,
                    "grade": grade,
                    "max_score": max_score,
                    "min_3": cuts[0],
                    "min_4": cuts[1],
                    "min_5": cuts[2],
                }
            ]
        ),
        schema.SCALES,
    )


def results_frame(
    scores: np.ndarray,
    schools: list[str],
    classes: list[str | None],
    *,
    year: int = 2024,
    grade: int = 4,
    subject: str = "ma",
    cuts=(3, 5, 7),
    absent: int = 0,
    prefix: str = "",
) -> pl.DataFrame:
    """RESULTS rows from a (pupils × tasks) score matrix; ``absent`` more absentees in the first school."""
    total = scores.sum(axis=1)
    mark = np.where(total >= cuts[2], 5, np.where(total >= cuts[1], 4, np.where(total >= cuts[0], 3, 2)))
    rows = [
        {
            "procedure": "vpr",
            "year": year,
            "subject": subject,
            "grade": grade,
            "school_id": s,
            "class_name": c,
            "pupil_key": f"{prefix}{s}-{year}-{i:04d}",
            "absent": False,
            "primary_score": int(t),
            "mark": int(m),
            "task_scores": [int(x) for x in row],
            "not_attempted": [False] * len(row),
        }
        for i, (row, s, c, t, m) in enumerate(zip(scores, schools, classes, total, mark, strict=True))
    ]
    rows += [
        {
            "procedure": "vpr",
            "year": year,
            "subject": subject,
            "grade": grade,
            "school_id": schools[0],
            "class_name": None,
            "pupil_key": f"{prefix}absent-{j}",
            "absent": True,
        }
        for j in range(absent)
    ]
    return schema.conform(pl.DataFrame(rows, infer_schema_length=None), schema.RESULTS)


def random_scores(
    rng: np.random.Generator, n: int, p: np.ndarray | float, maxima: np.ndarray = MAXIMA
) -> np.ndarray:
    """Binomial points per task: each point solved with probability p (per task)."""
    p = np.broadcast_to(np.asarray(p, dtype=float), maxima.shape)
    return rng.binomial(maxima, p, size=(n, len(maxima)))


def planted_region(
    seed: int = 7,
    n_schools: int = 30,
    n_pupils: int = 30,
    p: float = 0.7,
    planted: dict[str, np.ndarray] | None = None,
    *,
    year: int = 2024,
    grade: int = 4,
) -> pl.DataFrame:
    """Schools S00..S{n-1}, two classes each; ``planted`` maps a school to its own per-task probabilities."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n_schools):
        sid = f"S{k:02d}"
        probs = (planted or {}).get(sid, np.full(len(MAXIMA), p))
        sc = random_scores(rng, n_pupils, probs)
        classes = ["А" if i % 2 == 0 else "б" for i in range(n_pupils)]
        frames.append(results_frame(sc, [sid] * n_pupils, classes, year=year, grade=grade))
    return pl.concat(frames)


def inputs(
    results: pl.DataFrame,
    *,
    year: int = 2024,
    tasks: pl.DataFrame | None = None,
    scales: pl.DataFrame | None = None,
    schools: pl.DataFrame | None = None,
) -> Inputs:
    """Inputs for one year with the 6-position test."""
    return Inputs(
        year=year,
        results=results.lazy(),
        tasks=tasks if tasks is not None else tasks_frame(year),
        scales=scales if scales is not None else scales_frame(year),
        schools=schools if schools is not None else schema.empty(schema.SCHOOLS),
    )
