"""Forms of the support pages (thin: the services validate and decide)."""

from __future__ import annotations

from typing import Any

from django import forms

from shnor.core.roadmaps.templates import LEVEL_TITLES, templates_load
from shnor.web.regionconf import selectors as regionconf
from shnor.web.support.models import PartnerAssignment, Status


def template_choices(level: str | None = None, user: Any = None) -> list[tuple[str, str]]:
    """Templates as (key, label), those of ``level`` or of a higher level with activities for it; the
    user's region's own templates first (regionconf)."""
    out = [
        (key, f"{t.short} — шаблон региона, {len(t.for_level(level or t.level))} мероприятий")
        for key, t in regionconf.template_choices_for(user=user, level=level)
    ]
    for key, t in templates_load().items():
        if level is None or t.for_level(level):
            out.append(
                (
                    key,
                    f"{t.short} — {LEVEL_TITLES[t.level]}, {len(t.for_level(level or t.level))} мероприятий",
                )
            )
    return out


class RoadmapCreateForm(forms.Form):
    """New roadmap: year and templates (the target comes from the URL parameters)."""

    year = forms.IntegerField(label="Год", min_value=2000, max_value=2100)
    templates = forms.MultipleChoiceField(label="Шаблоны", widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args, level: str, user: Any = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["templates"].choices = template_choices(level, user)


class HeaderForm(forms.Form):
    """Title and order header printed on the export."""

    title = forms.CharField(label="Название", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    order_authority = forms.CharField(label="Приказ кого (род. падеж)", max_length=300, required=False)
    order_number = forms.CharField(label="№ приказа", max_length=64, required=False)
    order_date = forms.DateField(
        label="Дата приказа",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    appendix = forms.CharField(label="№ приложения", max_length=16, required=False)


class ActivityUpdateForm(forms.Form):
    """Status, dates and a comment."""

    status = forms.ChoiceField(label="Статус", choices=Status.choices)
    period_text = forms.CharField(label="Сроки", max_length=200, required=False)
    due_date = forms.DateField(
        label="Срок исполнения",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Указанный срок не меняется при изменении текста сроков",
    )
    comment = forms.CharField(label="Комментарий", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(forms.Form):
    """A comment only (teachers)."""

    text = forms.CharField(label="Комментарий", widget=forms.Textarea(attrs={"rows": 3}))


class EvidenceForm(forms.Form):
    """A file or a link confirming execution."""

    title = forms.CharField(label="Описание", max_length=300, required=False)
    # a plain file input: the clearable one takes a posted «file-clear» for «remove the file»
    # and hands False on
    file = forms.FileField(label="Файл", required=False, widget=forms.FileInput)
    url = forms.CharField(label="или ссылка", max_length=1000, required=False)


class ActivityAddForm(forms.Form):
    """A new activity in the official columns."""

    section = forms.CharField(label="Раздел", max_length=500, required=False)
    number = forms.CharField(label="№", max_length=16, required=False)
    title = forms.CharField(label="Мероприятие", widget=forms.Textarea(attrs={"rows": 2}))
    period_text = forms.CharField(
        label="Сроки",
        max_length=200,
        required=False,
        help_text="Как в приказе: «до 01.09.2025», «Февраль – март 2025 г.», «В течение года»",
    )
    due_date = forms.DateField(
        label="Срок исполнения",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Сохраняется как указан; если не указан — определяется по тексту сроков",
    )
    executor = forms.CharField(label="Исполнитель", max_length=500, required=False)
    co_executors = forms.CharField(label="Соисполнители", max_length=500, required=False)
    expected_result = forms.CharField(label="Ожидаемый результат", required=False)
    target_group = forms.CharField(label="Целевая группа", max_length=300, required=False)
    output_document = forms.CharField(label="Выходной документ", max_length=500, required=False)


class PartnerDecisionForm(forms.Form):
    """Confirm, change or reject a proposed leader school."""

    decision = forms.ChoiceField(
        choices=[(PartnerAssignment.CONFIRMED, "Подтвердить"), (PartnerAssignment.REJECTED, "Отклонить")]
    )
    leader = forms.ChoiceField(label="Школа-лидер", required=False, choices=())
    note = forms.CharField(label="Пояснение", max_length=500, required=False)

    def __init__(self, *args, leaders: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].choices = [("", "— как предложено —"), *leaders]


class MentorForm(forms.Form):
    """A mentor for a school."""

    full_name = forms.CharField(label="ФИО", max_length=300)
    organisation = forms.CharField(label="Организация, должность", max_length=500, required=False)
    subject = forms.CharField(label="Направление / предмет", max_length=300, required=False)


class SurveyImportForm(forms.Form):
    """A web-form export (CSV/XLSX) of one respondent group."""

    group = forms.ChoiceField(label="Группа", choices=())
    file = forms.FileField(label="Файл CSV или XLSX")

    def __init__(self, *args, groups: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = groups


def questionnaire_form(questions: list, scale: list[tuple[int, str]], data=None) -> forms.Form:
    """A questionnaire as a form: one radio field per statement (code → value)."""
    form = forms.Form(data)
    for q in questions:
        form.fields[q.code] = forms.TypedChoiceField(
            label=f"{q.code}. {q.text}", choices=scale, coerce=int, required=False, widget=forms.RadioSelect
        )
    return form
