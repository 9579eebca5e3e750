"""The menu link «Запросы отчётов» with the number of parts waiting for the user (a badge)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import scope_of

register = template.Library()

#: roles that receive requests (the others see the link without a badge)
RECIPIENT_ROLES = (Role.SCHOOL, Role.CURATOR, Role.MUNICIPALITY)


@register.simple_tag(takes_context=True)
def submissions_link(context: dict[str, Any]) -> str:
    """``<a>Запросы отчётов <span class="badge">N</span></a>``; N — the parts still to send."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    n = 0
    if scope_of(user).role in RECIPIENT_ROLES:
        from shnor.web.submissions.selectors import pending_count

        n = pending_count(user=user, today=timezone.localdate())
    badge = (
        format_html(' <span class="badge" id="submissions-badge" title="ждут отправки">{}</span>', n)
        if n
        else ""
    )
    return format_html('<a href="{}">Запросы отчётов{}</a>', reverse("submissions:index"), badge)


@register.inclusion_tag("submissions/_school_block.html", takes_context=True)
def submissions_school_block(context: template.Context, school: Any) -> dict[str, Any]:
    """The school's parts of report requests (visible ones, newest deadline first) on the school card."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"parts": []}
    from shnor.web.submissions.selectors import parts_visible_to

    today = timezone.localdate()
    parts = list(
        parts_visible_to(user=user)
        .filter(school=school)
        .select_related("request__region", "request__municipality", "school")
        .order_by("-request__deadline", "-id")[:10]
    )
    return {"parts": [(p, p.status_label(today), p.status_code(today)) for p in parts]}
