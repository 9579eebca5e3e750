"""App config: identification; registers its job kinds."""

from django.apps import AppConfig


class IdentificationConfig(AppConfig):
    """Methodology runs and their outcomes per school and method."""

    name = "shnor.web.identification"
    label = "identification"

    def ready(self) -> None:
        """Register the methodology run, the deficit PDF and a large list's XLSX as job kinds."""
        from shnor.web.identification.deficit_pdf import DEFICIT_PDF_KIND, deficit_pdf_job
        from shnor.web.identification.jobs import identify_job
        from shnor.web.identification.list_export_job import LIST_EXPORT_KIND, list_export_job
        from shnor.web.jobs.kinds import job_kind_register
        from shnor.web.jobs.models import Job

        job_kind_register(kind=Job.IDENTIFY, handler=identify_job)
        job_kind_register(kind=DEFICIT_PDF_KIND, handler=deficit_pdf_job)
        job_kind_register(kind=LIST_EXPORT_KIND, handler=list_export_job)
