"""The identification app's job kinds: a methodology run started from the browser (see ``apps.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shnor.web.jobs.kinds import Stage


def identify_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Run every method for the year; the run's id, summary and settings digest as the job's result."""
    from shnor.web.identification.services import methodology_run_create

    p = params
    config = Path(p["config_path"]) if p.get("config_path") else None
    run, _ = methodology_run_create(
        year=int(p["year"]),
        config_path=config,
        label=p.get("label", ""),
        progress=stage,
        keep_evidence=False,
    )
    return {"run_id": run.pk, "summary": run.summary, "config_digest": run.config_digest}
