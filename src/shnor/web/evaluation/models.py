"""External evaluation: an inspection of a school or a review of its programme by assigned experts.

``Evaluation`` stores its form of criteria as it was when assigned (code, version and the criteria
themselves), so a later edit of the criteria file never changes a finished conclusion. Each expert fills
one ``Review``. Both are scoped through the school: a row is visible exactly when its school is."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shnor.core.evaluation import EvaluationForm, form_from_dict
from shnor.web.registry.models import School
from shnor.web.scoping import ScopedQuerySet


class EvaluationStatus(models.TextChoices):
    """Where an evaluation is."""

    ASSIGNED = "assigned", "назначена"
    IN_PROGRESS = "in_progress", "проводится"
    DONE = "done", "завершена"


class Evaluation(models.Model):
    """One inspection or programme review of a school, its experts and the final conclusion."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="evaluations", verbose_name="школа"
    )
    year = models.PositiveSmallIntegerField("год")
    form_code = models.CharField("форма оценки", max_length=64)
    form_title = models.CharField("название формы", max_length=300)
    criteria_version = models.CharField("версия критериев", max_length=64)
    criteria = models.JSONField("критерии (как при назначении)")
    subject = models.CharField("предмет экспертизы (документ)", max_length=500, blank=True)
    subject_url = models.URLField("ссылка на документ", max_length=500, blank=True)
    status = models.CharField(
        "статус", max_length=16, choices=EvaluationStatus.choices, default=EvaluationStatus.ASSIGNED
    )
    experts = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name="эксперты")
    lead_expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="ведущий эксперт",
    )
    start_date = models.DateField("начало", null=True, blank=True)
    due_date = models.DateField("срок завершения", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("назначена", auto_now_add=True)
    conclusion = models.TextField("итоговое заключение", blank=True)
    recommendations = models.JSONField("рекомендации", default=list, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    concluded_at = models.DateTimeField("заключение утверждено", null=True, blank=True)
    roadmap_activities = models.JSONField(
        "мероприятия дорожной карты по рекомендациям", default=list, blank=True
    )

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "внешняя оценка"
        verbose_name_plural = "внешние оценки"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "year"])]

    def __str__(self) -> str:
        what = f": {self.subject}" if self.subject else ""
        return f"{self.form_title}{what} — {self.school.name or self.school.school_id}, {self.year} г."

    @property
    def form(self) -> EvaluationForm:
        """The stored criteria as a form."""
        return form_from_dict(self.criteria)


class Review(models.Model):
    """One expert's criteria form: a score and a comment per criterion, the conclusion, recommendations."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="reviews")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="эксперт"
    )
    scores = models.JSONField("баллы по критериям", default=dict, blank=True)
    comments = models.JSONField("комментарии по критериям", default=dict, blank=True)
    conclusion = models.TextField("заключение эксперта", blank=True)
    recommendations = models.TextField("рекомендации эксперта", blank=True)
    submitted = models.BooleanField("заполнено", default=False)
    updated_at = models.DateTimeField("изменено", auto_now=True)

    scope_field = "evaluation__school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "экспертный лист"
        verbose_name_plural = "экспертные листы"
        ordering = ["evaluation", "id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "expert"], name="review_once")]
