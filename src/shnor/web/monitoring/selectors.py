"""Reads for monitoring: the indicator table, effectiveness analyses and website checks, all scoped.

Every school-level read starts from ``School.objects.visible_to`` (or the municipalities and regions
derived from it) and never widens it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.apps import apps
from django.db.models import Q, QuerySet
from django.http import Http404

from shnor.core.methods import indicators as ind
from shnor.core.monitoring.documents import default_rules
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import Scope, User, scope_of
from shnor.web.accounts.selectors import municipalities_visible_to, regions_visible_to, schools_visible_to
from shnor.web.assessments.selectors import rdr_fail_facts
from shnor.web.diagnostics.selectors import teacher_facts
from shnor.web.events.selectors import events_facts
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.identification.selectors import run_latest_per_year
from shnor.web.monitoring.models import (
    EffectivenessAnalysis,
    IndicatorValue,
    MunicipalityWebsite,
    SiteCheck,
    SiteResult,
)
from shnor.web.regionconf import selectors as regionconf
from shnor.web.registry.models import Municipality, Region, School, SchoolContext
from shnor.web.registry.selectors import in_region

LIST_METHODS = (
    SchoolOutcome.LOW_RESULTS,
    SchoolOutcome.SOCIAL_INDEX,
    SchoolOutcome.OBJECTIVITY,
    SchoolOutcome.FIOKO,
)


# --------------------------------------------------------------------------------------------
# scope


def unit_resolve(*, user: User, level: str, unit_id: Any) -> tuple[str, Any]:
    """The school, municipality or region asked for, if the user may see it (else 404)."""
    try:
        if level == "school":
            return level, schools_visible_to(user=user).get(school_id=str(unit_id))
        if level == "municipality":
            return level, municipalities_visible_to(user=user).get(pk=int(unit_id))
        if level == "region" and scope_of(user).region_wide:
            return level, regions_visible_to(user=user).get(pk=int(unit_id))
    except (School.DoesNotExist, Municipality.DoesNotExist, Region.DoesNotExist, ValueError, TypeError):
        pass
    raise Http404("нет такого объекта в вашей области видимости")


def unit_default(*, user: User) -> tuple[str, Any] | None:
    """The broadest unit the user may see: the region, else a municipality, else a school."""
    if scope_of(user).region_wide:
        region = regions_visible_to(user=user).first()
        if region is not None:
            return "region", region
    if scope_of(user).role == Role.MUNICIPALITY:
        mun = municipalities_visible_to(user=user).first()
        if mun is not None:
            return "municipality", mun
    school = schools_visible_to(user=user).first()
    return ("school", school) if school is not None else None


def unit_key(level: str, unit: Any) -> str:
    """The id used for ``unit`` in the frames (school login, municipality code, region code)."""
    return unit.school_id if level == "school" else unit.code


def unit_schools(*, user: User, level: str, unit: Any) -> QuerySet[School]:
    """The visible schools of a unit."""
    qs = schools_visible_to(user=user)
    if level == "school":
        return qs.filter(pk=unit.pk)
    if level == "municipality":
        return qs.filter(municipality=unit)
    return qs.filter(in_region(unit.pk))


# --------------------------------------------------------------------------------------------
# frames for the indicators


def units_frame(*, schools: QuerySet[School]) -> pl.DataFrame:
    """``UNITS_SCHEMA`` rows of ``schools``."""
    rows = [
        (
            s.school_id,
            s.name,
            s.municipality.code if s.municipality else None,
            s.municipality.name if s.municipality else None,
            (s.region or (s.municipality.region if s.municipality else None)).code
            if (s.region or s.municipality)
            else None,
            (s.region or (s.municipality.region if s.municipality else None)).name
            if (s.region or s.municipality)
            else None,
        )
        for s in schools.select_related("municipality__region", "region")
    ]
    return pl.DataFrame(rows, schema=ind.UNITS_SCHEMA, orient="row")


def runs_by_year() -> dict[int, MethodologyRun]:
    """The latest finished run of every year."""
    return {r.year: r for r in run_latest_per_year()}


def outcomes_frame(*, schools: QuerySet[School], runs: dict[int, MethodologyRun]) -> pl.DataFrame:
    """``school_id, year, method, flagged`` of the list methods in the latest run of each year."""
    by_run = {r.pk: y for y, r in runs.items()}
    rows = [
        (sid, by_run[run_id], method, flagged)
        for sid, run_id, method, flagged in SchoolOutcome.objects.filter(
            run_id__in=list(by_run), school__in=schools, method__in=LIST_METHODS
        ).values_list("school__school_id", "run_id", "method", "flagged")
    ]
    return pl.DataFrame(
        rows,
        schema={"school_id": pl.String, "year": pl.Int32, "method": pl.String, "flagged": pl.Boolean},
        orient="row",
    )


def _support_model(name: str) -> Any:
    if not apps.is_installed("shnor.web.support"):
        return None
    try:
        return apps.get_model("support", name)
    except LookupError:
        return None


def support_frames(*, schools: QuerySet[School]) -> dict[str, pl.DataFrame | None]:
    """School roadmaps, their activities and partner pairs from the support app (None when it is absent)."""
    roadmap, activity, partner = (
        _support_model("Roadmap"),
        _support_model("Activity"),
        _support_model("PartnerAssignment"),
    )
    out: dict[str, pl.DataFrame | None] = {"roadmaps": None, "activities": None, "partners": None}
    if roadmap is not None:
        rows = list(
            roadmap.objects.filter(level="school", school__in=schools).values_list(
                "school__school_id", "year"
            )
        )
        out["roadmaps"] = pl.DataFrame(rows, schema={"school_id": pl.String, "year": pl.Int32}, orient="row")
    if activity is not None:
        rows = list(
            activity.objects.filter(roadmap__level="school", roadmap__school__in=schools).values_list(
                "roadmap__school__school_id", "roadmap__year", "status", "due_date"
            )
        )
        out["activities"] = pl.DataFrame(
            rows,
            schema={"school_id": pl.String, "year": pl.Int32, "status": pl.String, "due_date": pl.Date},
            orient="row",
        )
    if partner is not None:
        rows = list(
            partner.objects.filter(Q(school__in=schools) | Q(leader__in=schools)).values_list(
                "school__school_id", "leader__school_id", "year", "status"
            )
        )
        out["partners"] = pl.DataFrame(
            rows,
            schema={"school_id": pl.String, "leader_id": pl.String, "year": pl.Int32, "status": pl.String},
            orient="row",
        )
    return out


def site_completeness(*, schools: QuerySet[School]) -> pl.DataFrame:
    """``school_id, complete``: the latest check of each school's site found every required document kind."""
    required = [k.code for k in default_rules().kinds]
    latest: dict[str, tuple[int, set[str]]] = {}
    for sid, check_id, kind, found in (
        SiteResult.objects.filter(school__in=schools)
        .values_list("school__school_id", "site_check_id", "kind", "found")
        .order_by("site_check_id")
    ):
        cur = latest.get(sid)
        if cur is None or cur[0] != check_id:
            cur = (check_id, set())
            latest[sid] = cur
        if found:
            cur[1].add(kind)
    rows = [(sid, all(k in kinds for k in required)) for sid, (_c, kinds) in latest.items()]
    return pl.DataFrame(rows, schema={"school_id": pl.String, "complete": pl.Boolean}, orient="row")


