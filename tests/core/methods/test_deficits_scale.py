"""Scale: the pupil-level pass over a million pupils (slow; run with ``-m slow``)."""

from __future__ import annotations

import time

import numpy as np
import polars as pl
import pytest

from shnor.core.methods import deficits as dm
from shnor.core.methods.base import Inputs
from shnor.core.reference import shipped_tasks


@pytest.mark.slow
def test_million_pupils_deficit_table() -> None:
    n, n_schools = 1_000_000, 20_000
    rng = np.random.default_rng(0)
    maxima = np.array([1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2])
    scores = rng.binomial(maxima, 0.6, size=(n, 15)).astype(np.int8)
    school = rng.integers(0, n_schools, size=n)
    frame = pl.DataFrame(
        {
            "procedure": "vpr",
            "year": pl.Series([2021] * n, dtype=pl.Int16),
            "subject": "ma",
            "grade": pl.Series([4] * n, dtype=pl.Int8),
            "school_id": pl.Series(school).cast(pl.String),
            "class_name": pl.Series(rng.choice(["а", "б", "в"], size=n)),
            "pupil_key": pl.Series(np.arange(n)).cast(pl.String),
            "absent": False,
            "primary_score": pl.Series(scores.sum(axis=1), dtype=pl.Int16),
            "mark": pl.Series([3] * n, dtype=pl.Int8),
            "task_scores": pl.Series(scores, dtype=pl.Array(pl.Int8, 15)).cast(pl.List(pl.Int8)),
        }
    )
    inp = Inputs(year=2021, results=frame.lazy(), tasks=shipped_tasks())
    t0 = time.perf_counter()
    table = dm.deficit_table(inp)
    elapsed = time.perf_counter() - t0
    assert table.filter(pl.col("unit") == "school").height == n_schools * 24  # 9 skills + 15 tasks
    assert elapsed < 120, elapsed
