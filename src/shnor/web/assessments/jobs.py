"""The assessments app's job kind: an uploaded file imported by the worker (registered in ``apps.py``).

One kind (``Job.IMPORT_VPR``) carries every browser upload; ``params["input"]`` says which file it is
(``INPUTS``: ВПР, РДР, ГИА, the registry of schools, the yearly context), and each is imported by the
same function the command line calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shnor.web.jobs.kinds import Stage

#: row errors kept in a job's result (the full list is in the XLSX error report)
MAX_ERRORS_KEPT = 200


def _outcome(p: dict[str, Any], stage: Stage) -> Any:
    """The import of the uploaded file named in ``p`` by the service its input kind belongs to."""
    from shnor.web.assessments import services
    from shnor.web.assessments.inputs import registry_import

    what = p.get("input", "vpr")
    path = Path(p["path"])
    threshold = float(p.get("max_rejected", 0.05))
    if what in ("vpr", "rdr"):
        importer = services.vpr_file_import if what == "vpr" else services.rdr_file_import
        return importer(
            path=path,
            year=p.get("year"),
            subject=p.get("subject"),
            grade=p.get("grade"),
            max_rejected=threshold,
            replace=bool(p.get("replace", False)),
            progress=stage,
        )
    if what == "gia":
        return services.gia_file_import(
            path=path, max_rejected=threshold, replace=bool(p.get("replace", False)), progress=stage
        )
    if what in ("schools", "context"):
        return registry_import(kind=what, path=path, max_rejected=threshold, progress=stage)
    raise ValueError(f"неизвестный вид загружаемого файла {what!r}")


def vpr_import_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Import one uploaded file; the outcome as the job's result."""
    outcome = _outcome(params, stage)
    outcome.errors.sort(key=lambda e: (e.file, e.sheet, e.row, e.column))
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
