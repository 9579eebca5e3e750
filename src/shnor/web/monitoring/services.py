"""Writes for monitoring: manual indicator values, effectiveness analyses, website checks (as jobs)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import polars as pl
from django.conf import settings
from django.utils import timezone

from shnor.core.methods import indicators as ind
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.models import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.accounts.selectors import profile_of
from shnor.web.identification.history import run_latest
from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_enqueue
from shnor.web.monitoring.models import (
    EffectivenessAnalysis,
    IndicatorValue,
    MunicipalityWebsite,
    SiteCheck,
    SiteResult,
)
from shnor.web.monitoring.selectors import supported_schools
from shnor.web.regionconf import selectors as regionconf
from shnor.web.registry.models import Municipality, Region, School
from shnor.web.registry.selectors import in_region

Progress = Callable[[str], None]


class MonitoringError(ValueError):
    """A request that cannot be carried out; the message is Russian and shown to the user."""


# --------------------------------------------------------------------------------------------
# manual indicator values


def indicator_value_enter(
    *, user: User, indicator: str, year: int, level: str, unit: Any, value: float, note: str = ""
) -> IndicatorValue:
    """Record a manual value (audited): manual indicators only, at allowed levels, by permitted users."""
    indicators, _ = regionconf.indicators_for(region=regionconf.region_of_unit(unit))
    spec = {i.code: i for i in indicators}.get(indicator)
    if spec is None or spec.computed:
        raise MonitoringError("Этот показатель рассчитывается автоматически и вручную не вносится.")
    if level not in spec.levels:
        raise MonitoringError(
            f"Показатель «{spec.name}» не вносится на уровне «{ind.LEVEL_LABELS.get(level, level)}»."
        )
    if not scope_of(user).can_enter(level=level, unit=unit):
        raise PermissionError("Нет прав вносить значения для этого объекта.")
    if spec.unit == "да/нет" and value not in (0, 1):
        raise MonitoringError("Для показателя «да/нет» введите 1 (да) или 0 (нет).")
    if value < 0:
        raise MonitoringError("Значение не может быть отрицательным.")
    kw: dict[str, Any] = {level: unit}
    entry = IndicatorValue.objects.create(
        indicator=indicator,
        year=year,
        level=level,
        value=value,
        note=note[:500],
        entered_by=user if getattr(user, "pk", None) else None,
        **kw,
    )
    audit_record(
        action="create",
        object_type="monitoring.indicatorvalue",
        object_id=str(entry.pk),
        object_repr=f"{spec.name}: {unit} {year}",
        changes={"value": value, "note": note, "level": level},
        user=user,
    )
    return entry


# --------------------------------------------------------------------------------------------
# effectiveness


def _scope_region(user: User, municipality: Municipality | None) -> Region:
    if municipality is not None:
        if municipality.region is None:
            raise MonitoringError("У муниципалитета не указан регион.")
        return municipality.region
    profile = profile_of(user=user)
    region = profile.region if profile is not None else None
    if region is None:
        school = School.objects.visible_to(user).exclude(region=None).select_related("region").first()
        region = school.region if school is not None else None
    if region is None:
        raise MonitoringError("Не определён регион анализа.")
    return region


def _region_schools(region: Region) -> Any:
    return School.objects.filter(in_region(region.pk))


def effectiveness_analysis_start(
    *, user: User, start_year: int, municipality: Municipality | None = None
) -> EffectivenessAnalysis:
    """Queue an analysis: the scope's supported schools of the ``start_year`` run vs matched others."""
    scope = scope_of(user)
    if scope.acts_as(Role.MUNICIPALITY):
        municipality = Municipality.objects.filter(pk=scope.municipality_id).first()
    region = _scope_region(user, municipality)
    run = run_latest(year=start_year)
    if run is None:
        raise MonitoringError(
            f"Нет завершённого расчёта по методике за {start_year} год: "
            "не из чего взять школы с сопровождением."
        )
    territory = School.objects.filter(municipality=municipality) if municipality else _region_schools(region)
    supported = supported_schools(run=run, schools=territory & School.objects.visible_to(scope))
    if not supported:
        raise MonitoringError(
            f"В расчёте {start_year} года у школ этой территории нет вариантов сопровождения."
        )
    analysis = EffectivenessAnalysis.objects.create(
        region=region,
        municipality=municipality,
        start_year=start_year,
        run=run,
        supported=supported,
        created_by=user if getattr(user, "pk", None) else None,
    )
    where = municipality.name if municipality else region.name
    job = job_enqueue(
        kind=Job.EFFECTIVENESS,
        label=f"Эффективность мер с {start_year}: {where}",
        params={"analysis_id": analysis.pk},
        user=user,
    )
    analysis.job_id = job.pk
    analysis.save(update_fields=["job_id"])
    audit_record(
        action="create",
        object_type="monitoring.effectivenessanalysis",
        object_id=str(analysis.pk),
        object_repr=str(analysis),
        changes={"supported": len(supported)},
        user=user,
    )
    return analysis


