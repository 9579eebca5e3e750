"""Writes of working groups: create a group, add or drop members, hold a meeting (attendance, agenda),
write «Слушали / Решили» per item, set tasks from a decision and mark their progress, and put a decision
into chosen schools' roadmaps as an activity (through ``support.services.activity_add``).

Every service takes the acting user and checks the right (``selectors``); a refused action raises
``PermissionDenied``, a bad input ``ValidationError`` (in Russian); every write is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User
from shnor.web.councils import selectors as sel
from shnor.web.councils.models import (
    AgendaItem,
    Group,
    GroupKind,
    GroupLevel,
    Meeting,
    Member,
    MemberRole,
    Task,
    TaskStatus,
)
from shnor.web.registry.models import Municipality, Region, School
from shnor.web.support.models import Activity, Roadmap
from shnor.web.support.services import activity_add

REFUSED = "вести рабочую группу может региональный аналитик её региона или муниципалитет — свою группу"


def _actor(actor: User) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _audit(action: str, obj: Any, changes: dict[str, Any], actor: User) -> None:
    audit_record(
        action=action,
        object_type=obj._meta.verbose_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes,
        user=_actor(actor),
    )


def _manage(actor: User, group: Group) -> None:
    if not sel.can_manage(user=actor, group=group):
        raise PermissionDenied(REFUSED)


@transaction.atomic
def group_create(
    *,
    actor: User,
    name: str,
    kind: str,
    level: str,
    region: Region | None = None,
    municipality: Municipality | None = None,
    authority: str = "",
) -> Group:
    """A region group (``region``) or a municipality's group (``municipality``)."""
    if kind not in GroupKind.values:
        raise ValidationError(f"недопустимый вид группы «{kind}»")
    if level not in GroupLevel.values:
        raise ValidationError(f"недопустимый уровень группы «{level}»")
    if not name.strip():
        raise ValidationError("не указано название группы")
    if level == GroupLevel.MUNICIPALITY:
        if municipality is None:
            raise ValidationError("для муниципальной группы выберите муниципалитет")
        region = municipality.region
    elif region is None:
        raise ValidationError("для региональной группы не указан регион")
    group = Group(
        name=name.strip()[:500],
        kind=kind,
        level=level,
        region=region,
        municipality=municipality if level == GroupLevel.MUNICIPALITY else None,
        authority=authority.strip()[:500],
        created_by=_actor(actor),
    )
    _manage(actor, group)
    group.save()
    _audit(
        "создана рабочая группа",
        group,
        {"вид": group.get_kind_display(), "уровень": group.get_level_display()},
        actor,
    )
    return group


@transaction.atomic
def member_add(
    *,
    actor: User,
    group: Group,
    full_name: str,
    position: str = "",
    organisation: str = "",
    role: str = MemberRole.MEMBER,
) -> Member:
    """Add a member; a new chair or secretary replaces the previous one (who stays a member)."""
    _manage(actor, group)
    if role not in MemberRole.values:
        raise ValidationError(f"недопустимая роль в группе «{role}»")
    if not full_name.strip():
        raise ValidationError("не указано ФИО члена группы")
    if role in (MemberRole.CHAIR, MemberRole.SECRETARY):
        group.members.filter(role=role).update(role=MemberRole.MEMBER)
    member = Member.objects.create(
        group=group,
        full_name=full_name.strip()[:300],
        position=position.strip()[:500],
        organisation=organisation.strip()[:500],
        role=role,
    )
    _audit(
        "добавлен член рабочей группы",
        group,
        {"ФИО": member.full_name, "роль": member.get_role_display()},
        actor,
    )
    return member


@transaction.atomic
def member_leave(*, actor: User, member: Member) -> Member:
    """The member leaves the group (kept in past protocols)."""
    _manage(actor, member.group)
    member.active = False
    member.save(update_fields=["active"])
    _audit("член рабочей группы выбыл", member.group, {"ФИО": member.full_name}, actor)
    return member


@transaction.atomic
def meeting_create(
    *,
    actor: User,
    group: Group,
    held_on: dt.date,
    agenda: Sequence[str],
    present: Sequence[Member],
    number: str = "",
    time_text: str = "",
    place: str = "",
) -> Meeting:
    """A meeting with its agenda (one item per text) and the members present."""
    _manage(actor, group)
    items = [a.strip() for a in agenda if a and a.strip()]
    if not items:
        raise ValidationError("в повестке нет ни одного вопроса")
    strangers = [m.full_name for m in present if m.group_id != group.pk]
    if strangers:
        raise ValidationError(f"не члены этой группы: {', '.join(strangers)}")
    meeting = Meeting.objects.create(
        group=group,
        held_on=held_on,
        number=number.strip()[:32],
        time_text=time_text.strip()[:32],
        place=place.strip()[:500],
        created_by=_actor(actor),
    )
    meeting.present.set(present)
    AgendaItem.objects.bulk_create(
        [AgendaItem(meeting=meeting, position=i, title=t) for i, t in enumerate(items, start=1)]
    )
    _audit(
        "проведено заседание рабочей группы",
        meeting,
        {"вопросов": len(items), "присутствовали": [m.full_name for m in present]},
        actor,
    )
    return meeting


