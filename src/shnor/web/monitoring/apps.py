"""App config: monitoring."""

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Indicators, effectiveness analyses, website monitoring and reports."""

    name = "shnor.web.monitoring"
    label = "monitoring"
    verbose_name = "Мониторинг"
