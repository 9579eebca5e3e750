"""The pupil-level core, one test ("block") at a time, without exploding the score lists.

The test's pupils are read (only the needed columns, the scan filtered on the test's keys),
``task_scores`` becomes a pupils × tasks matrix and one matrix product with the tasks × elements
incidence matrix gives every pupil's points per element. Nothing of size pupils × tasks or
pupils × elements outlives a chunk of ``_CHUNK`` pupils except where the caller asks for pupil rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from shnor.core.methods.deficits.elements import element_map
from shnor.core.methods.deficits.pupils import _present
from shnor.core.methods.deficits.schemas import KEYS
from shnor.core.store import schema

_CHUNK = 262_144


class _Block:
    """One test: its pupils (frame), elements (frame, E rows), incidence matrix (tasks × E), maxima (E)."""

    def __init__(
        self,
        key: tuple[Any, ...],
        pupils: pl.DataFrame,
        scores: np.ndarray,
        elements: pl.DataFrame,
        weights: np.ndarray,
        maxima: np.ndarray,
    ) -> None:
        self.key = key
        self.pupils = pupils
        self.scores = scores  # pupils × tasks, int8 (missing items → 0, as the sum of the explode path)
        self.elements = elements
        self.weights = weights  # tasks × E, float32 0/1
        self.maxima = maxima  # E, int64

    def points(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Points per pupil × element (int64; float32 products of small integers are exact)."""
        points: np.ndarray = np.rint(self.scores[rows].astype(np.float32) @ self.weights).astype(np.int64)
        return points


def _blocks(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None,
    dimensions: Sequence[str],
    procedures: Sequence[str],
    school_ids: Sequence[str] | None,
    columns: Sequence[str],
) -> Any:
    """Yield a ``_Block`` per test of the task structure that has present pupils (lazily, one at a time)."""
    emap = element_map(tasks, dimensions)
    if emap.height == 0:
        return
    years = None if year is None else ([year] if isinstance(year, int) else [int(y) for y in year])
    units = emap.select(KEYS).unique(maintain_order=True)
    if years is not None:
        units = units.filter(pl.col("year").is_in(years))
    for key in units.iter_rows():
        em = emap.filter(*(pl.col(k) == v for k, v in zip(KEYS, key, strict=True)))
        elements = em.select("dimension", "element").unique(maintain_order=True).with_row_index("_eid")
        link = em.join(elements, on=["dimension", "element"]).select(
            pl.col("task_no").cast(pl.Int64),
            pl.col("_eid").cast(pl.Int64),
            pl.col("max_points").cast(pl.Int64),
        )
        frame = _present(
            results, tasks, year=year, procedures=procedures, school_ids=school_ids, test=key, extra=columns
        ).collect()
        if frame.height == 0:
            continue
        n_tasks = int(frame["task_scores"].list.len()[0])
        scores = (  # a fixed-width array read by numpy (a column per task was slow)
            frame["task_scores"]
            .list.eval(pl.element().fill_null(0))
            .list.to_array(n_tasks)
            .to_numpy()
            .astype(np.int8, copy=False)
            .reshape(frame.height, n_tasks)
        )
        frame = frame.drop("task_scores")
        e = elements.height
        weights = np.zeros((n_tasks, e), dtype=np.float32)
        ti, ei, mp = (link[c].to_numpy() for c in ("task_no", "_eid", "max_points"))
        weights[ti - 1, ei] = 1.0
        maxima = np.zeros(e, dtype=np.int64)
        np.add.at(maxima, ei, mp)
        yield _Block(tuple(key), frame, scores, elements.drop("_eid"), weights, maxima)


def _block_matrices(b: _Block) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The classes of one block (``_cls`` order, sorted by school then class: ``_cls``, school_id,
    class_name, n) and their per-element sums of points Σp and Σp² (int64, classes × elements)."""
    from scipy import sparse

    ids = b.pupils.with_columns(
        pl.struct("school_id", "class_name").rank("dense").cast(pl.Int64).alias("_cls") - 1
    )
    cls_idx = ids["_cls"].to_numpy()
    n_cls = int(cls_idx.max()) + 1
    e = b.elements.height
    p1 = np.zeros((n_cls, e), dtype=np.int64)
    p2 = np.zeros((n_cls, e), dtype=np.int64)
    for start in range(0, b.pupils.height, _CHUNK):
        rows = slice(start, start + _CHUNK)
        # points as float64 integers (float32 products of small integers are exact)
        pts = (b.scores[rows].astype(np.float32) @ b.weights).astype(np.float64)
        c = cls_idx[rows]
        g = sparse.csr_matrix(
            (np.ones(c.size, dtype=np.float64), (c, np.arange(c.size))), shape=(n_cls, c.size)
        )
        # integer sums (exact in float64 far beyond any real class) → independent of order
        p1 += np.rint(g @ pts).astype(np.int64)
        p2 += np.rint(g @ (pts * pts)).astype(np.int64)
    cls = (
        ids.group_by("_cls")
        .agg(pl.col("school_id").first(), pl.col("class_name").first(), pl.len().cast(pl.Int64).alias("n"))
        .sort("_cls")
    )
    return cls, p1, p2


def _block_class_sums(b: _Block) -> pl.DataFrame:
    """Per-class n, Σshare, Σshare² of one block (as ``class_sums``, unsorted)."""
    cls, p1, p2 = _block_matrices(b)
    n_cls, e = p1.shape
    n = cls["n"].to_numpy()
    frame = pl.DataFrame(
        {
            "_cls": np.repeat(np.arange(n_cls, dtype=np.int64), e),
            "_e": np.tile(np.arange(e, dtype=np.int64), n_cls),
            "n": np.repeat(n, e),
            "_p1": p1.ravel(),
            "_p2": p2.ravel(),
            "_m": np.tile(b.maxima.astype(np.float64), n_cls),
        }
    )
    return (
        frame.with_columns(
            (pl.col("_p1") / pl.col("_m")).alias("s1"), (pl.col("_p2") / pl.col("_m") ** 2).alias("s2")
        )
        .join(cls.select("_cls", "school_id", "class_name"), on="_cls")
        .join(b.elements.with_row_index("_e").with_columns(pl.col("_e").cast(pl.Int64)), on="_e")
        .with_columns(
            *(pl.lit(v, dtype=schema.RESULTS[k]).alias(k) for k, v in zip(KEYS, b.key, strict=True))
        )
        .select(*KEYS, "school_id", "class_name", "dimension", "element", "n", "s1", "s2")
    )


def _block_shares(b: _Block, rows: np.ndarray | slice = slice(None)) -> pl.DataFrame:
    """Long (pupil × element) shares of some pupils of a block: pupil columns, dimension, element, share."""
    pts = b.points(rows)
    e = b.elements.height
    share = (pts / b.maxima[None, :]).ravel()
    pupils = b.pupils[rows] if isinstance(rows, slice) else b.pupils[pl.Series(rows)]
    idx = np.repeat(np.arange(pupils.height), e)
    eidx = np.tile(np.arange(e), pupils.height)
    return pl.concat(
        [
            pupils[pl.Series(idx)].with_columns(
                *(pl.lit(v, dtype=schema.RESULTS[k]).alias(k) for k, v in zip(KEYS, b.key, strict=True))
            ),
            b.elements[pl.Series(eidx)],
            pl.DataFrame(
                {
                    "points": pts.ravel().astype(np.int32),
                    "max_points": b.maxima[eidx].astype(np.int32),
                    "share": share,
                }
            ),
        ],
        how="horizontal",
    )
