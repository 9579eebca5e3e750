"""Lists (ШНОР, ШНСУ, objectivity, ФИОКО) with filters and XLSX export; runs and their comparison."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.selectors import municipalities_visible_to, schools_visible_to
from shnor.web.identification import selectors as ident
from shnor.web.identification.exports import list_xlsx


def _list_context(request: HttpRequest, kind: str) -> dict:
    if kind not in ident.LISTS:
        raise Http404("нет такого списка")
    run = ident.run_pick(run_id=request.GET.get("run"), year=request.GET.get("year"))
    if request.GET.get("run") and run is None:
        raise Http404("расчёт не найден")
    rows = []
    if run is not None:
        rows = ident.list_rows(
            schools=schools_visible_to(user=request.user),
            run=run,
            kind=kind,
            municipality_id=request.GET.get("municipality"),
            track=request.GET.get("track", ""),
            min_years=request.GET.get("min_years"),
            q=request.GET.get("q", "").strip(),
        )
    return {"kind": kind, "spec": ident.LISTS[kind], "run": run, "rows": rows}


@login_required
def list_view(request: HttpRequest, kind: str) -> HttpResponse:
    """One list for a run (latest done by default) with filters."""
    ctx = _list_context(request, kind)
    query = request.GET.urlencode()
    return render(
        request,
        "identification/list.html",
        {
            **ctx,
            "lists": ident.LISTS,
            "runs": ident.runs_done(),
            "municipalities": municipalities_visible_to(user=request.user),
            "tracks": ident.TRACK_LABELS,
            "params": request.GET,
            "query": query,
        },
    )


@login_required
def list_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The same list, same filters, as XLSX."""
    ctx = _list_context(request, kind)
    if ctx["run"] is None:
        raise Http404("нет завершённого расчёта")
    filename, content = list_xlsx(rows=ctx["rows"], kind=kind, run=ctx["run"])
    audit_record(action="выгрузка", object_type="список", object_id=kind, object_repr=filename,
                 changes={"rows": len(ctx["rows"]), "filters": dict(request.GET.items())})
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    """Methodology runs and the comparison of two of them (who enters a list, who leaves)."""
    done = list(ident.runs_done())
    kind = request.GET.get("kind", "low_results")
    if kind not in ident.LISTS:
        kind = "low_results"
    comparison = None
    run_a = ident.run_pick(run_id=request.GET.get("a")) if request.GET.get("a") else None
    run_b = ident.run_pick(run_id=request.GET.get("b")) if request.GET.get("b") else None
    if run_a and run_b:
        comparison = ident.runs_compare(schools=schools_visible_to(user=request.user), run_a=run_a, run_b=run_b, kind=kind)
    return render(
        request,
        "identification/runs.html",
        {"runs": done, "kind": kind, "lists": ident.LISTS, "run_a": run_a, "run_b": run_b, "comparison": comparison},
    )
