"""App config for the API."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API."""

    name = "shnor.web.api"
    label = "api"
    verbose_name = "REST API"
