"""The contract every method obeys: configure, then compute, no I/O inside.

A method is a module with ``NAME`` (str) and ``run(inputs: Inputs, config: Mapping) -> pl.DataFrame``.
``config`` is the method's own section of the merged settings (see ``shnor.core.config``).
The result frame has one row per school (or per school × marker) with a ``school_id`` column and
an ``evidence`` column: a JSON string with the statistic, the comparison group, the threshold
and the data needed to draw the chart. Results are deterministic for the same inputs and config.
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
