"""App config: working groups and councils — members, meetings, protocols, decisions as tasks."""

from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    """Working groups, methodical and coordination councils of the region and municipalities."""

    name = "shnor.web.councils"
    label = "councils"
    verbose_name = "Рабочие группы и советы"
