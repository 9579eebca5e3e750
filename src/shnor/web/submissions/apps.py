"""App config: report requests between levels (ask, fill in, submit, accept or return, remind, combine) and
the quarterly report on the management cycle; registers the quarterly report's job kind."""

from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    """Report requests with deadlines, their status board and reminders; the quarterly report."""

    name = "shnor.web.submissions"
    label = "submissions"
    verbose_name = "Запросы отчётов"

    def ready(self) -> None:
        """Register the quarterly report as a job kind."""
        from shnor.web.jobs.kinds import job_kind_register
        from shnor.web.submissions.jobs import QUARTERLY_KIND, quarterly_report_job

        job_kind_register(kind=QUARTERLY_KIND, handler=quarterly_report_job)
