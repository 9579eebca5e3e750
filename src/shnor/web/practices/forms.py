"""Forms of the bank's pages (Russian labels; the services check the rights and the rules)."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone

from shnor.core.labels import SUBJECT_NAMES
from shnor.web.practices.models import Kind, Level
from shnor.web.practices.search import factor_titles

SUBJECTS = [("", "— любой / без предмета —"), *SUBJECT_NAMES.items()]
GRADE_CHOICES = [(str(g), f"{g} кл.") for g in range(1, 12)]


def _factors() -> list[tuple[str, str]]:
    return list(factor_titles().items())


class PracticeForm(forms.Form):
    """A practice: what it is, who made it, its tags."""

    title = forms.CharField(label="Название", max_length=300)
    description = forms.CharField(
        label="Описание (что сделано, для кого, какой результат)", widget=forms.Textarea(attrs={"rows": 8})
    )
    kind = forms.ChoiceField(label="Вид", choices=Kind.choices)
    level = forms.ChoiceField(label="Уровень", choices=Level.choices)
    organisation = forms.CharField(
        label="Организация-автор (для региональных материалов)", max_length=300, required=False
    )
    subject = forms.ChoiceField(label="Предмет", choices=SUBJECTS, required=False)
    grades = forms.MultipleChoiceField(
        label="Классы", choices=GRADE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    risk_factors = forms.MultipleChoiceField(
        label="Факторы риска (по анкете рискового профиля)",
        choices=_factors,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    skills = forms.CharField(
        label="Умения, элементы КЭС и КТ (по одному в строке или через «;»)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_skills(self) -> list[str]:
        """The free tags as a list."""
        raw = self.cleaned_data.get("skills") or ""
        return [t.strip() for t in re.split(r"[;\n]", raw) if t.strip()]

    @staticmethod
    def initial_of(practice) -> dict:
        """The form's initial values from a practice."""
        return {
            "title": practice.title,
            "description": practice.description,
            "kind": practice.kind,
            "level": practice.level,
            "organisation": practice.organisation,
            "subject": practice.subject,
            "grades": [str(g) for g in practice.grades or []],
            "risk_factors": list(practice.risk_factors or []),
            "skills": "\n".join(practice.skills or []),
        }


class FileForm(forms.Form):
    """A file or a link."""

    title = forms.CharField(label="Название", max_length=300, required=False)
    file = forms.FileField(label="Файл (PDF, DOCX, XLSX, PPTX, ODT, изображение, до 20 МБ)", required=False)
    url = forms.CharField(label="или ссылка (http:// или https://)", max_length=1000, required=False)


class ModerateForm(forms.Form):
    """The moderator's decision."""

    decision = forms.ChoiceField(
        label="Решение",
        choices=[("publish", "опубликовать"), ("reject", "отклонить")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Комментарий модератора (обязателен при отклонении)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AdoptForm(forms.Form):
    """«Внедряем практику»: from which year, with a note."""

    year = forms.IntegerField(label="Год начала внедрения", min_value=2000, max_value=2100)
    note = forms.CharField(
        label="Примечание (в каких классах, кто отвечает)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class SearchForm(forms.Form):
    """The bank's search box and filters."""

    q = forms.CharField(label="Поиск", max_length=200, required=False)
    kind = forms.ChoiceField(label="Вид", choices=[("", "— любой —"), *Kind.choices], required=False)
    subject = forms.ChoiceField(label="Предмет", choices=SUBJECTS, required=False)
    grade = forms.TypedChoiceField(
        label="Класс",
        choices=[("", "— любой —"), *GRADE_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    factor = forms.ChoiceField(
        label="Фактор риска",
        choices=lambda: [("", "— любой —"), *_factors()],
        required=False,
        widget=forms.Select(attrs={"style": "max-width:24em"}),
    )
    tag = forms.CharField(label="Умение, КЭС, КТ", max_length=200, required=False)