def effectiveness_inputs(*, region: Region) -> Any:
    """``Inputs`` over everything imported for the region's schools (the warehouse and the registry)."""
    from shnor.core.methods.base import Inputs
    from shnor.web.assessments.selectors import results_scan, scales_frame, tasks_frame
    from shnor.web.registry.selectors import context_frame, schools_frame

    ids = list(_region_schools(region).values_list("school_id", flat=True))
    results = results_scan().filter(pl.col("school_id").is_in(ids))
    years = results.select(pl.col("year").max()).collect()
    end_year = years.item() if years.height else None
    if end_year is None:
        raise MonitoringError("В хранилище нет результатов оценочных процедур школ региона.")
    schools = schools_frame()
    return Inputs(
        year=int(end_year),
        results=results,
        tasks=tasks_frame(),
        scales=scales_frame(),
        schools=schools.filter(pl.col("school_id").is_in(ids)),
        context=context_frame(),
    )


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=lambda o: None if o != o else str(o)))


def effectiveness_analysis_execute(*, analysis_id: int, progress: Progress | None = None) -> dict[str, Any]:
    """Run ``core.methods.effectiveness.estimate`` for a queued analysis and store its summary (the job)."""
    from shnor.core.config import load_config
    from shnor.core.methods import effectiveness
    from shnor.web.identification.history import list_history

    say = progress or (lambda _m: None)
    analysis = EffectivenessAnalysis.objects.select_related("region").get(pk=analysis_id)
    EffectivenessAnalysis.objects.filter(pk=analysis_id).update(status=EffectivenessAnalysis.RUNNING)
    try:
        say("чтение результатов")
        inputs = effectiveness_inputs(region=analysis.region)
        if inputs.year < analysis.start_year:
            raise MonitoringError(f"Результатов после {analysis.start_year} года нет: сравнивать не с чем.")
        config = load_config()
        say("подбор похожих школ и оценка")
        history = list_history(before_year=inputs.year + 1)
        region_ids = set(_region_schools(analysis.region).values_list("school_id", flat=True))
        if history.height:
            history = history.filter(pl.col("school_id").is_in(sorted(region_ids)))
        result = effectiveness.estimate(
            inputs,
            config["effectiveness"],
            supported=analysis.supported,
            start_year=analysis.start_year,
            history=history if history.height else None,
            social_index_config=config["social_index"],
        )
        summary = _json_safe(result.summary)
        schools = _json_safe(result.schools.to_dicts())
    except Exception as exc:
        EffectivenessAnalysis.objects.filter(pk=analysis_id).update(
            status=EffectivenessAnalysis.FAILED,
            error=str(exc) if isinstance(exc, MonitoringError) else f"{exc.__class__.__name__}: {exc}",
            finished_at=timezone.now(),
        )
        raise
    EffectivenessAnalysis.objects.filter(pk=analysis_id).update(
        status=EffectivenessAnalysis.DONE,
        summary=summary,
        schools=schools,
        finished_at=timezone.now(),
        error="",
    )
    return {
        "analysis_id": analysis_id,
        "estimate": summary.get("estimate"),
        "lower": summary.get("lower"),
        "upper": summary.get("upper"),
    }


# --------------------------------------------------------------------------------------------
# websites


def municipality_website_set(
    *, user: User, municipality: Municipality, url: str
) -> MunicipalityWebsite | None:
    """Set (or clear, with an empty url) the website of a municipality's education authority."""
    scope = scope_of(user)
    allowed = (
        scope.superuser
        or (scope.role == Role.REGION and scope.region_id == municipality.region_id)
        or (scope.role == Role.MUNICIPALITY and scope.municipality_id == municipality.pk)
    )
    if not allowed:
        raise PermissionError(
            "Сайт муниципалитета указывает аналитик региона или координатор муниципалитета."
        )
    if not url:
        MunicipalityWebsite.objects.filter(municipality=municipality).delete()
        audit_record(
            action="delete",
            object_type="monitoring.municipalitywebsite",
            object_repr=municipality.name,
            user=user,
        )
        return None
    site, _ = MunicipalityWebsite.objects.update_or_create(municipality=municipality, defaults={"url": url})
    audit_record(
        action="update",
        object_type="monitoring.municipalitywebsite",
        object_id=str(site.pk),
        object_repr=municipality.name,
        changes={"url": url},
        user=user,
    )
    return site


