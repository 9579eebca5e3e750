"""Methodology runs and what each method concluded about each school, with its evidence."""

from __future__ import annotations

from django.db import models

from shnor.core.labels import METHOD_TITLES
from shnor.web.registry.models import School


class MethodologyRun(models.Model):
    """One run of every method for a year, with the exact settings it used."""

    RUNNING, DONE, FAILED = "running", "done", "failed"
    year = models.PositiveSmallIntegerField("год")
    label = models.CharField("название", max_length=255, blank=True)
    config = models.JSONField("настройки методики")
    config_digest = models.CharField(max_length=64)
    config_source = models.CharField("файл настроек", max_length=500, blank=True)
    status = models.CharField(max_length=16, default=RUNNING)
    error = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    batches = models.JSONField("использованные загрузки", default=list, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "расчёт по методике"
        verbose_name_plural = "расчёты по методике"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.year}: {self.label or self.config_digest[:8]}"


class SchoolOutcome(models.Model):
    """What one method concluded about one school in one run (a list entry, a flag, an index, a track)."""

    FIOKO, OBJECTIVITY, LOW_RESULTS, SOCIAL_INDEX, TRACKS = (
        "fioko",
        "objectivity",
        "low_results",
        "social_index",
        "tracks",
    )
    DEFICITS = "deficits"
    METHODS = [
        (m, METHOD_TITLES[m]) for m in (FIOKO, OBJECTIVITY, LOW_RESULTS, SOCIAL_INDEX, TRACKS, DEFICITS)
    ]
    run = models.ForeignKey(MethodologyRun, on_delete=models.CASCADE, related_name="outcomes")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="outcomes")
    method = models.CharField(max_length=32, choices=METHODS)
    flagged = models.BooleanField("в списке", default=False)
    value = models.FloatField("показатель", null=True, blank=True)
    label = models.CharField("итог", max_length=500, blank=True)
    data = models.JSONField("строка результата с доказательствами", default=dict)

    class Meta:
        verbose_name = "итог по школе"
        verbose_name_plural = "итоги по школам"
        constraints = [models.UniqueConstraint(fields=["run", "school", "method"], name="outcome_key")]
        indexes = [models.Index(fields=["run", "method", "flagged"])]
