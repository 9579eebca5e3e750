"""Stored objectivity evidence rewritten to format 3 (``shnor.core.evidence.objectivity_shared``).

Adds the run's ``evidence_shared`` and moves there, once per run, what every school of a procedure
repeated in format 1 and 2 (the region's half of the charts, the empirical null, the reason a procedure
was not tested); each outcome's records keep a bit per part they left to the run. Run by run, its
outcomes a batch at a time in pk order; outcomes already in format 3 are skipped and the run's shared
parts are extended, never replaced (the migration can run again). The reverse does nothing: the pages
read every format.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import migrations, models

from shnor.core.evidence.objectivity_shared import FORMAT, share

#: Outcomes read and written per batch.
BATCH = 500


def _shared(data: Any, shared: dict[str, Any]) -> dict[str, Any] | None:
    """The outcome's ``data`` with its evidence in format 3 (its shared parts added to ``shared``), or
    None when there is nothing to rewrite."""
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
    return {**data, "evidence": share(ev, shared)}


def _write(apps: Any, db: str, run_id: int, whole: dict[str, Any], batch: list[Any]) -> None:
    """The run's shared parts, then the batch of outcomes that point to them (never the other way)."""
    apps.get_model("identification", "MethodologyRun").objects.using(db).filter(pk=run_id).update(
        evidence_shared=whole
    )
    apps.get_model("identification", "SchoolOutcome").objects.using(db).bulk_update(batch, ["data"])
    batch.clear()


def evidence_to_format_3(apps: Any, schema_editor: Any) -> None:
    """Every run's objectivity evidence in format 3, ``BATCH`` outcomes at a time."""
    db = schema_editor.connection.alias
    run_model = apps.get_model("identification", "MethodologyRun")
    outcome = apps.get_model("identification", "SchoolOutcome")
    runs = outcome.objects.using(db).filter(method="objectivity").values_list("run_id", flat=True).distinct()
    for run_id in sorted(set(runs)):
        run = run_model.objects.using(db).get(pk=run_id)
        whole = run.evidence_shared if isinstance(run.evidence_shared, dict) else {}
        shared = whole.setdefault("objectivity", {})
        rows = outcome.objects.using(db).filter(run_id=run_id, method="objectivity").only("pk", "data")
        batch: list[Any] = []
        for o in rows.order_by("pk").iterator(chunk_size=BATCH):
            data = _shared(o.data, shared)
            if data is None:
                continue
            o.data = data
            batch.append(o)
            if len(batch) >= BATCH:
                _write(apps, db, run_id, whole, batch)
        if batch:
            _write(apps, db, run_id, whole, batch)


class Migration(migrations.Migration):
    dependencies = [("identification", "0004_objectivity_evidence_format_2")]

    operations = [
        migrations.AddField(
            model_name="methodologyrun",
            name="evidence_shared",
            field=models.JSONField(blank=True, default=dict, verbose_name="общие части доказательств"),
        ),
        migrations.RunPython(evidence_to_format_3, migrations.RunPython.noop, elidable=True),
    ]
