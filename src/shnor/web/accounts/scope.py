"""One scoping mechanism: a user's ``Scope`` (who they are and where they act), computed once per user
object, and ``ScopedQuerySet.visible_to`` that narrows any scoped model's rows to what the scope may see.

The role ladder lives here and nowhere else (``school_rule``); the queryset is ``shnor.web.scoping``, which
the app config points at this module's rule. Other models declare ``scope_field``: the
path from them to a scoped model (``"school"``, ``"roadmap"``, ``"schools"`` for a municipality, which is
visible when one of its schools is), so their rows are visible exactly when the row they point at is. As
netbox's ``RestrictedQuerySet.restrict``: ``School.objects.visible_to(request.user)``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q

from shnor.web.accounts.roles import REGION_WIDE, SCHOOL_ROLES, Role
from shnor.web.registry.selectors import in_region
from shnor.web.scoping import ScopedQuerySet as ScopedQuerySet  # re-exported: the scoped models' queryset

#: Whoever a request or a call acts for: the project's user model or Django's anonymous user.
User: TypeAlias = AbstractUser | AnonymousUser

#: The permission that makes a region analyst an «администратор пользователей».
MANAGE_USERS = "accounts.manage_users"
_CACHE = "_shnor_scope"


@dataclass(frozen=True)
class Scope:
    """Who a user is (superuser, role) and where they act (region, municipality, school, curated schools).

    ``role`` is None for users without a profile. The flags keep the rules the selectors had: inactive
    users see no rows, but ``region_wide`` and ``can_import`` do not look at ``active`` (Django's
    authentication never lets an inactive user into a request, so only direct calls can tell).
    """

    user_id: int | None = None
    authenticated: bool = False
    active: bool = False
    superuser: bool = False
    role: str | None = None
    region_id: int | None = None
    municipality_id: int | None = None
    school_id: int | None = None
    curated_ids: tuple[int, ...] = ()
    users_admin: bool = False
    #: ``sees``' answers, by (model, key): a card asks about its school several times.
    _seen: dict[tuple[str, Any], bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def has_profile(self) -> bool:
        """True when the user has a role (a profile)."""
        return self.role is not None

    def acts_as(self, *roles: str) -> bool:
        """True when the user holds one of ``roles`` and is not a superuser (whose role never counts)."""
        return self.authenticated and not self.superuser and self.role in roles

    @property
    def sees_rows(self) -> bool:
        """False for anonymous and inactive users: they see no scoped rows at all."""
        return self.authenticated and self.active

    @property
    def sees_all(self) -> bool:
        """An active superuser: every row of every scoped model."""
        return self.sees_rows and self.superuser

    @property
    def region_wide(self) -> bool:
        """Superusers, region analysts and observers: they see region dashboards and imports."""
        return self.authenticated and (self.superuser or self.role in REGION_WIDE)

    @property
    def can_import(self) -> bool:
        """Only superusers and region analysts of a region load files (observers are read-only)."""
        region_analyst = self.role == Role.REGION and self.region_id is not None
        return self.authenticated and (self.superuser or region_analyst)

    @property
    def can_manage_users(self) -> bool:
        """Superusers, and active region analysts of a region with the ``manage_users`` permission."""
        if not self.sees_rows:
            return False
        region_admin = self.role == Role.REGION and self.region_id is not None and self.users_admin
        return self.superuser or region_admin

    @property
    def can_read_audit(self) -> bool:
        """Superusers and region analysts read the audit log."""
        return self.superuser or self.role == Role.REGION

    @property
    def can_run_analyses(self) -> bool:
        """Superusers, region analysts and municipality coordinators start analyses and website checks."""
        return (
            self.superuser
            or self.can_import
            or (self.role == Role.MUNICIPALITY and self.municipality_id is not None)
        )

    def can_enter(self, *, level: str, unit: Any) -> bool:
        """Who enters manual indicator values: region analysts anywhere in scope, a municipality for itself
        and its schools, a school's director for the school; observers, curators and teachers never."""
        if self.superuser:
            return True
        if self.role == Role.REGION:
            return self.can_import
        if self.role == Role.MUNICIPALITY:
            return (level == "municipality" and unit.pk == self.municipality_id) or (
                level == "school" and unit.municipality_id == self.municipality_id
            )
        if self.role == Role.SCHOOL:
            return level == "school" and unit.pk == self.school_id
        return False

    # --- rights on a unit (a region, a municipality or a school the scope must see) ---------------------

    def sees(self, unit: models.Model) -> bool:
        """True when ``unit`` (a row of a scoped model) is visible to this scope; asked of the database once
        per unit (a scope lives for one request: ``scope_of``)."""
        key = (unit._meta.label, unit.pk)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = type(unit)._default_manager.visible_to(self).filter(pk=unit.pk).exists()
        return seen

    def can_create_roadmap(self, *, level: str, unit: models.Model) -> bool:
        """A roadmap of ``level`` for ``unit``: region analysts at every level, municipality coordinators
        for municipalities and schools, schools and curators for schools; always within the scope."""
        if self.superuser:
            return True
        return self.role in ROADMAP_CREATORS.get(level, ()) and self.sees(unit)

    def can_manage_school(self, school: models.Model) -> bool:
        """Region and municipality users manage the partners, curators and mentors of visible schools."""
        return self.sees(school) and (self.superuser or self.role in (Role.REGION, Role.MUNICIPALITY))

    def can_fill_survey(self, school: models.Model) -> bool:
        """The school, its curator, the municipality and the region fill questionnaires (not observers)."""
        return self.sees(school) and (self.superuser or self.role in SURVEY_FILLERS)

    def can_manage_teachers(self, school: models.Model) -> bool:
        """The school's director (role school) and superusers build routes and link teachers' accounts."""
        return self.superuser or (self.role == Role.SCHOOL and self.sees(school))


