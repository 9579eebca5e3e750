"""The year's identification: every yearly method of the registry, in order, its results handed to a sink.

``identify`` runs the methods a methodology run is made of (``registry.METHODS`` with ``yearly``) on
one year's inputs and gives every result to ``sink`` as soon as it is made, so that a caller can store
it while the next is computed; it returns the frames and the run's summary numbers. Nothing here
reads or writes a database or a file: the list history of earlier years comes in as a frame, and
what becomes of the results is the sink's business (the web stores them, ``web/identification/store.py``).

The schedule is fixed, not derived from the registry's ``needs``, because it decides the run's
memory and time on a country year: worker processes make the deficits and the low results (the
longest jobs: first) and test objectivity's procedures, while this process makes the social index
and FIOKO's markers and then combines objectivity's signs; the deficits and the low results go to the
sink as soon as their workers are seen done. The workers are closed (and their memory freed) before
the signs are combined. ``tests/core/test_pipeline.py`` checks that the schedule covers the yearly
methods and gives what their registry ``run`` gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from shnor.core.memory import release_memory
from shnor.core.methods import deficits, fioko, objectivity
from shnor.core.methods.base import Inputs
from shnor.core.methods.registry import BY_NAME, HISTORY
from shnor.core.workers import Job, Workers

Progress = Callable[[str], None]


class Sink(Protocol):
    """Takes each result as it is made: the method's name, its frame, and — for objectivity's parts
    handed over without an ``evidence`` column — each row's evidence as UTF-8 JSON."""

    def __call__(self, method: str, frame: pl.DataFrame, evidence: list[bytes] | None = None) -> None:
        """Take one method's result (or one part of it)."""


def _drop(method: str, frame: pl.DataFrame, evidence: list[bytes] | None = None) -> None:
    """A sink that keeps nothing."""


@dataclass
class Identified:
    """What ``identify`` returns: the results by their output names, and the run's summary numbers."""

    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


#: The methods ``identify`` runs, in the order their results are complete.
YEARLY = ("social_index", "fioko", "deficits", "low_results", "objectivity", "tracks")


def identify(
    inputs: Inputs,
    config: Mapping[str, Any],
    *,
    history: pl.DataFrame | None = None,
    sink: Sink | None = None,
    progress: Progress | None = None,
    keep_evidence: bool = True,
) -> Identified:
    """Run every yearly method for ``inputs.year``, each result handed to ``sink`` as it is made.

    ``config``: the whole methodology settings. ``history``: the support-list membership of earlier
    years (``year, school_id, in_list``) from stored runs; without it (or empty) the low results
    recompute the earlier years. The deficits go to the sink without their evidence text and are not
    returned (a country year has millions of rows). With ``keep_evidence=False`` objectivity hands
    its rows over in parts, each with its evidence beside it, and the returned objectivity frame has
    no ``evidence`` column: its evidence is never held at once."""
    say = progress or (lambda _m: None)
    put: Sink = sink or _drop
    got: dict[str, pl.DataFrame] = {}

    def when_done(name: str, job: Job) -> Callable[[bool], None]:
        """A check that takes the job's result and hands it to the sink once it is done (or, with
        ``wait``, waits for it)."""

        def check(wait: bool) -> None:
            if name not in got and (wait or job.done()):
                got[name] = job.result()
                put(name, got[name])

        return check

    upstream: dict[str, pl.DataFrame] = {}
    if history is not None and history.height:
        upstream[HISTORY] = history
    obj_config = config["objectivity"]
    with Workers(objectivity.workers_for(inputs)) as workers:
        # the deficits without their evidence text: stored without it
        gaps_job = workers.submit(deficits.run, inputs, config["deficits"], evidence=False)
        say("социальный индекс")
        upstream["social_index"] = social = BY_NAME["social_index"].run(inputs, config, upstream)
        low_job = workers.submit(BY_NAME["low_results"].run, inputs, config, dict(upstream))
        started = objectivity.start(inputs, obj_config, workers)
        checks = [when_done("deficits", gaps_job), when_done("low_results", low_job)]
        started.results = _checking(started.results, checks)
        put("social_index", social)
        say("маркеры ФИОКО")
        markers = BY_NAME["fioko"].run(inputs, config, upstream)
        put("fioko", markers)
        say("признаки необъективности")
        objectivity.collect(inputs, obj_config, started)
        say("дефициты умений")
        checks[0](True)
        gaps = got.pop("deficits")
        with_deficits = gaps.filter(pl.col("unit") == "school")["school_id"].n_unique() if gaps.height else 0
        del gaps  # (1.9 M rows for a country: handed over, not returned)
        say("низкие результаты")
        checks[1](True)
        low = got["low_results"]
    say("объединение признаков необъективности")
    if keep_evidence:
        obj = objectivity.run(inputs, obj_config, started=started)
        say("сохранение признаков необъективности")
        put("objectivity", obj)
    else:  # each part handed over while the next is made; none kept
        obj = objectivity.run(
            inputs, obj_config, started=started, sink=lambda part, ev: put("objectivity", part, ev)
        )
    release_memory()
    say("варианты сопровождения")
    trk = BY_NAME["tracks"].run(
        inputs, config, {"low_results": low, "objectivity": obj, "social_index": social}
    )
    put("tracks", trk)
    say("сохранение")
    index = fioko.objectivity_index(inputs, config["fioko"], markers)
    frames = {
        "fioko_markers": markers,
        "objectivity": obj,
        "low_results": low,
        "social_index": social,
        "tracks": trk,
    }
    return Identified(frames, summary(frames, with_deficits=with_deficits, objectivity_index=index))


def summary(
    frames: Mapping[str, pl.DataFrame], *, with_deficits: int, objectivity_index: pl.DataFrame
) -> dict[str, Any]:
    """The run's summary numbers from its results (stored with the run, shown on its page)."""
    obj, markers, low = frames["objectivity"], frames["fioko_markers"], frames["low_results"]
    social, trk = frames["social_index"], frames["tracks"]
    return {
        "schools_with_results": obj.height,
        "fioko_marked_schools": markers["school_id"].n_unique() if markers.height else 0,
        "fioko_markers": markers.height,
        "objectivity_flagged": int(obj["flagged"].sum()) if obj.height else 0,
        "low_results": int(low["low_results"].sum()) if low.height else 0,
        "risk_list": int(low["risk_list"].sum()) if low.height and "risk_list" in low.columns else 0,
        "social_risk": int(social["social_risk"].sum()) if social.height else 0,
        "tracks": dict(trk.group_by("track").len().iter_rows()) if trk.height else {},
        "schools_with_deficits": with_deficits,
        "objectivity_index": objectivity_index.to_dicts(),
    }


def _checking(results: Iterator[Any], checks: list[Callable[[bool], None]]) -> Iterator[Any]:
    """``results``, with every check run (not waiting) before each is waited for."""
    for r in results:
        for check in checks:
            check(False)
        yield r


__all__ = ["YEARLY", "Identified", "Sink", "identify", "summary"]
