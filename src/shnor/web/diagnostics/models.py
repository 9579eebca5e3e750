"""Teachers, their competence results, the course catalogue (ДПП), development routes (ИОМ) and enrolments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shnor.web.registry.models import School


class Teacher(models.Model):
    """A teacher of a registered school: a code (pseudonymous where needed), optional name and account."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="teachers", verbose_name="школа"
    )
    code = models.CharField("код учителя", max_length=64)
    full_name = models.CharField("ФИО", max_length=300, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teacher_record",
        verbose_name="учётная запись",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "учитель"
        verbose_name_plural = "учителя"
        ordering = ["school__school_id", "code"]
        constraints = [models.UniqueConstraint(fields=["school", "code"], name="teacher_school_code")]

    def __str__(self) -> str:
        return self.full_name or f"учитель {self.code}"


class CompetenceImport(models.Model):
    """One loaded file of competence results: what was read and what was rejected."""

    file_name = models.CharField("файл", max_length=255)
    rows_total = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    errors = models.JSONField("ошибки", default=list, blank=True)
    warnings = models.JSONField("предупреждения", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "загрузка результатов диагностики"
        verbose_name_plural = "загрузки результатов диагностики"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class CompetenceResult(models.Model):
    """A teacher's result in one competence area of one subject on one date (score out of max)."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="results")
    subject = models.CharField("предмет", max_length=200)
    area = models.CharField("область компетенций", max_length=300)
    score = models.FloatField("балл")
    max_score = models.FloatField("максимальный балл")
    assessed_on = models.DateField("дата диагностики")
    batch = models.ForeignKey(
        CompetenceImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="results"
    )

    class Meta:
        verbose_name = "результат диагностики компетенций"
        verbose_name_plural = "результаты диагностики компетенций"
        ordering = ["-assessed_on", "subject", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "subject", "area", "assessed_on"], name="competence_result_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.teacher} {self.subject} / {self.area}: {self.score:g} из {self.max_score:g}"

    @property
    def share(self) -> float:
        """Score as a share of the maximum (0..1)."""
        return self.score / self.max_score if self.max_score else 0.0


class Course(models.Model):
    """A professional-development programme (ДПП) of the catalogue: title, provider, hours, areas covered."""

    title = models.CharField("название", max_length=500)
    provider = models.CharField("организация", max_length=300)
    hours = models.PositiveIntegerField("часов")
    areas = models.JSONField("области компетенций", default=list, blank=True)
    subject = models.CharField("предмет (пусто — любой)", max_length=200, blank=True)
    at_risk_pupils = models.BooleanField("о работе с детьми с риском учебной неуспешности", default=False)
    active = models.BooleanField("в каталоге", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "курс ДПП"
        verbose_name_plural = "каталог курсов ДПП"
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.provider}, {self.hours} ч)"


class DevelopmentRoute(models.Model):
    """A teacher's individual professional-development route (ИОМ) for a year."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="routes")
    year = models.PositiveSmallIntegerField("год")
    note = models.TextField("примечание", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "индивидуальный образовательный маршрут"
        verbose_name_plural = "индивидуальные образовательные маршруты"
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["teacher", "year"], name="route_teacher_year")]

    def __str__(self) -> str:
        return f"ИОМ {self.teacher} {self.year}"


class Enrolment(models.Model):
    """A course in a route: the deficit it answers, planned → enrolled → completed."""

    PLANNED, ENROLLED, COMPLETED, CANCELLED = "planned", "enrolled", "completed", "cancelled"
    STATUSES = [
        (PLANNED, "запланирован"),
        (ENROLLED, "записан"),
        (COMPLETED, "завершён"),
        (CANCELLED, "отменён"),
    ]
    route = models.ForeignKey(DevelopmentRoute, on_delete=models.CASCADE, related_name="enrolments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    area = models.CharField("дефицит, на который направлен курс", max_length=300, blank=True)
    status = models.CharField("статус", max_length=16, choices=STATUSES, default=PLANNED)
    completed_on = models.DateField("дата завершения", null=True, blank=True)

    class Meta:
        verbose_name = "запись на курс"
        verbose_name_plural = "записи на курсы"
        ordering = ["route", "id"]
        constraints = [models.UniqueConstraint(fields=["route", "course"], name="enrolment_route_course")]

    def __str__(self) -> str:
        return f"{self.route}: {self.course.title}"

    @property
    def on_request(self) -> bool:
        """True when the course answers a diagnosed deficit (trained on the teacher's request)."""
        return bool(self.area)
