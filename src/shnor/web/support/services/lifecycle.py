"""A roadmap's life cycle: drafted, submitted, approved by the level above (by an order) or returned for
rework, carried out, completed — as the seeds' orders describe it for schools, municipalities and the region.

Who does what: the roadmap's editors (``selectors.roadmap_access``) submit it; the level above approves or
returns it — a school's roadmap by its municipality's coordinators or the region's analysts, a
municipality's by the region's analysts, the region's by the region's analysts (or a superuser); never the
school itself, its curator, a teacher or an observer. Starting and completing: the owner's editors or the
level above. Every step writes a ``RoadmapEvent`` and an audit entry; approval stores the approved edition
(``approved_snapshot``), against which ``roadmap_changes_since_approval`` shows what was edited since.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.support.models import Level, Roadmap, RoadmapEvent, RoadmapStatus, Status
from shnor.web.support.selectors import roadmap_access

S = RoadmapStatus

#: Activity fields kept in the approved edition, with their Russian names (for the list of changes).
ACTIVITY_FIELDS: dict[str, str] = {
    "number": "№",
    "section": "раздел",
    "title": "наименование",
    "period_text": "сроки",
    "start_date": "начало",
    "due_date": "срок исполнения",
    "executor": "ответственный исполнитель",
    "co_executors": "соисполнители",
    "expected_result": "ожидаемый результат",
    "output_document": "выходной документ",
    "status": "статус",
}
#: Header fields kept in the approved edition.
HEADER_FIELDS: dict[str, str] = {
    "title": "название",
    "year": "год",
    "order_authority": "орган, издавший приказ",
    "order_number": "номер приказа",
    "order_date": "дата приказа",
    "appendix": "номер приложения",
}
_DATES = {"start_date", "due_date", "order_date"}


# --- rights ------------------------------------------------------------------------------------------


def can_approve(*, user: User, roadmap: Roadmap) -> bool:
    """True for the level above the roadmap's owner (see the module's docstring), within the user's scope."""
    scope = scope_of(user)
    if not scope.sees_rows or not scope.sees(roadmap):
        return False
    if scope.superuser:
        return True
    if scope.role == Role.REGION and scope.region_id == roadmap.region_id:
        return True
    if scope.role == Role.MUNICIPALITY and roadmap.level == Level.SCHOOL:
        return roadmap.school is not None and roadmap.school.municipality_id == scope.municipality_id
    return False


def can_edit(*, user: User, roadmap: Roadmap) -> bool:
    """The roadmap's editors (``selectors.roadmap_access``): they submit it and carry it out."""
    return roadmap_access(user=user, roadmap=roadmap).edit


def allowed_actions(*, user: User, roadmap: Roadmap) -> list[str]:
    """The transitions ``user`` may make now: some of submit, approve, return, start, complete."""
    editor = can_edit(user=user, roadmap=roadmap)
    above = can_approve(user=user, roadmap=roadmap)
    status = roadmap.status
    out = []
    if status in (S.DRAFT, S.RETURNED) and editor:
        out.append("submit")
    if status == S.SUBMITTED and above:
        out += ["approve", "return"]
    if status == S.APPROVED and (editor or above):
        out.append("start")
    if status == S.IN_PROGRESS and (editor or above):
        out.append("complete")
    return out


# --- the approved edition ----------------------------------------------------------------------------


def _value(obj: Any, name: str) -> Any:
    v = getattr(obj, name)
    return v.isoformat() if isinstance(v, dt.date) else v


def roadmap_snapshot(roadmap: Roadmap) -> dict[str, Any]:
    """The header and the activities as they are now (dates as ISO text), keyed for comparison by pk."""
    return {
        "header": {name: _value(roadmap, name) for name in HEADER_FIELDS},
        "activities": [
            {"pk": a.pk, **{name: _value(a, name) for name in ACTIVITY_FIELDS}}
            for a in roadmap.activities.order_by("position", "id")
        ],
    }


