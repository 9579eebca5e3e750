"""The reports page's exporters: which ones a user may run, and the scoped data each one renders.

The exporters themselves are pure (``shnor.core.reports``); this module gathers their data from
the database through the scoping selectors and builds them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.http import Http404

from shnor.core.reports.annual_report import AnnualData, AnnualReportExporter
from shnor.core.reports.fioko_list import FiokoListExporter
from shnor.core.reports.municipality_summary import MunicipalitySummary, MunicipalitySummaryExporter
from shnor.core.reports.protocol_draft import ProtocolData, ProtocolDraftExporter
from shnor.core.store.schema import SUBJECTS
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.accounts.selectors import municipalities_visible_to, regions_visible_to
from shnor.web.diagnostics.selectors import competence_summary
from shnor.web.identification import membership
from shnor.web.identification.listing import FIOKO_FORMAT_RULE
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.monitoring import selectors as sel

EXPORTERS = {
    "annual_report": AnnualReportExporter,
    "fioko_list": FiokoListExporter,
    "municipality_summary": MunicipalitySummaryExporter,
    "protocol_draft": ProtocolDraftExporter,
}
LIST_CODES = {
    "low_results": SchoolOutcome.LOW_RESULTS,
    "social_risk": SchoolOutcome.SOCIAL_INDEX,
    "objectivity": SchoolOutcome.OBJECTIVITY,
}


@dataclass(frozen=True)
class Unit:
    """A report's territory: the region or a municipality, with its value for the form."""

    level: str
    obj: Any

    @property
    def value(self) -> str:
        """``region:<pk>`` or ``municipality:<pk>``."""
        return f"{self.level}:{self.obj.pk}"

    @property
    def label(self) -> str:
        """Russian label."""
        return ("Регион: " if self.level == "region" else "Муниципалитет: ") + self.obj.name


def report_units(*, user: User) -> list[Unit]:
    """Territories the user may report on: the region (region-wide users) and visible municipalities
    (region-wide users and municipality coordinators). Schools, teachers and curators get none."""
    out: list[Unit] = []
    scope = scope_of(user)
    if scope.region_wide:
        out += [Unit("region", r) for r in regions_visible_to(user=scope)]
    if scope.region_wide or scope.role == Role.MUNICIPALITY:
        out += [Unit("municipality", m) for m in municipalities_visible_to(user=user)]
    return out


def unit_from_param(*, user: User, value: str) -> Unit:
    """The territory of a ``unit`` parameter, if the user may report on it (else 404)."""
    for u in report_units(user=user):
        if u.value == value:
            return u
    raise Http404("нет такой территории в вашей области видимости")


def reports_available(*, user: User) -> list[dict[str, Any]]:
    """Exporters the user may run, with the territories and years to choose from."""
    units = report_units(user=user)
    if not units:
        return []
    years = sel.indicator_years()
    muns = [u for u in units if u.level == "municipality"]
    out = []
    for ident, cls in EXPORTERS.items():
        choices = muns if ident == "municipality_summary" else units
        if choices:
            out.append(
                {
                    "identifier": ident,
                    "label": cls.label,
                    "units": choices,
                    "years": years,
                    "formats": cls.params.get("format", {}).get("choices", []),
                    "note": FIOKO_FORMAT_RULE if ident == "fioko_list" else "",
                }
            )
    return out


# --------------------------------------------------------------------------------------------
# data


def _listed(code: str, run: MethodologyRun, schools: Any) -> Any:
    """The schools of list ``code`` for ``run``'s year: the approved list, else the run's flagged ones."""
    return membership.members(membership.basis_of(kind=code, run=run), schools)


def _lists_by_year(schools: Any, runs: dict[int, MethodologyRun]) -> list[dict[str, Any]]:
    out = []
    for year, run in sorted(runs.items()):
        qs = SchoolOutcome.objects.filter(run=run, school__in=schools)
        row: dict[str, Any] = {"year": year, "n_schools": qs.values("school_id").distinct().count()}
        for code in LIST_CODES:
            row[code] = _listed(code, run, schools).count()
        out.append(row)
    return out


def _dynamics(schools: Any, runs: dict[int, MethodologyRun], year: int) -> dict[str, dict[str, int]]:
    if year not in runs or year - 1 not in runs:
        return {}
    out = {}
    for code in LIST_CODES:

        def flagged(run: MethodologyRun, code: str = code) -> set[int]:
            return set(_listed(code, run, schools))

        a, b = flagged(runs[year - 1]), flagged(runs[year])
        out[code] = {"entered": len(b - a), "left": len(a - b), "stayed": len(a & b)}
    return out


def _objectivity(schools: Any, runs: dict[int, MethodologyRun]) -> list[dict[str, Any]]:
    out = []
    for year, run in sorted(runs.items()):
        qs = SchoolOutcome.objects.filter(run=run, school__in=schools)
        n = (
            qs.filter(method__in=[SchoolOutcome.OBJECTIVITY, SchoolOutcome.LOW_RESULTS])
            .values("school_id")
            .distinct()
            .count()
        )
        marked = _listed("fioko", run, schools).count()  # the list page's and the dashboard's count
        if n:
            out.append(
                {"year": year, "n_schools": n, "n_marked": marked, "index": 100.0 - 100.0 * marked / n}
            )
    return out


