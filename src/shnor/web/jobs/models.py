"""A background job started by a user: what it does, how far it got, what came of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shnor.web.registry.models import Region


class Job(models.Model):
    """An import or a methodology run executed by the worker (django-tasks), with its stage and result."""

    IMPORT_VPR, IDENTIFY = "import_vpr", "identify"
    EFFECTIVENESS, SITE_CRAWL = "effectiveness", "site_crawl"
    ROADMAPS_BULK = "roadmaps_bulk"
    KINDS = [
        (IMPORT_VPR, "Загрузка файла"),
        (IDENTIFY, "Расчёт по методике"),
        (EFFECTIVENESS, "Анализ эффективности мер"),
        (SITE_CRAWL, "Мониторинг сайтов"),
        (ROADMAPS_BULK, "Дорожные карты для школ списка"),
    ]
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "в очереди"), (RUNNING, "выполняется"), (DONE, "готово"), (FAILED, "ошибка")]

    kind = models.CharField("вид", max_length=32, choices=KINDS)
    label = models.CharField("название", max_length=500)
    params = models.JSONField(default=dict)
    status = models.CharField("состояние", max_length=16, choices=STATUSES, default=QUEUED)
    stage = models.CharField("этап", max_length=255, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    region = models.ForeignKey(Region, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "фоновая задача"
        verbose_name_plural = "фоновые задачи"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"

    @property
    def finished(self) -> bool:
        """True when the job is done or failed."""
        return self.status in (self.DONE, self.FAILED)
