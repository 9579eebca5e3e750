"""The case dossier (DOCX, PDF) as a background job, the shape of the deficit PDF's: on the demo region a
flagged school's dossier takes 7–12 s (its signs' evidence and charts), so the request only starts a job and
shows its progress; the finished file is kept per (case, format, data version) and later requests for the
same dossier download it at once.

The dossier does not depend on who asks (access is the case's visibility), so the kept file serves every
user who may see the case. The data version is a fingerprint of what the dossier reads: the case itself
(status, verdict, decision), its answers and history, the year's re-checked works (the school's and the
control schools'), the controlled procedures of the school and year, the school's and municipality's
names, and the case's run (a run's outcomes are written once, so the run stands for them by its number,
status and finish time). An answer, a decision or a new re-check gives a new version, hence a new file,
which replaces the older one (one file per case and format is kept).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from shnor.web.accounts.scope import User
from shnor.web.cases import selectors as sel
from shnor.web.cases.models import (
    CaseAnswer,
    CaseEvent,
    ControlledProcedure,
    ObjectivityCase,
    RecheckWork,
)
from shnor.web.jobs.kept import KeptFiles
from shnor.web.jobs.kinds import Stage
from shnor.web.jobs.models import Job
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.jobs.services import job_enqueue

#: the job kind (shown as is on the jobs page, like other apps' Russian kinds)
DOSSIER_KIND = "Досье дела о необъективности"


def _rows(qs: Any) -> list[Any]:
    fields = [f.attname for f in qs.model._meta.concrete_fields]
    return list(qs.order_by("pk").values_list(*fields))


def dossier_key(*, case: ObjectivityCase, fmt: str) -> str:
    """The kept file's key of ``case``'s dossier in ``fmt`` on the current data (see the module's text)."""
    case = ObjectivityCase.objects.select_related("school__municipality", "run").get(pk=case.pk)
    school, run = case.school, case.run
    parts = [
        fmt,
        _rows(ObjectivityCase.objects.filter(pk=case.pk)),
        _rows(CaseAnswer.objects.filter(case=case)),
        _rows(CaseEvent.objects.filter(case=case)),
        _rows(RecheckWork.objects.filter(year=case.year)),  # the school's works and the control works
        _rows(ControlledProcedure.objects.filter(school=school, year=case.year)),
        [school.school_id, school.name, school.municipality.name if school.municipality else ""],
        [run.pk, run.status, run.finished_at] if run is not None else None,
    ]
    version = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]
    return f"c{case.pk}-{fmt}-{version}"


#: the kept dossiers (a key: the case, the format and the data version's hash)
KEPT = KeptFiles("dossiers", re.compile(r"^c\d+-(docx|pdf)-[0-9a-f]{24}$"))


def dossier_job(params: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """Build one case's dossier as the user who asked (the case must be visible to them) into the kept
    files, unless the file for the current data is already there; the result names the key."""
    from django.contrib.auth import get_user_model

    from shnor.web.cases.dossier import dossier_build, dossier_export

    user = get_user_model().objects.filter(pk=params.get("user_id")).first()
    if user is None or not user.is_active:
        raise ValueError("пользователь, заказавший досье, не найден или отключён")
    case = sel.cases_visible(user=user).filter(pk=params.get("case_id")).first()
    fmt = str(params.get("format"))
    if case is None or fmt not in ("docx", "pdf"):
        raise ValueError("дело недоступно пользователю или формат не DOCX и не PDF")
    stage("проверка версии данных")
    key = dossier_key(case=case, fmt=fmt)
    kept = KEPT.get(key)
    if kept is None:
        stage("признаки, перепроверка, ответы и решение")
        dossier = dossier_build(case)
        stage(f"вёрстка {fmt.upper()}")
        content, name, mime = dossier_export(dossier, fmt)
        KEPT.put(key, name=name, mime=mime, body=content)
        return {"key": key, "case_id": case.pk, "format": fmt, "rendered": True, "size": len(content)}
    size = kept[0].stat().st_size
    return {"key": key, "case_id": case.pk, "format": fmt, "rendered": False, "size": size}


def dossier_response(request: HttpRequest, *, case: ObjectivityCase, fmt: str) -> HttpResponse:
    """The dossier at once when it is kept for the current data, else a job (one per user, case and format
    while it waits or runs) and its progress page. A download refreshes the kept file's age; a file removed
    meanwhile is made again."""
    response = KEPT.download(dossier_key(case=case, fmt=fmt))
    if response is not None:
        return response
    user: User = request.user
    running = (
        jobs_visible_to(user=user)
        .filter(kind=DOSSIER_KIND, created_by_id=user.pk, status__in=[Job.QUEUED, Job.RUNNING])
        .filter(params__case_id=case.pk, params__format=fmt)
        .first()
    )
    job = running or job_enqueue(
        kind=DOSSIER_KIND,
        label=f"{case.school.name}, {case.year} г. ({fmt.upper()})",
        params={"case_id": case.pk, "format": fmt, "user_id": user.pk},
        user=user,
    )
    return redirect("cases:dossier_job", pk=case.pk, job=job.pk)


__all__ = ["DOSSIER_KIND", "dossier_job", "dossier_key", "dossier_response"]
