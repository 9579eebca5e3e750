"""Monitoring pages (thin): indicator table, effectiveness analyses, website monitoring, reports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shnor.core.methods.effectiveness import VARIABLE_LABELS
from shnor.core.methods.indicators import LEVEL_LABELS
from shnor.web import params
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import scope_of
from shnor.web.accounts.selectors import municipalities_visible_to, schools_visible_to
from shnor.web.identification import listing
from shnor.web.jobs.kept import kept_open
from shnor.web.jobs.models import Job
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.monitoring import forms as f
from shnor.web.monitoring import report_jobs as rj
from shnor.web.monitoring import reports as rep
from shnor.web.monitoring import selectors as sel
from shnor.web.monitoring import services
from shnor.web.monitoring.services import MonitoringError
from shnor.web.registry.models import Municipality


def _year(request: HttpRequest, years: list[int]) -> int:
    """``?year=`` (a year), else the latest of ``years``."""
    chosen = params.year(request.GET, "year")
    return years[-1] if chosen is None else chosen


def _unit_param(request: HttpRequest, level: str) -> str | int | None:
    """``?unit=``: a school's login at the school level, else the number of a municipality or region."""
    if level == "school":
        return params.text(request.GET, "unit", max_length=64, label="школа (логин)") or None
    return params.identifier(request.GET, "unit", label=LEVEL_LABELS.get(level, "территория"))


@login_required
def indicators(request: HttpRequest) -> HttpResponse:
    """The indicator table of a school, a municipality or the region over the years, each value explained."""
    level = params.choice(request.GET, "level", LEVEL_LABELS, label="уровень")
    unit_id = _unit_param(request, level) if level else None
    if level and unit_id:
        level, unit = sel.unit_resolve(user=request.user, level=level, unit_id=unit_id)
    else:
        found = sel.unit_default(user=request.user)
        if found is None:
            return render(request, "monitoring/indicators.html", {"empty": True})
        level, unit = found
    runs = sel.runs_by_year()
    years = sel.indicator_years(runs=runs)
    year = _year(request, years)
    tables = {
        y: sel.indicator_table(user=request.user, level=level, unit=unit, year=y, runs=runs) for y in years
    }
    rows = tables.get(year) or sel.indicator_table(
        user=request.user, level=level, unit=unit, year=year, runs=runs
    )
    over_years = [
        {"row": r, "values": [tables[y][i]["display"] for y in years]}
        for i, r in enumerate(tables[years[-1]])
    ]
    can_enter = scope_of(request.user).can_enter(level=level, unit=unit)
    key = unit.school_id if level == "school" else unit.pk
    enterable = f.enterable_indicators(level=level, unit=unit) if can_enter else []
    form = (
        f.IndicatorValueForm(initial={"year": year, "level": level, "unit": key}, indicators=enterable)
        if enterable
        else None
    )
    choices = {
        "municipalities": municipalities_visible_to(user=request.user),
        "schools": schools_visible_to(user=request.user).order_by("school_id")[:500],
        "region": sel.unit_default(user=request.user),
    }
    return render(
        request,
        "monitoring/indicators.html",
        {
            "level": level,
            "level_label": LEVEL_LABELS[level],
            "unit": unit,
            "unit_key": key,
            "year": year,
            "years": years,
            "rows": rows,
            "over_years": over_years,
            "form": form,
            "choices": choices,
        },
    )


@login_required
@require_POST
def indicator_enter(request: HttpRequest) -> HttpResponse:
    """Save a manual indicator value (audited)."""
    form = f.IndicatorValueForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Значение не сохранено: " + "; ".join(e for errs in form.errors.values() for e in errs)
        )
        return redirect(request.META.get("HTTP_REFERER") or reverse("monitoring:indicators"))
    d = form.cleaned_data
    level, unit = sel.unit_resolve(user=request.user, level=d["level"], unit_id=d["unit"])
    try:
        services.indicator_value_enter(
            user=request.user,
            indicator=d["indicator"],
            year=d["year"],
            level=level,
            unit=unit,
            value=d["value"],
            note=d["note"],
        )
        messages.success(request, "Значение сохранено и записано в журнал.")
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except MonitoringError as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('monitoring:indicators')}?level={level}&unit={d['unit']}&year={d['year']}")


