"""The method contract, checked for every registered method (scikit-learn's ``check_estimator`` idea).

Each method of ``registry.METHODS`` runs on a small generated region with the results of the methods it
needs: its output has exactly its schema, one row per key, only schools the inputs know, evidence that
is JSON with the keys it promises; a second run gives the same frame, the inputs are left as they
were, nothing is written to disk, and a region with nothing imported gives an empty frame with the
schema. A module of ``core.methods`` that defines ``run`` must be registered, so no method skips this.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import shnor.core.methods
from shnor.core.config import default_config
from shnor.core.methods.base import Inputs
from shnor.core.methods.registry import BY_NAME, METHODS, Method
from tests.core.methods.contract_region import YEAR, nothing_imported, region_inputs

IDS = [m.name for m in METHODS]

#: Methods whose rows do not come from the year's results: the social index ranks every known school
#: by its context, with results or without.
NOT_FROM_RESULTS = {"social_index"}


def _run_all(inputs: Inputs, config: Mapping[str, Any]) -> dict[str, pl.DataFrame]:
    """Every method in registry order, each given the results it needs and uses."""
    out: dict[str, pl.DataFrame] = {}
    for m in METHODS:
        out[m.name] = m.run(inputs, config, _upstream(m, out))
    return out


def _upstream(m: Method, results: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return {n: results[n] for n in (*m.needs, *m.uses) if n in results}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return default_config()


@pytest.fixture(scope="module")
def results(config: dict[str, Any]) -> dict[str, pl.DataFrame]:
    return _run_all(region_inputs(), config)


def test_the_registry_is_consistent(config: dict[str, Any]) -> None:
    """Unique names, each method after what it needs, a settings section, keys and evidence in the schema."""
    seen: set[str] = set()
    assert len({m.result_name for m in METHODS}) == len(METHODS)
    for m in METHODS:
        assert m.name not in seen
        assert set(m.needs) <= seen, f"{m.name}: needs a method registered after it"
        assert set(m.uses) <= seen | {"history"}
        assert m.section in config
        assert m.label
        assert m.run.__doc__
        assert "school_id" in m.schema
        assert set(m.key) <= set(m.schema)
        assert "school_id" in m.key
        assert not m.evidence or m.schema.get("evidence") == pl.String
        seen.add(m.name)


def test_every_method_module_is_registered() -> None:
    """A module (or package) of ``core.methods`` with a ``run`` is in the registry: a new method cannot
    skip the contract."""
    registered = {m.module for m in METHODS}
    found = set()
    for info in pkgutil.iter_modules(shnor.core.methods.__path__, prefix="shnor.core.methods."):
        module = importlib.import_module(info.name)
        if callable(getattr(module, "run", None)):
            found.add(info.name)
    assert found == registered


@pytest.mark.parametrize("m", METHODS, ids=IDS)
def test_output_has_its_schema_and_one_row_per_key(m: Method, results: dict[str, pl.DataFrame]) -> None:
    out = results[m.name]
    assert out.schema == m.schema
    assert out.height > 0, f"{m.name}: the test region should give it something to find"
    assert out.select(m.key).unique().height == out.height


@pytest.mark.parametrize("m", METHODS, ids=IDS)
def test_schools_are_schools_of_the_inputs(m: Method, results: dict[str, pl.DataFrame]) -> None:
    inputs = region_inputs()
    known = set(inputs.schools["school_id"].to_list())
    known |= set(inputs.results.select("school_id").unique().collect()["school_id"].drop_nulls().to_list())
    assert set(results[m.name]["school_id"].to_list()) <= known


@pytest.mark.parametrize("m", [m for m in METHODS if m.evidence], ids=[m.name for m in METHODS if m.evidence])
def test_evidence_is_json_with_the_promised_keys(m: Method, results: dict[str, pl.DataFrame]) -> None:
    texts = results[m.name]["evidence"].to_list()
    assert all(t is not None for t in texts)
    for text in texts:
        ev = json.loads(text)
        assert isinstance(ev, dict)
        missing = set(m.evidence) - set(ev)
        assert not missing, f"{m.name}: evidence without {sorted(missing)}"


@pytest.mark.parametrize("m", METHODS, ids=IDS)
def test_deterministic_pure_and_writes_nothing(
    m: Method,
    results: dict[str, pl.DataFrame],
    config: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second run gives the same frame; inputs and upstream results are unchanged; no file appears
    in SHNOR_HOME or the working directory."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("SHNOR_HOME", str(home))
    monkeypatch.chdir(cwd)
    inputs = region_inputs()
    before = {name: frame.clone() for name, frame in _frames(inputs).items()}
    upstream = _upstream(m, results)
    upstream_before = {name: frame.clone() for name, frame in upstream.items()}
    again = m.run(inputs, config, upstream)
    assert again.equals(results[m.name])
    for name, frame in _frames(inputs).items():
        assert frame.equals(before[name]), f"{m.name} changed the inputs' {name}"
    for name, frame in upstream.items():
        assert frame.equals(upstream_before[name]), f"{m.name} changed {name}'s result"
    assert inputs.year == YEAR
    assert list(home.iterdir()) == []
    assert list(cwd.iterdir()) == []


def _frames(inputs: Inputs) -> dict[str, pl.DataFrame]:
    return {
        "results": inputs.results.collect(),
        "tasks": inputs.tasks,
        "scales": inputs.scales,
        "schools": inputs.schools,
        "context": inputs.context,
    }


@pytest.fixture(scope="module")
def empty_results(config: dict[str, Any]) -> dict[str, pl.DataFrame]:
    return _run_all(nothing_imported(), config)


@pytest.fixture(scope="module")
def no_year_results(config: dict[str, Any]) -> dict[str, pl.DataFrame]:
    return _run_all(region_inputs(YEAR + 5), config)


@pytest.mark.parametrize("m", METHODS, ids=IDS)
def test_nothing_imported_gives_an_empty_frame_with_the_schema(
    m: Method, empty_results: dict[str, pl.DataFrame]
) -> None:
    out = empty_results[m.name]
    assert out.height == 0
    assert out.schema == m.schema


@pytest.mark.parametrize(
    "m",
    [m for m in METHODS if m.name not in NOT_FROM_RESULTS],
    ids=[m.name for m in METHODS if m.name not in NOT_FROM_RESULTS],
)
def test_a_year_without_results_gives_an_empty_frame_with_the_schema(
    m: Method, no_year_results: dict[str, pl.DataFrame]
) -> None:
    out = no_year_results[m.name]
    assert out.height == 0
    assert out.schema == m.schema


def test_methods_by_name() -> None:
    assert [BY_NAME[m.name] for m in METHODS] == list(METHODS)
