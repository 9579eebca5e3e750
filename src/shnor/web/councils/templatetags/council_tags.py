"""``{% council_school_block school %}``: the tasks of working groups set for a school (school card)."""

from __future__ import annotations

import datetime as dt

from django import template

from shnor.web.councils import selectors as sel
from shnor.web.councils.models import TaskStatus

register = template.Library()


@register.inclusion_tag("councils/_school_block.html", takes_context=True)
def council_school_block(context: template.Context, school) -> dict:
    """The school's open tasks from working groups, overdue first."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"rows": []}
    qs = sel.tasks_visible(user=user).filter(school=school).exclude(status=TaskStatus.DONE)
    return {"rows": sel.task_rows(qs, dt.date.today())}
