"""User management by a region's administrator: who may manage whom, role and scope checks, changes with
before/after in the audit log, activation, one-time invitations.

The «администратор пользователей» is a superuser or a region-role user with the ``accounts.manage_users``
permission (granted on the user's page or in ``/admin/``). A region administrator manages the users whose
scope lies in their region; superusers manage everyone but superusers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Permission
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from shnor.core.ingest.tables import norm
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.models import AuditEntry, Invitation, Profile, Role
from shnor.web.accounts.roles import REGION_WIDE, SCHOOL_ROLES
from shnor.web.accounts.scope import User, scope_forget, scope_of
from shnor.web.registry.models import Municipality, Region, School

PERMISSION = "accounts.manage_users"
ADMIN_LABEL = "Администратор пользователей"
#: Roles whose scope is the whole region.
REGION_ROLES = REGION_WIDE

# --- who manages whom -------------------------------------------------------------------------------------


def managed_region(*, admin: User) -> Region | None:
    """The region a region administrator manages; None for superusers (every region)."""
    scope = scope_of(admin)
    if scope.superuser or scope.region_id is None:
        return None
    return Region.objects.get(pk=scope.region_id)


def _in_region(region_id: int, prefix: str = "profile__") -> Q:
    return (
        Q(**{f"{prefix}region_id": region_id})
        | Q(**{f"{prefix}municipality__region_id": region_id})
        | Q(**{f"{prefix}school__region_id": region_id})
        | Q(**{f"{prefix}school__municipality__region_id": region_id})
        | Q(**{f"{prefix}curated_schools__region_id": region_id})
        | Q(**{f"{prefix}curated_schools__municipality__region_id": region_id})
    )


def users_in_region(region_id: int) -> QuerySet:
    """Users (not superusers) whose profile's scope touches the region."""
    model = get_user_model()
    ids = model.objects.filter(_in_region(region_id)).values("pk")
    return model.objects.filter(pk__in=ids, is_superuser=False)


def users_managed_by(*, admin: User) -> QuerySet:
    """The users ``admin`` may see and change: none unless they manage users."""
    model = get_user_model()
    scope = scope_of(admin)
    if not scope.can_manage_users:
        return model.objects.none()
    if scope.superuser:
        return model.objects.all()
    return users_in_region(scope.region_id) if scope.region_id is not None else model.objects.none()


def users_search(
    *, users: QuerySet, q: str = "", role: str = "", municipality_id: Any = None, active: str = ""
) -> QuerySet:
    """Filter users: text in login / ФИО / e-mail, role, municipality (its own or its school's), active."""
    from shnor.web.registry.selectors import text_match

    qs = users.select_related("profile__region", "profile__municipality", "profile__school")
    if q:
        qs = qs.filter(text_match("username", q) | text_match("first_name", q) | text_match("email", q))
    if role == "none":
        qs = qs.filter(profile=None)
    elif role in Role.values:
        qs = qs.filter(profile__role=role)
    if municipality_id:
        qs = qs.filter(
            Q(profile__municipality_id=municipality_id) | Q(profile__school__municipality_id=municipality_id)
        )
    if active == "1":
        qs = qs.filter(is_active=True)
    elif active == "0":
        qs = qs.filter(is_active=False)
    return qs.order_by("username")


# --- role and scope ---------------------------------------------------------------------------------------


class ScopeError(ValueError):
    """A role and scope that do not fit together; the message says what is wrong, in Russian."""


def school_region_id(school: School) -> int | None:
    """The school's region: its own, else its municipality's."""
    if school.region_id:
        return school.region_id
    return school.municipality.region_id if school.municipality_id and school.municipality else None


@dataclass
class Assignment:
    """A role with the units it is assigned: the region always; a municipality, a school or curated schools
    by role (what an administrator sets; ``accounts.scope.Scope`` is what the user then sees)."""

    role: str
    region: Region
    municipality: Municipality | None = None
    school: School | None = None
    curated: list[School] = field(default_factory=list)


