"""``{% roadmap_lifecycle roadmap as lc %}``: the life cycle block of a roadmap page — its status, the
actions the current user may take, the history of steps and the changes since approval — computed here,
so that the roadmap page only includes ``support/_lifecycle.html``."""

from __future__ import annotations

from typing import Any

from django import template

from shnor.web.support.models import Roadmap, RoadmapStatus
from shnor.web.support.services import lifecycle

register = template.Library()

#: status → the badge's colour class (the activity badges of support.css)
BADGE = {
    RoadmapStatus.DRAFT: "planned",
    RoadmapStatus.SUBMITTED: "in_progress",
    RoadmapStatus.RETURNED: "overdue",
    RoadmapStatus.APPROVED: "done",
    RoadmapStatus.IN_PROGRESS: "in_progress",
    RoadmapStatus.COMPLETED: "done",
}


@register.simple_tag(takes_context=True)
def roadmap_lifecycle(context: template.Context, roadmap: Roadmap) -> dict[str, Any]:
    """Status, badge class, allowed actions, events (oldest first), the last return and the changes."""
    request = context.get("request")
    user = getattr(request, "user", None)
    actions: list[str] = []
    if user is not None and user.is_authenticated:
        actions = lifecycle.allowed_actions(user=user, roadmap=roadmap)
    events = list(roadmap.events.select_related("actor").order_by("created_at", "id"))
    returned = None
    if roadmap.status == RoadmapStatus.RETURNED:
        returned = next((e for e in reversed(events) if e.to_status == RoadmapStatus.RETURNED), None)
    changes: list[dict[str, Any]] = []
    if roadmap.approved_snapshot and roadmap.status in (RoadmapStatus.APPROVED, RoadmapStatus.IN_PROGRESS):
        changes = lifecycle.roadmap_changes_since_approval(roadmap)
    return {
        "status": roadmap.status,
        "label": RoadmapStatus(roadmap.status).label,
        "badge": BADGE.get(roadmap.status, "planned"),
        "actions": actions,
        "events": events,
        "returned": returned,
        "changes": changes,
    }
