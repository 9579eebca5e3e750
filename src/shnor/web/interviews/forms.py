"""Forms of the interview pages (Russian labels; the services check the rights and the rules)."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from shnor.web.interviews.models import CorrectionKind, FindingLevel, InterviewFormat


class DateInput(forms.DateInput):
    """A browser date picker (the value is ISO, the page shows ДД.ММ.ГГГГ)."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def level_field(code: str) -> str:
    """The form field of a factor's level."""
    return f"level_{code}"


def comment_field(code: str) -> str:
    """The form field of a factor's comment."""
    return f"comment_{code}"


def participants_parse(text: str) -> list[tuple[str, str]]:
    """«Фамилия И.О. — должность» (or «…, должность»), one a line → [(name, position)]."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"\s+[—–-]\s+|,\s*", line, maxsplit=1)
        out.append((parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""))
    return out


class InterviewForm(forms.Form):
    """An interview: date, format, who took part, the findings by risk factor and the summary."""

    held_on = forms.DateField(label="Дата собеседования", widget=DateInput())
    year = forms.IntegerField(
        label="Год дорожной карты, которую корректируют", min_value=2000, max_value=2100
    )
    format = forms.ChoiceField(label="Формат", choices=InterviewFormat.choices)
    participants = forms.CharField(
        label="Управленческая команда школы: «Фамилия И.О. — должность», по одному на строке",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    interviewers = forms.CharField(label="Проводили собеседование (ФИО, должность)", max_length=1000)
    summary = forms.CharField(
        label="Итоги: группы риска, договорённости",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=10000,
    )

    def __init__(self, *args: Any, factors: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.factors = factors
        for code, title in factors:
            self.fields[level_field(code)] = forms.ChoiceField(
                label=title,
                choices=FindingLevel.choices,
                initial=FindingLevel.NONE,
                widget=forms.Select(attrs={"aria-label": f"Уровень: {title}"}),
            )
            self.fields[comment_field(code)] = forms.CharField(
                label=f"Комментарий: {title}",
                required=False,
                max_length=2000,
                widget=forms.TextInput(attrs={"aria-label": f"Комментарий: {title}"}),
            )

    def factor_rows(self) -> list[tuple[str, Any, Any]]:
        """(title, level field, comment field) per factor, for the table of findings."""
        return [(t, self[level_field(c)], self[comment_field(c)]) for c, t in self.factors]

    def findings(self) -> dict[str, tuple[str, str]]:
        """Factor code → (level, comment) from the cleaned data."""
        d = self.cleaned_data
        return {c: (d[level_field(c)], d[comment_field(c)]) for c, _ in self.factors}


class _ActivityChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        due = f" (срок {obj.due_date:%d.%m.%Y})" if obj.due_date else ""
        return f"{obj.number}. {obj.title[:120]}{due}"


class CorrectionForm(forms.Form):
    """An agreed change: what to do with which activity, and why."""

    kind = forms.ChoiceField(label="Изменение", choices=CorrectionKind.choices)
    activity = _ActivityChoice(
        queryset=None,
        label="Мероприятие дорожной карты (для изменения срока, ответственного, исключения)",
        required=False,
        empty_label="—",
    )
    title = forms.CharField(
        label="Наименование нового мероприятия", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    period_text = forms.CharField(label="Сроки (текстом)", required=False, max_length=200)
    due_date = forms.DateField(label="Срок исполнения", required=False, widget=DateInput())
    executor = forms.CharField(label="Ответственный исполнитель", required=False, max_length=500)
    reason = forms.CharField(label="Обоснование", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    comment = forms.CharField(label="Комментарий к изменению", required=False, max_length=5000)

    def __init__(self, *args: Any, activities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities


class TextForm(forms.Form):
    """A comment (discussion, withdrawal)."""

    text = forms.CharField(label="Комментарий", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
