"""Versioned settings documents of a region: every save is a new version (author, time, reason)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shnor.web.registry.models import Region
from shnor.web.scoping import ScopedQuerySet


class Kind(models.TextChoices):
    """What a settings document describes."""

    INDICATORS = "indicators", "Набор показателей мониторинга"
    TEMPLATE = "template", "Шаблон дорожной карты"
    QUESTIONNAIRE = "questionnaire", "Анкета рискового профиля"


class SettingsVersion(models.Model):
    """One version of one settings document of a region.

    ``key`` names the document within its kind (one indicator set, one questionnaire; a template
    per key). The latest version of a document is the active one; an earlier version is made active
    again by saving it as a new version, so the history is never rewritten.
    """

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", verbose_name="регион")
    kind = models.CharField("вид", max_length=16, choices=Kind.choices)
    key = models.CharField("документ", max_length=64)
    number = models.PositiveIntegerField("номер версии")
    title = models.CharField("название", max_length=500, blank=True)
    data = models.JSONField("содержание", default=dict)
    reason = models.CharField("основание изменения", max_length=500)
    archived = models.BooleanField("в архиве", default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="автор"
    )
    created_at = models.DateTimeField("сохранено", auto_now_add=True)

    scope_field = "region"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "версия настроек региона"
        verbose_name_plural = "версии настроек региона"
        ordering = ["region", "kind", "key", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "key", "number"], name="regionconf_version_unique"
            )
        ]
        indexes = [models.Index(fields=["region", "kind", "key", "number"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} «{self.title or self.key}», версия {self.number}"

    @property
    def label(self) -> str:
        """«версия 3 от 05.12.2026» as pages show which version was used."""
        return f"версия {self.number} от {self.created_at:%d.%m.%Y}"
