"""Regions, municipalities, schools and their yearly context."""

from __future__ import annotations

from django.db import models

from shnor.web.scoping import ScopedQuerySet


class Region(models.Model):
    """A subject of the Russian Federation."""

    code = models.CharField("код", max_length=64, unique=True)
    name = models.CharField("название", max_length=255)

    #: visible when one of its schools is, directly or through a municipality
    scope_field = ("schools", "municipalities__schools")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "регион"
        verbose_name_plural = "регионы"

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """A municipality (МОУО) within a region."""

    code = models.CharField("код", max_length=64, unique=True)
    name = models.CharField("название", max_length=255)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="municipalities"
    )

    scope_field = "schools"  # visible when one of its schools is
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "муниципалитет"
        verbose_name_plural = "муниципалитеты"

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    """A school (ОО), identified by its ФИС ОКО login."""

    school_id = models.CharField("логин ФИС ОКО", max_length=64, unique=True)
    name = models.CharField("название", max_length=500, blank=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="schools"
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="schools"
    )
    kind = models.CharField("вид", max_length=64, blank=True)
    locality = models.CharField("местность", max_length=16, blank=True)
    pupils = models.PositiveIntegerField("число обучающихся", null=True, blank=True)
    is_small = models.BooleanField("малокомплектная", null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    website = models.URLField(max_length=500, blank=True)
    in_registry = models.BooleanField("есть в реестре", default=True)
    created_from = models.CharField("создана из файла", max_length=255, blank=True)

    scope_field = "pk"  # the role ladder itself: accounts.scope.school_rule
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "школа"
        verbose_name_plural = "школы"
        ordering = ["school_id"]

    def __str__(self) -> str:
        return f"{self.school_id} {self.name}".strip()


class SchoolContext(models.Model):
    """A school's context indicators for one year (shares in 0..1)."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="contexts", verbose_name="школа"
    )
    year = models.PositiveSmallIntegerField("год")
    share_registered = models.FloatField("доля на учёте ОДН/КДН", null=True, blank=True)
    share_low_russian = models.FloatField(
        "доля из семей мигрантов / слабо владеющих русским", null=True, blank=True
    )
    share_unattested = models.FloatField("доля неаттестованных", null=True, blank=True)
    share_truancy = models.FloatField("доля систематически пропускающих", null=True, blank=True)
    share_disabled = models.FloatField("доля обучающихся с ОВЗ", null=True, blank=True)
    share_low_income = models.FloatField("доля из малообеспеченных семей", null=True, blank=True)
    share_parents_higher_ed = models.FloatField("доля родителей с высшим образованием", null=True, blank=True)
    share_single_parent = models.FloatField("доля неполных семей", null=True, blank=True)
    is_remote = models.BooleanField("удалённая / транспортно недоступная", null=True, blank=True)
    is_small = models.BooleanField("малокомплектная", null=True, blank=True)
    infrastructure_deficit = models.BooleanField("дефицит инфраструктуры", null=True, blank=True)
    internet_deficit = models.BooleanField("нет стабильного интернета", null=True, blank=True)
    staff_shortage = models.BooleanField("кадровый дефицит", null=True, blank=True)

    class Meta:
        verbose_name = "контекст школы"
        verbose_name_plural = "контекст школ"
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="context_school_year")]

    def __str__(self) -> str:
        return f"{self.school_id}, {self.year} г."
