"""Writes for jobs: enqueue a job, and execute it in the worker with visible stages (kinds: ``kinds.py``)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from shnor.core.config import ConfigError
from shnor.core.ingest.errors import IngestError
from shnor.web.accounts.scope import User, scope_of
from shnor.web.jobs.kinds import job_kind_handler
from shnor.web.jobs.models import Job

logger = logging.getLogger("shnor.jobs")


def job_enqueue(*, kind: str, label: str, params: dict[str, Any], user: User | None) -> Job:
    """Create a job and hand it to the task backend once the creating transaction commits."""
    from shnor.web.jobs.tasks import job_task

    job = Job.objects.create(
        kind=kind,
        label=label,
        params=params,
        created_by=user if user and user.is_authenticated else None,
        region_id=scope_of(user).region_id,
    )

    def send() -> None:
        result = job_task.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(send)
    return job


def _stage(job_id: int, text: str) -> None:
    Job.objects.filter(pk=job_id).update(stage=text[:255])


def job_execute(*, job_id: int) -> Job:
    """Run a queued job by its kind's registered handler; the outcome or a Russian error goes into the job.

    The worker claims the job first (queued → running in one conditional UPDATE): of two workers given
    the same job (a redelivered task, a second consumer, the demo running it at once) one runs it and
    the other, finding it no longer queued, leaves it alone."""
    claimed = Job.objects.filter(pk=job_id, status=Job.QUEUED).update(
        status=Job.RUNNING, started_at=timezone.now(), stage="начато"
    )
    job = Job.objects.get(pk=job_id)
    if not claimed:
        if not job.finished:
            logger.warning("задача %s уже выполняется другим обработчиком; повторный запуск пропущен", job_id)
        return job
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
    handler = job_kind_handler(kind=job.kind)
    return handler(job.params, lambda s: _stage(job.pk, s))