def _shown(name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if name in _DATES:
        return dt.date.fromisoformat(str(value)).strftime("%d.%m.%Y")
    if name == "status":
        return Status(value).label if value in Status.values else str(value)
    return str(value)


def _diff(old: dict[str, Any], new: dict[str, Any], fields: dict[str, str]) -> list[dict[str, str]]:
    out = []
    for name, label in fields.items():
        if name == "status" and Status.CANCELLED not in (old.get(name), new.get(name)):
            continue  # progress (planned → done) is execution, not a change of the approved plan
        if old.get(name) != new.get(name):
            out.append(
                {
                    "field": name,
                    "label": label,
                    "old": _shown(name, old.get(name)),
                    "new": _shown(name, new.get(name)),
                }
            )
    return out


def roadmap_changes_since_approval(roadmap: Roadmap) -> list[dict[str, Any]]:
    """What differs from the approved edition: the header, then activities added, removed or changed.

    Each item: ``kind`` («header», «added», «removed», «changed»), ``pk``, ``number``, ``title`` and, for
    header and changed rows, ``fields`` — a list of ``{field, label, old, new}`` (values as shown). An
    activity's status counts only when it was cancelled or brought back: progress is not a plan change.
    Empty when the roadmap was never approved.
    """
    snap = roadmap.approved_snapshot
    if not snap:
        return []
    now = roadmap_snapshot(roadmap)
    out: list[dict[str, Any]] = []
    header = _diff(snap.get("header", {}), now["header"], HEADER_FIELDS)
    if header:
        out.append({"kind": "header", "pk": None, "number": "", "title": roadmap.title, "fields": header})
    old = {a["pk"]: a for a in snap.get("activities", [])}
    new = {a["pk"]: a for a in now["activities"]}
    for pk, a in new.items():
        if pk not in old:
            out.append({"kind": "added", "pk": pk, "number": a["number"], "title": a["title"], "fields": []})
            continue
        fields = _diff(old[pk], a, ACTIVITY_FIELDS)
        if fields:
            out.append(
                {"kind": "changed", "pk": pk, "number": a["number"], "title": a["title"], "fields": fields}
            )
    for pk, a in old.items():
        if pk not in new:
            out.append(
                {"kind": "removed", "pk": pk, "number": a["number"], "title": a["title"], "fields": []}
            )
    return out


# --- transitions ---------------------------------------------------------------------------------------


def _move(
    *, actor: User, roadmap: Roadmap, allowed_from: tuple[str, ...], to: str, comment: str, action: str
) -> RoadmapEvent:
    """Check the current status, record the event and the audit entry, save the roadmap's new status."""
    roadmap.refresh_from_db(fields=["status"])
    if roadmap.status not in allowed_from:
        wanted = ", ".join(f"«{S(s).label}»" for s in allowed_from)
        raise ValidationError(
            f"Дорожная карта «{roadmap.title}» сейчас в статусе «{S(roadmap.status).label}»: "
            f"{action} можно только из статуса {wanted}."
        )
    event = RoadmapEvent.objects.create(
        roadmap=roadmap,
        from_status=roadmap.status,
        to_status=to,
        actor=actor if getattr(actor, "pk", None) else None,
        comment=comment.strip(),
    )
    changes: dict[str, Any] = {"статус": [S(roadmap.status).label, S(to).label]}
    if comment.strip():
        changes["комментарий"] = comment.strip()
    roadmap.status = to
    roadmap.save(update_fields=["status"])
    audit_record(
        action=f"дорожная карта: {action}",
        object_type="дорожная карта",
        object_id=str(roadmap.pk),
        object_repr=str(roadmap),
        changes=changes,
        user=actor,
    )
    return event


def _refuse(who: str) -> PermissionDenied:
    return PermissionDenied(f"{who}: у вас нет такого права для этой дорожной карты")


@transaction.atomic
def roadmap_submit(*, actor: User, roadmap: Roadmap, comment: str = "") -> RoadmapEvent:
    """Draft or returned → submitted: the roadmap's editors send it to the level above."""
    if not can_edit(user=actor, roadmap=roadmap):
        raise _refuse("Отправить на согласование может только тот, кто ведёт дорожную карту")
    return _move(
        actor=actor,
        roadmap=roadmap,
        allowed_from=(S.DRAFT, S.RETURNED),
        to=S.SUBMITTED,
        comment=comment,
        action="отправить на согласование",
    )


@transaction.atomic
def roadmap_approve(
    *,
    actor: User,
    roadmap: Roadmap,
    order_number: str = "",
    order_date: dt.date | None = None,
    comment: str = "",
) -> RoadmapEvent:
    """Submitted → approved by the level above (optionally with the order's number and date); the approved
    edition is stored for later comparison."""
    if not can_approve(user=actor, roadmap=roadmap):
        raise _refuse("Утвердить дорожную карту может только вышестоящий уровень")
    event = _move(
        actor=actor,
        roadmap=roadmap,
        allowed_from=(S.SUBMITTED,),
        to=S.APPROVED,
        comment=comment,
        action="утвердить",
    )
    roadmap.approved_at = timezone.now()
    roadmap.approved_by = actor if getattr(actor, "pk", None) else None
    roadmap.approval_order_number = (order_number or "").strip()
    roadmap.approval_order_date = order_date
    roadmap.approved_snapshot = roadmap_snapshot(roadmap)
    roadmap.save(
        update_fields=[
            "approved_at",
            "approved_by",
            "approval_order_number",
            "approval_order_date",
            "approved_snapshot",
        ]
    )
    return event


@transaction.atomic
def roadmap_return(*, actor: User, roadmap: Roadmap, comment: str) -> RoadmapEvent:
    """Submitted → returned for rework by the level above; the comment (what to fix) is required."""
    if not can_approve(user=actor, roadmap=roadmap):
        raise _refuse("Вернуть дорожную карту на доработку может только вышестоящий уровень")
    if not (comment or "").strip():
        raise ValidationError(
            "Укажите в комментарии, что нужно исправить в дорожной карте: без него вернуть её на "
            "доработку нельзя."
        )
    return _move(
        actor=actor,
        roadmap=roadmap,
        allowed_from=(S.SUBMITTED,),
        to=S.RETURNED,
        comment=comment,
        action="вернуть на доработку",
    )


@transaction.atomic
def roadmap_start(*, actor: User, roadmap: Roadmap) -> RoadmapEvent:
    """Approved → in progress: by the roadmap's editors or the level above."""
    if not (can_edit(user=actor, roadmap=roadmap) or can_approve(user=actor, roadmap=roadmap)):
        raise _refuse("Начать выполнение может тот, кто ведёт дорожную карту, или вышестоящий уровень")
    return _move(
        actor=actor,
        roadmap=roadmap,
        allowed_from=(S.APPROVED,),
        to=S.IN_PROGRESS,
        comment="",
        action="начать выполнение",
    )


@transaction.atomic
def roadmap_complete(*, actor: User, roadmap: Roadmap, comment: str = "") -> RoadmapEvent:
    """In progress → completed: by the roadmap's editors or the level above."""
    if not (can_edit(user=actor, roadmap=roadmap) or can_approve(user=actor, roadmap=roadmap)):
        raise _refuse("Завершить дорожную карту может тот, кто её ведёт, или вышестоящий уровень")
    return _move(
        actor=actor,
        roadmap=roadmap,
        allowed_from=(S.IN_PROGRESS,),
        to=S.COMPLETED,
        comment=comment,
        action="завершить",
    )


__all__ = [
    "allowed_actions",
    "can_approve",
    "roadmap_approve",
    "roadmap_changes_since_approval",
    "roadmap_complete",
    "roadmap_return",
    "roadmap_snapshot",
    "roadmap_start",
    "roadmap_submit",
]
