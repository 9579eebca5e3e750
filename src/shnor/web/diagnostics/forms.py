"""Forms of teacher diagnostics: upload, course, teacher, enrolment."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings

from shnor.web.diagnostics.models import Course, Enrolment

UPLOAD_SUFFIXES = {".csv", ".xlsx"}


class CompetenceUploadForm(forms.Form):
    """A CSV or XLSX of competence results (see docs/monitoring.md)."""

    file = forms.FileField(label="Файл результатов (CSV или XLSX)")

    def clean_file(self):
        """Extension, size and content signature checked before anything is read."""
        f = self.cleaned_data["file"]
        suffix = Path(f.name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise forms.ValidationError("Ожидается файл .csv или .xlsx.")
        if f.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"Файл больше {settings.UPLOAD_MAX_MB} МБ.")
        head = f.read(4)
        f.seek(0)
        if suffix == ".xlsx" and head != b"PK\x03\x04":
            raise forms.ValidationError("Файл .xlsx повреждён или не является книгой Excel.")
        if suffix == ".csv" and b"\x00" in head:
            raise forms.ValidationError("Файл .csv содержит двоичные данные.")
        return f


class CourseForm(forms.Form):
    """A catalogue course (ДПП)."""

    title = forms.CharField(label="Название", max_length=500)
    provider = forms.CharField(label="Организация", max_length=300)
    hours = forms.IntegerField(label="Часов", min_value=1, max_value=2000)
    areas = forms.CharField(label="Области компетенций (через точку с запятой)", max_length=2000)
    subject = forms.CharField(label="Предмет (пусто — любой)", max_length=200, required=False)
    at_risk_pupils = forms.BooleanField(
        label="О работе с детьми с риском учебной неуспешности", required=False
    )

    def area_list(self) -> list[str]:
        """The areas as a list."""
        return [a.strip() for a in self.cleaned_data["areas"].split(";") if a.strip()]


class TeacherForm(forms.Form):
    """A teacher added to the school's register by hand."""

    code = forms.CharField(label="Код учителя", max_length=64)
    full_name = forms.CharField(label="ФИО (необязательно)", max_length=300, required=False)


class EnrolmentStatusForm(forms.Form):
    """New status of an enrolment."""

    status = forms.ChoiceField(label="Статус", choices=Enrolment.STATUSES)


class EnrolmentAddForm(forms.Form):
    """A catalogue course added to a route by hand."""

    course = forms.ModelChoiceField(label="Курс", queryset=Course.objects.filter(active=True))
    area = forms.CharField(label="Дефицит, на который направлен курс", max_length=300, required=False)


class RouteForm(forms.Form):
    """The year of a new route."""

    year = forms.IntegerField(label="Год", min_value=2015, max_value=2100)
