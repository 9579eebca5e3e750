"""Lists (ШНОР, ШНСУ, objectivity, ФИОКО) with filters and XLSX export; runs and their comparison; the
school list, the region and municipality dashboards with the schools' list status; the school card and its
deficit report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shnor.web import params
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.selectors import municipalities_visible_to, regions_visible_to, schools_visible_to
from shnor.web.identification import list_export_job, listing, membership
from shnor.web.identification import selectors as ident
from shnor.web.identification.exports import XLSX_MIME, list_xlsx
from shnor.web.identification.models import MethodologyRun, TrackChoice
from shnor.web.identification.track_choices import can_choose_track, people_for, track_choose
from shnor.web.registry.models import School
from shnor.web.registry.selectors import (
    in_region,
    municipality_summary,
    school_contexts,
    school_kinds,
    schools_search,
)


def run_from_query(request: HttpRequest):
    """The run of ``?run=<номер>`` (404 if there is none), else the latest of ``?year=``, else the latest."""
    return run_of_query(request.GET)


def run_of_query(query: QueryDict):
    """``run_from_query`` for a query string's parameters (a background job keeps them, not the request)."""
    run_id = params.identifier(query, "run")
    run = ident.run_pick(run_id=run_id, year=params.year(query, "year"))
    if run_id is not None and run is None:
        raise Http404("расчёт не найден")
    return run


def _run_or_latest(request: HttpRequest):
    """``?run=`` / ``?year=`` for the school list and dashboards: an unknown run number is the latest run."""
    return ident.run_pick(run_id=params.identifier(request.GET, "run"), year=params.year(request.GET, "year"))


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


#: The school list's columns (sortable: each by its registry field in ``SCHOOL_ORDER``).
SCHOOL_COLUMNS = [
    listing.Column("school_id", "Логин"),
    listing.Column("name", "Школа"),
    listing.Column("municipality", "Муниципалитет"),
    listing.Column("kind", "Вид"),
    listing.Column("locality", "Местность"),
    listing.Column("pupils", "Обучающихся", numeric=True),
    listing.Column("lists", "Списки", sortable=False),
]
SCHOOL_ORDER = {
    "school_id": "school_id",
    "name": "name",
    "municipality": "municipality__name",
    "kind": "kind",
    "locality": "locality",
    "pupils": "pupils",
}
#: Rows per page of a list, the school list and the websites page.
PER_PAGE = 50


@login_required
def schools(request: HttpRequest) -> HttpResponse:
    """All visible schools with search (login, name) and filters (municipality, kind, locality, list)."""
    visible = schools_visible_to(user=request.user)
    run = _run_or_latest(request)
    qs = schools_search(
        schools=visible,
        q=params.text(request.GET, "q"),
        municipality_id=params.identifier(request.GET, "municipality"),
        kind=params.text(request.GET, "kind", label="вид школы"),
        locality=params.text(request.GET, "locality"),
    )
    in_list = params.choice(request.GET, "list", {k: v.short for k, v in ident.LISTS.items()})
    if in_list:  # the list's members as a subquery (none without a run)
        qs = qs.filter(pk__in=membership.members(membership.basis_of(kind=in_list, run=run), visible))
    sort = params.choice(request.GET, "sort", listing.sort_choices_of(SCHOOL_COLUMNS), label="порядок")
    if sort:
        field = SCHOOL_ORDER[sort.lstrip("-")]
        qs = qs.order_by(
            F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(nulls_last=True),
            "school_id",
        )
    page = Paginator(qs, PER_PAGE).get_page(params.integer(request.GET, "page", default=1, minimum=1))
    # the lists of the page's schools only (a country-wide user sees 40,000 schools)
    status = ident.school_status(schools=visible.filter(pk__in=[s.pk for s in page]), run=run)
    for s in page:
        s.lists = sorted(ident.LISTS[c].short for c in status.get(s.pk, ()))
    return render(
        request,
        "identification/schools.html",
        {
            "page": page,
            "run": run,
            "runs": ident.runs_done(),
            "municipalities": municipalities_visible_to(user=request.user),
            "kinds": school_kinds(schools=visible),
            "lists": ident.LISTS,
            "params": request.GET,
            "total": page.paginator.count,
            "headers": listing.headers(SCHOOL_COLUMNS, sort),
        },
    )


