"""Authorisation in one place: every school-level queryset of the web and the API starts here."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from shnor.web.accounts.models import Profile, Role
from shnor.web.registry.models import Municipality, Region, School

REGION_WIDE = {Role.REGION, Role.OBSERVER}


def profile_of(*, user: Any) -> Profile | None:
    """The user's profile, or None (anonymous or no profile)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def schools_visible_to(*, user: Any) -> QuerySet[School]:
    """The schools ``user`` may see: the single scoping selector behind every view and API call.

    Superuser: all. Region and observer: the schools of their region. Municipality: its schools.
    School and teacher: their school. Curator: the schools assigned to them. Anyone else: none.
    """
    qs = School.objects.select_related("municipality", "region")
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs.all()
    profile = profile_of(user=user)
    if profile is None:
        return qs.none()
    if profile.role in REGION_WIDE:
        if profile.region_id is None:
            return qs.none()
        return qs.filter(Q(region_id=profile.region_id) | Q(municipality__region_id=profile.region_id))
    if profile.role == Role.MUNICIPALITY:
        return qs.filter(municipality_id=profile.municipality_id) if profile.municipality_id else qs.none()
    if profile.role in {Role.SCHOOL, Role.TEACHER}:
        return qs.filter(pk=profile.school_id) if profile.school_id else qs.none()
    if profile.role == Role.CURATOR:
        return qs.filter(pk__in=profile.curated_schools.values("pk"))
    return qs.none()


def municipalities_visible_to(*, user: Any) -> QuerySet[Municipality]:
    """Municipalities with at least one visible school (derived from ``schools_visible_to``)."""
    ids = schools_visible_to(user=user).exclude(municipality=None).values("municipality_id")
    return Municipality.objects.filter(pk__in=ids).select_related("region").order_by("name")


def regions_visible_to(*, user: Any) -> QuerySet[Region]:
    """Regions with at least one visible school (derived from ``schools_visible_to``)."""
    visible = schools_visible_to(user=user)
    return Region.objects.filter(
        Q(pk__in=visible.exclude(region=None).values("region_id"))
        | Q(pk__in=visible.exclude(municipality__region=None).values("municipality__region_id"))
    ).order_by("name")


def user_is_region_wide(*, user: Any) -> bool:
    """True for superusers, region analysts and observers (they see region dashboards and imports)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    profile = profile_of(user=user)
    return profile is not None and profile.role in REGION_WIDE


def user_can_import(*, user: Any) -> bool:
    """Only superusers and region analysts load files (observers are read-only)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    profile = profile_of(user=user)
    return profile is not None and profile.role == Role.REGION and profile.region_id is not None


def user_role_label(*, user: Any) -> str:
    """The Russian description of the user's role and scope for the page header."""
    if user is None or not user.is_authenticated:
        return ""
    if user.is_superuser:
        return "Администратор"
    profile = profile_of(user=user)
    if profile is None:
        return "Роль не назначена"
    scope = profile.school or profile.municipality or profile.region
    return f"{profile.get_role_display()}" + (f" — {scope.name if hasattr(scope, 'name') else scope}" if scope else "")


def home_url_name(*, user: Any) -> tuple[str, dict]:
    """Where a user lands after login: a dashboard, the municipality or the school card."""
    profile = profile_of(user=user)
    if user.is_superuser or (profile and profile.role in REGION_WIDE):
        region = regions_visible_to(user=user).first()
        return ("registry:region", {"pk": region.pk}) if region else ("registry:schools", {})
    if profile and profile.role == Role.MUNICIPALITY and profile.municipality_id:
        return "registry:municipality", {"pk": profile.municipality_id}
    if profile and profile.role in {Role.SCHOOL, Role.TEACHER} and profile.school_id:
        return "registry:school", {"school_id": profile.school.school_id}
    return "registry:schools", {}
