"""The region's decision on its lists: FIOKO's lists uploaded in the browser, the sources side by side, the
draft edited school by school with reasons, approval by order, versions and their differences, the order
draft (DOCX)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shnor.core.labels import FIOKO_LIST_LABELS
from shnor.web import params
from shnor.web.accounts.scope import scope_of
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.identification import decisions
from shnor.web.identification.fioko_lists import fioko_list_import
from shnor.web.identification.membership import LISTS, SOURCE_LABELS
from shnor.web.identification.models import FiokoList, ListVersion
from shnor.web.identification.order import order_docx
from shnor.web.identification.selectors import runs_done


class FiokoListForm(forms.Form):
    """Upload of one FIOKO list file."""

    file = forms.FileField(label="Файл списка ФИОКО (XLSX или CSV)")
    kind = forms.ChoiceField(
        label="Вид списка",
        required=False,
        choices=[("", "— определить по файлу —"), *FIOKO_LIST_LABELS.items()],
    )
    year = forms.IntegerField(
        label="Год (если его нет в файле)", required=False, min_value=2000, max_value=2100
    )

    def clean_file(self) -> Any:
        """Only .xlsx/.csv, not larger than SHNOR_UPLOAD_MAX_MB."""
        f = self.cleaned_data["file"]
        if Path(f.name).suffix.lower() not in {".xlsx", ".csv"}:
            raise forms.ValidationError("Ожидается файл XLSX или CSV.")
        if f.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"Файл больше {settings.UPLOAD_MAX_MB} МБ.")
        return f


def _region_only(request: HttpRequest) -> None:
    if not scope_of(request.user).region_wide:
        raise PermissionDenied("Решения о списках принимает региональный уровень.")


def _kind(kind: str) -> None:
    if kind not in LISTS:
        raise Http404("нет такого списка")


@login_required
def decisions_index(request: HttpRequest) -> HttpResponse:
    """Every list and year with its state (approved, draft, none), FIOKO's lists and the upload form."""
    _region_only(request)
    form = FiokoListForm()
    if request.method == "POST":
        if not scope_of(request.user).can_import:
            raise PermissionDenied("Загружать списки ФИОКО может аналитик региона.")
        form = FiokoListForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            name = Path(upload.name.replace("\\", "/")).name.replace("\x00", "") or "список.xlsx"
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / name
                with open(path, "wb") as fh:
                    for chunk in upload.chunks():
                        fh.write(chunk)
                outcome = fioko_list_import(
                    path=path,
                    kind=form.cleaned_data["kind"] or None,
                    year=form.cleaned_data["year"],
                    actor=request.user,
                )
            if outcome.ok:
                messages.success(request, outcome.summary)
                for w in outcome.warnings:
                    messages.warning(request, w)
                return redirect("identification:decisions")
            messages.error(request, outcome.summary)
            for e in outcome.errors[:20]:
                messages.error(request, str(e))
    years = sorted(
        set(ListVersion.objects.values_list("year", flat=True))
        | set(FiokoList.objects.values_list("year", flat=True))
        | set(runs_done().values_list("year", flat=True)),
        reverse=True,
    )
    table = []
    for year in years:
        cells = []
        for code, spec in LISTS.items():
            approved = decisions.version_approved(kind=code, year=year)
            draft = decisions.version_draft(kind=code, year=year)
            cells.append({"code": code, "spec": spec, "approved": approved, "draft": draft})
        table.append({"year": year, "cells": cells})
    return render(
        request,
        "identification/decisions.html",
        {
            "form": form,
            "table": table,
            "fioko_lists": FiokoList.objects.all()[:50],
            "can_decide": scope_of(request.user).can_import,
        },
    )


def _shown_version(request: HttpRequest, kind: str, year: int) -> ListVersion | None:
    number = params.integer(request.GET, "version", minimum=1, maximum=10_000, label="версия")
    if number is not None:
        return get_object_or_404(ListVersion, kind=kind, year=year, number=number)
    return decisions.version_draft(kind=kind, year=year) or decisions.version_approved(kind=kind, year=year)


