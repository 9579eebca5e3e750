"""App config: monitoring; registers its job kinds."""

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Indicators, effectiveness analyses, website monitoring and reports."""

    name = "shnor.web.monitoring"
    label = "monitoring"
    verbose_name = "Мониторинг"

    def ready(self) -> None:
        """Register the effectiveness analysis, the website check and the reports as job kinds."""
        from shnor.web.jobs.kinds import job_kind_register
        from shnor.web.jobs.models import Job
        from shnor.web.monitoring.jobs import effectiveness_job, site_crawl_job
        from shnor.web.monitoring.report_jobs import REPORT_KIND, report_job

        job_kind_register(kind=Job.EFFECTIVENESS, handler=effectiveness_job)
        job_kind_register(kind=Job.SITE_CRAWL, handler=site_crawl_job)
        job_kind_register(kind=REPORT_KIND, handler=report_job)