@login_required
def effectiveness_list(request: HttpRequest) -> HttpResponse:
    """Effectiveness analyses of the user's territory; region analysts and coordinators start new ones."""
    can_run = scope_of(request.user).can_run_analyses
    analyses = sel.analyses_visible_to(user=request.user)
    form = f.AnalysisForm(request.POST or None) if can_run else None
    if request.method == "POST":
        if not can_run:
            raise PermissionDenied("Запускать анализ может аналитик региона или координатор муниципалитета.")
        assert form is not None
        if form.is_valid():
            mun = None
            mun_id = params.identifier(request.POST, "municipality")
            if mun_id is not None:
                mun = get_object_or_404(municipalities_visible_to(user=request.user), pk=mun_id)
            try:
                analysis = services.effectiveness_analysis_start(
                    user=request.user, start_year=form.cleaned_data["start_year"], municipality=mun
                )
                messages.success(request, "Анализ поставлен в очередь фоновых задач.")
                return redirect("monitoring:effectiveness_detail", pk=analysis.pk)
            except MonitoringError as exc:
                messages.error(request, str(exc))
    return render(
        request,
        "monitoring/effectiveness_list.html",
        {
            "analyses": analyses[:50],
            "form": form,
            "municipalities": municipalities_visible_to(user=request.user) if can_run else [],
            "years": sel.indicator_years(),
        },
    )


def _trajectory_figure(summary: dict) -> dict | None:
    traj = summary.get("trajectory") or []
    if not traj:
        return None
    years = [t["year"] for t in traj]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "школы с сопровождением",
            "x": years,
            "y": [t.get("supported_mean") for t in traj],
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "похожие школы без сопровождения",
            "x": years,
            "y": [t.get("control_mean") for t in traj],
        },
    ]
    start = summary.get("start_year")
    shapes = (
        [
            {
                "type": "line",
                "x0": start - 0.5,
                "x1": start - 0.5,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dash", "color": "#888"},
            }
        ]
        if start
        else []
    )
    return {
        "data": data,
        "layout": {
            "title": {"text": "Средний стандартизованный результат по годам", "font": {"size": 13}},
            "xaxis": {"dtick": 1},
            "yaxis": {"title": {"text": "SD балла ученика"}},
            "shapes": shapes,
            "height": 340,
            "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
            "separators": ", ",
        },
    }


@login_required
def effectiveness_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One analysis: estimate and interval, trajectory chart, exits from the list, conclusions verbatim."""
    analysis = get_object_or_404(sel.analyses_visible_to(user=request.user), pk=pk)
    summary = analysis.summary or {}
    visible = set(schools_visible_to(user=request.user).values_list("school_id", flat=True))
    rows = [r for r in analysis.schools if r.get("role") != "control" and r.get("school_id") in visible]
    balance = [
        {"label": VARIABLE_LABELS.get(v, v), **b}
        for v, b in (summary.get("balance") or {}).items()
        if isinstance(b, dict)
    ]
    return render(
        request,
        "monitoring/effectiveness_detail.html",
        {
            "analysis": analysis,
            "summary": summary,
            "figure": _trajectory_figure(summary),
            "rows": rows,
            "n_controls_rows": sum(1 for r in analysis.schools if r.get("role") == "control"),
            "balance": balance,
            "level_pct": round(float(summary.get("level", 0.95)) * 100),
        },
    )


@login_required
def sites(request: HttpRequest) -> HttpResponse:
    """Websites of visible schools and municipalities with missing required documents; start a check."""
    can_run = scope_of(request.user).can_run_analyses
    if request.method == "POST":
        if not can_run:
            raise PermissionDenied(
                "Запускать проверку может аналитик региона или координатор муниципалитета."
            )
        try:
            check = services.site_check_start(user=request.user)
            messages.success(
                request, f"Проверка {len(check.targets)} сайтов поставлена в очередь фоновых задач."
            )
            return redirect("jobs:detail", pk=check.job_id)
        except MonitoringError as exc:
            messages.error(request, str(exc))
    overview = sel.site_overview(user=request.user)
    mun_names = dict(
        Municipality.objects.filter(
            pk__in={r["obj"].municipality_id for r in overview["schools"]}
        ).values_list("pk", "name")
    )
    rows = [
        {
            **r,
            "school_id": r["obj"].school_id,
            "name": r["obj"].name,
            "municipality": mun_names.get(r["obj"].municipality_id, ""),
            "n_missing": len(r["missing"]) if r["checked"] else None,
        }
        for r in overview["schools"]
    ]
    sort = params.choice(request.GET, "sort", listing.sort_choices_of(SITE_COLUMNS), label="порядок")
    page = Paginator(listing.rows_sorted(rows, sort), SITES_PER_PAGE).get_page(
        params.integer(request.GET, "page", default=1, minimum=1)
    )
    return render(
        request,
        "monitoring/sites.html",
        {
            "overview": overview,
            "page": page,
            "headers": listing.headers(SITE_COLUMNS, sort),
            "can_run": can_run,
            "checks": sel.site_checks_visible_to(user=request.user)[:10],
        },
    )


#: The websites page's school table: sortable columns, 50 rows a page.
SITE_COLUMNS = [
    listing.Column("school_id", "Логин"),
    listing.Column("name", "Школа"),
    listing.Column("municipality", "Муниципалитет"),
    listing.Column("url", "Сайт"),
    listing.Column("checked_at", "Проверен"),
    listing.Column("n_missing", "Не найдено", numeric=True),
]
SITES_PER_PAGE = 50


@login_required
def site_school(request: HttpRequest, school_id: str) -> HttpResponse:
    """One school's website: the latest result per required document (missing highlighted) and the history."""
    school = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    return render(
        request,
        "monitoring/site_detail.html",
        {"obj": school, "url": school.website, "history": sel.site_history(school=school), "kind": "school"},
    )


