"""Links from elsewhere into the bank of practices.

``{% practices_for_deficits school run %}`` — on the school card under the deficit recommendations: the
published practices of the deficits' subjects whose text shares words (in any form) with the deficits'
skills, elements and recommendation topics. ``{% practices_for_risk factor %}`` — on an anti-risk programme:
the published practices tagged with its risk factor. Both render nothing for a user who is not logged in,
and the deficits' block nothing for a school the user does not see or without deficits evidence."""

from __future__ import annotations

from django import template

from shnor.web.accounts.scope import scope_of
from shnor.web.practices import selectors as sel

register = template.Library()


def _user(context: template.Context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@register.inclusion_tag("practices/_for_deficits.html", takes_context=True)
def practices_for_deficits(context: template.Context, school, run=None) -> dict:
    """The bank's practices for the school's deficits (of ``run``, else of the newest run with them)."""
    user = _user(context)
    if user is None or school is None or not scope_of(user).sees(school):
        return {"rows": [], "shown": False}
    rows = sel.practices_for_deficits(school=school, run=run)
    return {"rows": rows or [], "shown": rows is not None}


@register.inclusion_tag("practices/_for_risk.html", takes_context=True)
def practices_for_risk(context: template.Context, factor: str) -> dict:
    """The bank's practices tagged with the risk factor ``factor``."""
    if _user(context) is None:
        return {"rows": [], "shown": False}
    return {"rows": sel.practices_for_factor(factor=str(factor or "")), "shown": True, "factor": factor}
