"""Pages of the bank of practices: the search with filters, one practice (files, moderation, adoption with
the results around it), the submit and edit forms, the region's moderation queue and the XLSX export.

Thin: every practice comes through a scoped selector (404 outside what the user sees); the rights and the
rules are the services'."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shnor.web.practices import forms as f
from shnor.web.practices import selectors as sel
from shnor.web.practices import services
from shnor.web.practices.exports import bank_xlsx
from shnor.web.practices.models import Adoption, Practice, PracticeFile, Status


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


def _practice(request: HttpRequest, pk: int) -> Practice:
    return get_object_or_404(sel.practices_visible(user=request.user), pk=pk)


def _filters(form: f.SearchForm) -> sel.Filters:
    if not form.is_valid():
        return sel.Filters()
    d = form.cleaned_data
    return sel.Filters(
        q=d.get("q") or "",
        kind=d.get("kind") or "",
        subject=d.get("subject") or "",
        grade=d.get("grade"),
        factor=d.get("factor") or "",
        tag=d.get("tag") or "",
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The bank: search box, filters, published practices (ranked when searched) and the user's own."""
    form = f.SearchForm(request.GET or None)
    filters = _filters(form)
    rows = sel.bank_search(user=request.user, filters=filters)
    return render(
        request,
        "practices/index.html",
        {
            "form": form,
            "filters": filters,
            "rows": rows,
            "mine": sel.practices_mine(user=request.user)[:50],
            "tags": sel.practice_tags()[:200],
            "can_author": services.can_author(request.user),
            "can_moderate": services.can_moderate(request.user),
            "factor_titles": services.search.factor_titles(),
        },
    )


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """A new practice (a draft), by a school or a region user."""
    if not services.can_author(request.user):
        raise PermissionDenied("практики предлагают школы (свои) и региональные пользователи")
    form = f.PracticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            p = services.practice_save(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Черновик сохранён. Добавьте файлы и отправьте практику на модерацию.")
            return redirect("practices:practice", pk=p.pk)
    return render(request, "practices/form.html", {"form": form, "practice": None})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft or a rejected practice."""
    p = _practice(request, pk)
    if not services.can_edit(request.user, p):
        raise PermissionDenied("изменять можно только свой черновик или отклонённую практику")
    form = f.PracticeForm(request.POST or None, initial=f.PracticeForm.initial_of(p))
    if request.method == "POST" and form.is_valid():
        try:
            services.practice_save(actor=request.user, data=form.cleaned_data, practice=p)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Изменения сохранены.")
            return redirect("practices:practice", pk=p.pk)
    return render(request, "practices/form.html", {"form": form, "practice": p})


@login_required
def practice(request: HttpRequest, pk: int) -> HttpResponse:
    """One practice: description, tags, files and links, moderation, adopting schools and their results."""
    p = _practice(request, pk)
    user = request.user
    return render(
        request,
        "practices/practice.html",
        {
            "p": p,
            "files": p.files.all(),
            "factor_titles": services.search.factor_titles(),
            "can_edit": services.can_edit(user, p),
            "can_moderate": services.can_moderate(user, p) and p.status == Status.MODERATION,
            "can_adopt": services.can_adopt(user) and p.status == Status.PUBLISHED,
            "can_delete": services.can_edit(user, p) or services.can_moderate(user, p),
            "adoptions": sel.adoptions_for(user=user, practice=p),
            "my_adoption": sel.adoption_of(user=user, practice=p),
            "file_form": f.FileForm(),
            "moderate_form": f.ModerateForm(),
            "adopt_form": f.AdoptForm(),
        },
    )


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Send to moderation."""
    p = _practice(request, pk)
    services.practice_submit(actor=request.user, practice=p)
    messages.success(request, "Практика отправлена на модерацию в регион.")
    return redirect("practices:practice", pk=p.pk)


@login_required
@require_POST
def moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """The moderator publishes or rejects."""
    p = _practice(request, pk)
    form = f.ModerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Выберите решение: опубликовать или отклонить.")
        return redirect("practices:practice", pk=p.pk)
    publish = form.cleaned_data["decision"] == "publish"
    try:
        services.practice_moderate(
            actor=request.user, practice=p, publish=publish, comment=form.cleaned_data["comment"]
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request, "Практика опубликована." if publish else "Практика отклонена, автор увидит комментарий."
        )
    return redirect("practices:practice", pk=p.pk)


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a draft or a rejected practice (or any of the region's, by its moderator)."""
    p = _practice(request, pk)
    try:
        services.practice_delete(actor=request.user, practice=p)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("practices:practice", pk=p.pk)
    messages.success(request, "Практика удалена.")
    return redirect("practices:index")


@login_required
@require_POST
def file_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a file or a link."""
    p = _practice(request, pk)
    form = f.FileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.file_add(
                actor=request.user,
                practice=p,
                upload=form.cleaned_data.get("file"),
                url=form.cleaned_data.get("url") or "",
                title=form.cleaned_data.get("title") or "",
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Материал добавлен.")
    else:
        messages.error(request, "Файл или ссылка не приняты: проверьте поля формы.")
    return redirect("practices:practice", pk=p.pk)


def _file(request: HttpRequest, pk: int) -> PracticeFile:
    item = get_object_or_404(PracticeFile.objects.select_related("practice"), pk=pk)
    if not sel.practices_visible(user=request.user).filter(pk=item.practice_id).exists():
        raise Http404("нет такого материала")
    return item


@login_required
def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A practice's file, for whoever sees the practice."""
    item = _file(request, pk)
    if not item.file:
        raise Http404("это ссылка, а не файл")
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.original_name or "file")


@login_required
@require_POST
def file_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a file or a link."""
    item = _file(request, pk)
    services.file_delete(actor=request.user, item=item)
    messages.success(request, "Материал удалён.")
    return redirect("practices:practice", pk=item.practice_id)


@login_required
@require_POST
def adopt(request: HttpRequest, pk: int) -> HttpResponse:
    """The school marks «внедряем практику»."""
    p = _practice(request, pk)
    form = f.AdoptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Поле «Год начала внедрения»: укажите год числом, например 2024.")
        return redirect("practices:practice", pk=p.pk)
    try:
        services.adoption_mark(
            actor=request.user, practice=p, year=form.cleaned_data["year"], note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Отмечено: школа внедряет практику.")
    return redirect("practices:practice", pk=p.pk)


@login_required
@require_POST
def unadopt(request: HttpRequest, pk: int) -> HttpResponse:
    """The school withdraws its mark."""
    a = get_object_or_404(
        Adoption.objects.visible_to(request.user).select_related("practice", "school"), pk=pk
    )
    services.adoption_remove(actor=request.user, adoption=a)
    messages.success(request, "Отметка о внедрении снята.")
    return redirect("practices:practice", pk=a.practice_id)


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    """The region's queue: practices waiting for a decision."""
    if not services.can_moderate(request.user):
        raise PermissionDenied("очередь модерации доступна аналитикам региона")
    return render(request, "practices/moderation.html", {"rows": sel.moderation_queue(user=request.user)})


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The published bank (with the search's filters) as XLSX."""
    filters = _filters(f.SearchForm(request.GET or None))
    rows = sel.bank_search(user=request.user, filters=filters, limit=10000)
    name, content = bank_xlsx(rows=rows)
    resp = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = content_disposition_header(True, name)
    return resp
