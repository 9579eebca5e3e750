"""``{% school_case_block school %}``: the «Рассмотрение признаков» block on the school card (scoped)."""

from __future__ import annotations

from django import template

from shnor.web.cases.selectors import school_case

register = template.Library()


@register.inclusion_tag("cases/_school_block.html", takes_context=True)
def school_case_block(context: template.Context, school) -> dict:
    """The school's latest case the user sees: its status and decision, with a link."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"case": None}
    return {"case": school_case(user=user, school=school), "school": school}