def indicator_facts(
    *,
    schools: QuerySet[School],
    year: int,
    runs: dict[int, MethodologyRun],
    outcomes: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, set[str]]:
    """All computed facts for ``year`` over ``schools`` and the year's ШНОР/ШНСУ (targets)."""
    out = outcomes if outcomes is not None else outcomes_frame(schools=schools, runs=runs)
    targets = ind.targets_of(out, year)
    parts = [ind.facts_lists(out, year)]
    run = runs.get(year)
    if run is not None:
        diagnosed = SchoolOutcome.objects.filter(
            run=run, method=SchoolOutcome.DEFICITS, flagged=True, school__in=schools
        )
        parts.append(ind.facts_deficits(targets, diagnosed.values_list("school__school_id", flat=True)))
    sup = support_frames(schools=schools)
    parts.append(
        ind.facts_support(
            year=year,
            targets=targets,
            roadmaps=sup["roadmaps"],
            activities=sup["activities"],
            partners=sup["partners"],
            schools=schools.values_list("school_id", flat=True),
            today=dt.date.today(),
        )
    )
    teachers, diag, completions = teacher_facts(schools=schools, year=year)
    parts.append(
        ind.facts_teachers(
            teachers=pl.DataFrame(
                teachers, schema={"teacher_id": pl.Int64, "school_id": pl.String}, orient="row"
            ),
            diagnosed=diag,
            completions=pl.DataFrame(
                completions, schema={"teacher_id": pl.Int64, "on_request": pl.Boolean, "at_risk": pl.Boolean}
            ),
        )
    )
    ctx = list(
        SchoolContext.objects.filter(school__in=schools, year=year).values_list(
            "school__school_id", "year", "staff_shortage"
        )
    )
    parts.append(
        ind.facts_context(
            pl.DataFrame(
                ctx,
                schema={"school_id": pl.String, "year": pl.Int32, "staff_shortage": pl.Boolean},
                orient="row",
            ),
            year,
        )
    )
    parts.append(ind.facts_websites(site_completeness(schools=schools)))
    parts.append(rdr_fail_facts(school_ids=schools.values_list("school_id", flat=True), year=year))
    parts.append(events_facts(schools=schools, year=year))  # attendance of events (web.events)
    return pl.concat([p for p in parts if p.height] or [pl.DataFrame(schema=ind.FACTS_SCHEMA)]), targets