def _deficits(schools: Any, run: MethodologyRun | None) -> tuple[list[dict[str, Any]], int]:
    if run is None:
        return [], 0
    counter: Counter[tuple[str, str]] = Counter()
    n = 0
    for data in SchoolOutcome.objects.filter(
        run=run, method=SchoolOutcome.DEFICITS, flagged=True, school__in=schools
    ).values_list("data", flat=True):
        n += 1
        seen = set()
        for d in (data or {}).get("deficits", []):
            if d.get("unit") == "school" and d.get("element_label"):
                key = (
                    SUBJECTS.get(str(d.get("subject")), str(d.get("subject") or "")),
                    str(d["element_label"]),
                )
                if key not in seen:
                    seen.add(key)
                    counter[key] += 1
    return [{"subject": s, "label": lb, "n_schools": c} for (s, lb), c in counter.most_common(20)], n


def _latest_analysis(*, user: User, unit: Unit) -> dict[str, Any] | None:
    qs = sel.analyses_visible_to(user=user).filter(status="done")
    qs = (
        qs.filter(municipality=unit.obj)
        if unit.level == "municipality"
        else qs.filter(region=unit.obj, municipality=None)
    )
    a = qs.order_by("-finished_at", "-pk").first()
    return a.summary if a is not None else None


def annual_data(*, user: User, unit: Unit, year: int) -> AnnualData:
    """Everything the yearly report of a territory shows, within the user's scope."""
    schools = sel.unit_schools(user=user, level=unit.level, unit=unit.obj)
    runs = {y: r for y, r in sel.runs_by_year().items() if y <= year}
    deficits, n_def = _deficits(schools, runs.get(year))
    teachers = competence_summary(schools=schools, year=year)
    muns = []
    if unit.level == "region" and year in runs:
        for m in municipalities_visible_to(user=user).filter(region=unit.obj):
            theirs = schools.filter(municipality=m)
            muns.append(
                {
                    "name": m.name,
                    "n_schools": theirs.count(),
                    **{code: _listed(code, runs[year], theirs).count() for code in LIST_CODES},
                }
            )
    return AnnualData(
        unit_name=unit.obj.name,
        level=unit.level,
        year=year,
        n_schools=schools.count(),
        lists_by_year=_lists_by_year(schools, runs),
        dynamics=_dynamics(schools, runs, year),
        objectivity_index=_objectivity(schools, runs),
        deficits=deficits,
        schools_with_deficits=n_def,
        teachers={
            k: teachers[k] for k in ("n_teachers", "n_diagnosed", "n_with_deficits", "n_completed", "areas")
        },
        indicators=sel.indicator_table(
            user=user, level=unit.level, unit=unit.obj, year=year, runs=sel.runs_by_year()
        ),
        effectiveness=_latest_analysis(user=user, unit=unit),
        municipalities=muns,
    )


def fioko_frame(*, user: User, unit: Unit, year: int) -> pl.DataFrame:
    """FIOKO's published list for the territory's visible schools, from the year's run's stored markers."""
    from shnor.core.config import load_config
    from shnor.core.methods import fioko
    from shnor.core.methods.base import Inputs
    from shnor.web.assessments.selectors import results_scan
    from shnor.web.registry.selectors import schools_frame

    schools = sel.unit_schools(user=user, level=unit.level, unit=unit.obj)
    ids = sorted(schools.values_list("school_id", flat=True))
    run = sel.runs_by_year().get(year)
    rows = []
    if run is not None:  # the schools of FIOKO's list as the list page shows it (approved, else the run)
        for sid, data in SchoolOutcome.objects.filter(
            run=run, method=SchoolOutcome.FIOKO, school_id__in=_listed("fioko", run, schools)
        ).values_list("school__school_id", "data"):
            for m in (data or {}).get("markers", []):
                if isinstance(m, dict) and m.get("procedure"):
                    rows.append(
                        (
                            sid,
                            str(m["procedure"]),
                            str(m.get("subject")),
                            int(m.get("grade") or 0),
                            str(m.get("marker") or ""),
                        )
                    )
    markers = pl.DataFrame(
        rows,
        schema={
            "school_id": pl.String,
            "procedure": pl.String,
            "subject": pl.String,
            "grade": pl.Int8,
            "marker": pl.String,
        },
        orient="row",
    )
    results = results_scan().filter(pl.col("school_id").is_in(ids))
    inputs = Inputs(
        year=year, results=results, schools=schools_frame().filter(pl.col("school_id").is_in(ids))
    )
    frame = fioko.published_list(inputs, load_config()["fioko"], markers=markers)
    return frame.filter(pl.col("Логин").is_in(ids))


