"""Reads for jobs, scoped: region-wide users see their region's jobs, others only their own; a superuser all."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from shnor.web.accounts.selectors import REGION_WIDE, profile_of
from shnor.web.jobs.models import Job


def jobs_visible_to(*, user: Any) -> QuerySet[Job]:
    """Jobs the user may look at."""
    if user is None or not user.is_authenticated:
        return Job.objects.none()
    if user.is_superuser:
        return Job.objects.all()
    profile = profile_of(user=user)
    own = Q(created_by=user)
    if profile is not None and profile.role in REGION_WIDE and profile.region_id is not None:
        return Job.objects.filter(own | Q(region_id=profile.region_id))
    return Job.objects.filter(own)
