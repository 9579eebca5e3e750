"""Writes for jobs: enqueue an import or a run, and execute it in the worker with visible stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from shnor.core.config import ConfigError
from shnor.core.ingest.errors import IngestError
from shnor.web.accounts.selectors import profile_of
from shnor.web.jobs.models import Job

MAX_ERRORS_KEPT = 200


def job_enqueue(*, kind: str, label: str, params: dict[str, Any], user: Any) -> Job:
    """Create a job and hand it to the task backend once the creating transaction commits."""
    from shnor.web.jobs.tasks import job_task

    profile = profile_of(user=user)
    job = Job.objects.create(
        kind=kind,
        label=label,
        params=params,
        created_by=user if user and user.is_authenticated else None,
        region=profile.region if profile else None,
    )

    def send() -> None:
        result = job_task.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(send)
    return job


def _stage(job_id: int, text: str) -> None:
    Job.objects.filter(pk=job_id).update(stage=text[:255])


def job_execute(*, job_id: int) -> Job:
    """Run a queued job: an import or a methodology run; the outcome or a Russian error goes into the job."""
    job = Job.objects.get(pk=job_id)
    if job.finished:
        return job
    Job.objects.filter(pk=job_id).update(status=Job.RUNNING, started_at=timezone.now(), stage="начато")
    try:
        result = _dispatch(job)
    except (IngestError, ConfigError) as exc:
        Job.objects.filter(pk=job_id).update(
            status=Job.FAILED, error=str(exc), finished_at=timezone.now(), stage=""
        )
    except Exception as exc:  # the worker must record any failure for the user, then go on
        Job.objects.filter(pk=job_id).update(
            status=Job.FAILED,
            error=f"внутренняя ошибка: {exc.__class__.__name__}: {exc}",
            finished_at=timezone.now(),
            stage="",
        )
    else:
        Job.objects.filter(pk=job_id).update(
            status=Job.DONE, result=result, finished_at=timezone.now(), stage=""
        )
    return Job.objects.get(pk=job_id)


def _dispatch(job: Job) -> dict[str, Any]:
    p = job.params
    if job.kind == Job.IMPORT_VPR:
        from shnor.web.assessments.services import vpr_file_import

        outcome = vpr_file_import(
            path=Path(p["path"]),
            year=p.get("year"),
            subject=p.get("subject"),
            grade=p.get("grade"),
            max_rejected=float(p.get("max_rejected", 0.05)),
            replace=bool(p.get("replace", False)),
            progress=lambda s: _stage(job.pk, s),
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
    if job.kind == Job.IDENTIFY:
        from shnor.web.identification.services import methodology_run_create

        config = Path(p["config_path"]) if p.get("config_path") else None
        run, _ = methodology_run_create(
            year=int(p["year"]),
            config_path=config,
            label=p.get("label", ""),
            progress=lambda s: _stage(job.pk, s),
            keep_evidence=False,
        )
        return {"run_id": run.pk, "summary": run.summary, "config_digest": run.config_digest}
    if job.kind == Job.EFFECTIVENESS:
        from shnor.web.monitoring.services import effectiveness_analysis_execute

        return effectiveness_analysis_execute(analysis_id=int(p["analysis_id"]), progress=lambda s: _stage(job.pk, s))
    if job.kind == Job.SITE_CRAWL:
        from shnor.web.monitoring.services import site_check_execute

        return site_check_execute(check_id=int(p["check_id"]), progress=lambda s: _stage(job.pk, s))
    raise ValueError(f"неизвестный вид задачи {job.kind!r}")
