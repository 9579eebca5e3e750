"""The audit log: the acting user (set per request) and the writer every change goes through."""

from __future__ import annotations

import contextvars
from typing import Any

from shnor.web.accounts.models import AuditEntry
from shnor.web.accounts.scope import User

_actor: contextvars.ContextVar[tuple[Any, str] | None] = contextvars.ContextVar("shnor_actor", default=None)


def actor_set(user: User | None, ip: str) -> contextvars.Token:
    """Make ``user`` (or None for the system) the actor of what follows."""
    return _actor.set((user, ip))


def actor_reset(token: contextvars.Token) -> None:
    """Restore the previous actor."""
    _actor.reset(token)


def audit_record(
    *,
    action: str,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict | None = None,
    user: User | None = None,
    username: str = "",
    ip: str = "",
) -> AuditEntry:
    """Write one audit entry; the actor defaults to the current request's user (or «система»)."""
    current = _actor.get()
    if user is None and current is not None:
        user = current[0]
    if not ip and current is not None:
        ip = current[1]
    if user is not None and not getattr(user, "pk", None):
        user = None
    return AuditEntry.objects.create(
        user=user,
        username=username or (user.get_username() if user is not None else "система"),
        ip=ip,
        action=action[:100],
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=str(object_repr)[:500],
        changes=changes or {},
    )
