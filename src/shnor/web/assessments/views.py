"""Browser imports: upload a ВПР file → a background job running ``vpr_file_import``; the job page shows the
result. A new version of a live file is shown as a difference first and replaces it only when confirmed;
earlier versions are listed with the live ones and can be brought back."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shnor.core.ingest.errors import IngestError
from shnor.core.store.schema import SUBJECTS
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import scope_of
from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.services import warehouse
from shnor.web.assessments.versions import batch_restore, slot_live, slot_of, slot_versions, version_diff
from shnor.web.jobs.models import Job
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.jobs.services import job_enqueue


class VprUploadForm(forms.Form):
    """A ВПР result file; year, subject and grade are taken from the file name when left empty."""

    file = forms.FileField(label="Файл ВПР (XLSX или CSV из ФИС ОКО)")
    year = forms.IntegerField(label="Год", required=False, min_value=2015, max_value=2100)
    subject = forms.ChoiceField(
        label="Предмет", required=False, choices=[("", "— из имени файла —"), *SUBJECTS.items()]
    )
    grade = forms.IntegerField(label="Класс", required=False, min_value=1, max_value=11)
    max_rejected = forms.FloatField(
        label="Допустимая доля отклонённых строк, %", initial=5, min_value=0, max_value=100
    )

    def clean_file(self):
        """Only .xlsx/.xls/.csv, and not larger than SHNOR_UPLOAD_MAX_MB."""
        f = self.cleaned_data["file"]
        if Path(f.name).suffix.lower() not in {".xlsx", ".xls", ".csv"}:
            raise forms.ValidationError("Ожидается файл XLSX, XLS или CSV.")
        if f.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"Файл больше {settings.UPLOAD_MAX_MB} МБ.")
        return f


def _store_upload(upload) -> Path:
    name = Path(upload.name.replace("\\", "/")).name.replace("\x00", "") or "upload.xlsx"
    folder = Path(settings.HOME) / "uploads" / f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    target = folder / name
    with open(target, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return target


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    """The import page: the upload form (region analysts) and the live batches (region-wide users)."""
    if not scope_of(request.user).region_wide:
        raise PermissionDenied("Загрузки доступны пользователям регионального уровня.")
    can_import = scope_of(request.user).can_import
    form = VprUploadForm()
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied("Загружать файлы может аналитик региона.")
        form = VprUploadForm(request.POST, request.FILES)
        if form.is_valid():
            path = _store_upload(form.cleaned_data["file"])
            params = {
                "path": str(path),
                "year": form.cleaned_data["year"],
                "subject": form.cleaned_data["subject"] or None,
                "grade": form.cleaned_data["grade"],
                "max_rejected": form.cleaned_data["max_rejected"] / 100,
            }
            job = job_enqueue(kind=Job.IMPORT_VPR, label=path.name, params=params, user=request.user)
            audit_record(
                action="загрузка файла",
                object_type="фоновая задача",
                object_id=str(job.pk),
                object_repr=path.name,
                changes={k: v for k, v in params.items() if k != "path"},
            )
            return redirect(reverse("jobs:detail", kwargs={"pk": job.pk}))
    batches = list(
        ImportBatch.objects.filter(status=ImportBatch.ACTIVE).order_by(
            "-year", "subject", "grade", "-created_at"
        )
    )
    versions = slot_versions(batches=batches)
    for b in batches:
        b.earlier_versions = versions.get(b.pk, [])
    return render(
        request, "assessments/imports.html", {"form": form, "can_import": can_import, "batches": batches}
    )


@login_required
@require_POST
def import_replace(request: HttpRequest, job: int) -> HttpResponse:
    """Confirm a refused new version: the same uploaded file is imported again with replacement."""
    if not scope_of(request.user).can_import:
        raise PermissionDenied("Заменять загруженные файлы может аналитик региона.")
    refused = get_object_or_404(
        jobs_visible_to(user=request.user), pk=job, kind=Job.IMPORT_VPR, status=Job.DONE
    )
    back = redirect(reverse("jobs:detail", kwargs={"pk": refused.pk}))
    if (refused.result or {}).get("status") != "refused" or refused.params.get("replace"):
        messages.error(request, "Эта загрузка не ожидает подтверждения замены.")
        return back
    if not Path(refused.params.get("path", "")).is_file():
        messages.error(
            request,
            "Загруженный файл уже удалён с сервера "
            "(файлы неподтверждённых загрузок хранятся ограниченное время); "
            "загрузите его снова.",
        )
        return back
    params = refused.params | {"replace": True}
    new = job_enqueue(kind=Job.IMPORT_VPR, label=refused.label, params=params, user=request.user)
    audit_record(
        action="подтверждение замены файла",
        object_type="фоновая задача",
        object_id=str(new.pk),
        object_repr=refused.label,
        changes={"было": (refused.result.get("diff") or {}).get("lines", [])},
    )
    return redirect(reverse("jobs:detail", kwargs={"pk": new.pk}))


@login_required
def version_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """An earlier version of a file: what bringing it back would change (GET), and bringing it back (POST)."""
    if not scope_of(request.user).can_import:
        raise PermissionDenied("Возвращать прежние версии файлов может аналитик региона.")
    batch = get_object_or_404(ImportBatch, pk=pk, status=ImportBatch.REPLACED)
    store = warehouse()
    available = (store.root / batch.path).exists()
    if request.method == "POST":
        try:
            restored, old = batch_restore(batch_id=batch.batch_id, root=store.root)
        except IngestError as exc:
            messages.error(request, str(exc))
            return redirect(reverse("assessments:imports"))
        audit_record(
            action="возврат прежней версии файла",
            object_type="загрузка результатов",
            object_id=str(restored.pk),
            object_repr=restored.source_name,
            changes={
                "возвращена версия от": f"{timezone.localtime(restored.created_at):%d.%m.%Y %H:%M}",
                "заменена версия от": [f"{timezone.localtime(b.created_at):%d.%m.%Y %H:%M}" for b in old],
            },
        )
        messages.success(
            request,
            f"{restored.source_name}: возвращена версия "
            f"от {timezone.localtime(restored.created_at):%d.%m.%Y %H:%M} "
            f"({restored.rows_stored} участников, {restored.schools} школ). "
            "Чтобы списки отражали эти данные, "
            "запустите новый расчёт.",
        )
        return redirect(reverse("assessments:imports"))
    live = slot_live(slot_of(batch))
    diff = (
        version_diff(
            live=live[0],
            other=store.scan([batch.path]),
            other_label=f"версия от {timezone.localtime(batch.created_at):%d.%m.%Y %H:%M}",
            other_batch_id=batch.batch_id,
            scan=store.scan,
        )
        if live and available
        else None
    )
    return render(
        request,
        "assessments/restore.html",
        {"batch": batch, "diff": diff, "live": live, "available": available},
    )


@login_required
def import_report(request: HttpRequest, name: str) -> FileResponse:
    """Download an XLSX error report from SHNOR_HOME/reports (region analysts only)."""
    if not scope_of(request.user).can_import:
        raise PermissionDenied("Отчёты об ошибках доступны аналитику региона.")
    folder = (Path(settings.HOME) / "reports").resolve()
    target = (folder / name).resolve()
    if target.parent != folder or not target.is_file() or target.suffix.lower() != ".xlsx":
        raise Http404("отчёт не найден")
    return FileResponse(open(target, "rb"), as_attachment=True, filename=target.name)  # noqa: SIM115
