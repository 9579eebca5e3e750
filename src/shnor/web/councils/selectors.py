"""Reads of working groups: visible groups, meetings, tasks (with overdue marking), rights, and the facts
of a protocol."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from shnor.core.reports.council_protocol import CouncilProtocol, Item, Person
from shnor.web.accounts.roles import SCHOOL_ROLES, Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.councils.models import (
    AgendaItem,
    Group,
    GroupLevel,
    Meeting,
    Member,
    MemberRole,
    Task,
    TaskStatus,
)
from shnor.web.registry.models import Municipality
from shnor.web.support.models import Level, Roadmap


def groups_visible(*, user: User) -> QuerySet[Group]:
    """Groups of the user's scope: region groups region-wide, a municipality's own; schools and teachers
    see none (they see the tasks set for their school)."""
    if scope_of(user).role in SCHOOL_ROLES:
        return Group.objects.none()
    return Group.objects.visible_to(user).select_related("region", "municipality")


def meetings_visible(*, user: User) -> QuerySet[Meeting]:
    """Meetings of the visible groups."""
    return Meeting.objects.filter(group__in=groups_visible(user=user)).select_related("group")


def tasks_visible(*, user: User) -> QuerySet[Task]:
    """Tasks the user sees; a school's users only the tasks set for their school."""
    scope = scope_of(user)
    qs = Task.objects.visible_to(user).select_related("item__meeting__group", "school")
    if scope.role in SCHOOL_ROLES:
        qs = qs.filter(school_id=scope.school_id)
    return qs


def can_create(*, user: User) -> bool:
    """Region analysts create region and municipal groups of their region; municipality coordinators
    their municipality's."""
    scope = scope_of(user)
    return scope.sees_rows and (
        scope.superuser or (scope.role == Role.REGION and scope.can_import) or scope.role == Role.MUNICIPALITY
    )


def municipalities_for(*, user: User) -> QuerySet[Municipality]:
    """Municipalities a user may create a group for."""
    scope = scope_of(user)
    qs = Municipality.objects.select_related("region").order_by("name")
    if scope.superuser:
        return qs
    if scope.role == Role.REGION and scope.can_import:
        return qs.filter(region_id=scope.region_id)
    if scope.role == Role.MUNICIPALITY:
        return qs.filter(pk=scope.municipality_id)
    return qs.none()


def can_manage(*, user: User, group: Group) -> bool:
    """Who keeps the group: region analysts of its region, the municipality for its own group."""
    scope = scope_of(user)
    if not scope.sees_rows:
        return False
    if scope.superuser:
        return True
    if scope.role == Role.REGION and scope.can_import:
        return scope.region_id == group.region_id
    if scope.role == Role.MUNICIPALITY:
        return group.level == GroupLevel.MUNICIPALITY and group.municipality_id == scope.municipality_id
    return False


def can_mark_task(*, user: User, task: Task) -> bool:
    """The group's keepers, and the school a task is set for, mark its progress."""
    scope = scope_of(user)
    if can_manage(user=user, group=task.item.meeting.group):
        return True
    return scope.sees_rows and scope.role == Role.SCHOOL and task.school_id == scope.school_id


def members_ordered(group: Group) -> list[Member]:
    """Chair, secretary, then members by name."""
    order = {MemberRole.CHAIR: 0, MemberRole.SECRETARY: 1, MemberRole.MEMBER: 2}
    return sorted(group.members.all(), key=lambda m: (order.get(m.role, 3), m.full_name))


def task_rows(
    tasks: QuerySet[Task], today: dt.date, *, overdue_only: bool = False
) -> list[tuple[Task, bool]]:
    """(task, overdue) pairs, overdue first then by deadline."""
    rows = [(t, t.overdue(today)) for t in tasks]
    if overdue_only:
        rows = [r for r in rows if r[1]]
    return sorted(rows, key=lambda r: (not r[1], r[0].due_date, r[0].pk))


def overdue_filter(today: dt.date) -> Q:
    """Tasks past their deadline and not done."""
    return Q(due_date__lt=today) & ~Q(status=TaskStatus.DONE)


def tasks_ordered(tasks: QuerySet[Task], today: dt.date, *, overdue_only: bool = False) -> QuerySet[Task]:
    """``tasks`` in ``task_rows``' order — overdue first, then by deadline — ordered by the database, so that
    a page of them is read alone; only the overdue ones when ``overdue_only``."""
    late = overdue_filter(today)
    if overdue_only:
        tasks = tasks.filter(late)
    first = Case(When(late, then=Value(0)), default=Value(1), output_field=IntegerField())
    return tasks.annotate(late_first=first).order_by("late_first", "due_date", "pk")


def schools_for_roadmap(*, user: User, group: Group, year: int) -> QuerySet[Roadmap]:
    """School roadmaps of ``year`` in the group's unit that the user may see (to pick schools from)."""
    qs = Roadmap.objects.visible_to(user).filter(level=Level.SCHOOL, year=year).select_related("school")
    if group.level == GroupLevel.MUNICIPALITY:
        qs = qs.filter(school__municipality_id=group.municipality_id)
    else:
        qs = qs.filter(region_id=group.region_id)
    return qs.order_by("school__name")


def _person(m: Member) -> Person:
    return Person(m.full_name, m.position, m.organisation)


def protocol_facts(meeting: Meeting) -> CouncilProtocol:
    """What the protocol DOCX needs: header, present and absent members, items with tasks, signatures."""
    group = meeting.group
    members = members_ordered(group)
    present_ids = set(meeting.present.values_list("pk", flat=True))
    chair = next((m for m in members if m.role == MemberRole.CHAIR), None)
    secretary = next((m for m in members if m.role == MemberRole.SECRETARY), None)
    items = []
    for item in meeting.items.prefetch_related("tasks__school").order_by("position", "id"):
        items.append(_item(item))
    return CouncilProtocol(
        group_name=group.name,
        kind=group.kind,
        held_on=meeting.held_on,
        number=meeting.number,
        time_text=meeting.time_text,
        place=meeting.place,
        authority=group.authority,
        present=[_person(m) for m in members if m.pk in present_ids],
        absent=[_person(m) for m in members if m.pk not in present_ids and m.active],
        items=items,
        chair=_person(chair) if chair else None,
        secretary=_person(secretary) if secretary else None,
    )


def _item(item: AgendaItem) -> Item:
    tasks = tuple(
        f"{t.text} — {t.executor}"
        + (f" ({t.school.name or t.school.school_id})" if t.school else "")
        + f", срок до {t.due_date:%d.%m.%Y}"
        for t in item.tasks.all()
    )
    return Item(item.title, item.heard, item.decided, tasks)
