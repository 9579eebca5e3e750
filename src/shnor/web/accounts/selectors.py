"""Reads about the acting user: the profile, the visible schools, municipalities and regions in the
order the pages show them, the role line and the landing page. The rules themselves are in ``scope``."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from shnor.web.accounts.models import Profile
from shnor.web.accounts.roles import SCHOOL_ROLES, Role
from shnor.web.accounts.scope import Scope, User, scope_of
from shnor.web.registry.models import Municipality, Region, School


def profile_of(*, user: User | None) -> Profile | None:
    """The user's profile (for its names and units), or None (anonymous or no profile)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.profile
    except ObjectDoesNotExist:
        return None


def schools_visible_to(*, user: User | Scope | None) -> QuerySet[School]:
    """The schools ``user`` may see, with their municipality and region (``School.objects.visible_to``)."""
    return School.objects.visible_to(user).select_related("municipality", "region")


def municipalities_visible_to(*, user: User | Scope | None) -> QuerySet[Municipality]:
    """Municipalities with at least one visible school, by name."""
    return Municipality.objects.visible_to(user).select_related("region").order_by("name")


def regions_visible_to(*, user: User | Scope | None) -> QuerySet[Region]:
    """Regions with at least one visible school, by name."""
    return Region.objects.visible_to(user).order_by("name")


def user_role_label(*, user: User | None) -> str:
    """The Russian description of the user's role and scope for the page header."""
    scope = scope_of(user)
    if not scope.authenticated:
        return ""
    if scope.superuser:
        return "Администратор"
    profile = profile_of(user=user)
    if profile is None:
        return "Роль не назначена"
    unit = profile.school or profile.municipality or profile.region
    where = f" — {unit.name if hasattr(unit, 'name') else unit}" if unit else ""
    return f"{profile.get_role_display()}{where}"


def home_url_name(*, user: User) -> tuple[str, dict]:
    """Where a user lands after login: a dashboard, the municipality or the school card."""
    scope = scope_of(user)
    if scope.region_wide:
        region = regions_visible_to(user=scope).first()
        return ("identification:region", {"pk": region.pk}) if region else ("identification:schools", {})
    if scope.role == Role.MUNICIPALITY and scope.municipality_id:
        return "identification:municipality", {"pk": scope.municipality_id}
    if scope.role in SCHOOL_ROLES and scope.school_id:
        login = School.objects.values_list("school_id", flat=True).get(pk=scope.school_id)
        return "identification:school", {"school_id": login}
    return "identification:schools", {}
