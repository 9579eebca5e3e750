"""Browser imports: upload a file (ВПР, РДР, ГИА, the registry, the yearly context) → a background job
running the importer the command line runs; the job page shows the result and the row-level errors. A new
version of a live file is shown as a difference first and replaces it only when confirmed; earlier
versions are listed with the live ones and can be brought back."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

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
from shnor.web.assessments.inputs import INPUTS, Input
from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.services import warehouse
from shnor.web.assessments.versions import batch_restore, slot_live, slot_of, slot_versions, version_diff
from shnor.web.jobs.models import Job
from shnor.web.jobs.selectors import jobs_visible_to
from shnor.web.jobs.services import job_enqueue


class UploadForm(forms.Form):
    """A file of one input kind and the share of bad rows that still lets the rest be stored."""

    file = forms.FileField(label="Файл")
    max_rejected = forms.FloatField(
        label="Допустимая доля отклонённых строк, %",
        initial=0,
        min_value=0,
        max_value=100,
        help_text="0 — файл с любой ошибкой не загружается целиком",
    )

    def __init__(self, *args: Any, input_kind: Input, **kwargs: Any) -> None:
        # the ВПР form keeps its plain field names (as before the other inputs came)
        super().__init__(*args, prefix=None if input_kind.code == "vpr" else input_kind.code, **kwargs)
        self.input_kind = input_kind
        if input_kind.code == "vpr":  # real ФИС ОКО exports hold a few bad rows: the command line's 5 %
            self.fields["max_rejected"].initial = 5
        self.fields["file"].label = input_kind.file_label
        if input_kind.targeted:
            self.fields["year"] = forms.IntegerField(
                label="Год", required=False, min_value=2015, max_value=2100
            )
            self.fields["subject"] = forms.ChoiceField(
                label="Предмет", required=False, choices=[("", "— из имени файла —"), *SUBJECTS.items()]
            )
            self.fields["grade"] = forms.IntegerField(
                label="Класс", required=False, min_value=1, max_value=11
            )
            self.order_fields(["file", "year", "subject", "grade", "max_rejected"])

    def clean_file(self):
        """Only .xlsx/.xls/.csv, and not larger than SHNOR_UPLOAD_MAX_MB."""
        f = self.cleaned_data["file"]
        if Path(f.name).suffix.lower() not in {".xlsx", ".xls", ".csv"}:
            raise forms.ValidationError("Ожидается файл XLSX, XLS или CSV.")
        if f.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"Файл больше {settings.UPLOAD_MAX_MB} МБ.")
        return f

    def params(self, path: Path) -> dict[str, Any]:
        """The job's parameters: the stored file, the threshold as a share (0 % = no bad row allowed)."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            "input": self.input_kind.code,
            "path": str(path),
            "max_rejected": max(data["max_rejected"] / 100, NO_BAD_ROW),
        }
        if self.input_kind.targeted:
            out |= {"year": data["year"], "subject": data["subject"] or None, "grade": data["grade"]}
        return out


#: the threshold for «0 %»: a file is stored only when its share of bad rows is below it, i.e. none
NO_BAD_ROW = 1e-9


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
    """The import page: a form per input (region analysts) and the live batches (region-wide users)."""
    if not scope_of(request.user).region_wide:
        raise PermissionDenied("Загрузки доступны пользователям регионального уровня.")
    can_import = scope_of(request.user).can_import
    forms_by_kind = {code: UploadForm(input_kind=inp) for code, inp in INPUTS.items()}
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied("Загружать файлы может аналитик региона.")
        inp = INPUTS.get(request.POST.get("input", "vpr"))
        if inp is None:
            messages.error(request, "Не указано, какой файл загружается.")
            return redirect(reverse("assessments:imports"))
        form = UploadForm(request.POST, request.FILES, input_kind=inp)
        forms_by_kind[inp.code] = form
        if form.is_valid():
            path = _store_upload(form.cleaned_data["file"])
            params = form.params(path)
            job = job_enqueue(
                kind=Job.IMPORT_VPR, label=f"{inp.title} — {path.name}", params=params, user=request.user
            )
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
            "-year", "procedure", "subject", "grade", "-created_at"
        )
    )
    versions = slot_versions(batches=batches)
    for b in batches:
        b.earlier_versions = versions.get(b.pk, [])
    return render(
        request,
        "assessments/imports.html",
        {
            "uploads": [(INPUTS[code], form) for code, form in forms_by_kind.items()],
            "can_import": can_import,
            "batches": batches,
        },
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
