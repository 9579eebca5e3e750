"""Stored objectivity evidence rewritten to format 2 (``shnor.core.evidence.objectivity_format``).

Runs stored before the compact format keep every record in full (≈ 50 KB a school at country scale);
this rewrites each outcome's ``evidence`` with ``compact`` — the same data the pages show, what the
record id and the sign say left out, p-values to 3 significant digits. Outcomes already in format 2
are skipped (the migration can run again), and a country database is read a batch at a time. The
reverse does nothing: the pages read both formats.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import migrations

from shnor.core.evidence.objectivity_format import FORMAT, compact

#: Outcomes read and written per batch.
BATCH = 500


def _compacted(data: Any) -> dict[str, Any] | None:
    """The outcome's ``data`` with its evidence in format 2, or None when there is nothing to rewrite."""
    if not isinstance(data, dict):
        return None
    ev = data.get("evidence")
    if isinstance(ev, str):  # (evidence stored as JSON text)
        try:
            ev = json.loads(ev)
        except ValueError:
            return None
    if not isinstance(ev, dict) or ev.get("format") == FORMAT:
        return None
    return {**data, "evidence": compact(ev)}


def evidence_to_format_2(apps: Any, schema_editor: Any) -> None:
    """Every objectivity outcome's evidence in format 2, ``BATCH`` outcomes at a time."""
    outcome = apps.get_model("identification", "SchoolOutcome")
    rows = (
        outcome.objects.using(schema_editor.connection.alias).filter(method="objectivity").only("pk", "data")
    )
    batch = []
    for o in rows.order_by("pk").iterator(chunk_size=BATCH):
        data = _compacted(o.data)
        if data is None:
            continue
        o.data = data
        batch.append(o)
        if len(batch) >= BATCH:
            outcome.objects.using(schema_editor.connection.alias).bulk_update(batch, ["data"])
            batch = []
    if batch:
        outcome.objects.using(schema_editor.connection.alias).bulk_update(batch, ["data"])


class Migration(migrations.Migration):
    dependencies = [("identification", "0003_list_decisions")]

    operations = [migrations.RunPython(evidence_to_format_2, migrations.RunPython.noop, elidable=True)]
