"""Audit every change of the project's models (create, update, delete) and every login event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.middleware import client_ip

AUDITED_APPS = {"registry", "assessments", "identification", "accounts", "auth", "support"}
#: Machine-made or bulk rows (outcomes, notices, respondents' answers) are not journalled row by row.
NOT_AUDITED = {
    "accounts.auditentry",
    "accounts.loginfailure",
    "identification.schooloutcome",
    "auth.permission",
    "support.notice",
    "support.surveyresponse",
}
QUIET_FIELDS = {
    "password",
    "last_login",
    "key_hash",
    "last_used_at",
    "config",
    "data",
    "summary",
    "profile",
    "evidence",
    "answers",
    "templates",
}


def _audited(sender: Any) -> bool:
    meta = sender._meta
    return meta.app_label in AUDITED_APPS and meta.label_lower not in NOT_AUDITED


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.datetime | Decimal):
        return str(value)
    return str(value)[:200]


def _fields(instance: Any, only: Any = None) -> dict[str, Any]:
    out = {}
    for f in instance._meta.concrete_fields:
        if f.name in QUIET_FIELDS or (only and f.name not in only and f.attname not in only):
            continue
        out[f.name] = _plain(getattr(instance, f.attname))
    return out


@receiver(post_save, dispatch_uid="shnor_audit_save")
def _saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or not _audited(sender):
        return
    if sender._meta.label_lower == "auth.user" and update_fields and set(update_fields) <= {"last_login"}:
        return
    if (
        sender._meta.label_lower == "accounts.apitoken"
        and update_fields
        and set(update_fields) <= {"last_used_at"}
    ):
        return
    audit_record(
        action="создание" if created else "изменение",
        object_type=sender._meta.verbose_name,
        object_id=str(instance.pk),
        object_repr=str(instance),
        changes=_fields(instance, update_fields),
    )


@receiver(post_delete, dispatch_uid="shnor_audit_delete")
def _deleted(sender, instance, **kwargs):
    if not _audited(sender):
        return
    audit_record(
        action="удаление",
        object_type=sender._meta.verbose_name,
        object_id=str(instance.pk),
        object_repr=str(instance),
        changes=_fields(instance),
    )


@receiver(m2m_changed, dispatch_uid="shnor_audit_m2m")
def _m2m(sender, instance, action, pk_set=None, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"} or not _audited(type(instance)):
        return
    audit_record(
        action="изменение связей",
        object_type=type(instance)._meta.verbose_name,
        object_id=str(instance.pk),
        object_repr=str(instance),
        changes={"relation": sender._meta.verbose_name, "action": action, "ids": sorted(pk_set or [])},
    )


@receiver(user_logged_in, dispatch_uid="shnor_audit_login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(action="вход", user=user, ip=client_ip(request) if request else "")


@receiver(user_logged_out, dispatch_uid="shnor_audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="выход", user=user, ip=client_ip(request) if request else "")


@receiver(user_login_failed, dispatch_uid="shnor_audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        action="неудачный вход",
        username=str(credentials.get("username", ""))[:150] or "?",
        ip=client_ip(request) if request else "",
    )
