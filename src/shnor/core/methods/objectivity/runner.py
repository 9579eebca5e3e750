"""The objectivity method's ``run``: the year's tests combined per school, FDR across schools, one row
of output per school (to a sink in parts, or as one frame)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.collection import Started, evaluate
from shnor.core.methods.objectivity.evidence import school_row
from shnor.core.methods.objectivity.fdr import combine_schools
from shnor.core.methods.objectivity.procedure import _gc_paused
from shnor.core.methods.objectivity.signs.distribution import bunching
from shnor.core.methods.objectivity.spec import OUTPUT_SCHEMA
from shnor.core.methods.objectivity.units import _units, build_unit


def region_bunching(inputs: Inputs, config: Mapping[str, Any]) -> pl.DataFrame:
    """Region-level bunching per procedure and cut: observed vs counterfactual counts at/above the cut."""
    rows = []
    for procedure, subject, grade in _units(inputs, config):
        unit = build_unit(inputs, procedure, inputs.year, subject, grade)
        if unit is None or not unit.cuts:
            continue
        _, rr = bunching(unit, config["signs"]["bunching"])
        rows += [{"procedure": procedure, "subject": subject, "grade": grade, **r} for r in rr]
    schema = {
        "procedure": pl.String(),
        "subject": pl.String(),
        "grade": pl.Int8(),
        "boundary": pl.String(),
        "cut": pl.Int16(),
        "n_pupils": pl.Int64(),
        "observed_at_or_above": pl.Int64(),
        "expected_at_or_above": pl.Float64(),
        "observed_below": pl.Int64(),
        "expected_below": pl.Float64(),
        "excess_ratio": pl.Float64(),
        "excess_pupils": pl.Float64(),
        "p_value": pl.Float64(),
        "histogram": pl.List(pl.Int64()),
        "counterfactual": pl.List(pl.Float64()),
    }
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)


#: Schools per part of the output handed to a ``sink`` (a part's evidence is small beside a country year's).
SINK_SCHOOLS = 2000


#: A sink's part: the rows without ``evidence``, and each row's evidence as UTF-8 JSON.
Sink = Callable[[pl.DataFrame, list[bytes]], None]


def run(
    inputs: Inputs, config: Mapping[str, Any], *, sink: Sink | None = None, started: Started | None = None
) -> pl.DataFrame:
    """One row per school with results in ``inputs.year``: flag, significant signs, BH q-value, evidence.

    With a ``sink``, the rows are handed to it in parts of ``SINK_SCHOOLS`` schools as soon as each
    part is made (the whole output: every flag and q-value is final by then; the evidence as the
    UTF-8 JSON bytes it is made as, a list beside the part's other columns), and the frame returned
    has no ``evidence`` column: a country year's evidence is never held at once, and the
    caller can store a part while the next is being made. ``started``: the procedures' tests
    already submitted to the caller's workers (``start``)."""
    with _gc_paused():
        return _run(inputs, config, sink, started)


class _Output:
    """The output's columns as the schools' rows are made; every ``SINK_SCHOOLS`` schools the evidence
    made so far goes into Arrow (no Python copy of all of it), or the part to the sink."""

    def __init__(self, sink: Sink | None) -> None:
        self.sink = sink
        self.cols: dict[str, list[Any]] = {k: [] for k in OUTPUT_SCHEMA}
        self.evidence_parts: list[pl.Series] = []
        self.sent = 0  # rows of ``cols`` already handed to the sink

    def add(self, row: dict[str, Any], evidence: bytes) -> None:
        """One school's row and its evidence."""
        for k, v in row.items():
            self.cols[k].append(v)
        self.cols["evidence"].append(evidence)
        if len(self.cols["evidence"]) >= SINK_SCHOOLS:
            self.flush()

    def flush(self) -> None:
        """The evidence made so far into Arrow, or the rows made so far to the sink."""
        cols = self.cols
        if not cols["evidence"]:
            return
        evidence, cols["evidence"] = cols["evidence"], []
        if self.sink is None:
            self.evidence_parts.append(pl.Series("evidence", evidence, dtype=pl.Binary).cast(pl.String))
            return
        part = pl.DataFrame(
            {
                k: pl.Series(k, cols[k][self.sent :], dtype=OUTPUT_SCHEMA[k])
                for k in OUTPUT_SCHEMA
                if k != "evidence"
            }
        )
        self.sent = len(cols["school_id"])
        self.sink(part, evidence)

    def frame(self) -> pl.DataFrame:
        """The output frame (without ``evidence`` when the rows went to a sink)."""
        self.flush()
        cols: dict[str, Any] = self.cols
        schema = (
            OUTPUT_SCHEMA
            if self.sink is None
            else {k: v for k, v in OUTPUT_SCHEMA.items() if k != "evidence"}
        )
        if not cols["school_id"]:
            return pl.DataFrame(schema=schema)
        if self.sink is None:
            cols["evidence"] = pl.concat(self.evidence_parts, rechunk=True)
        else:
            del cols["evidence"]
        return pl.DataFrame({k: pl.Series(k, v, dtype=schema[k]) for k, v in cols.items()})


def _run(
    inputs: Inputs, config: Mapping[str, Any], sink: Sink | None = None, started: Started | None = None
) -> pl.DataFrame:
    """``run``'s work (with the cyclic garbage collector paused)."""
    tests, region_rows, pooled = evaluate(inputs, config, started)
    comb = combine_schools(tests, pooled, config)
    del region_rows  # (the region's bunching: ``region_bunching``, not repeated in each school's evidence)
    out = _Output(sink)
    for i in range(len(tests.schools)):
        out.add(*school_row(tests, i, comb, pooled, config, inputs.year))
    return out.frame()