@login_required
def region(request: HttpRequest, pk: int) -> HttpResponse:
    """A region's dashboard and its municipalities (restricted to the visible schools)."""
    reg = get_object_or_404(regions_visible_to(user=request.user), pk=pk)
    visible = schools_visible_to(user=request.user)
    scoped = visible.filter(in_region(reg.pk))
    run = _run_or_latest(request)
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
        "identification/region.html",
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
    run = _run_or_latest(request)
    status = ident.school_status(schools=scoped, run=run)
    rows = list(scoped.order_by("school_id"))
    for s in rows:
        s.lists = sorted(ident.LISTS[c].short for c in status.get(s.pk, ()))
    return render(
        request,
        "identification/municipality.html",
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
    run = run_from_query(request)
    contexts = school_contexts(school=obj)
    context_rows = [
        (label, kind, [getattr(c, name) for c in contexts])
        for name, label, kind in CONTEXT_FIELDS
        if any(getattr(c, name) is not None for c in contexts)
    ]
    flags = ident.school_flags(school=obj, run=run) if run else []
    return render(
        request,
        "identification/school.html",
        {
            "school": obj,
            "run": run,
            "runs": ident.runs_done(),
            "contexts": contexts,
            "context_rows": context_rows,
            "flags": flags,
            "flagged": [f for f in flags if f.flagged and f.method != "tracks"],
            "track": ident.school_track(school=obj, run=run) if run else None,
            "lists": _school_lists(obj, run),
            "choice": TrackChoice.objects.filter(school=obj, year=run.year).first() if run else None,
            "can_choose_track": bool(run) and can_choose_track(request.user, obj),
            "people": people_for(obj) if run and can_choose_track(request.user, obj) else None,
            "track_labels": ident.TRACK_LABELS,
            "history": ident.school_history(school=obj),
            "methods": ident.METHOD_TITLES,
            "results": ident.school_results_by_year(school=obj),
        },
    )


def _school_lists(school: School, run: MethodologyRun | None) -> list[dict]:
    """The lists the school is on for the run's year: approved or computed, with the decision's reason."""
    if run is None:
        return []
    out = []
    one = School.objects.filter(pk=school.pk)
    for code, spec in ident.LISTS.items():
        basis = membership.basis_of(kind=code, run=run)
        if membership.members(basis, one).exists():
            entry = membership.entries(basis, [school.pk]).get(school.pk)
            out.append({"code": code, "spec": spec, "basis": basis, "entry": entry})
    return out


@login_required
@require_POST
def school_track(request: HttpRequest, school_id: str) -> HttpResponse:
    """The municipality's decision on the school's track, coordinator and curator for the run's year."""
    obj = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    run = ident.run_pick(run_id=params.identifier(request.POST, "run"))
    if run is None:
        raise Http404("нет расчёта по методике")
    try:
        track_choose(
            actor=request.user,
            school=obj,
            year=run.year,
            run=run,
            track=params.choice(request.POST, "track", ident.TRACK_LABELS, label="вариант сопровождения"),
            reason=params.text(request.POST, "reason", max_length=2000),
            coordinator_id=params.identifier(request.POST, "coordinator", label="координатор"),
            curator_id=params.identifier(request.POST, "curator", label="куратор"),
        )
        messages.success(request, "Решение о сопровождении школы сохранено")
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    return redirect(reverse("identification:school", kwargs={"school_id": obj.school_id}) + f"?run={run.pk}")


@login_required
def school_deficit_report(request: HttpRequest, school_id: str, fmt: str) -> HttpResponse:
    """The school's deficit report (DOCX or PDF) for the run's year, for its methodological council."""
    from shnor.core.config import load_config
    from shnor.core.methods.base import Inputs
    from shnor.core.reports.deficit_report import DeficitReportExporter
    from shnor.web.assessments.selectors import results_scan, scales_frame, tasks_frame
    from shnor.web.registry.selectors import context_frame, schools_frame

    obj = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    if fmt not in ("docx", "pdf"):
        raise Http404("неизвестный формат")
    run = _run_or_latest(request)
    if run is None:
        raise Http404("нет расчёта по методике")
    if fmt == "pdf":  # seconds of WeasyPrint: a background job, the file kept per data version
        from shnor.web.identification.deficit_pdf import deficit_pdf

        return deficit_pdf(request, school=obj, run=run)
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


def _list_context(request: HttpRequest, kind: str) -> dict:
    return list_context(user=request.user, query=request.GET, kind=kind)


def list_context(*, user: Any, query: QueryDict, kind: str) -> dict:
    """List ``kind`` as ``user`` sees it with the filters and order of ``query``: run, rows, basis, sort."""
    if kind not in ident.LISTS:
        raise Http404("нет такого списка")
    run = run_of_query(query)
    filters = {
        "municipality_id": params.identifier(query, "municipality"),
        "track": params.choice(query, "track", ident.TRACK_LABELS),
        "min_years": params.integer(query, "min_years", minimum=0, maximum=100),
        "q": params.text(query, "q"),
    }
    sort = params.choice(query, "sort", listing.sort_choices(kind), label="порядок")
    rows = []
    if run is not None:
        rows = ident.list_rows(schools=schools_visible_to(user=user), run=run, kind=kind, **filters)
        rows = listing.rows_sorted(rows, sort)
    basis = membership.basis_of(kind=kind, run=run)
    return {"kind": kind, "spec": ident.LISTS[kind], "run": run, "rows": rows, "basis": basis, "sort": sort}


@login_required
def list_view(request: HttpRequest, kind: str) -> HttpResponse:
    """One list for a run (latest done by default) with filters, sorting by any column and pages of 50."""
    ctx = _list_context(request, kind)
    query = request.GET.urlencode()
    page = Paginator(ctx["rows"], PER_PAGE).get_page(
        params.integer(request.GET, "page", default=1, minimum=1)
    )
    rows = ctx["rows"]
    return render(
        request,
        "identification/list.html",
        {
            **ctx,
            "page": page,
            "headers": listing.headers(listing.columns_of(kind), ctx["sort"]),
            "lists": ident.LISTS,
            "runs": ident.runs_done(),
            "municipalities": municipalities_visible_to(user=request.user),
            "tracks": ident.TRACK_LABELS,
            "params": request.GET,
            "query": query,
            "fioko_format": (
                {
                    "n": sum(1 for r in rows if r["in_fioko_format"] == "да"),
                    "rule": listing.FIOKO_FORMAT_RULE,
                }
                if kind == "fioko"
                else None
            ),
        },
    )


@login_required
def list_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The same list, same filters and order, as XLSX: at once for a list of up to
    ``list_export_job.DIRECT_ROWS`` schools, else from a background job (its kept file when there is one)."""
    ctx = _list_context(request, kind)
    if ctx["run"] is None:
        raise Http404("нет завершённого расчёта")
    if len(ctx["rows"]) > list_export_job.DIRECT_ROWS:
        return list_export_job.export_response(request, ctx)
    filename, content = list_xlsx(rows=ctx["rows"], kind=kind, run=ctx["run"], basis=ctx["basis"])
    list_export_job.audit_export(request.GET, ctx, filename)
    response = HttpResponse(content, content_type=XLSX_MIME)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    """Methodology runs and the comparison of two of them (who enters a list, who leaves)."""
    kind = params.choice(
        request.GET,
        "kind",
        {k: v.short for k, v in ident.LISTS.items()},
        default="low_results",
        label="список",
    )
    comparison = None
    a, b = params.identifier(request.GET, "a"), params.identifier(request.GET, "b")
    run_a = ident.run_pick(run_id=a) if a else None
    run_b = ident.run_pick(run_id=b) if b else None
    done = list(ident.runs_done())
    if run_a and run_b:
        comparison = ident.runs_compare(
            schools=schools_visible_to(user=request.user), run_a=run_a, run_b=run_b, kind=kind
        )
    return render(
        request,
        "identification/runs.html",
        {
            "runs": done,
            "kind": kind,
            "lists": ident.LISTS,
            "run_a": run_a,
            "run_b": run_b,
            "comparison": comparison,
        },
    )
