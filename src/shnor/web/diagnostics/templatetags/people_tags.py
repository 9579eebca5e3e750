"""``{% school_people_block school %}``: the «Развитие кадров» section of a school's page (scoped)."""

from __future__ import annotations

from django import template

from shnor.web.diagnostics.people_selectors import school_people

register = template.Library()


@register.inclusion_tag("diagnostics/people/_school_block.html", takes_context=True)
def school_people_block(context: template.Context, school) -> dict:
    """The school's internships, mentoring pairs, reserve and competition entries the user sees."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"shown": False}
    return {"shown": True, "school": school, **school_people(user=user, school=school)}
