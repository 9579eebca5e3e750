"""App config: the needs register (staff vacancies, equipment) and the region's targeted support."""

from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    """Needs of schools, targeted support decisions and their execution, young specialists placed."""

    name = "shnor.web.resources"
    label = "resources"
    verbose_name = "Потребности и адресная поддержка"
