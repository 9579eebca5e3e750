"""Behaviours planted into a robustness region, each in place on one test's arrays.

Strength units: ``copy_answers`` — chance a class's other pupil copies its best pupil's answers;
``bunch_at_cut`` — chance a pupil 1–3 points below the «3» cut is pushed onto it (points added on the
easiest tasks); ``inflate_journal`` — chance a pupil's journal mark is replaced by a random 4 or 5;
``lenient_checking`` — chance a multi-point task scored below its maximum gets one point more;
``keep_weak_away`` — chance a pupil of the school's weakest third is absent on test day; ``gain``
(in ``generator``) — shift of the school's pupils' ability this year, in pupil SDs.
"""

from __future__ import annotations

import numpy as np

WINDOW = 3


def copy_answers(
    scores: np.ndarray,
    school: np.ndarray,
    cls: np.ndarray,
    rows: np.ndarray,
    strength: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Within each class (of the marked rows) the others copy the best pupil's vector."""
    idx = np.flatnonzero(rows)
    if idx.size == 0:
        return
    key = school[idx] * 64 + cls[idx]
    tot = scores[idx].sum(1, dtype=np.int64)
    o = np.lexsort((-tot, key))
    idx, key = idx[o], key[o]
    first = np.r_[True, key[1:] != key[:-1]]
    src = idx[np.maximum.accumulate(np.where(first, np.arange(idx.size), 0))]
    copy = ~first & (rng.random(idx.size) < strength[idx])
    scores[idx[copy]] = scores[src[copy]]


def bunch_at_cut(
    scores: np.ndarray, spec: object, rows: np.ndarray, strength: np.ndarray, rng: np.random.Generator
) -> None:
    """Pupils 1..WINDOW points below the «3» cut pushed onto it on the easiest tasks."""
    cut = spec.cuts[0]  # type: ignore[attr-defined]
    tot = scores.sum(1, dtype=np.int64)
    push = rows & (tot >= cut - WINDOW) & (tot < cut) & (rng.random(tot.size) < strength)
    need = np.where(push, cut - tot, 0)
    easy = np.argsort(np.nanmin(spec.b, 1))  # type: ignore[attr-defined]
    for j in easy:
        room = spec.maxima[j] - scores[:, j]  # type: ignore[attr-defined]
        add = np.minimum(room, need)
        scores[:, j] += add.astype(np.int8)
        need -= add


def lenient_checking(
    scores: np.ndarray, spec: object, rows: np.ndarray, strength: np.ndarray, rng: np.random.Generator
) -> None:
    """Multi-point (criteria-checked) tasks below their maximum get one point more."""
    multi = np.flatnonzero(spec.maxima >= 2)  # type: ignore[attr-defined]
    if multi.size == 0 or not rows.any():
        return
    sub = scores[:, multi]
    up = rows[:, None] & (sub < spec.maxima[multi][None, :]) & (rng.random(sub.shape) < strength[:, None])  # type: ignore[attr-defined]
    scores[:, multi] = sub + up.astype(np.int8)


def inflate_journal(
    journal: np.ndarray, rows: np.ndarray, strength: np.ndarray, rng: np.random.Generator
) -> None:
    """Journal marks replaced by a random 4 or 5."""
    hit = rows & (rng.random(journal.size) < strength)
    journal[hit] = rng.choice([4, 5], int(hit.sum()))


def keep_weak_away(
    theta: np.ndarray, school: np.ndarray, members: np.ndarray, strength: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Absent on test day: pupils of the school's weakest third (by ability), with the chance given."""
    out = np.zeros(theta.size, bool)
    m = members[school]
    if not m.any():
        return out
    idx = np.flatnonzero(m)
    o = np.lexsort((theta[idx], school[idx]))
    idx = idx[o]
    s = school[idx]
    first = np.r_[True, s[1:] != s[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(idx.size), 0))
    rank = np.arange(idx.size) - start
    size = np.bincount(np.cumsum(first) - 1)[np.cumsum(first) - 1]
    weak = rank < np.ceil(size / 3)
    out[idx] = weak & (rng.random(idx.size) < strength[school[idx]])
    return out
