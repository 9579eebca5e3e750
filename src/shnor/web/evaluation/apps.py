"""App config: external evaluation — comprehensive inspection of a school and expert review of programmes."""

from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Inspections and programme reviews: experts' criteria forms, the conclusion, recommendations."""

    name = "shnor.web.evaluation"
    label = "evaluation"
    verbose_name = "Внешняя оценка и экспертиза"
