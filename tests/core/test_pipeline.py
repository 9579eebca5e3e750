"""The year's pipeline without the web: it runs the registry's yearly methods, hands every result to the
sink, returns what the methods' own ``run`` returns, and streams objectivity's parts when asked to."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods.registry import BY_NAME, METHODS
from shnor.core.pipeline import YEARLY, Identified, identify
from tests.core.methods.contract_region import region_inputs


class Collect:
    """A sink that keeps what it is given, in order."""

    def __init__(self) -> None:
        self.got: list[tuple[str, pl.DataFrame, list[bytes] | None]] = []

    def __call__(self, method: str, frame: pl.DataFrame, evidence: list[bytes] | None = None) -> None:
        self.got.append((method, frame, evidence))

    def names(self) -> set[str]:
        return {name for name, _, _ in self.got}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return default_config()


@pytest.fixture(scope="module")
def kept(config: dict[str, Any]) -> tuple[Identified, Collect]:
    sink = Collect()
    said: list[str] = []
    done = identify(region_inputs(), config, sink=sink, progress=said.append)
    assert said[0] == "социальный индекс"
    assert "варианты сопровождения" in said
    return done, sink


def test_the_pipeline_runs_the_yearly_methods_of_the_registry() -> None:
    assert set(YEARLY) == {m.name for m in METHODS if m.yearly}


def test_every_result_goes_to_the_sink_as_the_method_makes_it(
    config: dict[str, Any], kept: tuple[Identified, Collect]
) -> None:
    done, sink = kept
    inputs = region_inputs()
    assert sink.names() == set(YEARLY)
    upstream: dict[str, pl.DataFrame] = {}
    for name in ("social_index", "fioko", "objectivity", "low_results", "tracks"):
        m = BY_NAME[name]
        upstream[name] = expected = m.run(
            inputs, config, {n: upstream[n] for n in (*m.needs, *m.uses) if n in upstream}
        )
        assert done.frames[m.result_name].equals(expected), name
        (given,) = [f for n, f, _ in sink.got if n == name]
        assert given.equals(expected), name
    # the deficits are handed over without their evidence text, and not returned
    (gaps,) = [f for n, f, _ in sink.got if n == "deficits"]
    full = BY_NAME["deficits"].run(inputs, config, {})
    assert gaps.drop("evidence").equals(full.drop("evidence"))
    assert gaps["evidence"].null_count() == gaps.height
    assert "deficits" not in done.frames


def test_the_summary_counts_the_results(kept: tuple[Identified, Collect]) -> None:
    done, _ = kept
    s = done.summary
    assert s["schools_with_results"] == done.frames["objectivity"].height > 0
    assert s["low_results"] == int(done.frames["low_results"]["low_results"].sum())
    assert s["fioko_markers"] == done.frames["fioko_markers"].height
    assert sum(s["tracks"].values()) == done.frames["tracks"].height
    assert s["schools_with_deficits"] > 0
    assert json.loads(json.dumps(s)) == s  # stored as JSON


def test_without_keep_evidence_objectivity_comes_in_parts_with_its_evidence(
    config: dict[str, Any], kept: tuple[Identified, Collect]
) -> None:
    whole, _ = kept
    sink = Collect()
    done = identify(region_inputs(), config, sink=sink, keep_evidence=False)
    assert "evidence" not in done.frames["objectivity"].columns
    parts = [(f, ev) for n, f, ev in sink.got if n == "objectivity"]
    assert parts
    assert all(ev is not None and len(ev) == f.height for f, ev in parts)
    rows = pl.concat([f for f, _ in parts])
    evidence = [bytes(e).decode() for _, ev in parts for e in ev or []]
    expected = whole.frames["objectivity"]
    assert rows.equals(expected.drop("evidence"))
    assert [json.loads(e) for e in evidence] == [json.loads(e) for e in expected["evidence"].to_list()]
    assert done.summary == whole.summary


def test_history_is_passed_to_the_low_results(
    config: dict[str, Any], kept: tuple[Identified, Collect]
) -> None:
    """With the earlier years' lists given, the low results read them instead of recomputing them."""
    whole, _ = kept
    low = whole.frames["low_results"]
    history = pl.DataFrame(
        {
            "year": [2022, 2023] * low.height,
            "school_id": [s for s in low["school_id"].to_list() for _ in (0, 1)],
            "in_list": [True, True] * low.height,
        },
        schema={"year": pl.Int32, "school_id": pl.String, "in_list": pl.Boolean},
    )
    done = identify(region_inputs(), config, history=history)
    listed = done.frames["low_results"].filter(pl.col("low_results"))
    assert listed.height
    assert (listed["years_in_list"] == 3).all()