#: Who creates a roadmap of each level (``support.Level`` values), within their scope.
ROADMAP_CREATORS: dict[str, frozenset[str]] = {
    "region": frozenset({Role.REGION}),
    "municipality": frozenset({Role.REGION, Role.MUNICIPALITY}),
    "school": frozenset({Role.REGION, Role.MUNICIPALITY, Role.SCHOOL, Role.CURATOR}),
}
#: Who enters risk questionnaires of a visible school.
SURVEY_FILLERS = frozenset({Role.REGION, Role.MUNICIPALITY, Role.SCHOOL, Role.CURATOR})


def _scope_build(user: User) -> Scope:
    if user is None or not user.is_authenticated:
        return Scope()
    base = {
        "user_id": user.pk,
        "authenticated": True,
        "active": bool(user.is_active),
        "superuser": bool(user.is_superuser),
    }
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        return Scope(**base)
    curated: tuple[int, ...] = ()
    if profile.role == Role.CURATOR:
        curated = tuple(profile.curated_schools.values_list("pk", flat=True))
    admin = (
        profile.role == Role.REGION
        and profile.region_id is not None
        and bool(user.is_active)
        and user.has_perm(MANAGE_USERS)
    )
    return Scope(
        **base,
        role=profile.role,
        region_id=profile.region_id,
        municipality_id=profile.municipality_id,
        school_id=profile.school_id,
        curated_ids=curated,
        users_admin=admin,
    )


def scope_of(user: User | Scope | None) -> Scope:
    """The user's scope, computed once per user object (a request's user is loaded afresh each request)."""
    if isinstance(user, Scope):
        return user
    if user is None:
        return Scope()
    cached = getattr(user, _CACHE, None)
    if cached is None:
        cached = _scope_build(user)
        setattr(user, _CACHE, cached)
    return cached


def scope_forget(user: User) -> None:
    """Drop the cached scope (after the user's profile, flags or permissions were changed in this process)."""
    for name in (_CACHE, "_perm_cache", "_user_perm_cache"):
        with contextlib.suppress(AttributeError):
            delattr(user, name)


# --- the ladder ---------------------------------------------------------------------------------------


def school_rule(scope: Scope) -> Q | None:
    """The role ladder as a filter on schools: None for nothing, ``Q()`` for everything.

    Superuser: all. Region and observer: the schools of their region (directly or through a
    municipality). Municipality: its schools. School and teacher: their school. Curator: the schools
    assigned to them. Inactive, anonymous or without a profile: none.
    """
    if not scope.sees_rows:
        return None
    if scope.superuser:
        return Q()
    if scope.role in REGION_WIDE:
        if scope.region_id is None:
            return None
        return in_region(scope.region_id)
    if scope.role == Role.MUNICIPALITY:
        return Q(municipality_id=scope.municipality_id) if scope.municipality_id else None
    if scope.role in SCHOOL_ROLES:
        return Q(pk=scope.school_id) if scope.school_id else None
    if scope.role == Role.CURATOR:
        return Q(pk__in=scope.curated_ids)
    return None
