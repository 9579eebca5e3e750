"""App config: support work (roadmaps, deadlines, partner schools, risk profiles)."""

from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Roadmaps at three levels, activities, reminders, partner schools, mentors, risk profiles."""

    name = "shnor.web.support"
    label = "support"
    verbose_name = "Сопровождение школ"
