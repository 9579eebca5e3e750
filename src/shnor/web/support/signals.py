"""Audit the support models through the project's journal (accounts.audit.audit_record).

The accounts app audits its own list of apps; support registers its own receivers so the journal
also records who changed a roadmap, an activity, an assignment or a survey. Notices (machine-made)
and survey responses (respondents' answers) are not journalled row by row.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shnor.web.accounts.audit import audit_record

NOT_AUDITED = {"support.notice", "support.surveyresponse"}
QUIET = {"profile", "evidence", "answers", "templates"}


def _audited(sender) -> bool:  # type: ignore[no-untyped-def]
    return sender._meta.app_label == "support" and sender._meta.label_lower not in NOT_AUDITED


def _fields(instance) -> dict:  # type: ignore[no-untyped-def]
    out = {}
    for f in instance._meta.concrete_fields:
        if f.name in QUIET:
            continue
        v = getattr(instance, f.attname)
        out[f.name] = v if v is None or isinstance(v, bool | int | float) else str(v)[:200]
    return out


@receiver(post_save, dispatch_uid="shnor_support_audit_save")
def _saved(sender, instance, created, raw=False, **kwargs):  # type: ignore[no-untyped-def]
    if raw or not _audited(sender):
        return
    audit_record(
        action="создание" if created else "изменение",
        object_type=sender._meta.verbose_name,
        object_id=str(instance.pk),
        object_repr=str(instance),
        changes=_fields(instance),
    )


@receiver(post_delete, dispatch_uid="shnor_support_audit_delete")
def _deleted(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
    if not _audited(sender):
        return
    audit_record(
        action="удаление",
        object_type=sender._meta.verbose_name,
        object_id=str(instance.pk),
        object_repr=str(instance),
        changes=_fields(instance),
    )
