"""Pages of report requests (thin: forms in, services and selectors out) and of the quarterly report."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shnor.core.reports.combined import DOCX_MIME, combined_docx, combined_filename
from shnor.web.accounts.audit import audit_record
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.jobs.services import job_enqueue
from shnor.web.submissions import selectors as sel
from shnor.web.submissions import services
from shnor.web.submissions.forms import PartForm, QuarterForm, RequestForm, ReviewForm
from shnor.web.submissions.jobs import QUARTERLY_KIND
from shnor.web.submissions.models import Kind, ReportRequest, Status, Submission


def today() -> dt.date:
    """The date the pages count lateness from (tests move it)."""
    return timezone.localdate()


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The requests the user made or watches (with counts), the parts to fill in, the reminders."""
    day = today()
    reqs = list(sel.requests_visible_to(user=request.user).select_related("region", "municipality"))
    for r in reqs:
        r.board = sel.board(user=request.user, request=r, today=day)
        r.manage = sel.can_manage(user=request.user, request=r)
    inbox = sel.inbox(user=request.user, today=day)
    return render(
        request,
        "submissions/index.html",
        {
            "requests": [r for r in reqs if r.board["total"]],
            "inbox": inbox,
            "notices": list(sel.notices_for(user=request.user)[:50]),
            "can_request": sel.can_request(user=request.user),
            "today": day,
        },
    )


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """A new request: kind, title, deadline, instruction, recipients."""
    if not sel.can_request(user=request.user):
        raise PermissionDenied("Запрашивать отчёты могут регион и муниципалитет.")
    form = RequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            req = services.request_create(
                actor=request.user,
                kind=d["kind"],
                title=d["title"],
                instruction=d["instruction"],
                deadline=d["deadline"],
                year=d.get("year"),
                remind_days=d.get("remind_days") if d.get("remind_days") is not None else 3,
                schools=d["school_list"],
                municipalities=d["municipality_list"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Запрос отправлен: получателей {req.submissions.count()}.")
            return redirect("submissions:request", pk=req.pk)
    return render(request, "submissions/new.html", {"form": form})


def _request(request: HttpRequest, pk: int) -> ReportRequest:
    return get_object_or_404(
        sel.requests_visible_to(user=request.user).select_related("region", "municipality"), pk=pk
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The status board of a request: every recipient with status and dates; review for the requester."""
    req = _request(request, pk)
    day = today()
    return render(
        request,
        "submissions/request.html",
        {
            "req": req,
            "board": sel.board(user=request.user, request=req, today=day),
            "manage": sel.can_manage(user=request.user, request=req),
            "today": day,
            "review_form": ReviewForm(),
        },
    )


def _part(request: HttpRequest, pk: int) -> Submission:
    return get_object_or_404(
        sel.parts_visible_to(user=request.user).select_related(
            "request__region", "request__municipality", "school", "municipality"
        ),
        pk=pk,
    )


@login_required
def part(request: HttpRequest, pk: int) -> HttpResponse:
    """A recipient's part: fill in, attach, save, submit; its history."""
    sub = _part(request, pk)
    fill = sel.can_fill(user=request.user, submission=sub) and sub.status not in (
        Status.SUBMITTED,
        Status.ACCEPTED,
    )
    form = PartForm(request.POST or None, request.FILES or None, initial={"text": sub.text})
    if request.method == "POST":
        if not fill:
            raise PermissionDenied("Эту часть сейчас изменить нельзя.")
        if form.is_valid():
            try:
                upload = form.cleaned_data.get("file")
                if upload is not None or "submit" not in request.POST:
                    services.submission_save(
                        actor=request.user, submission=sub, text=form.cleaned_data["text"], upload=upload
                    )
                if "submit" in request.POST:
                    services.submission_submit(
                        actor=request.user, submission=sub, today=today(), text=form.cleaned_data["text"]
                    )
                    messages.success(request, "Отчёт отправлен.")
                else:
                    messages.success(request, "Черновик сохранён.")
            except ValidationError as exc:
                _errors(request, exc)
            else:
                return redirect("submissions:part", pk=sub.pk)
    return render(
        request,
        "submissions/part.html",
        {
            "sub": sub,
            "req": sub.request,
            "form": form,
            "fill": fill,
            "manage": sel.can_manage(user=request.user, request=sub.request),
            "events": sub.events.select_related("actor"),
            "today": today(),
            "roadmap_kind": sub.request.kind == Kind.ROADMAP,
            "review_form": ReviewForm(),
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept a submitted part or return it with a comment."""
    sub = _part(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Выберите: принять или вернуть.")
    else:
        try:
            services.submission_review(
                actor=request.user,
                submission=sub,
                accept=form.cleaned_data["decision"] == "accept",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Решение сохранено.")
    return redirect("submissions:request", pk=sub.request_id)


@login_required
def part_file(request: HttpRequest, pk: int, which: str) -> FileResponse:
    """The part's attached file (``file``) or its generated roadmap report (``report``)."""
    sub = _part(request, pk)
    if which not in ("file", "report"):
        raise Http404("нет такого файла")
    field = sub.file if which == "file" else sub.report
    if not field:
        raise Http404("файл не приложен")
    name = sub.file_name if which == "file" else f"Отчёт_о_выполнении_дорожной_карты_{sub.pk}.docx"
    audit_record(action="скачивание", object_type="часть отчёта", object_id=str(sub.pk), object_repr=str(sub))
    return FileResponse(field.open("rb"), as_attachment=True, filename=name)


@login_required
def combined(request: HttpRequest, pk: int) -> HttpResponse:
    """The accepted parts combined into one DOCX (for the requester)."""
    req = _request(request, pk)
    if not sel.can_manage(user=request.user, request=req):
        raise PermissionDenied("Сводный документ формирует тот, кто запросил отчёты.")
    data = sel.combined_data(user=request.user, request=req, today=today())
    audit_record(action="выгрузка", object_type="сводный отчёт", object_id=str(req.pk), object_repr=str(req))
    resp = HttpResponse(combined_docx(data), content_type=DOCX_MIME)
    resp["Content-Disposition"] = content_disposition_header(True, combined_filename(data))
    return resp


@login_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    """Mark the user's reminders read."""
    services.notices_mark_read(actor=request.user)
    return redirect("submissions:index")


# ---------------------------------------------------------------------------------------------
# the quarterly report


def _quarterly_allowed(request: HttpRequest) -> None:
    from shnor.web.submissions.quarterly import report_unit

    report_unit(user=request.user)  # PermissionDenied for school-level roles


@login_required
def quarterly(request: HttpRequest) -> HttpResponse:
    """Choose a year and a quarter; the report is made in the background (DOCX and PDF)."""
    _quarterly_allowed(request)
    day = today()
    form = QuarterForm(request.POST or None, initial={"year": day.year, "quarter": (day.month - 1) // 3 + 1})
    if request.method == "POST" and form.is_valid():
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        folder = (
            Path(settings.HOME)
            / "reports"
            / "quarterly"
            / f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
        )
        job = job_enqueue(
            kind=QUARTERLY_KIND,
            label=f"{quarter} квартал {year} г.",
            params={"year": year, "quarter": quarter, "user_id": request.user.pk, "folder": str(folder)},
            user=request.user,
        )
        audit_record(
            action="квартальный отчёт",
            object_type="фоновая задача",
            object_id=str(job.pk),
            object_repr=job.label,
            changes={"year": year, "quarter": quarter},
        )
        return redirect("submissions:quarterly_job", pk=job.pk)
    jobs = jobs_visible_to(user=request.user).filter(kind=QUARTERLY_KIND, created_by_id=request.user.pk)[:10]
    return render(request, "submissions/quarterly.html", {"form": form, "jobs": jobs})


@login_required
def quarterly_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The report's progress, then its two files."""
    job = get_object_or_404(jobs_visible_to(user=request.user).filter(kind=QUARTERLY_KIND), pk=pk)
    return render(request, "submissions/quarterly_job.html", {"job": job})


@login_required
def quarterly_file(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    """A finished report's DOCX or PDF."""
    job = get_object_or_404(jobs_visible_to(user=request.user).filter(kind=QUARTERLY_KIND), pk=pk)
    name = (job.result or {}).get(fmt) if fmt in ("docx", "pdf") else None
    if not name or job.status != job.DONE:
        raise Http404("отчёт ещё не готов")
    path = Path(str(job.params.get("folder", ""))) / str(name)
    root = (Path(settings.HOME) / "reports" / "quarterly").resolve()
    if not path.resolve().is_relative_to(root) or not path.is_file():
        raise Http404("файл отчёта не найден")
    audit_record(
        action="выгрузка", object_type="квартальный отчёт", object_id=str(job.pk), object_repr=job.label
    )
    return FileResponse(path.open("rb"), as_attachment=True, filename=str(name))
