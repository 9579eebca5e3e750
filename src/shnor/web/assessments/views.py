"""Browser imports: upload a ВПР file → a background job running ``vpr_file_import``; the job page shows the result."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from shnor.core.store.schema import SUBJECTS
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.selectors import user_can_import, user_is_region_wide
from shnor.web.assessments.models import ImportBatch
from shnor.web.jobs.models import Job
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

    def clean_file(self):  # type: ignore[no-untyped-def]
        """Only .xlsx/.xls/.csv, and not larger than SHNOR_UPLOAD_MAX_MB."""
        f = self.cleaned_data["file"]
        if Path(f.name).suffix.lower() not in {".xlsx", ".xls", ".csv"}:
            raise forms.ValidationError("Ожидается файл XLSX, XLS или CSV.")
        if f.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"Файл больше {settings.UPLOAD_MAX_MB} МБ.")
        return f


def _store_upload(upload) -> Path:  # type: ignore[no-untyped-def]
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
    if not user_is_region_wide(user=request.user):
        raise PermissionDenied("Загрузки доступны пользователям регионального уровня.")
    can_import = user_can_import(user=request.user)
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
    batches = ImportBatch.objects.filter(status=ImportBatch.ACTIVE).order_by(
        "-year", "subject", "grade", "-created_at"
    )
    return render(
        request, "assessments/imports.html", {"form": form, "can_import": can_import, "batches": batches}
    )


@login_required
def import_report(request: HttpRequest, name: str) -> FileResponse:
    """Download an XLSX error report from SHNOR_HOME/reports (region analysts only)."""
    if not user_can_import(user=request.user):
        raise PermissionDenied("Отчёты об ошибках доступны аналитику региона.")
    folder = (Path(settings.HOME) / "reports").resolve()
    target = (folder / name).resolve()
    if target.parent != folder or not target.is_file() or target.suffix.lower() != ".xlsx":
        raise Http404("отчёт не найден")
    return FileResponse(open(target, "rb"), as_attachment=True, filename=target.name)  # noqa: SIM115
