"""Roadmap templates (real activities of the seed orders) and risk-profile questionnaires, as data.

Pure Python, no Django: ``templates`` loads the roadmap templates of ``data/`` (TOML, with the big
tables in CSV) and parses Russian periods into dates; ``risk`` loads the risk-profile questionnaire,
scores answers and reads spreadsheet exports of web forms.
"""

from shnor.core.roadmaps.templates import (
    ActivityTemplate,
    Period,
    RoadmapTemplate,
    TemplateError,
    period_parse,
    template_get,
    templates_load,
)

__all__ = [
    "ActivityTemplate",
    "Period",
    "RoadmapTemplate",
    "TemplateError",
    "period_parse",
    "template_get",
    "templates_load",
]
