"""Writes for accounts: users with roles, demo users, login throttling, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.models import ApiToken, LoginFailure, Profile, Role
from shnor.web.accounts.scope import User
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
    """Create (or reset) a user with a role and its scope, filled upwards (school → municipality → region)."""
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


def demo_users_create(*, school: School | None, password: str | None = None) -> list[tuple[str, str, str]]:
    """One demo user per role, scoped to ``school`` (``shnor.web.demo.demo_users_create`` picks one on the
    ШНОР list of the latest run).

    Returns ``(username, password, role description)`` rows for ``shnor demo`` to print. One password
    (random unless given) is shared by all demo users; running it again resets them.
    """
    password = password or secrets.token_urlsafe(9)
    municipality = (
        school.municipality
        if school and school.municipality
        else Municipality.objects.order_by("code").first()
    )
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
        (
            "demo_municipality",
            Role.MUNICIPALITY,
            {"municipality": municipality, "region": region},
            municipality,
        ),
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


#: the soft wait per login (all addresses together) never exceeds this
ACCOUNT_DELAY_MAX_SECONDS = 60
THROTTLE_ACTION = "ограничение входа"


@dataclass(frozen=True)
class LoginThrottle:
    """Why a login attempt is refused before its password is checked, and for how long."""

    reason: str  # "ip": the address's rate limit; "pair": this login from this address; "account": this login
    seconds: int

    @property
    def message(self) -> str:
        """The Russian message for the login form."""
        wait = _wait_text(self.seconds)
        if self.reason == "ip":
            return f"Слишком много неудачных попыток входа с вашего адреса. Повторите через {wait}."
        if self.reason == "pair":
            return f"Слишком много неудачных попыток входа. Повторите через {wait}."
        return (
            f"Под этим именем недавно было много неудачных попыток входа. Подождите {wait} и повторите "
            "(в браузере, из которого вы уже входили, ждать не нужно)."
        )


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{max(1, seconds)} с"
    return f"{-(-seconds // 60)} мин"


def _pair_delay(failures: int) -> float:
    """Seconds before the next attempt of a login from an address: 2 s at LOGIN_MAX_FAILURES wrong
    passwords, doubling with each further one, at most LOGIN_DELAY_MAX_SECONDS."""
    over = failures - settings.LOGIN_MAX_FAILURES
    if over < 0:
        return 0.0
    return float(min(settings.LOGIN_DELAY_MAX_SECONDS, 2 ** min(over + 1, 30)))


def _account_delay(failures: int) -> float:
    """Seconds between attempts at one login from browsers it has not logged in from: 2 s at
    LOGIN_ACCOUNT_FAILURES wrong passwords (from anywhere), doubling, at most a minute."""
    over = failures - settings.LOGIN_ACCOUNT_FAILURES
    if over < 0:
        return 0.0
    return float(min(ACCOUNT_DELAY_MAX_SECONDS, 2 ** min(over + 1, 30)))


def _window_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=settings.LOGIN_WINDOW_MINUTES)


def _ip_count(ip: str, since: dt.datetime) -> int:
    """Unsuccessful attempts (wrong passwords and refusals) from an address in streaks still alive."""
    got = LoginFailure.objects.filter(ip=ip, last_at__gte=since).aggregate(
        n=Sum(F("failures") + F("refused"))
    )
    return int(got["n"] or 0)


def _remaining(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def login_throttle_check(*, username: str, ip: str, known: bool = False) -> LoginThrottle | None:
    """Whether an attempt to log in as ``username`` from ``ip`` must be refused now, before its password
    is checked. ``known``: this browser has logged in as this user before (it skips the soft wait per
    login, so a stranger's failures elsewhere never keep the user out of their own browser)."""
    u, i = _key(username, ip)
    now = timezone.now()
    since = _window_start(now)
    streaks = LoginFailure.objects.filter(last_at__gte=since)
    # 1. the address: too many unsuccessful attempts (any usernames) → refused until quiet for the window
    ip_rows = streaks.filter(ip=i).aggregate(n=Sum(F("failures") + F("refused")), last=Max("last_at"))
    if (ip_rows["n"] or 0) >= settings.LOGIN_IP_MAX_FAILURES:
        until = ip_rows["last"] + dt.timedelta(minutes=settings.LOGIN_WINDOW_MINUTES)
        return LoginThrottle("ip", _remaining(until, now))
    # 2. this login from this address: growing waits after LOGIN_MAX_FAILURES wrong passwords
    pair = streaks.filter(username=u, ip=i).first()
    if pair is not None and pair.last_failure_at is not None:
        until = pair.last_failure_at + dt.timedelta(seconds=_pair_delay(pair.failures))
        if until > now:
            return LoginThrottle("pair", _remaining(until, now))
    # 3. this login from anywhere: a soft wait (≤ 1 min) for browsers it has not logged in from
    if not known:
        acc = streaks.filter(username=u).aggregate(n=Sum("failures"), last=Max("last_failure_at"))
        if acc["last"] is not None:
            until = acc["last"] + dt.timedelta(seconds=_account_delay(acc["n"] or 0))
            if until > now:
                return LoginThrottle("account", _remaining(until, now))
    return None


def _streak(u: str, i: str, now: dt.datetime) -> LoginFailure:
    """The (username, address) row, locked, its counters reset when the last streak went quiet."""
    row, _ = LoginFailure.objects.select_for_update().get_or_create(username=u, ip=i)
    if row.last_at is None or row.last_at < _window_start(now):
        row.failures, row.refused, row.last_failure_at = 0, 0, None
    return row


def _throttle_audit(*, username: str, ip: str, reason: str, count: int) -> None:
    text = {
        "ip": "адрес исчерпал попытки входа",
        "pair": "задержки для логина с этого адреса",
        "account": "мягкая задержка для логина",
    }[reason]
    audit_record(
        action=THROTTLE_ACTION,
        object_type="вход",
        object_repr=username,
        username=username or "?",
        ip=ip,
        changes={"причина": text, "неудачных попыток": count},
    )


def _ip_limit_reached(u: str, i: str, before: int) -> None:
    if before < settings.LOGIN_IP_MAX_FAILURES <= before + 1:
        _throttle_audit(username=u, ip=i, reason="ip", count=before + 1)


def login_refusal_record(*, username: str, ip: str) -> None:
    """Count an attempt refused by :func:`login_throttle_check` against its address's rate limit."""
    u, i = _key(username, ip)
    now = timezone.now()
    before = _ip_count(i, _window_start(now))
    with transaction.atomic():
        row = _streak(u, i, now)
        row.refused += 1
        row.last_at = now
        row.save()
    _ip_limit_reached(u, i, before)


def login_failure_record(*, username: str, ip: str, known: bool = False) -> LoginThrottle | None:
    """Count a wrong password; return the wait now in force for the next attempt, if any. The moment a
    limit starts (address, login from address, login) goes into the audit log once."""
    u, i = _key(username, ip)
    now = timezone.now()
    since = _window_start(now)
    before = _ip_count(i, since)
    with transaction.atomic():
        LoginFailure.objects.filter(last_at__lt=now - dt.timedelta(days=1)).delete()  # long-forgotten streaks
        row = _streak(u, i, now)
        row.failures += 1
        row.last_failure_at = row.last_at = now
        row.save()
    _ip_limit_reached(u, i, before)
    if row.failures == settings.LOGIN_MAX_FAILURES:
        _throttle_audit(username=u, ip=i, reason="pair", count=row.failures)
    account = (
        LoginFailure.objects.filter(username=u, last_at__gte=since).aggregate(n=Sum("failures"))["n"] or 0
    )
    if account == settings.LOGIN_ACCOUNT_FAILURES:
        _throttle_audit(username=u, ip=i, reason="account", count=account)
    return login_throttle_check(username=u, ip=i, known=known)


def login_success_record(*, username: str, ip: str) -> None:
    """Forget the failures of (username, IP) after a successful login."""
    u, i = _key(username, ip)
    LoginFailure.objects.filter(username=u, ip=i).delete()


KNOWN_COOKIE = "shnor_known"
KNOWN_COOKIE_DAYS = 180
_KNOWN_SALT = "shnor.accounts.known-login"
_KNOWN_KEEP = 5


def _known_token(username: str) -> str:
    return salted_hmac(_KNOWN_SALT, _key(username, "")[0], algorithm="sha256").hexdigest()[:32]


def login_known(*, cookie: str, username: str) -> bool:
    """Whether the browser's ``shnor_known`` cookie says it has logged in as ``username`` before."""
    return bool(username) and _known_token(username) in (cookie or "").split(".")


def login_known_cookie(*, cookie: str, username: str) -> str:
    """The cookie's new value after logging in as ``username``: keyed hashes (no usernames) of the last
    few logins of this browser."""
    token = _known_token(username)
    others = [t for t in (cookie or "").split(".") if t and t != token and len(t) == 32]
    return ".".join([token, *others][:_KNOWN_KEEP])


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the clear key (shown once, never stored)."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user, name=name[:200] or "интеграция", prefix=key[:10], key_hash=_hash(key)
    )
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> bool:
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
