"""Writes for accounts: users with roles, demo users, login throttling, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from shnor.web.accounts.models import ApiToken, LoginFailure, Profile, Role
from shnor.web.registry.models import Municipality, Region, School

TOKEN_PREFIX = "shn_"


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    region: Region | None = None,
    municipality: Municipality | None = None,
    school: School | None = None,
    curated: list[School] | None = None,
    full_name: str = "",
) -> Any:
    """Create (or reset) a user with a role and its scope; the scope is filled upwards (school → municipality → region)."""
    if role not in Role.values:
        raise ValueError(f"неизвестная роль: {role}")
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.first_name = full_name[:150]
    user.is_active = True
    user.save()
    if school is not None:
        municipality = municipality or school.municipality
    if municipality is not None:
        region = region or municipality.region
    if school is not None:
        region = region or school.region
    profile, _ = Profile.objects.update_or_create(
        user=user, defaults={"role": role, "region": region, "municipality": municipality, "school": school}
    )
    if curated is not None:
        profile.curated_schools.set(curated)
    return user


def _demo_school() -> School | None:
    """The school the demo director sees: one with a support track in the latest run (so there is
    something to explain), else the first school with a municipality, else any school."""
    from shnor.web.identification.models import MethodologyRun, SchoolOutcome

    base = School.objects.exclude(municipality=None).select_related("municipality__region", "region")
    run = MethodologyRun.objects.filter(status=MethodologyRun.DONE).order_by("-year", "-finished_at", "-pk").first()
    if run is not None:
        for method in (SchoolOutcome.LOW_RESULTS, SchoolOutcome.TRACKS):
            tracked = base.filter(outcomes__run=run, outcomes__method=method, outcomes__flagged=True).order_by("school_id")
            if tracked.exists():
                return tracked.first()
    return base.order_by("school_id").first() or School.objects.order_by("school_id").first()


def demo_users_create(*, password: str | None = None) -> list[tuple[str, str, str]]:
    """One demo user per role, scoped to a school on the ШНОР list of the latest run (else the first school).

    Returns ``(username, password, role description)`` rows for ``shnor demo`` to print. One password
    (random unless given) is shared by all demo users; running it again resets them.
    """
    password = password or secrets.token_urlsafe(9)
    school = _demo_school()
    municipality = school.municipality if school and school.municipality else Municipality.objects.order_by("code").first()
    region = (
        (municipality.region if municipality and municipality.region else None)
        or (school.region if school else None)
        or Region.objects.order_by("code").first()
    )
    curated: list[School] = []
    if municipality is not None:
        curated = list(municipality.schools.order_by("school_id")[:3])
    elif school is not None:
        curated = [school]
    plan = [
        ("demo_region", Role.REGION, {"region": region}, region),
        ("demo_municipality", Role.MUNICIPALITY, {"municipality": municipality, "region": region}, municipality),
        ("demo_school", Role.SCHOOL, {"school": school}, school),
        ("demo_teacher", Role.TEACHER, {"school": school}, school),
        ("demo_curator", Role.CURATOR, {"region": region, "curated": curated}, None),
        ("demo_observer", Role.OBSERVER, {"region": region}, region),
    ]
    out = []
    with transaction.atomic():
        for username, role, scope, shown in plan:
            user_create(username=username, password=password, role=role, **scope)
            where = getattr(shown, "name", "") if shown is not None else ""
            if role == Role.CURATOR:
                where = f"школ: {len(curated)}"
            desc = Role(role).label + (f" — {where}" if where else "")
            out.append((username, password, desc))
    return out


def _key(username: str, ip: str) -> tuple[str, str]:
    return username.strip().lower()[:150], (ip or "")[:64]


def login_locked_until(*, username: str, ip: str) -> dt.datetime | None:
    """When the lockout of (username, IP) ends, or None when logging in is allowed."""
    u, i = _key(username, ip)
    row = LoginFailure.objects.filter(username=u, ip=i).first()
    if row and row.locked_until and row.locked_until > timezone.now():
        return row.locked_until
    return None


def login_failure_record(*, username: str, ip: str) -> dt.datetime | None:
    """Count one failed login; lock the pair out after LOGIN_MAX_FAILURES. Returns the lockout end if locked."""
    u, i = _key(username, ip)
    now = timezone.now()
    with transaction.atomic():
        row, _ = LoginFailure.objects.select_for_update().get_or_create(username=u, ip=i)
        if row.locked_until and row.locked_until <= now:
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= settings.LOGIN_MAX_FAILURES:
            row.locked_until = now + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        row.save()
    return row.locked_until


def login_success_record(*, username: str, ip: str) -> None:
    """Forget the failures of (username, IP) after a successful login."""
    u, i = _key(username, ip)
    LoginFailure.objects.filter(username=u, ip=i).delete()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the clear key (shown once, never stored)."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(user=user, name=name[:200] or "интеграция", prefix=key[:10], key_hash=_hash(key))
    return token, key


def api_token_revoke(*, user: Any, token_id: int) -> bool:
    """Revoke one of ``user``'s tokens; False when it is not theirs."""
    token = ApiToken.objects.filter(user=user, pk=token_id, revoked=False).first()
    if token is None:
        return False
    token.revoked = True
    token.save(update_fields=["revoked"])
    return True


def api_token_user(*, key: str) -> Any:
    """The active user a token key belongs to, or None; touches ``last_used_at``."""
    if not key or not key.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(key), revoked=False).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
