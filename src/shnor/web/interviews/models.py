"""Interviews with a school's management team (seed 001, 3.1: «Участие в индивидуальных собеседованиях с
управленческими командами ШНОР … Выявление групп риска, корректировка дорожных карт»).

``Interview`` keeps who took part, the findings by the risk factors of the questionnaire in force (code,
title, level, comment — stored as they were, so a later edit of the questionnaire never changes them) and
a summary. Each agreed change is a ``Correction`` of the school's roadmap of the interview's year: proposed
by the municipality or the region, accepted by the school (then applied through the support services and
linked to the activity it made or changed) or discussed in a comment thread. All rows are scoped through
the school."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shnor.web.registry.models import School
from shnor.web.scoping import ScopedQuerySet
from shnor.web.support.models import Activity, Roadmap


class InterviewFormat(models.TextChoices):
    """How the interview was held."""

    IN_PERSON = "in_person", "очно"
    REMOTE = "remote", "дистанционно (видеосвязь)"
    VISIT = "visit", "с выездом в школу"


class FindingLevel(models.TextChoices):
    """How strongly a risk factor shows at the interview."""

    NONE = "none", "не выявлен"
    LOW = "low", "низкий"
    MEDIUM = "medium", "средний"
    HIGH = "high", "высокий"


class Interview(models.Model):
    """One interview with a school's management team."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="interviews", verbose_name="школа"
    )
    year = models.PositiveSmallIntegerField("год дорожной карты")
    held_on = models.DateField("дата собеседования")
    format = models.CharField(
        "формат", max_length=16, choices=InterviewFormat.choices, default=InterviewFormat.IN_PERSON
    )
    #: [{"name": "Иванова И.И.", "position": "директор"}, …] — the school's management team
    participants = models.JSONField("участники от школы", default=list, blank=True)
    interviewers = models.CharField("проводили собеседование", max_length=1000)
    #: [{"code", "title", "level", "comment"}, …] — one per risk factor of the questionnaire
    findings = models.JSONField("выводы по факторам риска", default=list, blank=True)
    summary = models.TextField("итоги (группы риска, договорённости)", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "собеседование"
        verbose_name_plural = "собеседования"
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["school", "year"])]

    def __str__(self) -> str:
        return f"Собеседование {self.held_on:%d.%m.%Y}: {self.school.name or self.school.school_id}"


class CorrectionKind(models.TextChoices):
    """What an agreed change does to the roadmap."""

    ADD = "add", "добавить мероприятие"
    DEADLINE = "deadline", "изменить срок"
    EXECUTOR = "executor", "сменить ответственного"
    REMOVE = "remove", "исключить мероприятие"


class CorrectionStatus(models.TextChoices):
    """Where a proposed correction is."""

    PROPOSED = "proposed", "предложено школе"
    DISCUSSED = "discussed", "обсуждается"
    ACCEPTED = "accepted", "принято, внесено в дорожную карту"
    WITHDRAWN = "withdrawn", "отозвано"


class Correction(models.Model):
    """An agreed change turned into a proposed correction of the school's roadmap of the year."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="corrections")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField("изменение", max_length=16, choices=CorrectionKind.choices)
    #: the activity changed or removed; for «добавить» the activity made on acceptance
    activity = models.ForeignKey(
        Activity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interview_corrections",
        verbose_name="мероприятие",
    )
    roadmap = models.ForeignKey(
        Roadmap,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interview_corrections",
        verbose_name="дорожная карта",
    )
    title = models.TextField("наименование мероприятия", blank=True)
    period_text = models.CharField("сроки", max_length=200, blank=True)
    due_date = models.DateField("срок исполнения", null=True, blank=True)
    executor = models.CharField("ответственный исполнитель", max_length=500, blank=True)
    reason = models.TextField("обоснование")
    status = models.CharField(
        "статус", max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("решение", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "interview__school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "корректировка дорожной карты по итогам собеседования"
        verbose_name_plural = "корректировки дорожных карт по итогам собеседований"
        ordering = ["interview", "position", "id"]

    def __str__(self) -> str:
        what = self.title or (self.activity.title if self.activity else "")
        return f"{self.get_kind_display()}: {what[:80]}"


class CorrectionComment(models.Model):
    """A remark in the discussion of a correction (the school's objection, the municipality's answer)."""

    correction = models.ForeignKey(Correction, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField("комментарий")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "комментарий к корректировке"
        verbose_name_plural = "комментарии к корректировкам"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]