def scope_build(
    *,
    role: str,
    region: Region | None,
    municipality: Municipality | None = None,
    school: School | None = None,
    curated: list[School] | None = None,
) -> Assignment:
    """Check that the role and its scope fit the region; fields the role does not use are dropped.

    Region and observer: the region. Municipality: a municipality of the region. School and teacher: a
    school of the region (its municipality is taken along). Curator: at least one school of the region.
    """
    if role not in Role.values:
        raise ScopeError("неизвестная роль")
    label = Role(role).label.split(" (")[0]
    if region is None:
        raise ScopeError("не указан регион")
    if role in REGION_ROLES:
        return Assignment(role=role, region=region)
    if role == Role.MUNICIPALITY:
        if municipality is None:
            raise ScopeError(f"для роли «{label}» нужен муниципалитет")
        if municipality.region_id != region.pk:
            raise ScopeError(f"муниципалитет «{municipality.name}» не относится к региону «{region.name}»")
        return Assignment(role=role, region=region, municipality=municipality)
    if role in SCHOOL_ROLES:
        if school is None:
            raise ScopeError(f"для роли «{label}» нужна школа")
        if school_region_id(school) != region.pk:
            raise ScopeError(f"школа {school.school_id} не относится к региону «{region.name}»")
        return Assignment(role=role, region=region, municipality=school.municipality, school=school)
    # curator
    schools = list(dict.fromkeys(curated or []))
    if not schools:
        raise ScopeError(f"для роли «{label}» нужна хотя бы одна закреплённая школа")
    foreign = [s.school_id for s in schools if school_region_id(s) != region.pk]
    if foreign:
        raise ScopeError(f"школы не относятся к региону «{region.name}»: {', '.join(foreign)}")
    return Assignment(role=role, region=region, curated=sorted(schools, key=lambda s: s.school_id))


def school_logins_split(text: str) -> list[str]:
    """School logins from a cell or a text box: separated by commas, semicolons, spaces or new lines."""
    return [p for p in re.split(r"[\s,;]+", text or "") if p]


# --- snapshots and changes --------------------------------------------------------------------------------

FIELDS = ["ФИО", "Эл. почта", "Роль", "Регион", "Муниципалитет", "Школа", "Закреплённые школы"]


def _school_text(school: School | None) -> str:
    return f"{school.school_id} {school.name}".strip() if school is not None else ""


def scope_snapshot(*, full_name: str, email: str, scope: Assignment | None) -> dict[str, str]:
    """What a user is, in Russian, for comparisons and the audit log."""
    out = {"ФИО": full_name, "Эл. почта": email}
    if scope is None:
        out.update(
            {"Роль": "не назначена", "Регион": "", "Муниципалитет": "", "Школа": "", "Закреплённые школы": ""}
        )
        return out
    out["Роль"] = Role(scope.role).label
    out["Регион"] = scope.region.name if scope.region else ""
    out["Муниципалитет"] = scope.municipality.name if scope.municipality else ""
    out["Школа"] = _school_text(scope.school)
    out["Закреплённые школы"] = ", ".join(s.school_id for s in scope.curated)
    return out


def user_scope(user: User) -> Assignment | None:
    """The user's current role and units as an ``Assignment`` (None without a profile)."""
    try:
        p = user.profile
    except Profile.DoesNotExist:
        return None
    curated = sorted(p.curated_schools.all(), key=lambda s: s.school_id) if p.role == Role.CURATOR else []
    return Assignment(
        role=p.role, region=p.region, municipality=p.municipality, school=p.school, curated=curated
    )


def user_snapshot(user: User) -> dict[str, str]:
    """The user's ФИО, e-mail, role and scope in Russian."""
    return scope_snapshot(full_name=user.first_name, email=user.email, scope=user_scope(user))


def snapshot_diff(before: dict[str, str], after: dict[str, str]) -> dict[str, dict[str, str]]:
    """``{field: {"было": …, "стало": …}}`` for the fields that differ."""
    return {
        k: {"было": before.get(k, ""), "стало": after.get(k, "")}
        for k in dict.fromkeys([*before, *after])
        if before.get(k, "") != after.get(k, "")
    }


def _yes(flag: bool) -> str:
    return "да" if flag else "нет"


def _manage_permission() -> Permission:
    return Permission.objects.get(codename="manage_users", content_type__app_label="accounts")


def user_is_users_admin(user: User) -> bool:
    """Whether the user holds the «администратор пользователей» permission themselves (not as a superuser)."""
    return user.user_permissions.filter(codename="manage_users", content_type__app_label="accounts").exists()


