"""Objectivity evidence format 3 (issue 29): what every school of a procedure repeats is stored once per
run, the pages draw the same charts from the school's half and the run's, and the migration rewrites
stored runs."""

from __future__ import annotations

import html
import json
import re
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import polars as pl
import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client

from shnor.core.config import default_config
from shnor.core.evidence.objectivity_format import compact
from shnor.core.evidence.objectivity_shared import FORMAT, MOVED, resolve, resolve_data, share
from shnor.core.evidence.objectivity_tables import TABLES, TEXTS, from_tables
from shnor.core.methods import objectivity
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.identification.presenters import present
from tests.core.methods.contract_region import region_inputs

#: Format-1 evidence the detector wrote before format 2 (demo region seed 3, 120 schools).
SNAPSHOT = Path(__file__).parents[1] / "core" / "methods" / "data_objectivity" / "obj_3.parquet"
migration = import_module("shnor.web.identification.migrations.0005_objectivity_evidence_format_3")


def _data(row: dict[str, Any], evidence: Any) -> dict[str, Any]:
    return {"n_signs": row["n_signs"], "signs": row["signs"], "strongest_sign": row["strongest_sign"]} | {
        "evidence": evidence
    }


def _charts(data: dict[str, Any], row: dict[str, Any]) -> list[Any]:
    """Every chart the card draws of an outcome (per sign block), as JSON."""
    shown = present("objectivity", data=data, flagged=row["flagged"], label=row["signs"] or "")
    return [json.dumps(s["charts"], sort_keys=True) for s in shown.signs]


