"""Working groups and councils (seeds 002, 003): a group of the region or a municipality, its members,
its meetings (date, place, agenda, attendance, «Слушали / Решили» per item) and the tasks its decisions
set (executor, deadline, status; optionally for a school).

A group is visible through its unit (a region group region-wide, a municipality's group through the
municipality); its members, meetings and items through the group; a task assigned to a school through
the school, other tasks through the group."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from shnor.web.registry.models import Municipality, Region, School
from shnor.web.scoping import ScopedQuerySet


class GroupLevel(models.TextChoices):
    """Whose group it is."""

    REGION = "region", "региональная"
    MUNICIPALITY = "municipality", "муниципальная"


class GroupKind(models.TextChoices):
    """What kind of body it is."""

    WORKING_GROUP = "working_group", "рабочая группа"
    METHODICAL = "methodical_council", "методический совет"
    COORDINATION = "coordination_council", "координационный совет"


class Group(models.Model):
    """A working group or council."""

    name = models.CharField("название", max_length=500)
    level = models.CharField("уровень", max_length=16, choices=GroupLevel.choices)
    kind = models.CharField("вид", max_length=32, choices=GroupKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="регион")
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="муниципалитет",
    )
    authority = models.CharField("орган, при котором создана", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = (
        (models.Q(level=GroupLevel.MUNICIPALITY), "municipality"),
        (models.Q(level=GroupLevel.REGION), "region"),
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "рабочая группа (совет)"
        verbose_name_plural = "рабочие группы и советы"
        ordering = ["level", "name", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display().capitalize()} «{self.name}»"

    @property
    def unit_name(self) -> str:
        """The region or municipality the group belongs to."""
        unit = self.municipality if self.level == GroupLevel.MUNICIPALITY else self.region
        return (unit.name or str(unit)) if unit else ""


class MemberRole(models.TextChoices):
    """A member's role in the group."""

    CHAIR = "chair", "председатель"
    SECRETARY = "secretary", "секретарь"
    MEMBER = "member", "член"


class Member(models.Model):
    """A member of a group."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    full_name = models.CharField("ФИО", max_length=300)
    position = models.CharField("должность", max_length=500, blank=True)
    organisation = models.CharField("организация", max_length=500, blank=True)
    role = models.CharField(
        "роль в группе", max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    active = models.BooleanField("входит в состав", default=True)

    scope_field = "group"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "член рабочей группы"
        verbose_name_plural = "члены рабочих групп"
        ordering = ["group", "role", "full_name", "id"]

    def __str__(self) -> str:
        return self.full_name


class Meeting(models.Model):
    """A meeting (заседание) of a group: when, where, who attended; its agenda items."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="meetings")
    number = models.CharField("номер протокола", max_length=32, blank=True)
    held_on = models.DateField("дата")
    time_text = models.CharField("время", max_length=32, blank=True)
    place = models.CharField("место", max_length=500, blank=True)
    present = models.ManyToManyField(
        Member, blank=True, related_name="meetings", verbose_name="присутствовали"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "group"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "заседание"
        verbose_name_plural = "заседания"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        number = f" № {self.number}" if self.number else ""
        return f"Заседание{number} от {self.held_on:%d.%m.%Y}: {self.group.name}"


class AgendaItem(models.Model):
    """An agenda item: «Слушали» (what was heard) and «Решили» (the decision)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    title = models.TextField("вопрос повестки")
    heard = models.TextField("слушали", blank=True)
    decided = models.TextField("решили", blank=True)
    #: [{"school_id", "activity", "roadmap"}, …] — activities the decision put into school roadmaps
    roadmap_activities = models.JSONField("мероприятия дорожных карт", default=list, blank=True)

    scope_field = "meeting__group"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "вопрос повестки"
        verbose_name_plural = "вопросы повестки"
        ordering = ["meeting", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.title[:80]}"


class TaskStatus(models.TextChoices):
    """Where a task is; «просрочено» is derived (deadline passed, not done)."""

    OPEN = "open", "поставлена"
    IN_PROGRESS = "in_progress", "выполняется"
    DONE = "done", "выполнена"


class Task(models.Model):
    """A task set by a decision: what, who, by when; optionally for one school."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="tasks")
    text = models.TextField("поручение")
    executor = models.CharField("исполнитель", max_length=500)
    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="council_tasks",
        verbose_name="школа",
    )
    due_date = models.DateField("срок")
    status = models.CharField("статус", max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_at = models.DateTimeField("выполнена", null=True, blank=True)
    report = models.TextField("отметка об исполнении", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = (
        (models.Q(school__isnull=False), "school"),
        (models.Q(school__isnull=True), "item__meeting__group"),
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "поручение рабочей группы"
        verbose_name_plural = "поручения рабочих групп"
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["due_date", "status"])]

    def __str__(self) -> str:
        return f"{self.text[:80]} — {self.executor}, до {self.due_date:%d.%m.%Y}"

    def overdue(self, today: dt.date) -> bool:
        """True when the deadline has passed and the task is not done."""
        return self.status != TaskStatus.DONE and self.due_date < today
