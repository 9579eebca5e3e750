"""``{% school_support_block school %}``: the school's roadmap block on the school card (scoped)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from shnor.core.roadmaps.templates import TRACK_TITLES
from shnor.web.accounts.scope import scope_of
from shnor.web.support.selectors import school_support_summary

register = template.Library()


@register.inclusion_tag("support/_school_block.html", takes_context=True)
def school_support_block(context: template.Context, school) -> dict:
    """The school's roadmaps with their execution share and the confirmed leader school."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"summary": {}}
    summary = school_support_summary(user=user, school=school, today=timezone.localdate())
    can_create = scope_of(user).can_create_roadmap(level="school", unit=school)
    return {"summary": summary, "school": school, "can_create": can_create}


@register.filter
def track_title(code: str) -> str:
    """The Russian title of a support track code."""
    return TRACK_TITLES.get(str(code), str(code))
