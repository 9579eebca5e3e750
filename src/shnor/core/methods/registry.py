"""Every method that computes something per school, with one contract (``base.py``) and in dependency order.

A ``Method`` is a record: the name (also its outcomes' name in a run and the key of its result in
``upstream``), the Russian label, its settings section, the other methods' results it needs, the
output schema with the key columns, the keys its evidence JSON always holds, and ``run``:

    run(inputs: Inputs, config: Mapping[str, Any], upstream: Mapping[str, pl.DataFrame]) -> pl.DataFrame

``config`` is the whole methodology settings (``shnor.core.config.load_config``): each method reads
its own ``section`` and a few read a sibling's too (low results and matching read ``value_added`` and
``social_index``), so one mapping serves every method. ``upstream`` holds the results of the methods
named in ``needs`` (and, when present, of those in ``uses``) under their names; ``HISTORY`` is the
support-list membership of earlier years (``year, school_id, in_list``), read by the caller from
stored runs. The adapters below only translate this contract into each module's own keywords: the
computation stays in the modules.

Left out on purpose: ``persistence`` (a rule over list history that low results apply; it reads no
inputs), ``indicators`` (the monitoring table of a unit from facts the web gathers, not per school from
results), and the ``*_eval`` modules (the methods' evaluations on planted regions, not methods).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from shnor.core.labels import METHOD_TITLES
from shnor.core.methods import (
    deficits,
    effectiveness,
    fioko,
    low_results,
    matching,
    objectivity,
    social_index,
    tracks,
    value_added,
)
from shnor.core.methods.base import Inputs

Upstream = Mapping[str, pl.DataFrame]
RunFn = Callable[[Inputs, Mapping[str, Any], Upstream], pl.DataFrame]

#: The ``upstream`` key of the support-list membership of earlier years (``year, school_id, in_list``).
HISTORY = "history"


@dataclass(frozen=True)
class Method:
    """One method under the common contract: what it needs, what it returns, and how to run it."""

    name: str
    label: str
    section: str
    module: str  # the module of ``shnor.core.methods`` it wraps
    schema: pl.Schema
    key: tuple[str, ...]  # columns that identify a row (one row per key)
    run: RunFn
    needs: tuple[str, ...] = ()  # results of other methods that must be in ``upstream``
    uses: tuple[str, ...] = ()  # results read from ``upstream`` when present
    evidence: tuple[str, ...] = ()  # keys every row's evidence JSON object holds
    output: str = ""  # the result's name in a run's frames and output files (default: ``name``)
    yearly: bool = True  # part of the year's identification (``shnor.core.pipeline.identify``)

    @property
    def result_name(self) -> str:
        """The result's name in a run's frames and output files."""
        return self.output or self.name


def _listed(low: pl.DataFrame) -> list[str]:
    """The schools on the support list (ШНОР) in a low-results output."""
    return low.filter(pl.col("low_results"))["school_id"].to_list()


def _history(upstream: Upstream) -> pl.DataFrame | None:
    """The earlier years' membership when there is any (an empty one means none: recompute them)."""
    history = upstream.get(HISTORY)
    return history if history is not None and history.height else None


def run_social_index(inputs: Inputs, config: Mapping[str, Any], upstream: Upstream) -> pl.DataFrame:
    """The social index of every known school."""
    return social_index.run(inputs, config["social_index"])


def run_fioko(inputs: Inputs, config: Mapping[str, Any], upstream: Upstream) -> pl.DataFrame:
    """FIOKO's markers of the year."""
    return fioko.run(inputs, config["fioko"])


def run_objectivity(inputs: Inputs, config: Mapping[str, Any], upstream: Upstream) -> pl.DataFrame:
    """Signs of non-objective results, whole (the pipeline starts and streams it itself)."""
    return objectivity.run(inputs, config["objectivity"])


def run_deficits(inputs: Inputs, config: Mapping[str, Any], upstream: Upstream) -> pl.DataFrame:
    """Learning deficits with their evidence text (the pipeline stores them without it)."""
    return deficits.run(inputs, config["deficits"])


def run_value_added(inputs: Inputs, config: Mapping[str, Any], upstream: Upstream) -> pl.DataFrame:
    """Context-adjusted value added (low results fit it again inside their own method)."""
    return value_added.run(inputs, config["value_added"])


def run_low_results(inputs: Inputs, config: Mapping[str, Any], upstream: Upstream) -> pl.DataFrame:
    """Low results (ШНОР) and the risk list, with persistence over the earlier years."""
    return low_results.run(
        inputs,
        config["low_results"],
        value_added_config=config["value_added"],
        social_index_config=config["social_index"],
        social=upstream["social_index"],
        history=_history(upstream),
    )


def run_tracks(inputs: Inputs, config: Mapping[str, Any], upstream: Upstream) -> pl.DataFrame:
    """Support tracks from the low results, objectivity and the social index of the same run."""
    return tracks.run(
        inputs,
        config["tracks"],
        low=upstream["low_results"],
        objectivity=upstream.get("objectivity"),
        social=upstream.get("social_index"),
    )


