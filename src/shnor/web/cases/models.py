"""Objectivity cases: re-checked works, controlled procedures, one case per school and year with the
school's answers, the region's decision, an appeal and the history. Every model is scoped through its
school (``ScopedQuerySet``): a row is visible exactly when its school is."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from shnor.web.identification.models import MethodologyRun
from shnor.web.registry.models import School
from shnor.web.scoping import ScopedQuerySet


def answer_storage() -> FileSystemStorage:
    """Files of the schools' answers live in SHNOR_HOME/case_files, served only through a scoped view."""
    return FileSystemStorage(location=str(settings.HOME / "case_files"), base_url=None)


class RecheckBatch(models.Model):
    """One imported file of re-checked works (перепроверка); the same bytes are never imported twice."""

    file_name = models.CharField("файл", max_length=255)
    sha256 = models.CharField("контрольная сумма", max_length=64, unique=True)
    year = models.PositiveSmallIntegerField("год")
    rows = models.PositiveIntegerField("строк", default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField("загружен", auto_now_add=True)

    scope_field = "works__school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "файл перепроверки"
        verbose_name_plural = "файлы перепроверки"
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.year})"


class RecheckWork(models.Model):
    """One task of one re-checked work: the school's score and the expert's."""

    batch = models.ForeignKey(RecheckBatch, on_delete=models.CASCADE, related_name="works")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name="школа")
    year = models.PositiveSmallIntegerField("год")
    subject = models.CharField("предмет", max_length=16)
    grade = models.PositiveSmallIntegerField("класс")
    work = models.CharField("работа (псевдоним кода)", max_length=40)
    task = models.CharField("задание", max_length=32)
    school_score = models.FloatField("балл школы")
    expert_score = models.FloatField("балл эксперта")

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "перепроверенное задание"
        verbose_name_plural = "перепроверенные задания"
        ordering = ["school", "subject", "grade", "work", "task"]
        indexes = [models.Index(fields=["year", "school"])]


class ControlledProcedure(models.Model):
    """A test of a school held under control: observers, video or checking outside the school."""

    OBSERVERS = "observers"
    VIDEO = "video"
    EXTERNAL = "external_check"
    KINDS = [
        (OBSERVERS, "независимые наблюдатели"),
        (VIDEO, "видеонаблюдение"),
        (EXTERNAL, "проверка работ вне школы"),
    ]

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name="школа")
    year = models.PositiveSmallIntegerField("год")
    subject = models.CharField("предмет", max_length=16)
    grade = models.PositiveSmallIntegerField("класс")
    kind = models.CharField("вид контроля", max_length=16, choices=KINDS)
    note = models.TextField("примечание", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "контролируемая процедура"
        verbose_name_plural = "контролируемые процедуры"
        ordering = ["-year", "subject", "grade", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "subject", "grade", "kind"], name="controlled_once"
            )
        ]


class CaseStatus(models.TextChoices):
    """Where a case is: opened, the school answered, decided, appealed, closed after the appeal."""

    OPEN = "open", "на рассмотрении"
    ANSWERED = "answered", "получен ответ школы"
    DECIDED = "decided", "решение принято"
    APPEALED = "appealed", "обжаловано"
    CLOSED = "closed", "закрыто"


class Verdict(models.TextChoices):
    """The region's conclusion on the signs (never «нарушение»: the data show signs only)."""

    CONFIRMED = "confirmed", "признаки подтверждены"
    NOT_CONFIRMED = "not_confirmed", "признаки не подтвердились"
    RECHECK_NEEDED = "recheck_needed", "нужна перепроверка"
    NOT_ENOUGH_DATA = "not_enough_data", "недостаточно данных"


class ObjectivityCase(models.Model):
    """The review of one school's signs of non-objective results in one year."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name="школа")
    year = models.PositiveSmallIntegerField("год")
    run = models.ForeignKey(
        MethodologyRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField("статус", max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    verdict = models.CharField("решение", max_length=16, choices=Verdict.choices, blank=True)
    verdict_reason = models.TextField("основание решения", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("решение принято", null=True, blank=True)
    #: the sign ids (``bunching:vpr:ma:4``) significant when the case was opened
    signs = models.JSONField("признаки", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "дело о признаках необъективности"
        verbose_name_plural = "дела о признаках необъективности"
        ordering = ["-year", "school__school_id"]
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="case_school_year")]

    def __str__(self) -> str:
        return f"{self.school.name or self.school.school_id}, {self.year} г."


class CaseAnswer(models.Model):
    """The school's (or its municipality's) explanation, with an optional file."""

    case = models.ForeignKey(ObjectivityCase, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField("текст ответа")
    file = models.FileField("файл", storage=answer_storage, upload_to="answers/%Y/", blank=True)
    original_name = models.CharField("имя файла", max_length=255, blank=True)
    size = models.PositiveIntegerField("размер", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "case"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "ответ школы"
        verbose_name_plural = "ответы школы"
        ordering = ["case", "created_at", "id"]


class CaseEvent(models.Model):
    """One step of a case's history: who did what, with a comment."""

    case = models.ForeignKey(ObjectivityCase, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField("действие", max_length=200)
    comment = models.TextField("комментарий", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "case"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "событие дела"
        verbose_name_plural = "события дел"
        ordering = ["case", "created_at", "id"]
