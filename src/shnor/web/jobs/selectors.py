"""Reads for jobs, scoped: region-wide users see their region's jobs, others their own; a superuser all."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shnor.web.accounts.roles import REGION_WIDE
from shnor.web.accounts.scope import Scope, User, scope_of
from shnor.web.jobs.models import Job


def jobs_visible_to(*, user: User | Scope | None) -> QuerySet[Job]:
    """Jobs the user may look at: their own, their region's when region-wide, every job for a superuser."""
    scope = scope_of(user)
    if not scope.authenticated:
        return Job.objects.none()
    if scope.superuser:
        return Job.objects.all()
    own = Q(created_by_id=scope.user_id)
    if scope.role in REGION_WIDE and scope.region_id is not None:
        return Job.objects.filter(own | Q(region_id=scope.region_id))
    return Job.objects.filter(own)
