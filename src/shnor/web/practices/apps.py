"""App config: the bank of effective practices and methodological materials."""

from django.apps import AppConfig


class PracticesConfig(AppConfig):
    """Practices submitted by schools and the region, moderated, searched in Russian, adopted by schools."""

    name = "shnor.web.practices"
    label = "practices"
    verbose_name = "Банк практик и методических материалов"