def manual_values(*, schools: QuerySet[School], year: int) -> list[dict[str, Any]]:
    """Manual entries of ``year`` for the schools, their municipalities and regions, as the core wants."""
    mun_ids = set(schools.exclude(municipality=None).values_list("municipality_id", flat=True))
    reg_ids = set(schools.exclude(region=None).values_list("region_id", flat=True)) | set(
        schools.exclude(municipality__region=None).values_list("municipality__region_id", flat=True)
    )
    qs = (
        IndicatorValue.objects.filter(year=year)
        .filter(
            Q(level="school", school__in=schools)
            | Q(level="municipality", municipality_id__in=mun_ids)
            | Q(level="region", region_id__in=reg_ids)
        )
        .select_related("school", "municipality", "region", "entered_by")
    )
    out = []
    for v in qs:
        unit = (
            v.school.school_id
            if v.school
            else v.municipality.code
            if v.municipality
            else v.region.code
            if v.region
            else ""
        )
        out.append(
            {
                "indicator": v.indicator,
                "level": v.level,
                "unit_id": unit,
                "school_id": v.school.school_id if v.school else None,
                "value": v.value,
                "note": v.note,
                "entered": v.entered_at.isoformat(),
                "by": v.entered_by.get_username() if v.entered_by else "",
                "id": v.pk,
            }
        )
    return out


def indicator_table(
    *, user: User, level: str, unit: Any, year: int, runs: dict[int, MethodologyRun] | None = None
) -> list[dict[str, Any]]:
    """The indicator rows of a visible unit for a year, with numerators, denominators and sources; the
    region's active indicator set (targets included) and the version used (``settings_version``)."""
    runs = runs if runs is not None else runs_by_year()
    schools = unit_schools(user=user, level=level, unit=unit)
    facts, targets = indicator_facts(schools=schools, year=year, runs=runs)
    indicators, version = regionconf.indicators_for(region=regionconf.region_of_unit(unit))
    rows = ind.indicator_table(
        indicators=indicators,
        facts=facts,
        units=units_frame(schools=schools),
        level=level,
        unit_id=unit_key(level, unit),
        targets=targets,
        manual=manual_values(schools=schools, year=year),
        year=year,
    )
    used = f"набор показателей региона, {version.label}" if version else "набор показателей методики"
    return [{**r, "settings_version": used} for r in rows]


def indicator_years(*, runs: dict[int, MethodologyRun] | None = None) -> list[int]:
    """Years with a finished methodology run (plus the current year when none)."""
    years = sorted((runs if runs is not None else runs_by_year()).keys())
    return years or [dt.date.today().year]


# --------------------------------------------------------------------------------------------
# effectiveness


