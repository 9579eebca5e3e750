"""The manipulations planted in a ВПР test's scores: help on hard tasks, copying, boundary inflation.

Each works in place on the (pupils × tasks) score matrix and the "not attempted" matrix of one test, for
the rows of the schools given the behaviour, drawing from the test's random stream.
"""

from __future__ import annotations

import numpy as np

from shnor.core.demo import irt
from shnor.core.demo.config import DemoConfig
from shnor.core.demo.specs import TestSpec


def plant_hard_task_help(
    scores: np.ndarray,
    na: np.ndarray,
    m: np.ndarray,
    spec: TestSpec,
    strength: float,
    rng: np.random.Generator,
) -> None:
    """Planted: unsolved hard (П/В) tasks filled to the maximum, in place."""
    maxima = spec.maxima.astype(np.int8)
    hard = np.isin(spec.levels, ["П", "В"])
    if m.any() and hard.any():
        rows = np.flatnonzero(m)
        sub = scores[np.ix_(rows, np.flatnonzero(hard))]
        fill = rng.random(sub.shape) < strength
        sub = np.where(fill, maxima[hard][None, :], sub)
        scores[np.ix_(rows, np.flatnonzero(hard))] = sub
        na[np.ix_(rows, np.flatnonzero(hard))] &= sub == 0


def plant_answer_copying(
    scores: np.ndarray,
    na: np.ndarray,
    m: np.ndarray,
    group_of: tuple[np.ndarray, np.ndarray],
    strength: float,
    rng: np.random.Generator,
) -> None:
    """Planted: pupils of a class of five or more copy the best answer string of the class, in place."""
    if not m.any():
        return
    sc, cls = group_of
    rows = np.flatnonzero(m)
    group = sc[rows].astype(np.int64) * 64 + cls[rows]
    tot = scores[rows].sum(axis=1, dtype=np.int64)
    o = np.lexsort((-tot, group))
    rows_o, group_o = rows[o], group[o]
    first = np.r_[True, group_o[1:] != group_o[:-1]]
    src = rows_o[np.maximum.accumulate(np.where(first, np.arange(rows_o.size), 0))]
    gsize = np.bincount(np.cumsum(first) - 1)[np.cumsum(first) - 1]
    copy = ~first & (gsize >= 5) & (rng.random(rows_o.size) < strength)
    scores[rows_o[copy]] = scores[src[copy]]
    na[rows_o[copy]] = na[src[copy]]


def plant_boundary_inflation(
    scores: np.ndarray,
    na: np.ndarray,
    m: np.ndarray,
    spec: TestSpec,
    params: irt.ItemParams,
    c: DemoConfig,
    rng: np.random.Generator,
) -> None:
    """Planted: pupils just below the 2/3 boundary pushed up to min_3 on the easiest tasks, in place."""
    if not m.any():
        return
    n = scores.shape[0]
    maxima = spec.maxima.astype(np.int8)
    tot = scores.sum(axis=1, dtype=np.int64)
    min3 = spec.cuts[0]
    near = m & (tot >= min3 - c.inflation_window) & (tot < min3)
    push = near & (rng.random(n) < c.boundary_inflation.strength)
    need = np.where(push, min3 - tot, 0)
    easy_first = np.argsort(params.b[:, 0], kind="stable")
    for j in easy_first:
        room = maxima[j] - scores[:, j]
        add = np.minimum(room, need).astype(np.int8)
        scores[:, j] += add
        need -= add
    na &= scores == 0
