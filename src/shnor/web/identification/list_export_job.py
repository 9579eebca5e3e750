"""A large list's XLSX as a background job. A region's list (tens to hundreds of schools) is written in the
request; a country-wide list of thousands of schools takes too long for a request (its rows and
xlsxwriter: ``scripts/single_docs_bench.py``, docs/benchmarks.md «Single documents»), so above
``DIRECT_ROWS`` schools the request starts a job and shows its progress, and the finished file is kept.

The kept file's key is a slot — the list, the run and what narrows it (the user's scope, the filters and
the order) — and a data version: a hash of what the workbook prints (its title, file name and every
row's printed values). The request has the rows at hand (cached with the list page), so it finds the
file for the current data at once; a changed decision, track or school name gives new rows, hence a
new version, and the slot's older file is replaced.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.identification.exports import XLSX_MIME, columns_for, list_xlsx
from shnor.web.identification.membership import LISTS
from shnor.web.jobs.kept import KeptFiles
from shnor.web.jobs.kinds import Stage
from shnor.web.jobs.models import Job
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.jobs.services import job_enqueue

#: the job kind (shown as is on the jobs page, like other apps' Russian kinds)
LIST_EXPORT_KIND = "Выгрузка списка (XLSX)"

#: Lists of up to this many schools are written in the request (a region's lists are far shorter).
DIRECT_ROWS = 2000

#: the kept workbooks: ``<list>-r<run>-<scope and filters>-<data version>``
KEPT = KeptFiles(
    "lists", re.compile(r"^(low_results|social_risk|objectivity|fioko)-r\d+-[0-9a-f]{16}-[0-9a-f]{24}$")
)


def _sha(value: Any, n: int) -> str:
    return hashlib.sha256(orjson.dumps(value, default=str)).hexdigest()[:n]


def export_key(ctx: dict, *, user: Any, query: QueryDict) -> str:
    """The kept file's key of the list in ``ctx`` (``views.list_context``) as ``user`` asked for it."""
    kind, run, basis = ctx["kind"], ctx["run"], ctx["basis"]
    scope = schools_visible_to(user=user).values("pk").query.sql_with_params()
    wanted = sorted((k, v) for k, v in query.items() if k != "page")
    slot = f"{kind}-r{run.pk}-{_sha([str(scope[0]), [str(p) for p in scope[1]], wanted], 16)}"
    keys = [key for key, _, _ in columns_for(kind, basis)]
    printed = [[row.get(key) for key in keys] for row in ctx["rows"]]
    version = _sha(
        [
            LISTS[kind].title,
            run.year,
            basis.caption,
            basis.version.number if basis.version else None,
            keys,
            printed,
        ],
        24,
    )
    return f"{slot}-{version}"


def audit_export(query: QueryDict, ctx: dict, filename: str) -> None:
    """The download in the audit log: the list, its rows and the filters."""
    audit_record(
        action="выгрузка",
        object_type="список",
        object_id=ctx["kind"],
        object_repr=filename,
        changes={"rows": len(ctx["rows"]), "filters": dict(query.items())},
    )


def export_response(request: HttpRequest, ctx: dict) -> HttpResponse:
    """The kept workbook for the current data at once, else a job (one per user and file while it waits
    or runs) and its progress page."""
    user: User = request.user
    key = export_key(ctx, user=user, query=request.GET)
    response = KEPT.download(key)
    if response is not None:
        audit_export(request.GET, ctx, str(response.filename))
        return response
    running = (
        jobs_visible_to(user=user)
        .filter(kind=LIST_EXPORT_KIND, created_by_id=user.pk, status__in=[Job.QUEUED, Job.RUNNING])
        .filter(params__key=key)
        .first()
    )
    query = request.GET.urlencode()
    job = running or job_enqueue(
        kind=LIST_EXPORT_KIND,
        label=f"{LISTS[ctx['kind']].title}, {ctx['run'].year} г.: школ {len(ctx['rows'])}",
        params={"kind": ctx["kind"], "query": query, "user_id": user.pk, "key": key},
        user=user,
    )
    return redirect("identification:export_job", kind=ctx["kind"], pk=job.pk)


def list_export_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Write the list as the user who asked sees it (their scope, the query's filters) into the kept
    files, unless the file for the current data is there; the result names the key."""
    from django.contrib.auth import get_user_model

    from shnor.web.identification.views import list_context

    user = get_user_model().objects.filter(pk=params.get("user_id")).first()
    if user is None or not user.is_active:
        raise ValueError("пользователь, заказавший выгрузку, не найден или отключён")
    query = QueryDict(str(params.get("query") or ""))
    stage("отбор школ списка")
    try:
        ctx = list_context(user=user, query=query, kind=str(params.get("kind")))
    except Http404 as exc:
        raise ValueError(f"список недоступен: {exc}") from None
    if ctx["run"] is None:
        raise ValueError("нет завершённого расчёта")
    key = export_key(ctx, user=user, query=query)
    if KEPT.get(key) is None:
        stage(f"запись XLSX (школ: {len(ctx['rows'])})")
        name, body = list_xlsx(rows=ctx["rows"], kind=ctx["kind"], run=ctx["run"], basis=ctx["basis"])
        KEPT.put(key, name=name, mime=XLSX_MIME, body=body)
        return {"key": key, "rows": len(ctx["rows"]), "rendered": True, "size": len(body)}
    return {"key": key, "rows": len(ctx["rows"]), "rendered": False}


@login_required
def export_job_page(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The export's progress (the page polls the job), then the button that downloads the workbook."""
    job = get_object_or_404(jobs_visible_to(user=request.user).filter(kind=LIST_EXPORT_KIND), pk=pk)
    if kind not in LISTS or job.params.get("kind") != kind:
        raise Http404("нет такой выгрузки")
    query = job.params.get("query")
    suffix = f"?{query}" if query else ""
    back = reverse("identification:list", kwargs={"kind": kind}) + suffix
    done = job.status == Job.DONE
    download = reverse("identification:export", kwargs={"kind": kind}) + suffix if done else None
    return render(
        request,
        "identification/list_export_job.html",
        {"job": job, "spec": LISTS[kind], "back": back, "download": download},
    )
