"""Forms of the needs pages (Russian labels; the services check the rights and the rules)."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings

from shnor.web.resources.models import DecisionStatus, Source, Specialist

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StaffNeedForm(forms.Form):
    """A vacancy: which specialist, rates needed and vacant."""

    specialist = forms.ChoiceField(label="Специалист", choices=Specialist.choices)
    subject = forms.CharField(label="Предмет (для учителя-предметника)", required=False, max_length=100)
    other = forms.CharField(label="Кто нужен (для другого специалиста)", required=False, max_length=200)
    rates_needed = forms.DecimalField(label="Ставок требуется", min_value=0, max_digits=7, decimal_places=2)
    rates_vacant = forms.DecimalField(label="Из них вакантно", min_value=0, max_digits=7, decimal_places=2)
    note = forms.CharField(label="Примечание", required=False, max_length=500)


class EquipmentNeedForm(forms.Form):
    """An equipment need."""

    item = forms.CharField(label="Оборудование", max_length=255)
    quantity = forms.IntegerField(label="Количество", min_value=1, max_value=1_000_000)
    cost = forms.DecimalField(label="Оценочная стоимость, ₽", min_value=0, max_digits=14, decimal_places=2)
    purpose = forms.CharField(label="Назначение (для чего)", required=False, max_length=500)


class DecisionForm(forms.Form):
    """The region's support decision."""

    purpose = forms.CharField(label="Назначение поддержки", max_length=500)
    amount = forms.DecimalField(label="Сумма, ₽", min_value=0, max_digits=14, decimal_places=2)
    source = forms.ChoiceField(label="Источник средств", choices=Source.choices)
    decided_on = forms.DateField(label="Дата решения", widget=DATE)
    document = forms.CharField(label="Документ (номер)", required=False, max_length=100)
    status = forms.ChoiceField(label="Статус", choices=DecisionStatus.choices, initial=DecisionStatus.ADOPTED)


class StatusForm(forms.Form):
    """A decision's new status."""

    status = forms.ChoiceField(label="Статус", choices=DecisionStatus.choices)


class ExecutionForm(forms.Form):
    """An execution record of a decision."""

    date = forms.DateField(label="Дата", widget=DATE)
    spent = forms.DecimalField(label="Израсходовано, ₽", min_value=0, max_digits=14, decimal_places=2)
    note = forms.CharField(label="Примечание", required=False, max_length=500)
    file = forms.FileField(label="Файл (акт, платёжный документ; необязательно)", required=False)


class YoungSpecialistForm(forms.Form):
    """A young specialist placed."""

    specialist = forms.ChoiceField(label="Специалист", choices=Specialist.choices)
    subject = forms.CharField(label="Предмет", required=False, max_length=100)
    placed_on = forms.DateField(label="Дата трудоустройства", widget=DATE)
    programme = forms.CharField(
        label="Программа (например, «Земский учитель»)", required=False, max_length=200
    )


class NeedsUploadForm(forms.Form):
    """A needs file (CSV or XLSX)."""

    file = forms.FileField(label="Файл потребностей (CSV или XLSX)")

    def clean_file(self):
        """Only CSV/XLSX within the upload limit."""
        f = self.cleaned_data["file"]
        if Path(f.name).suffix.lower() not in {".xlsx", ".csv"}:
            raise forms.ValidationError("Ожидается файл XLSX или CSV.")
        if f.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"Файл больше {settings.UPLOAD_MAX_MB} МБ.")
        return f
