"""Report requests between levels: the region (or a municipality, for its schools) asks municipalities or
schools for a report with a deadline; each recipient's part (``Submission``) is filled in, submitted,
accepted or returned, with its history (``SubmissionEvent``) and its reminders (``SubmissionNotice``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from shnor.web.registry.models import Municipality, Region, School
from shnor.web.scoping import ScopedQuerySet


def submission_storage() -> FileSystemStorage:
    """Files of submissions live in SHNOR_HOME/submission_files, served only through a scoped view."""
    return FileSystemStorage(location=str(settings.HOME / "submission_files"), base_url=None)


class Kind(models.TextChoices):
    """What is asked for."""

    ROADMAP = "roadmap", "Отчёт о выполнении дорожной карты"
    NOTE = "note", "Аналитическая справка"
    FILE = "file", "Файл"


class RecipientLevel(models.TextChoices):
    """Who is asked."""

    MUNICIPALITY = "municipality", "Муниципалитеты"
    SCHOOL = "school", "Школы"


class ReportRequest(models.Model):
    """A request for a report of a kind, with a title, an instruction and a deadline."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="регион")
    #: set when a municipality asks its schools; empty when the region asks
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="запросил муниципалитет",
    )
    kind = models.CharField("вид отчёта", max_length=16, choices=Kind.choices)
    recipient_level = models.CharField("кого просят", max_length=16, choices=RecipientLevel.choices)
    title = models.CharField("название", max_length=300)
    instruction = models.TextField("указания", blank=True)
    deadline = models.DateField("срок")
    year = models.PositiveSmallIntegerField("год дорожной карты", null=True, blank=True)
    remind_days = models.PositiveSmallIntegerField("напомнить за (дней)", default=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    #: visible when one of its parts is
    scope_field = "submissions"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "запрос отчёта"
        verbose_name_plural = "запросы отчётов"
        ordering = ["-deadline", "-id"]

    def __str__(self) -> str:
        return f"{self.title} (срок {self.deadline:%d.%m.%Y})"

    @property
    def requester_name(self) -> str:
        """Who asked: the municipality or the region."""
        return (self.municipality or self.region).name


class Status(models.TextChoices):
    """Where a recipient's part is."""

    NEW = "new", "Не начат"
    DRAFT = "draft", "Черновик"
    SUBMITTED = "submitted", "Отправлен"
    RETURNED = "returned", "Возвращён"
    ACCEPTED = "accepted", "Принят"


LATE_LABEL = "Просрочен"
#: the parts that count as delivered (never late)
DELIVERED = (Status.SUBMITTED, Status.ACCEPTED)


class Submission(models.Model):
    """One recipient's part of a request: its text, file, generated report, status and dates."""

    request = models.ForeignKey(ReportRequest, on_delete=models.CASCADE, related_name="submissions")
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="школа"
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="муниципалитет",
    )
    status = models.CharField("состояние", max_length=16, choices=Status.choices, default=Status.NEW)
    text = models.TextField("текст", blank=True)
    file = models.FileField("файл", storage=submission_storage, upload_to="%Y/%m", blank=True, max_length=300)
    file_name = models.CharField("имя файла", max_length=255, blank=True)
    report = models.FileField(
        "сформированный отчёт",
        storage=submission_storage,
        upload_to="reports/%Y/%m",
        blank=True,
        max_length=300,
    )
    #: the roadmap report's figures at submission (title, counts, share), for the combined document
    summary = models.JSONField("сводка", default=dict, blank=True)
    comment = models.TextField("замечание при возврате", blank=True)
    submitted_at = models.DateTimeField("отправлен", null=True, blank=True)
    reviewed_at = models.DateTimeField("рассмотрен", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    #: a school's part through the school, a municipality's part through the municipality
    scope_field = (
        (models.Q(school__isnull=False), "school"),
        (models.Q(school__isnull=True), "municipality"),
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "часть отчёта"
        verbose_name_plural = "части отчётов"
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "school"],
                condition=models.Q(school__isnull=False),
                name="submission_school",
            ),
            models.UniqueConstraint(
                fields=["request", "municipality"],
                condition=models.Q(school__isnull=True),
                name="submission_municipality",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_name}: {self.request.title}"

    @property
    def recipient_name(self) -> str:
        """The school's or the municipality's name."""
        unit = self.school or self.municipality
        return unit.name if unit is not None else ""

    def late(self, today: dt.date) -> bool:
        """Deadline passed and not submitted or accepted."""
        return today > self.request.deadline and self.status not in DELIVERED

    def status_label(self, today: dt.date) -> str:
        """«Просрочен» for a late part, else the status's label."""
        return LATE_LABEL if self.late(today) else self.get_status_display()

    def status_code(self, today: dt.date) -> str:
        """The status, or «late» (for the page's colours)."""
        return "late" if self.late(today) else self.status


class SubmissionEvent(models.Model):
    """One step of a part's history: saved, submitted, returned (with the comment), accepted."""

    SAVED, SUBMITTED, RETURNED, ACCEPTED = "saved", "submitted", "returned", "accepted"
    ACTIONS = [
        (SAVED, "сохранён черновик"),
        (SUBMITTED, "отправлен"),
        (RETURNED, "возвращён на доработку"),
        (ACCEPTED, "принят"),
    ]
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("действие", max_length=16, choices=ACTIONS)
    comment = models.TextField("комментарий", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "событие части отчёта"
        verbose_name_plural = "события частей отчётов"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%d.%m.%Y}"


class SubmissionNotice(models.Model):
    """A reminder to a recipient's user: once per user, part and stage (before or after the deadline)."""

    BEFORE, AFTER = "before", "after"
    STAGES = [(BEFORE, "Срок приближается"), (AFTER, "Срок прошёл")]
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="notices")
    stage = models.CharField("когда", max_length=8, choices=STAGES)
    text = models.CharField("текст", max_length=1000)
    emailed = models.BooleanField("отправлено письмо", default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "напоминание о запросе"
        verbose_name_plural = "напоминания о запросах"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "submission", "stage"], name="submission_notice_once")
        ]

    def __str__(self) -> str:
        return self.text[:80]
