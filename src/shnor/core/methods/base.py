"""The contract every method obeys: configure, then compute, no I/O inside.

Every method is registered in ``shnor.core.methods.registry`` as a ``Method`` with one signature,
``run(inputs: Inputs, config: Mapping, upstream: Mapping[str, pl.DataFrame]) -> pl.DataFrame``:
``config`` is the whole merged settings (see ``shnor.core.config``; the method reads its own section),
``upstream`` the results of the other methods it needs, by their names. The result frame has exactly
the method's output schema, one row per key (per school, or per school × marker, deficit…) with a
``school_id`` column and an ``evidence`` column: a JSON string with the statistic, the comparison
group, the threshold and the data needed to draw the chart. Results are deterministic for the same
inputs and config, a year without data gives an empty frame with the schema, and the inputs are never
changed. ``tests/core/methods/test_contract.py`` checks all of this for every registered method.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from shnor.core.store import schema


@dataclass(frozen=True)
class Inputs:
    """Everything a method may read: lazy pupil-level results and small reference frames."""

    year: int
    results: pl.LazyFrame  # schema.RESULTS, all imported years
    tasks: pl.DataFrame = field(default_factory=lambda: schema.empty(schema.TASKS))
    scales: pl.DataFrame = field(default_factory=lambda: schema.empty(schema.SCALES))
    schools: pl.DataFrame = field(default_factory=lambda: schema.empty(schema.SCHOOLS))
    context: pl.DataFrame = field(default_factory=lambda: schema.empty(schema.CONTEXT))
