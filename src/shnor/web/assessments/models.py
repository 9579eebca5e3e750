"""Import batches (the manifest of the Parquet warehouse), mark scales and task specifications."""

from __future__ import annotations

from django.db import models

from shnor.core.labels import PROCEDURE_LABELS
from shnor.core.store.schema import SUBJECTS


class ImportBatch(models.Model):
    """One imported file of pupil-level results; its rows live in the warehouse file ``path``."""

    ACTIVE, REPLACED = "active", "replaced"
    batch_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField("вид", max_length=16)  # vpr | rdr | gia
    procedure = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    subject = models.CharField(max_length=8, blank=True)
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    source_name = models.CharField("файл", max_length=500)
    sha256 = models.CharField(max_length=64)
    layout = models.CharField(max_length=32, blank=True)
    path = models.CharField(max_length=500)
    status = models.CharField(max_length=16, default=ACTIVE)
    rows_total = models.PositiveIntegerField(default=0)
    rows_absent = models.PositiveIntegerField(default=0)
    rows_stored = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    schools = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    replaced_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        verbose_name = "загрузка результатов"
        verbose_name_plural = "загрузки результатов"
        indexes = [models.Index(fields=["procedure", "year", "subject", "grade", "status"])]

    def __str__(self) -> str:
        return f"{self.source_name} ({PROCEDURE_LABELS.get(self.procedure, self.procedure)} {self.year})"

    @property
    def procedure_name(self) -> str:
        """The procedure as a person names it: «ВПР», «РДР», «ГИА»."""
        return PROCEDURE_LABELS.get(self.procedure, self.procedure)

    @property
    def subject_name(self) -> str:
        """The subject as a person names it («Математика»), «—» for files of several subjects."""
        return SUBJECTS.get(self.subject, self.subject) or "—"


class Scale(models.Model):
    """A mark scale: primary score ≥ min_3 gives «3», ≥ min_4 «4», ≥ min_5 «5»."""

    procedure = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    subject = models.CharField(max_length=8)
    grade = models.PositiveSmallIntegerField()
    max_score = models.PositiveSmallIntegerField()
    min_3 = models.PositiveSmallIntegerField()
    min_4 = models.PositiveSmallIntegerField()
    min_5 = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "шкала перевода"
        verbose_name_plural = "шкалы перевода"
        constraints = [
            models.UniqueConstraint(fields=["procedure", "year", "subject", "grade"], name="scale_key")
        ]


class TaskSpec(models.Model):
    """One scored position of a test: its maximum, level (Б/П/В), skill and КЭС/КТ codes."""

    procedure = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    subject = models.CharField(max_length=8)
    grade = models.PositiveSmallIntegerField()
    task_no = models.PositiveSmallIntegerField()
    task_label = models.CharField(max_length=32, blank=True)
    max_points = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=2, blank=True)
    skill = models.TextField(blank=True)
    kes = models.CharField(max_length=255, blank=True)
    kt = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "задание"
        verbose_name_plural = "спецификации заданий"
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "year", "subject", "grade", "task_no"], name="task_key"
            )
        ]
        ordering = ["procedure", "year", "subject", "grade", "task_no"]
