"""``{% school_events_block school %}`` (the school card) and ``{% activity_events_block activity %}`` (a
roadmap activity's page): the events the user sees, with attendance."""

from __future__ import annotations

from django import template

from shnor.web.events import selectors as sel

register = template.Library()


def _user(context: template.Context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@register.inclusion_tag("events/_school_block.html", takes_context=True)
def school_events_block(context: template.Context, school) -> dict:
    """The school's events: attended, missed and upcoming."""
    user = _user(context)
    if user is None:
        return {"data": None}
    return {"data": sel.school_events(user=user, school=school), "school": school}


@register.inclusion_tag("events/_activity_block.html", takes_context=True)
def activity_events_block(context: template.Context, activity) -> dict:
    """The events implementing a roadmap activity, with the share of target schools that attended."""
    user = _user(context)
    if user is None:
        return {"rows": []}
    return {"rows": sel.activity_events(user=user, activity=activity)}
