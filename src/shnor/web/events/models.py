"""Events held for the listed schools (webinars, seminars, methodological landings, master classes,
panoramas, final seminars) and their attendance by school and by person.

An ``Event`` is visible exactly when one of its target schools is (``scope_field``): the region sees the
events of its schools, a municipality those aimed at its schools, a school those it is invited to.
Attendance rows (``SchoolAttendance``, ``Participant``) are scoped through their school, so a municipality
never reads who came from another municipality's schools. An event may implement activities of roadmaps
(``activities``); the activity page shows it read-only."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from shnor.web.events.labels import Kind, OrganiserLevel, Source
from shnor.web.registry.models import Municipality, Region, School
from shnor.web.scoping import ScopedQuerySet
from shnor.web.support.models import Activity


def materials_storage() -> FileSystemStorage:
    """Event materials live in SHNOR_HOME/event_files, served only through a scoped view."""
    return FileSystemStorage(location=str(settings.HOME / "event_files"), base_url=None)


class Event(models.Model):
    """One event: kind, title, when, who holds it, for which schools, which roadmap activities it serves."""

    kind = models.CharField("вид", max_length=16, choices=Kind.choices, default=Kind.WEBINAR)
    title = models.CharField("тема", max_length=500)
    starts_at = models.DateTimeField("дата и время начала")
    duration_minutes = models.PositiveIntegerField("продолжительность, мин", null=True, blank=True)
    place = models.CharField("место или ссылка на трансляцию", max_length=500, blank=True)
    description = models.TextField("описание", blank=True)
    organiser_level = models.CharField(
        "уровень организатора", max_length=16, choices=OrganiserLevel.choices, default=OrganiserLevel.REGION
    )
    organiser_name = models.CharField("организатор", max_length=500)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="регион"
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="муниципалитет-организатор",
    )
    target_rule = models.CharField("как выбраны школы", max_length=300, blank=True)
    target_schools = models.ManyToManyField(School, related_name="events_targeted", verbose_name="школы")
    activities = models.ManyToManyField(
        Activity, blank=True, related_name="events", verbose_name="реализует мероприятия дорожных карт"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("создано", auto_now_add=True)

    scope_field = "target_schools"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "мероприятие"
        verbose_name_plural = "мероприятия"
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display().capitalize()} «{self.title}», {self.starts_at:%d.%m.%Y}"


class Material(models.Model):
    """A file or a link of an event (presentation, recording, programme)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField("название", max_length=300, blank=True)
    file = models.FileField(
        "файл", storage=materials_storage, upload_to="events/%Y/%m", max_length=300, blank=True
    )
    original_name = models.CharField("имя файла", max_length=255, blank=True)
    size = models.PositiveBigIntegerField("размер, байт", default=0)
    url = models.URLField("ссылка", max_length=1000, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField("добавлено", auto_now_add=True)

    scope_field = "event"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "материал мероприятия"
        verbose_name_plural = "материалы мероприятий"
        ordering = ["event", "id"]

    def __str__(self) -> str:
        return self.title or self.original_name or self.url


class SchoolAttendance(models.Model):
    """A school took part in an event (a row means it attended)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendance")
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="event_attendance", verbose_name="школа"
    )
    source = models.CharField("как отмечено", max_length=16, choices=Source.choices, default=Source.MANUAL)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField("отмечено", auto_now=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "участие школы"
        verbose_name_plural = "участие школ"
        ordering = ["event", "school__school_id"]
        constraints = [models.UniqueConstraint(fields=["event", "school"], name="event_school_once")]

    def __str__(self) -> str:
        return f"{self.school} — {self.event}"


class Participant(models.Model):
    """A person who took part: name, position, school; from the browser or a platform's export."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="event_participants", verbose_name="школа"
    )
    full_name = models.CharField("ФИО", max_length=300)
    position = models.CharField("должность", max_length=300, blank=True)
    joined_at = models.DateTimeField("время подключения", null=True, blank=True)
    duration_minutes = models.PositiveIntegerField("длительность, мин", null=True, blank=True)
    source = models.CharField("как отмечено", max_length=16, choices=Source.choices, default=Source.MANUAL)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "участник мероприятия"
        verbose_name_plural = "участники мероприятий"
        ordering = ["event", "school__school_id", "full_name"]
        constraints = [
            models.UniqueConstraint(fields=["event", "school", "full_name"], name="event_participant_once")
        ]

    def __str__(self) -> str:
        return self.full_name
