"""App config: assessments; registers its job kinds."""

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    """Result files in the warehouse (their versions), scales and task structures."""

    name = "shnor.web.assessments"
    label = "assessments"

    def ready(self) -> None:
        """Register the ВПР import as a job kind."""
        from shnor.web.assessments.jobs import vpr_import_job
        from shnor.web.jobs.kinds import job_kind_register
        from shnor.web.jobs.models import Job

        job_kind_register(kind=Job.IMPORT_VPR, handler=vpr_import_job)
