"""App config: the glossary («Словарь терминов»)."""

from django.apps import AppConfig


class GlossaryConfig(AppConfig):
    """The glossary page and the term tooltips (``glossary_tags``); no models."""

    name = "shnor.web.glossary"
    label = "glossary"
    verbose_name = "Словарь терминов"
