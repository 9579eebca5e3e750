"""Registry pages: region and municipality dashboards, the school list with search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from shnor.web import params
from shnor.web.accounts.selectors import municipalities_visible_to, regions_visible_to, schools_visible_to
from shnor.web.identification import selectors as ident
from shnor.web.registry.selectors import municipality_summary, school_kinds, schools_search


def _run(request: HttpRequest):
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
