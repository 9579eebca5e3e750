"""App config: objectivity cases — from the flag (признаки) to the region's verdict."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    """Re-checks of works, controlled procedures, cases with the school's answer, decision and appeal."""

    name = "shnor.web.cases"
    label = "cases"
    verbose_name = "Дела о необъективности"

    def ready(self) -> None:
        """Register the case dossier as a job kind."""
        from shnor.web.cases.dossier_job import DOSSIER_KIND, dossier_job
        from shnor.web.jobs.kinds import job_kind_register

        job_kind_register(kind=DOSSIER_KIND, handler=dossier_job)
