"""App config: support work (roadmaps, deadlines, partner schools, risk profiles); registers its job kinds."""

from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Roadmaps at three levels, activities, reminders, partner schools, mentors, risk profiles."""

    name = "shnor.web.support"
    label = "support"
    verbose_name = "Сопровождение школ"

    def ready(self) -> None:
        """Register the bulk creation of roadmaps as a job kind."""
        from shnor.web.jobs.kinds import job_kind_register
        from shnor.web.jobs.models import Job
        from shnor.web.support.jobs import roadmaps_bulk_job

        job_kind_register(kind=Job.ROADMAPS_BULK, handler=roadmaps_bulk_job)