def run_matching(inputs: Inputs, config: Mapping[str, Any], upstream: Upstream) -> pl.DataFrame:
    """A leader school proposed for every ШНОР; schools flagged by objectivity or FIOKO never lead."""
    section = config["matching"]
    measure = str(section.get("leaders", {}).get("measure", "va_lower"))
    exclude: set[str] = set()
    if (obj := upstream.get("objectivity")) is not None:
        exclude |= set(obj.filter(pl.col("flagged"))["school_id"].to_list())
    if (markers := upstream.get("fioko")) is not None:
        exclude |= set(markers["school_id"].to_list())
    return matching.run(
        inputs,
        section,
        supported=_listed(upstream["low_results"]),
        performance=None if measure == "mean_z" else upstream["value_added"],
        social=upstream["social_index"],
        exclude=sorted(exclude),
        value_added_config=config["value_added"],
        social_index_config=config["social_index"],
    )


def run_effectiveness(inputs: Inputs, config: Mapping[str, Any], upstream: Upstream) -> pl.DataFrame:
    """Effectiveness of support for the year's ШНОР, as if supported from ``inputs.year`` (the web's
    analyses choose their own schools and start year through ``effectiveness.estimate``)."""
    return effectiveness.run(
        inputs,
        config["effectiveness"],
        supported=_listed(upstream["low_results"]),
        start_year=int(inputs.year),
        history=_history(upstream),
        social=upstream["social_index"],
    )


#: Every method, each after the methods it needs.
METHODS: tuple[Method, ...] = (
    Method(
        name="social_index",
        label=METHOD_TITLES["social_index"],
        section="social_index",
        module=social_index.__name__,
        schema=pl.Schema(social_index.OUTPUT_SCHEMA),
        key=("school_id",),
        run=run_social_index,
        evidence=("method", "statistic", "index", "rank", "threshold", "comparison_group"),
    ),
    Method(
        name="fioko",
        label=METHOD_TITLES["fioko"],
        section="fioko",
        module=fioko.__name__,
        schema=pl.Schema(fioko.OUTPUT_SCHEMA),
        key=("school_id", "procedure", "subject", "grade", "marker"),
        run=run_fioko,
        evidence=("rule",),
        output="fioko_markers",
    ),
    Method(
        name="objectivity",
        label=METHOD_TITLES["objectivity"],
        section="objectivity",
        module=objectivity.__name__,
        schema=pl.Schema(objectivity.OUTPUT_SCHEMA),
        key=("school_id",),
        run=run_objectivity,
        evidence=("signs", "sign_p_values", "p_combined", "q_value", "q_level", "significant", "year"),
    ),
    Method(
        name="deficits",
        label=METHOD_TITLES["deficits"],
        section="deficits",
        module=deficits.__name__,
        schema=pl.Schema(deficits.OUTPUT_SCHEMA),
        key=(
            "procedure",
            "year",
            "subject",
            "grade",
            "unit",
            "school_id",
            "class_name",
            "dimension",
            "element",
        ),
        run=run_deficits,
        evidence=("statistic", "rule", "success", "interval", "comparison", "gap", "thresholds", "n_pupils"),
    ),
    Method(
        name="value_added",
        label="Добавленная ценность",
        section="value_added",
        module=value_added.__name__,
        schema=pl.Schema(value_added.OUTPUT_SCHEMA),
        key=("school_id",),
        run=run_value_added,
        evidence=("method", "statistic", "effect", "interval", "threshold", "comparison_group", "n_pupils"),
        yearly=False,
    ),
    Method(
        name="low_results",
        label=METHOD_TITLES["low_results"],
        section="low_results",
        module=low_results.__name__,
        schema=pl.Schema(low_results.OUTPUT_SCHEMA),
        key=("school_id",),
        run=run_low_results,
        needs=("social_index",),
        uses=(HISTORY,),
        evidence=(
            "statistic",
            "threshold",
            "comparison_group",
            "methods",
            "support_list",
            "risk_list",
            "year",
        ),
    ),
    Method(
        name="tracks",
        label=METHOD_TITLES["tracks"],
        section="tracks",
        module=tracks.__name__,
        schema=pl.Schema(tracks.OUTPUT_SCHEMA),
        key=("school_id",),
        run=run_tracks,
        needs=("low_results",),
        uses=("objectivity", "social_index"),
        evidence=("rule", "year", "low_results", "objectivity_flagged", "category"),
    ),
    Method(
        name="matching",
        label="Школы-лидеры",
        section="matching",
        module=matching.__name__,
        schema=pl.Schema(matching.OUTPUT_SCHEMA),
        key=("school_id",),
        run=run_matching,
        needs=("low_results", "value_added", "social_index"),
        uses=("objectivity", "fioko"),
        evidence=("method", "statistic", "rule", "status", "comparison_group", "n_reachable"),
        yearly=False,
    ),
    Method(
        name="effectiveness",
        label="Эффективность сопровождения",
        section="effectiveness",
        module=effectiveness.__name__,
        schema=pl.Schema(effectiveness.OUTPUT_SCHEMA),
        key=("school_id",),
        run=run_effectiveness,
        needs=("low_results", "social_index"),
        uses=(HISTORY,),
        evidence=("method", "role", "comparison_group"),
        yearly=False,
    ),
)

#: The methods by name.
BY_NAME: dict[str, Method] = {m.name: m for m in METHODS}


def method(name: str) -> Method:
    """The registered method of that name."""
    return BY_NAME[name]


__all__ = ["BY_NAME", "HISTORY", "METHODS", "Method", "RunFn", "Upstream", "method"]
