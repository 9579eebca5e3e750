"""``{% interview_school_block school %}`` (school card) and ``{% interview_roadmap_block roadmap %}``
(a school roadmap's page): interviews and their corrections, scoped."""

from __future__ import annotations

from django import template

from shnor.web.interviews import selectors as sel
from shnor.web.interviews.models import FindingLevel

register = template.Library()


def _user(context: template.Context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@register.inclusion_tag("interviews/_school_block.html", takes_context=True)
def interview_school_block(context: template.Context, school) -> dict:
    """The latest interview (with the factors found medium or high) and the corrections waiting."""
    user = _user(context)
    if user is None:
        return {"last": None, "waiting": 0}
    last = sel.interviews_visible(user=user).filter(school=school).first()
    risks = [
        f["title"]
        for f in (last.findings if last else [])
        if f.get("level") in (FindingLevel.HIGH, FindingLevel.MEDIUM)
    ]
    return {
        "school": school,
        "last": last,
        "risks": risks,
        "waiting": sel.open_corrections(user=user, school=school).count(),
    }


@register.inclusion_tag("interviews/_roadmap_block.html", takes_context=True)
def interview_roadmap_block(context: template.Context, roadmap) -> dict:
    """The corrections proposed to this school roadmap by interviews of its year."""
    user = _user(context)
    return {"corrections": sel.roadmap_corrections(user=user, roadmap=roadmap) if user else []}
