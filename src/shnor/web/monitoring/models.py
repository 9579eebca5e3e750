"""Manual indicator values, effectiveness analyses, municipality websites and their check history."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shnor.web.registry.models import Municipality, Region, School


class IndicatorValue(models.Model):
    """A value of a manual indicator entered by hand for a school, a municipality or a region and a year."""

    LEVELS = [("school", "школа"), ("municipality", "муниципалитет"), ("region", "регион")]
    indicator = models.CharField("показатель", max_length=64)
    year = models.PositiveSmallIntegerField("год")
    level = models.CharField("уровень", max_length=16, choices=LEVELS)
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    value = models.FloatField("значение")
    note = models.CharField("источник, примечание", max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "значение показателя (вручную)"
        verbose_name_plural = "значения показателей (вручную)"
        ordering = ["-entered_at", "-id"]
        indexes = [models.Index(fields=["indicator", "year", "level"])]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}: {self.value:g}"


class EffectivenessAnalysis(models.Model):
    """One analysis of effectiveness (matched difference in differences) for a region or a municipality."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "в очереди"), (RUNNING, "выполняется"), (DONE, "готово"), (FAILED, "ошибка")]
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", verbose_name="регион")
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="муниципалитет",
    )
    start_year = models.PositiveSmallIntegerField("год начала сопровождения")
    run = models.ForeignKey(
        "identification.MethodologyRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="расчёт, задавший школы с сопровождением",
    )
    supported = models.JSONField("школы с сопровождением", default=list, blank=True)
    status = models.CharField("состояние", max_length=16, choices=STATUSES, default=QUEUED)
    job_id = models.PositiveBigIntegerField(null=True, blank=True)
    summary = models.JSONField("итог анализа", default=dict, blank=True)
    schools = models.JSONField("строки по школам", default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "анализ эффективности"
        verbose_name_plural = "анализы эффективности"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        where = self.municipality.name if self.municipality else self.region.name
        return f"Эффективность мер с {self.start_year}: {where}"


class MunicipalityWebsite(models.Model):
    """The official website of a municipality's education authority (МОУО), for the website monitoring."""

    municipality = models.OneToOneField(Municipality, on_delete=models.CASCADE, related_name="website_record")
    url = models.URLField("сайт", max_length=500)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "сайт муниципалитета"
        verbose_name_plural = "сайты муниципалитетов"

    def __str__(self) -> str:
        return self.url


class SiteCheck(models.Model):
    """One monitoring round: the sites of a scope crawled by a background job."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "в очереди"), (RUNNING, "выполняется"), (DONE, "готово"), (FAILED, "ошибка")]
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    targets = models.JSONField("сайты", default=list)  # [{"url", "school_id"|None, "municipality_id"|None}]
    status = models.CharField("состояние", max_length=16, choices=STATUSES, default=QUEUED)
    job_id = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "проверка сайтов"
        verbose_name_plural = "проверки сайтов"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Проверка сайтов {self.created_at:%d.%m.%Y}"


class SiteResult(models.Model):
    """What one check found on one site for one required document kind (the history is kept)."""

    site_check = models.ForeignKey(SiteCheck, on_delete=models.CASCADE, related_name="results")
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    url = models.CharField("сайт", max_length=500)
    kind = models.CharField("вид документа", max_length=64)
    label = models.CharField("документ", max_length=300)
    found = models.BooleanField("найден")
    n_documents = models.PositiveIntegerField(default=0)
    n_available = models.PositiveIntegerField(default=0)
    urls = models.JSONField("ссылки", default=list, blank=True)
    checked_at = models.DateTimeField("когда проверено")
    pages_visited = models.PositiveIntegerField(default=0)
    errors = models.JSONField("ошибки обхода", default=list, blank=True)

    class Meta:
        verbose_name = "результат проверки сайта"
        verbose_name_plural = "результаты проверки сайтов"
        ordering = ["-checked_at", "kind"]
        indexes = [models.Index(fields=["school", "kind"]), models.Index(fields=["municipality", "kind"])]

    def __str__(self) -> str:
        return f"{self.url} {self.label}: {'найден' if self.found else 'не найден'}"