def analyses_visible_to(*, user: User | Scope) -> QuerySet[EffectivenessAnalysis]:
    """Region-wide users: their region's analyses; municipality coordinators: their municipality's."""
    scope = scope_of(user)
    qs = EffectivenessAnalysis.objects.select_related("region", "municipality", "run")
    if not scope.authenticated:
        return qs.none()
    if scope.superuser:
        return qs.all()
    if scope.region_wide:
        return qs.filter(region__in=Region.objects.visible_to(scope))
    if scope.role == Role.MUNICIPALITY and scope.municipality_id:
        return qs.filter(municipality_id=scope.municipality_id)
    return qs.none()


def supported_schools(*, run: MethodologyRun, schools: QuerySet[School]) -> list[str]:
    """Schools with a support track in ``run`` among ``schools`` (logins, sorted)."""
    return sorted(
        SchoolOutcome.objects.filter(
            run=run, method=SchoolOutcome.TRACKS, flagged=True, school__in=schools
        ).values_list("school__school_id", flat=True)
    )


# --------------------------------------------------------------------------------------------
# websites


def site_checks_visible_to(*, user: User | Scope) -> QuerySet[SiteCheck]:
    """Checks of the user's region (region-wide) or municipality (coordinator)."""
    scope = scope_of(user)
    qs = SiteCheck.objects.all()
    if scope.superuser:
        return qs
    if scope.region_wide:
        return qs.filter(region__in=Region.objects.visible_to(scope))
    if scope.role == Role.MUNICIPALITY:
        return qs.filter(municipality_id=scope.municipality_id)
    return qs.none()


def _latest(results: QuerySet[SiteResult]) -> list[SiteResult]:
    last = results.order_by("-site_check_id").values_list("site_check_id", flat=True).first()
    return list(results.filter(site_check_id=last)) if last else []


def site_history(*, school: School | None = None, municipality: Municipality | None = None) -> dict[str, Any]:
    """The latest result per document kind (missing kinds first) and every earlier check, newest first."""
    qs = (
        SiteResult.objects.filter(school=school)
        if school is not None
        else SiteResult.objects.filter(municipality=municipality, school=None)
    )
    latest = sorted(_latest(qs), key=lambda r: (r.found, r.kind))
    checks = []
    for check_id in qs.order_by("-site_check_id").values_list("site_check_id", flat=True).distinct():
        rows = list(qs.filter(site_check_id=check_id).order_by("kind"))
        checks.append(
            {
                "check_id": check_id,
                "checked_at": rows[0].checked_at if rows else None,
                "rows": rows,
                "missing": [r.label for r in rows if not r.found],
            }
        )
    return {"latest": latest, "missing": [r.label for r in latest if not r.found], "checks": checks}


def site_overview(*, user: User) -> dict[str, Any]:
    """Visible schools and municipalities with their website and the missing kinds at the latest check."""
    schools = schools_visible_to(user=user).order_by("municipality__name", "school_id")
    by_school: dict[int, list[SiteResult]] = {}
    for r in SiteResult.objects.filter(school__in=schools).order_by("-site_check_id"):
        cur = by_school.setdefault(r.school_id, [])
        if not cur or cur[0].site_check_id == r.site_check_id:
            cur.append(r)
    muns = municipalities_visible_to(user=user)
    sites = {w.municipality_id: w.url for w in MunicipalityWebsite.objects.filter(municipality__in=muns)}
    by_mun: dict[int, list[SiteResult]] = {}
    for r in SiteResult.objects.filter(municipality__in=muns, school=None).order_by("-site_check_id"):
        cur = by_mun.setdefault(r.municipality_id, [])
        if not cur or cur[0].site_check_id == r.site_check_id:
            cur.append(r)

    def row(obj: Any, url: str, results: list[SiteResult]) -> dict[str, Any]:
        return {
            "obj": obj,
            "url": url,
            "checked": bool(results),
            "checked_at": results[0].checked_at if results else None,
            "missing": [r.label for r in sorted(results, key=lambda r: r.kind) if not r.found],
            "found": sum(r.found for r in results),
            "total": len(results),
        }

    return {
        "schools": [row(s, s.website, by_school.get(s.pk, [])) for s in schools],
        "municipalities": [row(m, sites.get(m.pk, ""), by_mun.get(m.pk, [])) for m in muns],
    }
