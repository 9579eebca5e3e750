"""Ask for a report of the reports page as a browser does: POST the form, let the worker make the job, then
download the file from the job's page."""

from __future__ import annotations

from django.test import Client
from django.urls import resolve, reverse

from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute


def report_job_of(response) -> Job:
    """The report job a POST to the reports page redirected to."""
    assert response.status_code == 302, response.status_code
    match = resolve(response["Location"])
    assert match.view_name == "monitoring:report_job", response["Location"]
    return Job.objects.get(pk=match.kwargs["pk"])


def report_fetch(client: Client, identifier: str, data: dict) -> bytes:
    """Start the report, run its job as the worker does, and return the downloaded file's bytes."""
    job = report_job_of(client.post(reverse("monitoring:report", args=[identifier]), data))
    if not job.finished:
        job = job_execute(job_id=job.pk)
    assert job.status == Job.DONE, job.error
    answer = client.get(reverse("monitoring:report_job_file", args=[job.pk]))
    assert answer.status_code == 200
    assert "attachment" in answer["Content-Disposition"]
    return b"".join(answer.streaming_content)