def _rows(
    request: HttpRequest, kind: str, year: int, version: ListVersion | None, sources: list
) -> list[dict]:
    visible = schools_visible_to(user=request.user)
    entries = {e.school_id: e for e in version.entries.all()} if version is not None else {}
    ids = set(entries)
    for s in sources:
        ids |= s.schools
    schools = (
        visible.filter(pk__in=ids).select_related("municipality").order_by("municipality__name", "school_id")
    )
    only_disputed = params.flag(request.GET, "disputed", label="только расхождения")
    q = params.text(request.GET, "q").lower()
    rows = []
    for school in schools:
        if q and q not in school.school_id.lower() and q not in (school.name or "").lower():
            continue
        marks = [school.pk in s.schools for s in sources]
        entry = entries.get(school.pk)
        disputed = len(set(marks)) > 1 or (entry is not None and bool(entry.reason))
        if only_disputed and not disputed:
            continue
        rows.append(
            {
                "school": school,
                "marks": marks,
                "entry": entry,
                "source": SOURCE_LABELS.get(entry.source, "") if entry else "",
                "disputed": disputed,
            }
        )
    return rows


@login_required
def decision(request: HttpRequest, kind: str, year: int) -> HttpResponse:
    """One list for one year: sources side by side, the shown version's decisions, approval, versions."""
    _region_only(request)
    _kind(kind)
    version = _shown_version(request, kind, year)
    sources = decisions.sources_of(kind=kind, year=year)
    rows = _rows(request, kind, year, version, sources)
    versions = list(decisions.versions_of(kind=kind, year=year))
    diff = None
    compare = params.integer(request.GET, "compare", minimum=1, maximum=10_000, label="версия для сравнения")
    if compare is not None and version is not None:
        before = get_object_or_404(ListVersion, kind=kind, year=year, number=compare)
        diff = decisions.versions_diff(before=before, after=version)
    included = version.entries.filter(included=True).count() if version is not None else 0
    return render(
        request,
        "identification/decision.html",
        {
            "kind": kind,
            "spec": LISTS[kind],
            "year": year,
            "version": version,
            "approved": decisions.version_approved(kind=kind, year=year),
            "draft": decisions.version_draft(kind=kind, year=year),
            "versions": versions,
            "sources": sources,
            "rows": rows,
            "included": included,
            "diff": diff,
            "compare": compare,
            "params": request.GET,
            "can_decide": scope_of(request.user).can_import,
        },
    )


def _back(kind: str, year: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("identification:decision", kwargs={"kind": kind, "year": year}) + anchor)


@login_required
@require_POST
def decision_act(request: HttpRequest, kind: str, year: int, action: str) -> HttpResponse:
    """The decision's actions: make a draft, include or exclude a school, approve by order."""
    _region_only(request)
    _kind(kind)
    try:
        if action == "draft":
            v = decisions.draft_create(
                actor=request.user,
                kind=kind,
                year=year,
                basis=params.text(request.POST, "basis") or None,
                reason=params.text(request.POST, "reason", max_length=2000),
            )
            messages.success(request, f"Проект списка (версия {v.number}) составлен")
        elif action == "decide":
            draft = decisions.version_draft(kind=kind, year=year)
            if draft is None:
                raise ValidationError("проекта списка нет: составьте его")
            school = get_object_or_404(
                schools_visible_to(user=request.user),
                school_id=params.text(request.POST, "school_id", required=True, label="логин школы"),
            )
            included = params.choice(
                request.POST, "included", {"1": "включить", "0": "исключить"}, required=True
            )
            entry = decisions.entry_decide(
                actor=request.user,
                version=draft,
                school=school,
                included=included == "1",
                reason=params.text(request.POST, "reason", max_length=2000),
            )
            messages.success(
                request,
                f"{school.school_id}: {'включена в список' if entry.included else 'исключена из списка'}",
            )
            return _back(kind, year, f"#s{school.pk}")
        elif action == "approve":
            draft = decisions.version_draft(kind=kind, year=year)
            if draft is None:
                raise ValidationError("проекта списка нет: утверждать нечего")
            decisions.version_approve(
                actor=request.user,
                version=draft,
                order_number=params.text(request.POST, "order_number", max_length=64),
                order_date=params.date(request.POST, "order_date", label="дата приказа"),
                signatory=params.text(request.POST, "signatory", max_length=300),
            )
            messages.success(request, f"Список утверждён (версия {draft.number})")
        else:
            raise Http404("нет такого действия")
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    return _back(kind, year)


@login_required
def decision_order(request: HttpRequest, year: int) -> HttpResponse:
    """The DOCX draft of the region's order approving the year's lists (each list's shown version)."""
    _region_only(request)
    name, body = order_docx(year=year, user=request.user)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