def _records(evidence: dict[str, Any], shared: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored records of format-3 evidence, as stored (the run's parts not put back)."""
    return from_tables(evidence["signs"], shared[TABLES], shared[TEXTS])


@pytest.fixture(scope="module")
def made() -> pl.DataFrame:
    """The contract region's objectivity output (format 2, as the method writes it)."""
    return objectivity.run(region_inputs(), default_config()["objectivity"])


def _round_trip(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """Each row's evidence through format 3 and back, checked against its format-2 form and the pages'
    charts; the run's shared parts and how many records left a part to them."""
    shared: dict[str, Any] = {}
    stored = [orjson.loads(orjson.dumps(share(json.loads(r["evidence"]), shared))) for r in rows]
    shared = orjson.loads(orjson.dumps(shared))  # (as the database gives it back)
    n_moved = 0
    for row, v3 in zip(rows, stored, strict=True):
        original = json.loads(row["evidence"])
        assert v3["format"] == FORMAT
        assert share(v3, {}) == v3  # idempotent
        assert resolve(v3, shared) == compact(original)
        assert v3["p_combined"] == original["p_combined"]
        assert v3["sign_p_values"] == original["sign_p_values"]
        assert all(type(t) is list for t in v3["signs"])  # (the records as tables)
        n_moved += sum(MOVED in r for r in _records(v3, shared))
        before = _charts(_data(row, original), row)
        after = _charts(resolve_data(_data(row, v3), shared), row)
        assert after == before
    return shared, n_moved


def test_format_2_round_trips_with_the_same_charts(made) -> None:
    shared, n_moved = _round_trip(list(made.head(20).iter_rows(named=True)))
    assert n_moved > 0
    # the region's task success of a procedure is kept once, not per school
    assert any("chart.task_success.region" in part for part in shared.values())


def test_format_1_round_trips_with_the_same_charts() -> None:
    if not SNAPSHOT.exists():
        pytest.skip("format-1 snapshot not available")
    _shared, n_moved = _round_trip(list(pl.read_parquet(SNAPSHOT).head(40).iter_rows(named=True)))
    assert n_moved > 0


def test_a_school_whose_region_half_differs_keeps_its_own() -> None:
    rec = {"id": "task_pattern:vpr:ma:4", "p_value": 0.5, "chart": {"task_success": {"school": [1.0]}}}
    a = {**rec, "chart": {"task_success": {"school": [1.0], "region": [50.0]}}}
    b = {**rec, "chart": {"task_success": {"school": [2.0], "region": [51.0]}}}
    shared: dict[str, Any] = {}
    ev_a, ev_b = (share({"format": 2, "signs": [r]}, shared) for r in (a, b))
    stored_a, stored_b = (_records(ev, shared)[0] for ev in (ev_a, ev_b))
    assert "region" not in stored_a["chart"]["task_success"]
    assert stored_b["chart"]["task_success"]["region"] == [51.0]
    assert resolve(ev_a, shared)["signs"][0] == a
    assert resolve(ev_b, shared)["signs"][0] == b


def test_sharing_leaves_the_schools_record_as_it_was() -> None:
    # two parts under one chart and one under bunching's boundaries move: the copies made on the way
    # are the stored record's, never the method's
    rec = {
        "id": "task_pattern:vpr:ma:4",
        "chart": {"task_success": {"school": [1.0], "region": [50.0], "levels": ["Б"]}},
        "boundaries": [{"tests": {"year": [2024], "grade": [4]}, "cut": 7}],
        "reason": "мало участников",
    }
    before = json.loads(json.dumps(rec))
    shared: dict[str, Any] = {}
    first, second = (share({"format": 2, "signs": [json.loads(json.dumps(rec))]}, shared) for _ in range(2))
    third = share({"format": 2, "signs": [rec]}, shared)
    assert rec == before
    stored = _records(third, shared)[0]
    assert stored["chart"]["task_success"] == {"school": [1.0]}
    assert stored["boundaries"] == [{"tests": {}, "cut": 7}]
    assert "reason" not in stored
    assert all(resolve(ev, shared)["signs"][0] == before for ev in (first, second, third))


def test_the_contract_regions_bytes_a_school_decrease(made) -> None:
    v2 = made["evidence"].str.len_bytes()
    shared: dict[str, Any] = {}
    v3 = [len(orjson.dumps(share(json.loads(e), shared))) for e in made["evidence"]]
    per_school = (sum(v3) + len(orjson.dumps(shared))) / made.height  # the run's part shared out
    assert per_school < 0.6 * v2.mean()
    assert per_school <= 5_000  # (measured 3,449 B against 9,136 B in format 2)


def _figures(page: str) -> list[Any]:
    """The objectivity card's charts as the page hands them to the browser."""
    card = page.split('id="flag-objectivity"', 1)[1].split('<div class="card flag', 1)[0]
    return [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', card)]


def _migrate() -> None:
    migration.evidence_to_format_3(django_apps, SimpleNamespace(connection=connection))


def test_the_migration_moves_shared_parts_to_the_run_and_the_card_draws_the_same(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    stored = SchoolOutcome.objects.filter(method=SchoolOutcome.OBJECTIVITY)
    others = {o.pk: o.data for o in SchoolOutcome.objects.exclude(method=SchoolOutcome.OBJECTIVITY)}
    schools = [
        "sch0001",
        *stored.exclude(school__school_id="sch0001").values_list("school__school_id", flat=True)[:2],
    ]
    before = {s: _figures(c.get(f"/schools/{s}/").content.decode()) for s in schools}
    assert all(before.values())
    size_before = sum(len(orjson.dumps(o.data)) for o in stored)

    _migrate()
    migrated = {o.pk: o.data for o in stored.all()}
    assert all(d["evidence"]["format"] == FORMAT for d in migrated.values())
    run = MethodologyRun.objects.get(pk=stored.first().run_id)
    shared = run.evidence_shared["objectivity"]
    assert shared["task_pattern:vpr:ma:4"]["chart.task_success.region"][0] == 92.1
    recs = [r for d in migrated.values() for r in _records(d["evidence"], shared)]
    assert len(recs) == 4 * len(migrated)
    assert not any("region" in r.get("chart", {}).get("task_success", {}) for r in recs)
    assert sum(len(orjson.dumps(d)) for d in migrated.values()) < size_before
    assert {o.pk: o.data for o in SchoolOutcome.objects.exclude(method=SchoolOutcome.OBJECTIVITY)} == others

    from django.core.cache import cache

    cache.clear()  # (the card is cached per school and run)
    after = {s: _figures(c.get(f"/schools/{s}/").content.decode()) for s in schools}
    assert after == before

    _migrate()  # again: nothing left to rewrite, the run's parts unchanged
    assert {o.pk: o.data for o in stored.all()} == migrated
    assert MethodologyRun.objects.get(pk=run.pk).evidence_shared["objectivity"] == shared


def test_records_that_cannot_be_tables_stay_a_list_and_read_back() -> None:
    unordered = [{"id": "task_pattern:vpr:ma:5", "p_value": 0.5}, {"id": "bunching:vpr:ma:4", "p_value": 0.2}]
    dotted = [{"id": "bunching:vpr:ma:4", "statistic": {"a.b": 1}}]
    for recs in (unordered, dotted):
        shared: dict[str, Any] = {}
        v3 = share({"format": 2, "signs": recs}, shared)
        assert v3["signs"] == recs
        assert resolve(v3, shared)["signs"] == recs


def test_format_3_read_without_the_run_keeps_the_schools_own_numbers(made) -> None:
    from shnor.core.evidence import ObjectivityEvidence

    row = made.row(0, named=True)
    v3 = share(json.loads(row["evidence"]), {})
    ev = ObjectivityEvidence.parse(_data(row, v3))
    assert ev.headline.p_combined == json.loads(row["evidence"])["p_combined"]
    assert ev.sign_ids == tuple(s for s in (row["signs"] or "").split("; ") if s)
    assert ev.signs == ()  # (the records' keys are the run's: read with ``resolve``)
