"""``{% rdr_school_block school %}``: the school's regional diagnostic works (РДР) on the school card."""

from __future__ import annotations

from typing import Any

from django import template

from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.assessments.selectors import rdr_school_results

register = template.Library()


@register.inclusion_tag("assessments/_rdr_school_block.html", takes_context=True)
def rdr_school_block(context: template.Context, school: Any) -> dict[str, Any]:
    """The РДР rows of a school the user may see (nothing for anyone else or without РДР)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or school is None:
        return {"rows": []}
    if not schools_visible_to(user=user).filter(pk=school.pk).exists():
        return {"rows": []}
    return {"rows": rdr_school_results(school_id=school.school_id)}