def site_check_start(*, user: User, municipality: Municipality | None = None) -> SiteCheck:
    """Queue a crawl of every school and municipality website in the user's scope (or one municipality)."""
    scope = scope_of(user)
    if scope.acts_as(Role.MUNICIPALITY):
        municipality = Municipality.objects.filter(pk=scope.municipality_id).first()
    schools = School.objects.visible_to(user).exclude(website="")
    muns = Municipality.objects.filter(pk__in=School.objects.visible_to(user).values("municipality_id"))
    if municipality is not None:
        schools = schools.filter(municipality=municipality)
        muns = muns.filter(pk=municipality.pk)
    targets = [
        {"url": s.website, "school_id": s.pk, "municipality_id": None} for s in schools.order_by("school_id")
    ]
    targets += [
        {"url": w.url, "school_id": None, "municipality_id": w.municipality_id}
        for w in MunicipalityWebsite.objects.filter(municipality__in=muns).order_by("municipality__name")
    ]
    if not targets:
        raise MonitoringError("В реестре нет сайтов школ и муниципалитетов вашей области — проверять нечего.")
    region = None if municipality is not None else _scope_region(user, None)
    check = SiteCheck.objects.create(
        region=region if municipality is None else municipality.region,
        municipality=municipality,
        targets=targets,
        created_by=user if getattr(user, "pk", None) else None,
    )
    job = job_enqueue(
        kind=Job.SITE_CRAWL,
        label=f"Проверка сайтов ({len(targets)})",
        params={"check_id": check.pk},
        user=user,
    )
    check.job_id = job.pk
    check.save(update_fields=["job_id"])
    audit_record(
        action="create",
        object_type="monitoring.sitecheck",
        object_id=str(check.pk),
        object_repr=str(check),
        changes={"sites": len(targets)},
        user=user,
    )
    return check


def crawl_settings() -> Any:
    """Crawler limits: polite defaults, overridden by ``settings.MONITORING_CRAWL`` (CrawlSettings fields)."""
    from shnor.core.monitoring.crawler import CrawlSettings

    return CrawlSettings(**dict(getattr(settings, "MONITORING_CRAWL", {}) or {}))


def site_check_execute(*, check_id: int, progress: Progress | None = None) -> dict[str, Any]:
    """Crawl the check's sites one after another and store one row per site and document kind."""
    from shnor.core.monitoring.crawler import crawl_sites, summary_rows
    from shnor.core.monitoring.documents import default_rules

    say = progress or (lambda _m: None)
    check = SiteCheck.objects.get(pk=check_id)
    SiteCheck.objects.filter(pk=check_id).update(status=SiteCheck.RUNNING)
    rules = default_rules()
    targets = list(check.targets)
    try:
        reports = crawl_sites(
            [t["url"] for t in targets],
            rules=rules,
            settings=crawl_settings(),
            progress=lambda i, rep: say(f"сайт {i + 1} из {len(targets)}: {rep.host}"),
        )
        rows = []
        for target, report in zip(targets, reports, strict=True):
            errors = [f"{e.url}: {e.message}" for e in report.errors][:20]
            checked = dt.datetime.fromisoformat(report.finished_at) if report.finished_at else timezone.now()
            for r in summary_rows([report], rules):
                rows.append(
                    SiteResult(
                        site_check=check,
                        school_id=target.get("school_id"),
                        municipality_id=target.get("municipality_id"),
                        url=target["url"][:500],
                        kind=r["kind"],
                        label=r["label"][:300],
                        found=r["found"],
                        n_documents=r["n_documents"],
                        n_available=r["n_available"],
                        urls=r["urls"][:20],
                        checked_at=checked,
                        pages_visited=r["pages_visited"],
                        errors=errors,
                    )
                )
        SiteResult.objects.bulk_create(rows)
    except Exception as exc:
        SiteCheck.objects.filter(pk=check_id).update(
            status=SiteCheck.FAILED, error=f"{exc.__class__.__name__}: {exc}", finished_at=timezone.now()
        )
        raise
    SiteCheck.objects.filter(pk=check_id).update(status=SiteCheck.DONE, finished_at=timezone.now())
    missing = sum(1 for r in rows if not r.found)
    return {"check_id": check_id, "sites": len(targets), "rows": len(rows), "missing": missing}
