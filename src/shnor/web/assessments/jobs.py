"""The assessments app's job kinds: a ВПР file imported by the worker (registered in ``apps.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shnor.web.jobs.kinds import Stage

#: row errors kept in a job's result (the full list is in the XLSX error report)
MAX_ERRORS_KEPT = 200


def vpr_import_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Import one uploaded ВПР file; the outcome as the job's result."""
    from shnor.web.assessments.services import vpr_file_import

    p = params
    outcome = vpr_file_import(
        path=Path(p["path"]),
        year=p.get("year"),
        subject=p.get("subject"),
        grade=p.get("grade"),
        max_rejected=float(p.get("max_rejected", 0.05)),
        replace=bool(p.get("replace", False)),
        progress=stage,
    )
    return {
        "status": outcome.status,
        "ok": outcome.ok,
        "summary": outcome.summary,
        "warnings": outcome.warnings,
        "errors": [e.as_dict() for e in outcome.errors[:MAX_ERRORS_KEPT]],
        "errors_total": len(outcome.errors),
        "report": outcome.report.name if outcome.report else "",
        "batch_id": outcome.batch_id,
        "diff": outcome.diff.as_dict() if outcome.diff else None,
    }
