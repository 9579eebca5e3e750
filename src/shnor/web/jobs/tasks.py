"""The django-tasks entry point: the worker calls it with a job id."""

from __future__ import annotations

from django_tasks import task


@task()
def job_task(job_id: int) -> None:
    """Execute one job (see ``services.job_execute``)."""
    from shnor.web.jobs.services import job_execute

    job_execute(job_id=job_id)
