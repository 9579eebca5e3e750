"""App config: teacher diagnostics."""

from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    """Teacher competence results, deficits, development routes and the course catalogue."""

    name = "shnor.web.diagnostics"
    label = "diagnostics"
    verbose_name = "Диагностика педагогов"
