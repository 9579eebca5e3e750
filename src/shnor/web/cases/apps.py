"""App config: objectivity cases — from the flag (признаки) to the region's verdict."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    """Re-checks of works, controlled procedures, cases with the school's answer, decision and appeal."""

    name = "shnor.web.cases"
    label = "cases"
    verbose_name = "Дела о необъективности"
