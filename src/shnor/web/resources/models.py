"""The needs register and targeted support: a school's staff vacancies and equipment needs of a year, the
region's support decisions with their execution, young specialists placed. Every model is scoped through
its school (``ScopedQuerySet``): a row is visible exactly when its school is."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from shnor.web.registry.models import School
from shnor.web.scoping import ScopedQuerySet


def execution_storage() -> FileSystemStorage:
    """Files of execution records live in SHNOR_HOME/resource_files, served only through a scoped view."""
    return FileSystemStorage(location=str(settings.HOME / "resource_files"), base_url=None)


class Specialist(models.TextChoices):
    """Who a school lacks (the staff positions of seed 004, items 40–41)."""

    SUBJECT_TEACHER = "subject_teacher", "учитель-предметник"
    PSYCHOLOGIST = "psychologist", "педагог-психолог"
    SPEECH_THERAPIST = "speech_therapist", "учитель-логопед"
    DEFECTOLOGIST = "defectologist", "учитель-дефектолог"
    SOCIAL_PEDAGOGUE = "social_pedagogue", "социальный педагог"
    TUTOR = "tutor", "тьютор"
    ADVISOR = "advisor", "советник директора по воспитанию"
    OTHER = "other", "другой специалист"


#: A vacancy of one of these specialists makes the school's ``staff_shortage`` true (the social index).
KEY_SPECIALISTS = frozenset(
    {
        Specialist.SUBJECT_TEACHER,
        Specialist.PSYCHOLOGIST,
        Specialist.SPEECH_THERAPIST,
        Specialist.SOCIAL_PEDAGOGUE,
    }
)


class Source(models.TextChoices):
    """Where the money of a support decision comes from."""

    REGION = "region", "регион"
    MUNICIPALITY = "municipality", "муниципалитет"
    FEDERAL = "federal", "федеральный бюджет"
    OTHER = "other", "иное"


class DecisionStatus(models.TextChoices):
    """Where a support decision is."""

    PLANNED = "planned", "планируется"
    ADOPTED = "adopted", "принято"
    EXECUTING = "executing", "исполняется"
    EXECUTED = "executed", "исполнено"
    CANCELLED = "cancelled", "отменено"


class StaffNeed(models.Model):
    """A school's need of one specialist in a year: rates (ставки) needed and still vacant."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name="школа")
    year = models.PositiveSmallIntegerField("год")
    specialist = models.CharField("специалист", max_length=20, choices=Specialist.choices)
    subject = models.CharField("предмет", max_length=100, blank=True)
    other = models.CharField("другой специалист (кто)", max_length=200, blank=True)
    rates_needed = models.DecimalField("ставок требуется", max_digits=7, decimal_places=2)
    rates_vacant = models.DecimalField("ставок вакантно", max_digits=7, decimal_places=2)
    note = models.CharField("примечание", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "потребность в кадрах"
        verbose_name_plural = "потребности в кадрах"
        ordering = ["school", "-year", "specialist", "subject", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "specialist", "subject", "other"], name="staff_need_once"
            )
        ]

    @property
    def title(self) -> str:
        """«учитель-предметник (математика)», «другой специалист: инструктор» — as people say it."""
        if self.specialist == Specialist.OTHER:
            return f"другой специалист: {self.other}" if self.other else "другой специалист"
        label = self.get_specialist_display()
        return f"{label} ({self.subject})" if self.subject else label


class EquipmentNeed(models.Model):
    """A school's need of equipment in a year: the item, how many, the estimated cost and what for."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name="школа")
    year = models.PositiveSmallIntegerField("год")
    item = models.CharField("оборудование", max_length=255)
    quantity = models.PositiveIntegerField("количество")
    cost = models.DecimalField("оценочная стоимость, ₽", max_digits=14, decimal_places=2)
    purpose = models.CharField("назначение", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "потребность в оборудовании"
        verbose_name_plural = "потребности в оборудовании"
        ordering = ["school", "-year", "item", "id"]
        constraints = [models.UniqueConstraint(fields=["school", "year", "item"], name="equipment_need_once")]


class SupportDecision(models.Model):
    """The region's decision of targeted (material) support of a school."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name="школа")
    year = models.PositiveSmallIntegerField("год")
    purpose = models.CharField("назначение поддержки", max_length=500)
    amount = models.DecimalField("сумма, ₽", max_digits=14, decimal_places=2)
    source = models.CharField("источник", max_length=16, choices=Source.choices)
    decided_on = models.DateField("дата решения")
    document = models.CharField("документ (номер)", max_length=100, blank=True)
    status = models.CharField(
        "статус", max_length=16, choices=DecisionStatus.choices, default=DecisionStatus.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "решение об адресной поддержке"
        verbose_name_plural = "решения об адресной поддержке"
        ordering = ["-decided_on", "-id"]
        indexes = [models.Index(fields=["year", "school"])]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.school.school_id}, {self.decided_on:%d.%m.%Y})"


class DecisionExecution(models.Model):
    """One execution record of a decision: when, how much was spent, a note and a file."""

    decision = models.ForeignKey(SupportDecision, on_delete=models.CASCADE, related_name="executions")
    date = models.DateField("дата")
    spent = models.DecimalField("израсходовано, ₽", max_digits=14, decimal_places=2)
    note = models.CharField("примечание", max_length=500, blank=True)
    file = models.FileField("файл", storage=execution_storage, upload_to="executions/%Y", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_field = "decision"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "исполнение решения"
        verbose_name_plural = "исполнение решений"
        ordering = ["date", "id"]


class YoungSpecialist(models.Model):
    """A young specialist placed in a school (no name: the register counts positions, not people)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name="школа")
    year = models.PositiveSmallIntegerField("год")
    specialist = models.CharField("специалист", max_length=20, choices=Specialist.choices)
    subject = models.CharField("предмет", max_length=100, blank=True)
    placed_on = models.DateField("дата трудоустройства")
    programme = models.CharField("программа", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "молодой специалист"
        verbose_name_plural = "молодые специалисты"
        ordering = ["-placed_on", "-id"]