@transaction.atomic
def attendance_set(*, actor: User, meeting: Meeting, present: Sequence[Member]) -> Meeting:
    """Correct who attended."""
    _manage(actor, meeting.group)
    strangers = [m.full_name for m in present if m.group_id != meeting.group_id]
    if strangers:
        raise ValidationError(f"не члены этой группы: {', '.join(strangers)}")
    meeting.present.set(present)
    _audit(
        "отмечено присутствие на заседании",
        meeting,
        {"присутствовали": [m.full_name for m in present]},
        actor,
    )
    return meeting


@transaction.atomic
def item_save(*, actor: User, item: AgendaItem, heard: str, decided: str) -> AgendaItem:
    """«Слушали» and «Решили» of an agenda item."""
    _manage(actor, item.meeting.group)
    item.heard, item.decided = heard.strip(), decided.strip()
    item.save(update_fields=["heard", "decided"])
    _audit("записано решение по вопросу повестки", item.meeting, {"вопрос": item.position}, actor)
    return item


@transaction.atomic
def task_create(
    *,
    actor: User,
    item: AgendaItem,
    text: str,
    executor: str,
    due_date: dt.date,
    school: School | None = None,
) -> Task:
    """A task set by the decision of ``item``."""
    group = item.meeting.group
    _manage(actor, group)
    if not text.strip():
        raise ValidationError("не указано поручение")
    if not executor.strip():
        raise ValidationError("не указан исполнитель поручения")
    if school is not None:
        in_unit = (
            school.municipality_id == group.municipality_id
            if group.level == GroupLevel.MUNICIPALITY
            else (school.region_id or getattr(school.municipality, "region_id", None)) == group.region_id
        )
        if not in_unit:
            raise ValidationError(
                f"школа «{school.name or school.school_id}» не относится к {group.unit_name}"
            )
    task = Task.objects.create(
        item=item,
        text=text.strip(),
        executor=executor.strip()[:500],
        due_date=due_date,
        school=school,
        created_by=_actor(actor),
    )
    _audit(
        "поставлено поручение", task, {"исполнитель": task.executor, "срок": f"{due_date:%d.%m.%Y}"}, actor
    )
    return task


@transaction.atomic
def task_mark(*, actor: User, task: Task, status: str, report: str = "") -> Task:
    """Mark a task's progress (the group's keepers or the school it is set for)."""
    if not sel.can_mark_task(user=actor, task=task):
        raise PermissionDenied("отмечать исполнение может тот, кто ведёт группу, или школа, которой поручено")
    if status not in TaskStatus.values:
        raise ValidationError(f"недопустимый статус поручения «{status}»")
    task.status = status
    task.done_at = timezone.now() if status == TaskStatus.DONE else None
    if report.strip():
        task.report = report.strip()[:5000]
    task.save()
    _audit("отмечено исполнение поручения", task, {"статус": task.get_status_display()}, actor)
    return task


@transaction.atomic
def item_to_roadmaps(
    *,
    actor: User,
    item: AgendaItem,
    roadmaps: Sequence[Roadmap],
    title: str,
    period_text: str = "",
    due_date: dt.date | None = None,
    executor: str = "",
) -> list[Activity]:
    """Put the decision into each chosen school roadmap as an activity (section «Решения рабочих групп»)."""
    group = item.meeting.group
    _manage(actor, group)
    if not title.strip():
        raise ValidationError("не указано наименование мероприятия")
    if not roadmaps:
        raise ValidationError("не выбрана ни одна школа")
    allowed = {r.pk for r in sel.schools_for_roadmap(user=actor, group=group, year=roadmaps[0].year)}
    added = []
    for roadmap in roadmaps:
        if roadmap.pk not in allowed:
            raise ValidationError(f"дорожная карта «{roadmap.owner_name}» не относится к {group.unit_name}")
        activity = activity_add(
            actor=actor,
            roadmap=roadmap,
            title=title.strip(),
            period_text=period_text,
            due_date=due_date,
            executor=executor.strip(),
            expected_result=f"Исполнено решение: {item.meeting}",
            section="Решения рабочих групп и советов",
        )
        added.append(activity)
        item.roadmap_activities.append(
            {
                "school_id": roadmap.school.school_id if roadmap.school else "",
                "activity": activity.pk,
                "roadmap": roadmap.pk,
            }
        )
    item.save(update_fields=["roadmap_activities"])
    _audit(
        "решение внесено в дорожные карты школ",
        item.meeting,
        {"вопрос": item.position, "мероприятий": len(added)},
        actor,
    )
    return added
