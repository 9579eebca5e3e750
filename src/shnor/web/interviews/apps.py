"""App config: interviews with schools' management teams and the roadmap corrections agreed at them."""

from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    """Interviews (собеседования) with management teams: findings by risk factor, agreed corrections."""

    name = "shnor.web.interviews"
    label = "interviews"
    verbose_name = "Собеседования с управленческими командами"
