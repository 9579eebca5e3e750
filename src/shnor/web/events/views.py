"""Pages of events: the list with filters, a new event, an event (target vs attended schools, the chart,
the grid of schools to tick, participants, materials, the import of a platform's export with the preview of
unmatched organisations), a material's download.

Thin: every object comes through a scoped selector (404 outside the user's scope); rights and rules are
the services'."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shnor.core.ingest.errors import IngestError
from shnor.web import params
from shnor.web.events import forms as f
from shnor.web.events import imports, services
from shnor.web.events import selectors as sel
from shnor.web.events.labels import TARGET_CHOICES, Kind
from shnor.web.events.models import Event, Material, Participant
from shnor.web.uploads import DOCUMENTS, upload_check, upload_name

MAX_IMPORT = 10 * 1024 * 1024
_SESSION = "events_import_"


def _errors(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    for m in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, m)


def _event(request: HttpRequest, pk: int) -> Event:
    return get_object_or_404(sel.events_visible(user=request.user), pk=pk)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The visible events, filtered by kind, period and municipality."""
    kind = params.choice(request.GET, "kind", dict(Kind.choices), label="вид мероприятия")
    start = params.date(request.GET, "start", label="период с")
    end = params.date(request.GET, "end", label="период по")
    muns = sel.municipalities_of(user=request.user)
    mun = params.choice(
        request.GET, "municipality", {str(pk): name for pk, name in muns}, label="муниципалитет"
    )
    rows = sel.events_filtered(
        user=request.user, kind=kind, start=start, end=end, municipality_id=int(mun) if mun else None
    )
    events = []
    for ev in rows[:300]:
        events.append({"event": ev, **sel.event_stats(sel.event_rows(user=request.user, event=ev))})
    return render(
        request,
        "events/index.html",
        {
            "events": events,
            "kinds": Kind.choices,
            "kind": kind,
            "start": start,
            "end": end,
            "municipalities": muns,
            "municipality": mun,
            "may_create": sel.can_create(user=request.user),
        },
    )


def _save_event(request: HttpRequest, form: f.EventForm, event: Event | None) -> Event | None:
    d = form.cleaned_data
    try:
        schools = services.targets_choose(
            actor=request.user,
            rule=d["target_rule"],
            year=d.get("year"),
            municipality=d.get("municipality"),
            picked=d.get("schools") or [],
        )
        rule = dict(TARGET_CHOICES)[d["target_rule"]]
        if d.get("year") and d["target_rule"] not in ("municipality", "picked"):
            rule = f"{rule} ({d['year']})"
        fields = {
            "kind": d["kind"],
            "title": d["title"],
            "starts_at": form.starts_at(),
            "duration_minutes": d.get("duration_minutes"),
            "place": d.get("place") or "",
            "description": d.get("description") or "",
            "organiser_level": d["organiser_level"],
            "organiser_name": d["organiser_name"],
            "target_rule": rule,
        }
        if event is None:
            return services.event_create(
                actor=request.user, schools=schools, activities=d.get("activities") or [], **fields
            )
        return services.event_update(
            actor=request.user, event=event, schools=schools, activities=d.get("activities") or [], **fields
        )
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
        return None


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Create an event (region and municipality)."""
    if not sel.can_create(user=request.user):
        raise PermissionDenied("создавать мероприятия могут регион и муниципалитет")
    initial = {"year": dt.date.today().year - 1, "time": "10:00", "target_rule": "lists"}
    form = f.EventForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        ev = _save_event(request, form, None)
        if ev is not None:
            messages.success(request, f"Мероприятие создано: {ev}")
            return redirect("events:detail", pk=ev.pk)
    return render(request, "events/edit.html", {"form": form, "event": None})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an event (its organiser or the region)."""
    ev = _event(request, pk)
    if not sel.can_edit(user=request.user, event=ev):
        raise PermissionDenied("изменять это мероприятие вам не разрешено")
    local = timezone.localtime(ev.starts_at)
    initial = {
        "kind": ev.kind,
        "title": ev.title,
        "day": local.date(),
        "time": local.time().strftime("%H:%M"),
        "duration_minutes": ev.duration_minutes,
        "place": ev.place,
        "description": ev.description,
        "organiser_level": ev.organiser_level,
        "organiser_name": ev.organiser_name,
        "target_rule": "picked",
        "schools": list(ev.target_schools.all()),
        "activities": list(ev.activities.all()),
    }
    form = f.EventForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save_event(request, form, ev)
        if saved is not None:
            messages.success(request, "Мероприятие сохранено")
            return redirect("events:detail", pk=ev.pk)
    return render(request, "events/edit.html", {"form": form, "event": ev})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An event: its schools with attendance, the chart, participants, materials; the forms of its rights."""
    ev = _event(request, pk)
    rows = sel.event_rows(user=request.user, event=ev)
    markable = sel.schools_markable(user=request.user, event=ev)
    markable_ids = set(markable.values_list("pk", flat=True))
    return render(
        request,
        "events/detail.html",
        {
            "event": ev,
            "rows": rows,
            "stats": sel.event_stats(rows),
            "figure": sel.event_chart(rows=rows) if rows else None,
            "participants": sel.participants_of(user=request.user, event=ev),
            "materials": ev.materials.all(),
            "activities": ev.activities.visible_to(request.user).select_related("roadmap"),
            "markable": markable_ids,
            "may_edit": sel.can_edit(user=request.user, event=ev),
            "may_import": sel.can_import(user=request.user, event=ev),
            "participant_form": f.ParticipantForm(schools=markable) if markable_ids else None,
            "material_form": f.MaterialForm(),
            "import_form": f.ImportForm(),
        },
    )


@login_required
@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the ticks of the grid of schools."""
    ev = _event(request, pk)
    ids = [
        params.integer({"school": v}, "school", minimum=1, label="школа")
        for v in request.POST.getlist("school")
    ]
    try:
        done = services.attendance_set(actor=request.user, event=ev, attended=[i for i in ids if i])
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(
            request, f"Участие сохранено: отмечено школ — {done['added']}, снято — {done['removed']}"
        )
    return redirect("events:detail", pk=ev.pk)


