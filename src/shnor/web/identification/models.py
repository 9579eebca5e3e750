"""Methodology runs and what each method concluded about each school, with its evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shnor.core.labels import LIST_LABELS, METHOD_TITLES
from shnor.web.registry.models import School
from shnor.web.scoping import ScopedQuerySet


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
    #: what the run's outcomes share, stored once, by method: ``{"objectivity": {record id: {path: value}}}``
    #: (``core.evidence.objectivity_shared``; outcomes in evidence format 3 point to it)
    evidence_shared = models.JSONField("общие части доказательств", default=dict, blank=True)
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


class FiokoList(models.Model):
    """A list FIOKO published for a year (an appendix to its letter), as imported from its file.

    A later file of the same kind and year becomes the live one; earlier ones are kept (``live`` False).
    """

    OBJECTIVITY, LOW_RESULTS = "objectivity", "low_results"
    KINDS = [
        (OBJECTIVITY, "школы с признаками необъективных результатов ВПР"),
        (LOW_RESULTS, "школы с низкими образовательными результатами"),
    ]
    kind = models.CharField("вид списка", max_length=16, choices=KINDS)
    year = models.PositiveSmallIntegerField("год")
    file_name = models.CharField("файл", max_length=255)
    digest = models.CharField(max_length=64)
    tests = models.JSONField("процедуры с маркерами", default=list, blank=True)
    live = models.BooleanField("действующий", default=True)
    imported_at = models.DateTimeField("загружен", auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "список ФИОКО"
        verbose_name_plural = "списки ФИОКО"
        ordering = ["-year", "kind", "-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "digest"], name="fioko_list_file"),
            models.UniqueConstraint(
                fields=["kind", "year"], condition=models.Q(live=True), name="fioko_list_live"
            ),
        ]

    def __str__(self) -> str:
        return f"Список ФИОКО {self.year}: {self.get_kind_display()} ({self.file_name})"


class FiokoListEntry(models.Model):
    """One school of a FIOKO list, with the markers per test as the file gave them."""

    fioko_list = models.ForeignKey(FiokoList, on_delete=models.CASCADE, related_name="entries")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="fioko_entries")
    data = models.JSONField("строка файла", default=dict, blank=True)
    source_row = models.PositiveIntegerField("строка файла", default=0)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "школа списка ФИОКО"
        verbose_name_plural = "школы списков ФИОКО"
        constraints = [models.UniqueConstraint(fields=["fioko_list", "school"], name="fioko_entry_school")]


class ListVersion(models.Model):
    """One version of the region's list of ``kind`` for ``year``: a draft the region edits, or approved by
    an order. A change after approval is a new version with its reason; the newest approved one is the
    list every page follows."""

    DRAFT, APPROVED = "draft", "approved"
    STATUSES = [(DRAFT, "проект"), (APPROVED, "утверждён")]
    kind = models.CharField("список", max_length=16)
    year = models.PositiveSmallIntegerField("год")
    number = models.PositiveIntegerField("версия")
    status = models.CharField("состояние", max_length=16, choices=STATUSES, default=DRAFT)
    basis = models.CharField("основа проекта", max_length=300, blank=True)
    run = models.ForeignKey(
        MethodologyRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    fioko_list = models.ForeignKey(
        FiokoList, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField("причина изменения", blank=True)
    order_number = models.CharField("номер приказа", max_length=64, blank=True)
    order_date = models.DateField("дата приказа", null=True, blank=True)
    signatory = models.CharField("подписал", max_length=300, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField("утверждён", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("создан", auto_now_add=True)

    class Meta:
        verbose_name = "версия списка"
        verbose_name_plural = "версии списков"
        ordering = ["kind", "-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "number"], name="list_version_number"),
            models.UniqueConstraint(
                fields=["kind", "year"], condition=models.Q(status="draft"), name="list_one_draft"
            ),
        ]

    def __str__(self) -> str:
        kind = LIST_LABELS.get(self.kind, "список ФИОКО" if self.kind == "fioko" else self.kind)
        return f"{kind} {self.year}, версия {self.number} ({self.get_status_display()})"


class ListEntry(models.Model):
    """A school in a list version: where it came from, whether it is included, and why (when decided)."""

    FIOKO, COMPUTED, RULE, MANUAL = "fioko", "computed", "rule", "manual"
    SOURCES = [
        (FIOKO, "список ФИОКО"),
        (COMPUTED, "расчёт по методике"),
        (RULE, "правило Рособрнадзора"),
        (MANUAL, "добавлена вручную"),
    ]
    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="entries")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="list_entries")
    source = models.CharField("источник", max_length=16, choices=SOURCES)
    in_fioko = models.BooleanField("в списке ФИОКО", default=False)
    in_run = models.BooleanField("в расчёте", default=False)
    in_rule = models.BooleanField("по правилу", default=False)
    included = models.BooleanField("в списке", default=True)
    reason = models.TextField("основание решения", blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "школа в списке"
        verbose_name_plural = "школы в списках"
        constraints = [models.UniqueConstraint(fields=["version", "school"], name="list_entry_school")]
        indexes = [models.Index(fields=["version", "included"])]


class TrackChoice(models.Model):
    """A municipality's decision on a school's support track for a year (overriding the computed one, with
    its reason), and the people named for the school: the municipal coordinator and the curator."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="track_choices")
    year = models.PositiveSmallIntegerField("год")
    track = models.CharField("вариант сопровождения", max_length=16, blank=True)
    computed_track = models.CharField("рассчитанный вариант", max_length=16, blank=True)
    reason = models.TextField("основание", blank=True)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="муниципальный координатор",
    )
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="куратор",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    scope_field = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "решение о варианте сопровождения"
        verbose_name_plural = "решения о вариантах сопровождения"
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="track_choice_school_year")]