def _profile_save(user: User, scope: Assignment) -> None:
    profile, _ = Profile.objects.get_or_create(
        user=user, defaults={"role": scope.role, "region": scope.region}
    )
    profile.role = scope.role
    profile.region = scope.region
    profile.municipality = scope.municipality
    profile.school = scope.school
    profile.save()
    current = set(profile.curated_schools.values_list("pk", flat=True))
    wanted = {s.pk for s in scope.curated}
    if current != wanted:
        profile.curated_schools.set(scope.curated)
    scope_forget(user)


def user_create_scoped(*, username: str, full_name: str, email: str, scope: Assignment) -> AbstractUser:
    """A new active user without a password (they set it through an invitation), audited with its scope."""
    user = get_user_model()(username=username, first_name=full_name[:150], email=email, is_active=True)
    user.set_unusable_password()
    user.save()
    _profile_save(user, scope)
    audit_record(
        action="создание пользователя",
        object_type="пользователь",
        object_id=str(user.pk),
        object_repr=username,
        changes=snapshot_diff({}, scope_snapshot(full_name=full_name, email=email, scope=scope)),
    )
    return user


@transaction.atomic
def user_update(
    *,
    admin: User,
    user: User,
    full_name: str,
    email: str,
    scope: Assignment,
    users_admin: bool | None = None,
    action: str = "изменение пользователя",
) -> dict[str, dict[str, str]]:
    """Change a user's ФИО, e-mail, role and scope (and the «администратор пользователей» flag); one audit
    entry with what was and what became. Returns that difference (empty: nothing changed, nothing written)."""
    if users_admin and scope.role != Role.REGION:
        raise ScopeError(f"{ADMIN_LABEL.lower()} — только пользователь с ролью «Регион»")
    demoted = scope.role != Role.REGION or users_admin is False
    if user.pk == admin.pk and not scope_of(admin).superuser and demoted:
        raise ScopeError(
            "нельзя снять с себя роль региона или права администратора пользователей — "
            "попросите другого администратора"
        )
    before = user_snapshot(user)
    after = scope_snapshot(full_name=full_name[:150], email=email, scope=scope)
    was_admin = user_is_users_admin(user)
    if users_admin is None:
        users_admin = was_admin and scope.role == Role.REGION
    before[ADMIN_LABEL] = _yes(was_admin)
    after[ADMIN_LABEL] = _yes(users_admin)
    diff = snapshot_diff(before, after)
    if not diff:
        return {}
    if user.first_name != full_name[:150] or user.email != email:
        user.first_name, user.email = full_name[:150], email
        user.save(update_fields=["first_name", "email"])
    _profile_save(user, scope)
    if users_admin != was_admin:
        if users_admin:
            user.user_permissions.add(_manage_permission())
        else:
            user.user_permissions.remove(_manage_permission())
        scope_forget(user)
    audit_record(
        action=action,
        object_type="пользователь",
        object_id=str(user.pk),
        object_repr=user.username,
        changes=diff,
        user=admin if getattr(admin, "pk", None) else None,
    )
    return diff


def user_admin_grant(*, user: User) -> None:
    """Give a region-role user the «администратор пользователей» permission (demo, scripts)."""
    user.user_permissions.add(_manage_permission())
    scope_forget(user)


def user_active_set(*, admin: User, user: User, active: bool) -> bool:
    """Switch a user on or off (audited); an administrator cannot switch themselves off. Returns
    whether anything changed. A switched-off user cannot log in, their sessions and API tokens stop
    working, their unused invitations are revoked."""
    if user.pk == admin.pk and not active:
        raise ScopeError("нельзя отключить свою учётную запись")
    if user.is_active == active:
        return False
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        scope_forget(user)
        if not active:
            _invitations_revoke(user)
        audit_record(
            action="включение пользователя" if active else "отключение пользователя",
            object_type="пользователь",
            object_id=str(user.pk),
            object_repr=user.username,
            changes={"Активен": {"было": _yes(not active), "стало": _yes(active)}},
        )
    return True


# --- invitations ------------------------------------------------------------------------------------------

#: Code alphabet without look-alikes (no I, O, 0, 1): 16 characters = 80 bits.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16


