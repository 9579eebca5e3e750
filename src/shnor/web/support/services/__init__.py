"""Writes for support work: roadmaps from templates and their links across levels, activity status,
comments and evidence, reminders (e-mail + in-app notices), leader-school proposals from
``core.methods.matching``, curators and mentors, risk-profile surveys and anti-risk programmes.

Every service takes the acting user and checks the right through the user's ``accounts.scope.Scope``
(rows through ``Model.objects.visible_to``); a refused action raises ``PermissionDenied``, a bad input
``ValidationError`` (messages in Russian).

One module per sub-domain (``roadmaps``, ``lifecycle``, ``activities``, ``evidence``, ``reminders``,
``partners``, ``surveys``); this package re-exports their public names, so callers import
``support.services``.
"""

from shnor.web.support.services.activities import (
    activity_add,
    activity_comment_add,
    activity_delete,
    activity_due_note,
    activity_update,
)
from shnor.web.support.services.evidence import (
    EVIDENCE_EXTENSIONS,
    evidence_add,
    evidence_delete,
    evidence_max_bytes,
)
from shnor.web.support.services.lifecycle import (
    roadmap_approve,
    roadmap_changes_since_approval,
    roadmap_complete,
    roadmap_return,
    roadmap_start,
    roadmap_submit,
)
from shnor.web.support.services.partners import (
    curator_assign,
    curators_available,
    mentor_add,
    partner_decide,
    partner_proposals_create,
)
from shnor.web.support.services.reminders import notice_mark_read, support_reminders_send
from shnor.web.support.services.roadmaps import (
    DEFAULT_TEMPLATES,
    roadmap_create,
    roadmap_header_update,
    roadmap_overdue_count,
    roadmap_year_default,
    school_tracks_for,
)
from shnor.web.support.services.surveys import (
    antirisk_programme_create,
    antirisk_to_roadmap,
    risk_choose,
    risk_profile_recompute,
    risk_survey_open,
    survey_import,
    survey_response_add,
)

__all__ = [
    "DEFAULT_TEMPLATES",
    "EVIDENCE_EXTENSIONS",
    "activity_add",
    "activity_comment_add",
    "activity_delete",
    "activity_due_note",
    "activity_update",
    "antirisk_programme_create",
    "antirisk_to_roadmap",
    "curator_assign",
    "curators_available",
    "evidence_add",
    "evidence_delete",
    "evidence_max_bytes",
    "mentor_add",
    "notice_mark_read",
    "partner_decide",
    "partner_proposals_create",
    "risk_choose",
    "risk_profile_recompute",
    "risk_survey_open",
    "roadmap_approve",
    "roadmap_changes_since_approval",
    "roadmap_complete",
    "roadmap_create",
    "roadmap_header_update",
    "roadmap_overdue_count",
    "roadmap_return",
    "roadmap_start",
    "roadmap_submit",
    "roadmap_year_default",
    "school_tracks_for",
    "support_reminders_send",
    "survey_import",
    "survey_response_add",
]