@login_required
def site_municipality(request: HttpRequest, pk: int) -> HttpResponse:
    """A municipality's website: results, history, and the form to set the address."""
    mun = get_object_or_404(municipalities_visible_to(user=request.user), pk=pk)
    record = getattr(mun, "website_record", None)
    form = f.WebsiteForm(request.POST or None, initial={"url": record.url if record else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.municipality_website_set(
                user=request.user, municipality=mun, url=form.cleaned_data["url"]
            )
            messages.success(request, "Адрес сайта сохранён.")
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        return redirect("monitoring:site_municipality", pk=mun.pk)
    return render(
        request,
        "monitoring/site_detail.html",
        {
            "obj": mun,
            "url": record.url if record else "",
            "form": form,
            "history": sel.site_history(municipality=mun),
            "kind": "municipality",
        },
    )


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """The exporters the user may run, with their territories, years and formats; the user's recent report
    jobs."""
    mine = jobs_visible_to(user=request.user).filter(created_by_id=request.user.pk)
    recent = mine.filter(kind=rj.REPORT_KIND)[:10]
    return render(
        request,
        "monitoring/reports.html",
        {"reports": rep.reports_available(user=request.user), "recent": recent},
    )


@login_required
@require_POST
def report_download(request: HttpRequest, identifier: str) -> HttpResponse:
    """Start (or find) the background job of one exporter for a visible territory, year and format and go
    to its page; a finished file for the same data is reused unless ``force`` asks for a fresh render."""
    if identifier not in rep.EXPORTERS:
        raise Http404("нет такого отчёта")
    exporter_cls: Any = rep.EXPORTERS[identifier]
    spec = exporter_cls.params.get("format", {})
    fmt = "docx"  # what an exporter with a single format is given, as before
    if spec.get("choices"):
        fmt = params.choice(
            request.POST,
            "format",
            {c: c.upper() for c in spec["choices"]},
            default=spec.get("default", spec["choices"][0]),
            label="формат файла",
        )
    unit = rep.unit_from_param(
        user=request.user, value=params.text(request.POST, "unit", max_length=64, label="территория")
    )
    chosen = params.year(request.POST, "year")
    year = sel.indicator_years()[-1] if chosen is None else chosen
    if identifier == "municipality_summary" and unit.level != "municipality":
        raise Http404("справка строится по муниципалитету")
    force = params.flag(request.POST, "force", label="сформировать заново")
    job, _existing = rj.report_start(
        user=request.user, identifier=identifier, unit=unit, year=year, fmt=fmt, force=force
    )
    return redirect("monitoring:report_job", pk=job.pk)


def _report_job(request: HttpRequest, pk: int) -> tuple[Job, rep.Unit]:
    """A report job the user may see, whose territory is still in their scope (else 404)."""
    job = get_object_or_404(jobs_visible_to(user=request.user).filter(kind=rj.REPORT_KIND), pk=pk)
    return job, rep.unit_from_param(user=request.user, value=str(job.params.get("unit")))


@login_required
def report_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A report's progress (the page polls the job), then the button that downloads the file."""
    job, unit = _report_job(request, pk)
    exporter: Any = rep.EXPORTERS.get(str(job.params.get("identifier")))
    kept = rj.report_file(job=job)
    return render(
        request,
        "monitoring/report_job.html",
        {
            "job": job,
            "unit": unit,
            "exporter_label": exporter.label if exporter else "",
            "kept": kept,
            "file_name": kept[1] if kept else "",
        },
    )


@login_required
def report_job_file(request: HttpRequest, pk: int) -> FileResponse:
    """A finished report's file (audited as an export); the download refreshes the kept file's age."""
    job, unit = _report_job(request, pk)
    kept = rj.report_file(job=job)
    handle = kept_open(kept[0]) if kept is not None else None
    if kept is None or handle is None:
        raise Http404("файл отчёта не готов или больше не хранится: сформируйте отчёт заново")
    _path, name, mime = kept
    identifier = str(job.params.get("identifier"))
    audit_record(
        action="export",
        object_type="monitoring.report",
        object_id=identifier,
        object_repr=f"{unit.label}, {job.params.get('year')}",
        changes={"format": job.params.get("format"), "file": name, "job": job.pk},
        user=request.user,
    )
    return FileResponse(handle, as_attachment=True, filename=name, content_type=mime)
