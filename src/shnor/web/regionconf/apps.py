"""App config: the region's own settings (indicators, roadmap templates, questionnaires), versioned."""

from django.apps import AppConfig


class RegionconfConfig(AppConfig):
    """Settings documents of a region; its roadmap templates become a source of ``template_get``."""

    name = "shnor.web.regionconf"
    label = "regionconf"
    verbose_name = "Настройки региона"

    def ready(self) -> None:
        """Make the regions' own roadmap templates known to the template lookup of core."""
        from shnor.core.roadmaps.templates import template_source_register
        from shnor.web.regionconf.selectors import template_by_key

        template_source_register(template_by_key)
