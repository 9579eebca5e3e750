"""Pages of the region's settings (``/settings/``): the indicator set with targets, roadmap templates
(built-in, the region's own, made in the browser or imported from an order appendix's table) and the
risk questionnaire; every document with its versions. Region analysts edit; observers and
municipality coordinators read; other roles get 403. Thin: the services check and store."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shnor.core.methods import indicators as ind
from shnor.core.roadmaps.template_import import COLUMN_TITLES, error_text, table_read
from shnor.core.roadmaps.templates import LEVEL_TITLES, TemplateError, template_get
from shnor.web.regionconf import forms as f
from shnor.web.regionconf import selectors as sel
from shnor.web.regionconf import services
from shnor.web.regionconf.models import Kind
from shnor.web.registry.models import Region
from shnor.web.uploads import MB, upload_check

_SESSION = "regionconf_import"
#: An appendix table: a spreadsheet or a Word document (both are ZIP files).
ALLOWED = {".xlsx": (b"PK\x03\x04",), ".docx": (b"PK\x03\x04",)}


def _region(request: HttpRequest) -> Region:
    if not sel.can_view(request.user):
        raise PermissionDenied("настройки региона видят региональные роли и муниципалитеты")
    region = sel.region_of(request.user)
    if region is None:
        raise Http404("нет региона в вашей области видимости")
    return region


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def _edit(request: HttpRequest) -> None:
    if not sel.can_edit(request.user):
        raise PermissionDenied("изменять настройки региона может только региональный аналитик")


def _saved(request: HttpRequest, version: Any, created: bool) -> None:
    if created:
        messages.success(request, f"Сохранено: {version.label}")
    else:
        messages.info(request, "Изменений нет: действующая версия не менялась")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """What the region has set: the indicator set, its templates and its questionnaire, with versions."""
    region = _region(request)
    _, ind_v = sel.indicator_overrides(region=region)
    _, q_v = sel.questionnaire_data(region=region)
    return render(
        request,
        "regionconf/index.html",
        {
            "region": region,
            "indicators_version": ind_v,
            "questionnaire_version": q_v,
            "own": sel.region_templates(region=region, include_archived=True),
            "can_edit": sel.can_edit(request.user),
        },
    )


@login_required
def indicators(request: HttpRequest) -> HttpResponse:
    """The indicator set: switch on/off, wording, targets per year and direction; save with a reason."""
    region = _region(request)
    rows = sel.indicators_all(region=region)
    if request.method == "POST":
        _edit(request)
        overrides, _ = sel.indicator_overrides(region=region)
        bases = {str(s["code"]): dict(s) for s in ind.default_config().get("indicator", [])}
        bases |= {str(a["code"]): dict(a) for a in overrides.get("added", [])}
        try:
            edits = f.indicator_edits_from_post(request.POST, rows, bases)
            version, created = services.indicators_save(
                actor=request.user, region=region, edits=edits, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            _saved(request, version, created)
            return redirect("regionconf:indicators")
    _, version = sel.indicator_overrides(region=region)
    return render(
        request,
        "regionconf/indicators.html",
        {
            "region": region,
            "rows": rows,
            "version": version,
            "better": list(ind.BETTER.items()),
            "add_form": f.IndicatorAddForm() if sel.can_edit(request.user) else None,
            "can_edit": sel.can_edit(request.user),
        },
    )


@login_required
@require_POST
def indicator_add(request: HttpRequest) -> HttpResponse:
    """Add the region's own manual indicator."""
    region = _region(request)
    _edit(request)
    form = f.IndicatorAddForm(request.POST)
    if not form.is_valid():
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, f"Показатель не добавлен: {e}")
        return redirect("regionconf:indicators")
    d = form.cleaned_data
    try:
        version, created = services.indicator_add(
            actor=request.user,
            region=region,
            section=d["section"],
            name=d["name"],
            formula=d["formula"],
            unit=d["unit"],
            levels=d["levels"],
            aggregate=d["aggregate"],
            targets=d["targets"],
            better=d["better"],
            reason=d["reason"],
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        _saved(request, version, created)
    return redirect("regionconf:indicators")


@login_required
def templates(request: HttpRequest) -> HttpResponse:
    """Built-in templates (the seeds' plans) and the region's own."""
    region = _region(request)
    return render(
        request,
        "regionconf/templates.html",
        {
            "region": region,
            "builtin": sel.builtin_templates(),
            "own": sel.region_templates(region=region, include_archived=True),
            "levels": LEVEL_TITLES,
            "can_edit": sel.can_edit(request.user),
        },
    )


def _template_rows(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [dict(a) for a in activities]
    rows += [{} for _ in range(f.EMPTY_ROWS)]
    return [{"i": i, **r} for i, r in enumerate(rows)]


@login_required
def template_edit(request: HttpRequest, key: str = "") -> HttpResponse:
    """A region's template: its head and its activity table; a new one may start from a built-in."""
    region = _region(request)
    own = {r["key"]: r for r in sel.region_templates(region=region, include_archived=True)}
    if key and key not in own:
        raise Http404("нет такого шаблона региона")
    if key:
        data = dict(own[key]["version"].data)
    else:
        src = request.GET.get("from", "")
        try:
            base = template_get(src) if src in {t.key for t in sel.builtin_templates()} else None
        except TemplateError:
            base = None
        data = {
            "title": f"{base.title} (региональная редакция)" if base else "",
            "level": base.level if base else "school",
            "calendar": base.calendar if base else "school_year",
            "year": base.year if base else 2025,
            "activities": [
                {
                    k: v
                    for k, v in {
                        "number": a.number,
                        "section": a.section,
                        "title": a.title,
                        "period": a.period,
                        "executor": a.executor,
                        "expected_result": a.expected_result,
                        "output_document": a.output_document,
                    }.items()
                    if v
                }
                for a in (base.activities if base else ())
            ],
        }
    head = f.TemplateHeadForm(request.POST or None, initial={**data, "reason": ""})
    activities = data.get("activities", [])
    if request.method == "POST":
        _edit(request)
        try:
            activities = f.activities_from_post(request.POST)
            if not head.is_valid():
                raise ValidationError(
                    [f"{head.fields[k].label}: {e}" for k, es in head.errors.items() for e in es]
                )
            version, created = services.template_save(
                actor=request.user,
                region=region,
                key=key or None,
                data=f.template_data(head.cleaned_data, activities),
                reason=head.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            _saved(request, version, created)
            return redirect("regionconf:template", key=version.key)
    return render(
        request,
        "regionconf/template_edit.html",
        {
            "region": region,
            "key": key,
            "head": head,
            "rows": _template_rows(activities),
            "version": own[key]["version"] if key else None,
            "can_edit": sel.can_edit(request.user),
        },
    )


@login_required
def template_import(request: HttpRequest) -> HttpResponse:
    """Upload an appendix table, see what was read (rows and errors), then save it as a template."""
    region = _region(request)
    _edit(request)
    own = [
        (r["key"], r["template"].title) for r in sel.region_templates(region=region, include_archived=True)
    ]
    form = f.ImportForm(own=own)
    preview = None
    if request.method == "POST" and "confirm" in request.POST:
        stored = request.session.get(_SESSION) or {}
        if not stored.get("data") or stored.get("token") != request.POST.get("token"):
            messages.error(request, "Просмотр устарел: загрузите файл ещё раз")
            return redirect("regionconf:template_import")
        try:
            version, created = services.template_save(
                actor=request.user,
                region=region,
                key=stored.get("target") or None,
                data=stored["data"],
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            _errors(request, exc)
            preview = stored
        else:
            request.session.pop(_SESSION, None)
            _saved(request, version, created)
            return redirect("regionconf:template", key=version.key)
    elif request.method == "POST":
        form = f.ImportForm(request.POST, request.FILES, own=own)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                name, _ = upload_check(upload, max_bytes=10 * MB, allowed=ALLOWED)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                read = table_read(upload.read(), name)
                d = form.cleaned_data
                preview = {
                    "token": secrets.token_urlsafe(16),
                    "file": name,
                    "errors": [error_text(e) for e in read.errors],
                    "columns": [(COLUMN_TITLES[k], v) for k, v in read.columns.items()],
                    "target": d["target"],
                    "data": {
                        "title": d["title"],
                        "level": d["level"],
                        "calendar": "school_year",
                        "year": d["year"],
                        "source": f"файл {name}",
                        "default": False,
                        "archived": False,
                        "activities": read.activities,
                    },
                }
                if not read.errors:
                    request.session[_SESSION] = preview
    return render(
        request,
        "regionconf/template_import.html",
        {"region": region, "form": form, "preview": preview, "levels": LEVEL_TITLES},
    )


@login_required
def questionnaire(request: HttpRequest) -> HttpResponse:
    """The risk questionnaire: threshold, answer labels, factors and questions; save with a reason."""
    region = _region(request)
    data, version = sel.questionnaire_data(region=region)
    if request.method == "POST":
        _edit(request)
        try:
            new = f.questionnaire_from_post(request.POST, data)
            version, created = services.questionnaire_save(
                actor=request.user, region=region, data=new, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            _saved(request, version, created)
            return redirect("regionconf:questionnaire")
    factors = {x["code"]: x["title"] for x in data.get("factors", [])}
    groups = {k: dict(v).get("title", k) for k, v in dict(data.get("groups", {})).items()}
    questions = [
        {**q, "group_title": groups.get(q["group"], ""), "factor_title": factors.get(q["factor"], "")}
        for q in data.get("questions", [])
    ]
    return render(
        request,
        "regionconf/questionnaire.html",
        {
            "region": region,
            "data": data,
            "version": version,
            "labels": list(enumerate(dict(data.get("scale", {})).get("labels", []))),
            "values": dict(data.get("scale", {})).get("values", []),
            "factors": list(factors.items()),
            "groups": list(groups.items()),
            "questions": questions,
            "can_edit": sel.can_edit(request.user),
        },
    )


_KINDS = {k.value: k for k in Kind}


@login_required
def history(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """Every version of a document, newest first, with author, time and reason."""
    _region(request)
    if kind not in _KINDS:
        raise Http404("нет такого вида настроек")
    versions = sel.history(user=request.user, kind=kind, key=key)
    if not versions:
        raise Http404("у этого документа ещё нет версий")
    return render(
        request,
        "regionconf/history.html",
        {"kind": _KINDS[kind], "versions": versions, "can_edit": sel.can_edit(request.user)},
    )


@login_required
def version(request: HttpRequest, pk: int) -> HttpResponse:
    """One version as it was: its content in readable form."""
    region = _region(request)
    v = get_object_or_404(sel.versions_visible_to(user=request.user).filter(region=region), pk=pk)
    return render(
        request,
        "regionconf/version.html",
        {
            "v": v,
            "lines": services.version_changes(v),
            "can_edit": sel.can_edit(request.user),
        },
    )


@login_required
@require_POST
def version_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Make an earlier version active again (saved as the newest one)."""
    region = _region(request)
    _edit(request)
    v = get_object_or_404(sel.versions_visible_to(user=request.user).filter(region=region), pk=pk)
    try:
        new, created = services.version_restore(
            actor=request.user, version=v, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        _saved(request, new, created)
    return redirect("regionconf:history", kind=v.kind, key=v.key)
