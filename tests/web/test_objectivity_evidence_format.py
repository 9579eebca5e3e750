"""Objectivity evidence format 2 (issue 29): the method writes it small, the pages read both formats the
same, and the migration rewrites stored runs."""

from __future__ import annotations

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
from django.urls import reverse

from shnor.core.config import default_config
from shnor.core.evidence.objectivity_format import FORMAT, compact
from shnor.core.evidence.plain import pooled_records
from shnor.core.methods import objectivity
from shnor.web.identification.models import SchoolOutcome
from shnor.web.identification.presenters import list_details, present
from tests.core.methods.contract_region import region_inputs

#: Format-1 evidence the detector wrote before format 2 (demo region seed 3, 120 schools).
SNAPSHOT = Path(__file__).parents[1] / "core" / "methods" / "data_objectivity" / "obj_3.parquet"
migration = import_module("shnor.web.identification.migrations.0004_objectivity_evidence_format_2")


def _data(row: dict[str, Any], evidence: Any) -> dict[str, Any]:
    return {"n_signs": row["n_signs"], "signs": row["signs"], "strongest_sign": row["strongest_sign"]} | {
        "evidence": evidence
    }


def _p_free(facts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The facts with the p-value's digits left out (format 2 keeps 3 significant digits)."""
    return [(k, "p" if k.startswith("p-значение") else v) for k, v in facts]


def test_the_method_writes_format_2_at_most_10_kb_a_school() -> None:
    out = objectivity.run(region_inputs(), default_config()["objectivity"])
    assert out.height >= 20
    evidence = [json.loads(e) for e in out["evidence"]]
    assert all(ev["format"] == FORMAT for ev in evidence)
    # the robustness suite reads these two by JSON path
    assert all("p_combined" in ev and isinstance(ev["sign_p_values"], dict) for ev in evidence)
    assert out["evidence"].str.json_path_match("$.format").cast(pl.Int64).eq(FORMAT).all()
    assert out["evidence"].str.len_bytes().mean() <= 10_000
    # written once: every record's comparison group, sign and procedure come from the id and the table
    recs = [r for ev in evidence for r in ev["signs"]]
    assert recs
    assert not any("sign" in r or "procedure" in r for r in recs)
    # the pooled tests read back with their comparison group (left out of the stored form when standard)
    pooled = [rec for ev in evidence for rec, _ in pooled_records(ev) if rec.tested]
    assert pooled
    assert all(rec.headline.comparison_group for rec in pooled)


def test_the_pages_show_old_and_compacted_evidence_alike() -> None:
    if not SNAPSHOT.exists():
        pytest.skip("format-1 snapshot not available")
    old = pl.read_parquet(SNAPSHOT).head(60)
    n_blocks = before = after = 0
    for row in old.iter_rows(named=True):
        v1 = json.loads(row["evidence"])
        v2 = compact(v1)
        assert v2["format"] == FORMAT
        assert compact(v2) == v2  # idempotent
        assert v2["p_combined"] == v1["p_combined"]
        assert v2["sign_p_values"] == v1["sign_p_values"]
        before += len(orjson.dumps(v1))
        after += len(orjson.dumps(v2))
        a = present("objectivity", data=_data(row, v1), flagged=row["flagged"], label=row["signs"] or "")
        b = present("objectivity", data=_data(row, v2), flagged=row["flagged"], label=row["signs"] or "")
        assert a.label == b.label
        assert a.facts == b.facts
        assert [s["id"] for s in a.signs] == [s["id"] for s in b.signs]
        for x, y in zip(a.signs, b.signs, strict=True):
            assert (x["title"], x["significant"], x["badge"]) == (y["title"], y["significant"], y["badge"])
            assert x["charts"] == y["charts"]
            assert _p_free(x["facts"]) == _p_free(y["facts"])
            assert x["sentences"][:-1] == y["sentences"][:-1]  # (the last: how rare, from p)
        n_blocks += len(a.signs)
        assert list_details("objectivity", _data(row, v1)) == list_details("objectivity", _data(row, v2))
    assert n_blocks > 0
    assert after < 0.75 * before  # (migrated rows keep their region_bunching rows: 0.66 here)


def _blocks(html: str) -> list[str]:
    """The objectivity card's sign summaries (title and badge) as the page shows them."""
    card = html.split('id="flag-objectivity"', 1)[1].split('<div class="card flag', 1)[0]
    return [re.sub(r"\s+", " ", s).strip() for s in re.findall(r"<summary>(.*?)</summary>", card, re.S)]


def _rows(html: str) -> list[str]:
    """The list's table rows as text."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in rows]


def _migrate() -> None:
    migration.evidence_to_format_2(django_apps, SimpleNamespace(connection=connection))


def test_the_migration_rewrites_stored_runs_and_the_pages_read_them(world) -> None:
    c = Client()
    c.force_login(world.users["region"])
    stored = SchoolOutcome.objects.filter(method=SchoolOutcome.OBJECTIVITY)
    assert stored.exists()
    assert not any("format" in o.data["evidence"] for o in stored)
    others = {o.pk: o.data for o in SchoolOutcome.objects.exclude(method=SchoolOutcome.OBJECTIVITY)}
    card_before = _blocks(c.get("/schools/sch0001/").content.decode())
    list_url = reverse("identification:list", kwargs={"kind": "objectivity"})
    list_before = c.get(list_url)
    assert card_before
    assert list_before.status_code == 200
    assert len(_rows(list_before.content.decode())) > 1

    # a row whose evidence was stored as JSON text is rewritten too
    text_row = stored.exclude(school__school_id="sch0001").first()
    text_row.data = {**text_row.data, "evidence": json.dumps(text_row.data["evidence"])}
    text_row.save()
    _migrate()
    migrated = {o.pk: o.data for o in SchoolOutcome.objects.filter(method=SchoolOutcome.OBJECTIVITY)}
    assert all(d["evidence"]["format"] == FORMAT for d in migrated.values())
    recs = [r for d in migrated.values() for r in d["evidence"]["signs"]]
    assert all("tested" not in r or r["tested"] is False for r in recs)
    assert all(r["p_value"] == float(f"{r['p_value']:.3g}") for r in recs if "p_value" in r)
    assert {o.pk: o.data for o in SchoolOutcome.objects.exclude(method=SchoolOutcome.OBJECTIVITY)} == others

    assert _blocks(c.get("/schools/sch0001/").content.decode()) == card_before
    list_after = c.get(list_url)
    assert list_after.status_code == 200
    assert _rows(list_after.content.decode()) == _rows(list_before.content.decode())

    _migrate()  # again: nothing left to rewrite
    again = {o.pk: o.data for o in SchoolOutcome.objects.filter(method=SchoolOutcome.OBJECTIVITY)}
    assert again == migrated
