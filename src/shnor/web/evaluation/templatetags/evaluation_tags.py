"""``{% school_evaluation_block school %}``: the «Внешняя оценка» block on the school card (scoped)."""

from __future__ import annotations

from django import template

from shnor.web.evaluation import selectors as sel

register = template.Library()


@register.inclusion_tag("evaluation/_school_block.html", takes_context=True)
def school_evaluation_block(context: template.Context, school) -> dict:
    """The school's latest conclusion the user sees: scores by section, recommendations, a link."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"ev": None}
    ev = sel.school_latest_conclusion(user=user, school=school)
    return {
        "ev": ev,
        "school": school,
        "scores": sel.evaluation_scores(ev) if ev is not None else [],
        "open": sel.evaluations_visible(user=user).filter(school=school).exclude(status="done").count(),
    }
