"""App config: support work (roadmaps, deadlines, partner schools, risk profiles)."""

from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Roadmaps at three levels, activities, reminders, partner schools, mentors, risk profiles."""

    name = "shnor.web.support"
    label = "support"
    verbose_name = "Сопровождение школ"

    def ready(self) -> None:
        """Audit the app's models through the project's audit journal."""
        from shnor.web.support import signals  # noqa: F401
