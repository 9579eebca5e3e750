"""Forms of the cases pages (Russian labels; the services check the rights and the rules)."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings

from shnor.core.labels import SUBJECT_LABELS
from shnor.web.cases.models import ControlledProcedure, Verdict


class RecheckUploadForm(forms.Form):
    """A re-check file (CSV or XLSX)."""

    file = forms.FileField(label="Файл перепроверки (CSV или XLSX)")

    def clean_file(self):
        """Only CSV/XLSX within the upload limit."""
        f = self.cleaned_data["file"]
        if Path(f.name).suffix.lower() not in {".xlsx", ".csv"}:
            raise forms.ValidationError("Ожидается файл XLSX или CSV.")
        if f.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"Файл больше {settings.UPLOAD_MAX_MB} МБ.")
        return f


class SampleForm(forms.Form):
    """How the re-check sample is sized."""

    margin = forms.FloatField(
        label="Точность: допустимая погрешность доли изменённых работ в контрольной группе",
        initial=0.05,
        min_value=0.005,
        max_value=0.49,
    )
    control_share_expected = forms.FloatField(
        label="Ожидаемая доля работ с изменённым баллом в школах без признаков",
        initial=0.1,
        min_value=0.001,
        max_value=0.999,
    )
    per_school_max = forms.IntegerField(label="Не больше работ из одной школы", initial=20, min_value=1)
    seed = forms.IntegerField(
        label="Номер случайного отбора (тот же номер — та же выборка)", initial=0, min_value=0
    )


class AnswerForm(forms.Form):
    """The school's explanation with an optional file."""

    text = forms.CharField(
        label="Ответ школы: чем объясняются признаки", widget=forms.Textarea(attrs={"rows": 4})
    )
    file = forms.FileField(label="Файл (необязательно)", required=False)


class DecideForm(forms.Form):
    """The region's decision and its reason."""

    verdict = forms.ChoiceField(label="Решение", choices=Verdict.choices)
    reason = forms.CharField(label="Основание решения", widget=forms.Textarea(attrs={"rows": 3}))


class AppealForm(forms.Form):
    """The school's appeal."""

    text = forms.CharField(label="С чем школа не согласна и почему", widget=forms.Textarea(attrs={"rows": 3}))


class ControlledForm(forms.Form):
    """A test held under control."""

    subject = forms.ChoiceField(label="Предмет", choices=sorted(SUBJECT_LABELS.items(), key=lambda kv: kv[1]))
    grade = forms.IntegerField(label="Класс", min_value=1, max_value=11)
    kind = forms.ChoiceField(label="Вид контроля", choices=ControlledProcedure.KINDS)
    note = forms.CharField(label="Примечание", required=False)