def invitation_code_normal(code: str) -> str:
    """The code as stored before hashing: upper case, without dashes and spaces."""
    return re.sub(r"[^0-9A-Z]", "", (code or "").upper())


def _code_hash(code: str) -> str:
    return hashlib.sha256(invitation_code_normal(code).encode()).hexdigest()


def _code_new() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def _invitations_revoke(user: User) -> None:
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at=None, revoked_at=None).update(revoked_at=now)


@dataclass
class IssuedInvitation:
    """One invitation as shown once: the user, the clear code and when it stops working."""

    user: User
    code: str
    expires_at: dt.datetime
    invitation: Invitation


def invitation_issue(*, admin: User, user: User, channel: str) -> IssuedInvitation:
    """A new one-time code for ``user`` (older unused ones are revoked); the clear code is returned once."""
    if not user.is_active:
        raise ScopeError("учётная запись отключена — сначала включите её")
    code = _code_new()
    with transaction.atomic():
        _invitations_revoke(user)
        inv = Invitation.objects.create(
            user=user,
            key_hash=_code_hash(code),
            channel=channel,
            created_by=admin if getattr(admin, "pk", None) else None,
            expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_DAYS),
        )
    return IssuedInvitation(user=user, code=code, expires_at=inv.expires_at, invitation=inv)


def invitation_find(*, code: str) -> Invitation | None:
    """The usable invitation with this code (not used, not revoked, not expired, user active), or None."""
    normal = invitation_code_normal(code)
    if len(normal) != CODE_LENGTH:
        return None
    inv = Invitation.objects.select_related("user").filter(key_hash=_code_hash(normal)).first()
    if (
        inv is None
        or inv.used_at
        or inv.revoked_at
        or inv.expires_at <= timezone.now()
        or not inv.user.is_active
    ):
        return None
    return inv


def invitation_accept(*, invitation_id: int, password: str) -> AbstractUser:
    """Set the password and spend the invitation, once (a second use in parallel finds it spent)."""
    with transaction.atomic():
        inv = Invitation.objects.select_for_update().select_related("user").filter(pk=invitation_id).first()
        if (
            inv is None
            or inv.used_at
            or inv.revoked_at
            or inv.expires_at <= timezone.now()
            or not inv.user.is_active
        ):
            raise ScopeError("приглашение уже использовано, отозвано или устарело")
        inv.used_at = timezone.now()
        inv.save(update_fields=["used_at"])
        user = inv.user
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(
            action="пароль по приглашению",
            object_type="пользователь",
            object_id=str(user.pk),
            object_repr=user.username,
            user=user,
        )
    return user


def invitation_state(user: User, latest: Invitation | None) -> str:
    """A short Russian status of the user's access: password set, invitation valid / expired / none."""
    now = timezone.now()
    if not user.is_active:
        return "отключён"
    if latest is not None and latest.used_at is None and latest.revoked_at is None:
        if latest.expires_at > now:
            return f"приглашён, код действует до {timezone.localtime(latest.expires_at):%d.%m.%Y}"
        if not user.has_usable_password():
            return "приглашение истекло"
    if user.has_usable_password():
        return "пароль задан"
    return "не приглашён"


def latest_invitations(user_ids: list[int]) -> dict[int, Invitation]:
    """The newest invitation of each of these users."""
    out: dict[int, Invitation] = {}
    for inv in Invitation.objects.filter(user_id__in=user_ids).order_by("user_id", "-created_at", "-id"):
        out.setdefault(inv.user_id, inv)
    return out


# --- throttling from the audit log ------------------------------------------------------------------------


def recent_events(*, action: str, ip: str = "", object_repr: str = "", minutes: int = 60) -> int:
    """How many audit entries of ``action`` came from this IP (or about this object) lately: the
    throttles of password-reset requests and invitation codes count what the audit log already records."""
    qs = AuditEntry.objects.filter(action=action, at__gte=timezone.now() - dt.timedelta(minutes=minutes))
    if ip:
        qs = qs.filter(ip=ip)
    if object_repr:
        qs = qs.filter(object_repr=object_repr)
    return qs.count()


def email_key(email: str) -> str:
    """An e-mail address as counted by the reset throttle."""
    return norm(email)[:500]
