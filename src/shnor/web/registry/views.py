"""Registry pages: region and municipality dashboards, the school list with search, the school card."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from shnor.web import params
from shnor.web.accounts.selectors import municipalities_visible_to, regions_visible_to, schools_visible_to
from shnor.web.identification import selectors as ident
from shnor.web.registry.selectors import (
    municipality_summary,
    school_contexts,
    school_kinds,
    schools_search,
)

CONTEXT_FIELDS = [
    ("share_registered", "Доля на учёте ОДН/КДН", "share"),
    ("share_low_russian", "Доля из семей мигрантов / слабо владеющих русским", "share"),
    ("share_unattested", "Доля неаттестованных", "share"),
    ("share_truancy", "Доля систематически пропускающих", "share"),
    ("share_disabled", "Доля обучающихся с ОВЗ", "share"),
    ("share_low_income", "Доля из малообеспеченных семей", "share"),
    ("share_parents_higher_ed", "Доля родителей с высшим образованием", "share"),
    ("share_single_parent", "Доля неполных семей", "share"),
    ("is_remote", "Удалённая / транспортно недоступная", "bool"),
    ("is_small", "Малокомплектная", "bool"),
    ("infrastructure_deficit", "Дефицит инфраструктуры", "bool"),
    ("internet_deficit", "Нет стабильного интернета", "bool"),
    ("staff_shortage", "Кадровый дефицит", "bool"),
]


def _run(request: HttpRequest):  # type: ignore[no-untyped-def]
    """``?run=`` / ``?year=``; an unknown run number is the latest run here (the school card says 404)."""
    return ident.run_pick(run_id=params.identifier(request.GET, "run"), year=params.year(request.GET, "year"))


@login_required
def schools(request: HttpRequest) -> HttpResponse:
    """All visible schools with search (login, name) and filters (municipality, kind, locality, list)."""
    visible = schools_visible_to(user=request.user)
    run = _run(request)
    qs = schools_search(
        schools=visible,
        q=params.text(request.GET, "q"),
        municipality_id=params.identifier(request.GET, "municipality"),
        kind=params.text(request.GET, "kind", label="вид школы"),
        locality=params.text(request.GET, "locality"),
    )
    status = ident.school_status(schools=visible, run=run)
    in_list = params.choice(request.GET, "list", {k: v.short for k, v in ident.LISTS.items()})
    if in_list:
        qs = qs.filter(pk__in=[pk for pk, st in status.items() if in_list in st])
    page = Paginator(qs, 50).get_page(params.integer(request.GET, "page", default=1, minimum=1))
    for s in page:
        s.lists = sorted(ident.LISTS[c].short for c in status.get(s.pk, ()))
    return render(
        request,
        "registry/schools.html",
        {
            "page": page,
            "run": run,
            "runs": ident.runs_done(),
            "municipalities": municipalities_visible_to(user=request.user),
            "kinds": school_kinds(schools=visible),
            "lists": ident.LISTS,
            "params": request.GET,
            "total": qs.count(),
        },
    )


@login_required
def region(request: HttpRequest, pk: int) -> HttpResponse:
    """A region's dashboard and its municipalities (restricted to the visible schools)."""
    reg = get_object_or_404(regions_visible_to(user=request.user), pk=pk)
    visible = schools_visible_to(user=request.user)
    scoped = visible.filter(region=reg) | visible.filter(municipality__region=reg)
    run = _run(request)
    status = ident.school_status(schools=scoped, run=run)
    munis = municipality_summary(schools=scoped)
    per_muni: dict[int, dict[str, int]] = {}
    for s in scoped.values("pk", "municipality_id"):
        d = per_muni.setdefault(s["municipality_id"], {})
        for code in status.get(s["pk"], ()):
            d[code] = d.get(code, 0) + 1
    for m in munis:
        m["lists"] = [per_muni.get(m["municipality_id"], {}).get(code, 0) for code in ident.LISTS]
    return render(
        request,
        "registry/region.html",
        {
            "region": reg,
            "run": run,
            "runs": ident.runs_done(),
            "dash": ident.dashboard(schools=scoped, run=run),
            "municipalities": munis,
            "lists": ident.LISTS,
        },
    )


@login_required
def municipality(request: HttpRequest, pk: int) -> HttpResponse:
    """A municipality's dashboard and its schools with their list status."""
    mun = get_object_or_404(municipalities_visible_to(user=request.user), pk=pk)
    scoped = schools_visible_to(user=request.user).filter(municipality=mun)
    run = _run(request)
    status = ident.school_status(schools=scoped, run=run)
    rows = list(scoped.order_by("school_id"))
    for s in rows:
        s.lists = sorted(ident.LISTS[c].short for c in status.get(s.pk, ()))
    return render(
        request,
        "registry/municipality.html",
        {
            "municipality": mun,
            "run": run,
            "runs": ident.runs_done(),
            "dash": ident.dashboard(schools=scoped, run=run),
            "schools": rows,
        },
    )


@login_required
def school(request: HttpRequest, school_id: str) -> HttpResponse:
    """The school card: context, results over the years, every flag with its evidence, history, track."""
    obj = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    run = _run(request)
    if params.identifier(request.GET, "run") is not None and run is None:
        raise Http404("расчёт не найден")
    contexts = school_contexts(school=obj)
    context_rows = [
        (label, kind, [getattr(c, name) for c in contexts])
        for name, label, kind in CONTEXT_FIELDS
        if any(getattr(c, name) is not None for c in contexts)
    ]
    flags = ident.school_flags(school=obj, run=run) if run else []
    return render(
        request,
        "registry/school.html",
        {
            "school": obj,
            "run": run,
            "runs": ident.runs_done(),
            "contexts": contexts,
            "context_rows": context_rows,
            "flags": flags,
            "flagged": [f for f in flags if f.flagged and f.method != "tracks"],
            "track": ident.school_track(school=obj, run=run) if run else None,
            "history": ident.school_history(school=obj),
            "methods": ident.METHOD_TITLES,
            "results": ident.school_results_by_year(school=obj),
        },
    )


@login_required
def school_deficit_report(request: HttpRequest, school_id: str, fmt: str) -> HttpResponse:
    """The school's deficit report (DOCX or PDF) for the run's year, for its methodological council."""
    from shnor.core.config import load_config
    from shnor.core.methods.base import Inputs
    from shnor.core.reports.deficit_report import DeficitReportExporter
    from shnor.web.accounts.audit import audit_record
    from shnor.web.assessments.selectors import results_scan, scales_frame, tasks_frame
    from shnor.web.registry.selectors import context_frame, schools_frame

    obj = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    if fmt not in ("docx", "pdf"):
        raise Http404("неизвестный формат")
    run = _run(request)
    if run is None:
        raise Http404("нет расчёта по методике")
    inputs = Inputs(
        year=run.year,
        results=results_scan(),
        tasks=tasks_frame(),
        scales=scales_frame(),
        schools=schools_frame(),
        context=context_frame(),
    )
    config = run.config.get("deficits") if isinstance(run.config, dict) else None
    name, mime, body = DeficitReportExporter(inputs, config or load_config()["deficits"]).render(
        {"school_id": obj.school_id, "year": run.year, "format": fmt}
    )
    audit_record(
        action="выгрузка отчёта",
        object_type="дефициты умений",
        object_id=obj.school_id,
        object_repr=name,
        changes={"run": run.pk},
    )
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