def municipality_data(*, user: User, unit: Unit, year: int) -> MunicipalitySummary:
    """The municipality summary: per school lists, track, roadmap execution, teachers, website gaps."""
    schools = sel.unit_schools(user=user, level="municipality", unit=unit.obj).order_by("school_id")
    runs = sel.runs_by_year()
    run = runs.get(year)
    status: dict[int, list[str]] = {}
    tracks: dict[int, str] = {}
    if run is not None:
        for code in LIST_CODES:
            for sid in _listed(code, run, schools):
                status.setdefault(sid, []).append(membership.LISTS[code].short)
        tracks = {
            sid: label
            for sid, (_, label) in membership.tracks_of(
                run=run, school_ids=list(schools.values_list("pk", flat=True))
            ).items()
            if label
        }
    sup = sel.support_frames(schools=schools)
    acts = sup["activities"]
    teachers = {r["school"].pk: r for r in competence_summary(schools=schools, year=year)["schools"]}
    overview = {r["obj"].pk: r for r in sel.site_overview(user=user)["schools"]}
    rows = []
    today = dt.date.today()
    for s in schools:
        road_done = road_due = 0
        if acts is not None and acts.height:
            a = acts.filter(
                (pl.col("school_id") == s.school_id)
                & (pl.col("year") == year)
                & (pl.col("status") != "cancelled")
            )
            due = a.filter(pl.col("due_date").is_not_null() & (pl.col("due_date") <= today))
            road_due, road_done = due.height, due.filter(pl.col("status") == "done").height
        t = teachers.get(s.pk, {})
        site = overview.get(s.pk)
        site_text = (
            "нет сайта"
            if not s.website
            else (
                "не проверялся"
                if not site or not site["checked"]
                else ("; ".join(site["missing"]) or "все документы")
            )
        )
        rows.append(
            {
                "school_id": s.school_id,
                "name": s.name,
                "lists": status.get(s.pk, []),
                "track": tracks.get(s.pk, ""),
                "roadmap_done": road_done,
                "roadmap_due": road_due,
                "teachers": t.get("teachers", 0),
                "diagnosed": t.get("diagnosed", 0),
                "with_deficits": t.get("with_deficits", 0),
                "site": site_text,
            }
        )
    eff = _latest_analysis(user=user, unit=unit)
    return MunicipalitySummary(
        name=unit.obj.name,
        region=unit.obj.region.name if unit.obj.region else "",
        year=year,
        schools=rows,
        indicators=sel.indicator_table(user=user, level="municipality", unit=unit.obj, year=year, runs=runs),
        conclusions=list((eff or {}).get("conclusions") or []),
    )


def protocol_data(*, user: User, unit: Unit, year: int) -> ProtocolData:
    """Facts of the working-group protocol for the territory and year."""
    annual = annual_data(user=user, unit=unit, year=year)
    last = next((r for r in annual.lists_by_year if r["year"] == year), {})
    obj = next((r for r in annual.objectivity_index if r["year"] == year), None)
    schools = sel.unit_schools(user=user, level=unit.level, unit=unit.obj)
    acts = sel.support_frames(schools=schools)["activities"]
    roadmap: dict[str, int] = {}
    if acts is not None and acts.height:
        a = acts.filter((pl.col("year") == year) & (pl.col("status") != "cancelled"))
        due = a.filter(pl.col("due_date").is_not_null() & (pl.col("due_date") <= dt.date.today()))
        done = due.filter(pl.col("status") == "done").height
        roadmap = {"done": done, "due": due.height, "overdue": due.height - done}
    sites = [r for r in sel.site_overview(user=user)["schools"] if r["obj"] in set(schools) and r["checked"]]
    authority = (
        "Министерство (департамент) образования"
        if unit.level == "region"
        else "Муниципальный орган управления образованием"
    )
    return ProtocolData(
        unit_name=unit.obj.name,
        authority=authority,
        year=year,
        lists=last,
        dynamics=annual.dynamics,
        objectivity_index=obj["index"] if obj else None,
        fioko_marked=obj["n_marked"] if obj else 0,
        schools_with_deficits=annual.schools_with_deficits,
        teachers=annual.teachers,
        indicators=annual.indicators,
        roadmap=roadmap,
        sites={
            "checked": len(sites),
            "complete": sum(1 for r in sites if not r["missing"]),
            "missing": sum(1 for r in sites if r["missing"]),
        },
        effectiveness=annual.effectiveness,
    )


def exporter_build(*, user: User, identifier: str, unit: Unit, year: int) -> Any:
    """The exporter object with its scoped data."""
    if identifier == "annual_report":
        return AnnualReportExporter(annual_data(user=user, unit=unit, year=year))
    if identifier == "fioko_list":
        return FiokoListExporter(fioko_frame(user=user, unit=unit, year=year), year)
    if identifier == "municipality_summary":
        if unit.level != "municipality":
            raise Http404("справка строится по муниципалитету")
        return MunicipalitySummaryExporter(municipality_data(user=user, unit=unit, year=year))
    if identifier == "protocol_draft":
        return ProtocolDraftExporter(protocol_data(user=user, unit=unit, year=year))
    raise Http404("нет такого отчёта")
