"""The scoping mechanism itself: a ``Scope`` per role and ``visible_to`` on the scoped models."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from shnor.web.accounts.scope import Scope, scope_forget, scope_of
from shnor.web.registry.models import Municipality, Region, School

#: role -> (region_wide, can_import, can_run_analyses, can_read_audit)
FLAGS = {
    "region": (True, True, True, True),
    "observer": (True, False, False, False),
    "municipality": (False, False, True, False),
    "school": (False, False, False, False),
    "teacher": (False, False, False, False),
    "curator": (False, False, False, False),
}
SCHOOLS = {
    "region": {"sch0001", "sch0002", "sch0003"},
    "observer": {"sch0001", "sch0002", "sch0003"},
    "municipality": {"sch0001", "sch0002"},
    "school": {"sch0001"},
    "teacher": {"sch0001"},
    "curator": {"sch0001", "sch0003"},
}
PROBED = ["sch0001", "sch0002", "sch0003", "sch0009"]


def _schools(who: object) -> set[str]:
    visible = School.objects.visible_to(who).filter(school_id__in=PROBED)
    return set(visible.values_list("school_id", flat=True))


@pytest.mark.parametrize("role", list(FLAGS))
def test_scope_per_role(world, role) -> None:
    user = world.users[role]
    scope = scope_of(user)
    assert scope.role == role
    assert scope.authenticated
    assert scope.active
    assert not scope.superuser
    assert (scope.region_wide, scope.can_import, scope.can_run_analyses, scope.can_read_audit) == FLAGS[role]
    assert not scope.can_manage_users  # no one here holds accounts.manage_users
    assert scope_of(user) is scope  # computed once per user object
    assert scope_of(scope) is scope


@pytest.mark.parametrize("role", list(SCHOOLS))
def test_visible_to_per_role(world, role) -> None:
    user = world.users[role]
    assert _schools(user) == SCHOOLS[role]
    assert _schools(scope_of(user)) == SCHOOLS[role]
    schools = School.objects.visible_to(user)
    muns = set(schools.exclude(municipality=None).values_list("municipality_id", flat=True))
    assert set(Municipality.objects.visible_to(user).values_list("pk", flat=True)) == muns
    regions = set(schools.values_list("region_id", flat=True)) | set(
        schools.values_list("municipality__region_id", flat=True)
    )
    assert set(Region.objects.visible_to(user).values_list("pk", flat=True)) == regions - {None}
    assert Region.objects.visible_to(user).count() == 1  # no repeated rows through to-many paths


def test_superuser_anonymous_and_inactive(world, django_user_model) -> None:
    root = django_user_model.objects.create_superuser("root", password="x")
    scope = scope_of(root)
    assert scope.sees_all
    assert (scope.region_wide, scope.can_import, scope.can_manage_users) == (True, True, True)
    assert _schools(root) == set(PROBED)
    assert Region.objects.visible_to(root).count() == Region.objects.count()

    assert scope_of(AnonymousUser()) == Scope()
    assert not School.objects.visible_to(AnonymousUser()).exists()
    assert not School.objects.visible_to(None).exists()

    bare = django_user_model.objects.create_user("bare", password="x")
    assert scope_of(bare).role is None
    assert not Municipality.objects.visible_to(bare).exists()

    user = world.users["region"]
    assert _schools(user)
    user.is_active = False
    scope_forget(user)
    assert not scope_of(user).sees_rows
    assert not School.objects.visible_to(user).exists()
    assert not Region.objects.visible_to(user).exists()


def test_rights_on_units(world) -> None:
    region, mun, school = world.region, world.mun, world.school
    assert scope_of(world.users["region"]).can_create_roadmap(level="region", unit=region)
    assert not scope_of(world.users["municipality"]).can_create_roadmap(level="region", unit=region)
    assert scope_of(world.users["municipality"]).can_create_roadmap(level="municipality", unit=mun)
    assert not scope_of(world.users["municipality"]).can_create_roadmap(level="school", unit=world.far)
    assert scope_of(world.users["curator"]).can_create_roadmap(level="school", unit=world.far)
    assert not scope_of(world.users["observer"]).can_create_roadmap(level="school", unit=school)
    assert scope_of(world.users["municipality"]).can_manage_school(school)
    assert not scope_of(world.users["school"]).can_manage_school(school)
    assert scope_of(world.users["school"]).can_fill_survey(school)
    assert not scope_of(world.users["teacher"]).can_fill_survey(school)
    assert scope_of(world.users["school"]).can_manage_teachers(school)
    assert not scope_of(world.users["school"]).can_manage_teachers(world.neighbour)
    assert scope_of(world.users["school"]).can_enter(level="school", unit=school)
    assert not scope_of(world.users["school"]).can_enter(level="school", unit=world.neighbour)
    assert scope_of(world.users["municipality"]).can_enter(level="school", unit=world.neighbour)
    assert not scope_of(world.users["observer"]).can_enter(level="region", unit=region)
