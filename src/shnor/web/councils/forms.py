"""Forms of the working-group pages (Russian labels; the services check the rights and the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from shnor.web.councils.models import GroupKind, GroupLevel, MemberRole, TaskStatus
from shnor.web.params import db_int


class DateInput(forms.DateInput):
    """A browser date picker (the value is ISO, the page shows ДД.ММ.ГГГГ)."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class _Keys(forms.ModelMultipleChoiceField):
    """Several rows by key; a key that is not a database integer is «not one of the choices» (never a
    query that overflows)."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if db_int(pk) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class _Named(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name or str(obj)


class _Members(_Keys):
    def label_from_instance(self, obj: Any) -> str:
        return ", ".join(p for p in (obj.full_name, obj.position) if p)


class _Roadmaps(_Keys):
    def label_from_instance(self, obj: Any) -> str:
        return obj.owner_name


class _School(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name or obj.school_id


class GroupForm(forms.Form):
    """A new group."""

    name = forms.CharField(label="Название", max_length=500)
    kind = forms.ChoiceField(label="Вид", choices=GroupKind.choices)
    level = forms.ChoiceField(label="Уровень", choices=GroupLevel.choices)
    municipality = _Named(queryset=None, label="Муниципалитет (для муниципальной группы)", required=False)
    authority = forms.CharField(label="Орган, при котором создана группа", max_length=500, required=False)

    def __init__(self, *args: Any, municipalities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities


class MemberForm(forms.Form):
    """A new member."""

    full_name = forms.CharField(label="ФИО", max_length=300)
    position = forms.CharField(label="Должность", max_length=500, required=False)
    organisation = forms.CharField(label="Организация", max_length=500, required=False)
    role = forms.ChoiceField(label="Роль в группе", choices=MemberRole.choices, initial=MemberRole.MEMBER)


class MeetingForm(forms.Form):
    """A meeting: date, time, place, who attended, the agenda."""

    held_on = forms.DateField(label="Дата", widget=DateInput())
    number = forms.CharField(label="Номер протокола", max_length=32, required=False)
    time_text = forms.CharField(label="Время начала (например, 12.00)", max_length=32, required=False)
    place = forms.CharField(label="Место проведения", max_length=500, required=False)
    present = _Members(
        queryset=None, label="Присутствовали", required=False, widget=forms.CheckboxSelectMultiple
    )
    agenda = forms.CharField(
        label="Повестка дня: по одному вопросу на строке",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = members

    def agenda_items(self) -> list[str]:
        """The agenda's lines without empty ones."""
        return [line.strip() for line in self.cleaned_data["agenda"].splitlines() if line.strip()]


class AttendanceForm(forms.Form):
    """Who attended."""

    present = _Members(
        queryset=None, label="Присутствовали", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = members


class ItemForm(forms.Form):
    """«Слушали» and «Решили» of an item."""

    heard = forms.CharField(
        label="Слушали", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000
    )
    decided = forms.CharField(
        label="Решили", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000
    )


class TaskForm(forms.Form):
    """A task set by a decision."""

    text = forms.CharField(label="Поручение", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    executor = forms.CharField(label="Исполнитель", max_length=500)
    due_date = forms.DateField(label="Срок", widget=DateInput())
    school = _School(queryset=None, label="Школа (если поручено школе)", required=False, empty_label="—")

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class RoadmapForm(forms.Form):
    """The decision as an activity of chosen schools' roadmaps."""

    roadmaps = _Roadmaps(queryset=None, label="Школы", widget=forms.CheckboxSelectMultiple)
    title = forms.CharField(
        label="Наименование мероприятия", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    period_text = forms.CharField(label="Сроки (текстом)", max_length=200, required=False)
    due_date = forms.DateField(label="Срок исполнения", required=False, widget=DateInput())
    executor = forms.CharField(label="Ответственный исполнитель", max_length=500, required=False)

    def __init__(self, *args: Any, roadmaps: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roadmaps"].queryset = roadmaps


class TaskStatusForm(forms.Form):
    """A task's progress."""

    status = forms.ChoiceField(label="Статус", choices=TaskStatus.choices)
    report = forms.CharField(label="Отметка об исполнении", max_length=5000, required=False)