@login_required
@require_POST
def participant_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a person who took part."""
    ev = _event(request, pk)
    form = f.ParticipantForm(request.POST, schools=sel.schools_markable(user=request.user, event=ev))
    if not form.is_valid():
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
        return redirect("events:detail", pk=ev.pk)
    d = form.cleaned_data
    try:
        services.participant_add(
            actor=request.user, event=ev, school=d["school"], full_name=d["full_name"], position=d["position"]
        )
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"Участник добавлен: {d['full_name']}")
    return redirect("events:detail", pk=ev.pk)


@login_required
@require_POST
def participant_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a person from the participants."""
    person = get_object_or_404(Participant.objects.visible_to(request.user).select_related("event"), pk=pk)
    event_pk = person.event_id
    try:
        services.participant_remove(actor=request.user, participant=person)
    except PermissionDenied as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Участник удалён")
    return redirect("events:detail", pk=event_pk)


@login_required
@require_POST
def material_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a file or a link."""
    ev = _event(request, pk)
    form = f.MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
        return redirect("events:detail", pk=ev.pk)
    d = form.cleaned_data
    try:
        services.material_add(
            actor=request.user, event=ev, title=d["title"], upload=d.get("file"), url=d.get("url") or ""
        )
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Материал добавлен")
    return redirect("events:detail", pk=ev.pk)


@login_required
def material(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a material's file (scoped through its event)."""
    m = get_object_or_404(Material.objects.visible_to(request.user), pk=pk)
    if not m.file:
        raise Http404("у материала нет файла")
    resp = FileResponse(m.file.open("rb"), content_type="application/octet-stream")
    resp["Content-Disposition"] = content_disposition_header(True, m.original_name or "material")
    return resp


def _upload_store(upload: Any) -> tuple[str, Path]:
    token = secrets.token_hex(8)
    folder = Path(settings.HOME) / "uploads" / f"events-{token}"
    folder.mkdir(parents=True)
    target = folder / imports_name(upload)
    with open(target, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return token, target


def imports_name(upload: Any) -> str:
    """The upload's own file name (no folders)."""
    return upload_name(upload) or "participants.csv"


def _outcome(request: HttpRequest, outcome: Any) -> None:
    (messages.success if outcome.ok else messages.error)(request, outcome.summary)
    for e in outcome.errors[:20]:
        messages.error(request, str(e))
    if len(outcome.errors) > 20:
        messages.error(request, f"… и ещё ошибок: {len(outcome.errors) - 20}")


@login_required
@require_POST
def import_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Load a platform's participants export: imported at once when every school is found, else the
    preview of the unmatched organisations."""
    ev = _event(request, pk)
    if not sel.can_import(user=request.user, event=ev):
        raise PermissionDenied("загружать участников этого мероприятия вам не разрешено")
    form = f.ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Выберите файл выгрузки участников")
        return redirect("events:detail", pk=ev.pk)
    upload = form.cleaned_data["file"]
    allowed = {k: v for k, v in DOCUMENTS.items() if k in (".csv", ".xlsx")}
    try:
        upload_check(upload, max_bytes=MAX_IMPORT, allowed=allowed)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("events:detail", pk=ev.pk)
    token, path = _upload_store(upload)
    try:
        plan = imports.plan_read(path=path, user=request.user, event=ev, name=path.name)
    except IngestError as exc:
        messages.error(request, str(exc))
        return redirect("events:detail", pk=ev.pk)
    if plan.unmatched and not plan.errors:
        request.session[_SESSION + token] = {"event": ev.pk, "path": str(path), "name": path.name}
        return redirect("events:import_resolve", pk=ev.pk, token=token)
    _outcome(request, imports.attendance_import(path=path, actor=request.user, event=ev, name=path.name))
    return redirect("events:detail", pk=ev.pk)


@login_required
def import_resolve(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The unmatched organisations of a loaded export: the user picks a school for each or leaves it out."""
    ev = _event(request, pk)
    if not sel.can_import(user=request.user, event=ev):
        raise PermissionDenied("загружать участников этого мероприятия вам не разрешено")
    stored = request.session.get(_SESSION + token)
    if not stored or stored.get("event") != ev.pk:
        raise Http404("загрузка не найдена: загрузите файл ещё раз")
    path = Path(stored["path"])
    plan = imports.plan_read(path=path, user=request.user, event=ev, name=stored["name"])
    groups = plan.unmatched
    if request.method == "POST":
        mapping = {
            key: params.text(request.POST, f"org-{i}", label=f"школа для «{org}»")
            for i, (key, org, _n) in enumerate(groups)
        }
        outcome = imports.attendance_import(
            path=path, actor=request.user, event=ev, name=stored["name"], mapping=mapping
        )
        _outcome(request, outcome)
        if outcome.status != "refused":
            request.session.pop(_SESSION + token, None)
            return redirect("events:detail", pk=ev.pk)
    matched = sum(1 for _r, s in plan.rows if s is not None)
    return render(
        request,
        "events/import_resolve.html",
        {
            "event": ev,
            "groups": [(i, org, n) for i, (_k, org, n) in enumerate(groups)],
            "schools": sel.schools_markable(user=request.user, event=ev),
            "matched": matched,
            "total": len(plan.rows),
            "file": stored["name"],
            "skip": imports.SKIP,
        },
    )
