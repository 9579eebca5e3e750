"""Forms of events; every choice is narrowed to what the user sees."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from shnor.web.accounts.scope import User
from shnor.web.events.labels import TARGET_CHOICES, Kind, OrganiserLevel
from shnor.web.registry.models import Municipality, School
from shnor.web.support.models import Activity


class SchoolsField(forms.ModelMultipleChoiceField):
    """Schools shown by name (with the municipality)."""

    def label_from_instance(self, obj: School) -> str:
        mun = f" ({obj.municipality.name})" if obj.municipality_id else ""
        return f"{obj.name or 'школа без названия'}{mun}"


class ActivitiesField(forms.ModelMultipleChoiceField):
    """Roadmap activities shown with their roadmap."""

    def label_from_instance(self, obj: Activity) -> str:
        return f"{obj.roadmap.title}: {obj.number} {obj.title[:120]}".replace("  ", " ")


class EventForm(forms.Form):
    """An event: what, when, who holds it, for which schools, which roadmap activities it implements."""

    kind = forms.ChoiceField(label="Вид мероприятия", choices=Kind.choices)
    title = forms.CharField(label="Тема", max_length=500)
    day = forms.DateField(label="Дата", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(
        label="Время начала", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    duration_minutes = forms.IntegerField(
        label="Продолжительность, мин", required=False, min_value=1, max_value=24 * 60
    )
    place = forms.CharField(label="Место или ссылка на трансляцию", max_length=500, required=False)
    description = forms.CharField(
        label="Описание", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    organiser_level = forms.ChoiceField(label="Уровень организатора", choices=OrganiserLevel.choices)
    organiser_name = forms.CharField(label="Организатор (организация)", max_length=500)
    target_rule = forms.ChoiceField(label="Для каких школ", choices=TARGET_CHOICES)
    year = forms.IntegerField(label="Год списков", required=False, min_value=2000, max_value=2100)
    municipality = forms.ModelChoiceField(
        label="Муниципалитет", queryset=Municipality.objects.none(), required=False
    )
    schools = SchoolsField(
        label="Выбранные школы",
        queryset=School.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    activities = ActivitiesField(
        label="Реализует мероприятия дорожных карт",
        queryset=Activity.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visible = School.objects.visible_to(user).select_related("municipality").order_by("name")
        schools: Any = self.fields["schools"]
        schools.queryset = visible
        mun: Any = self.fields["municipality"]
        mun.queryset = Municipality.objects.visible_to(user).order_by("name")
        acts: Any = self.fields["activities"]
        this_year = dt.date.today().year
        acts.queryset = (
            Activity.objects.visible_to(user)
            .filter(roadmap__year__gte=this_year - 2)
            .select_related("roadmap")
            .order_by("-roadmap__year", "roadmap__title", "position", "id")
        )

    def starts_at(self) -> dt.datetime:
        """The date and time as an aware datetime."""
        d = self.cleaned_data
        return timezone.make_aware(dt.datetime.combine(d["day"], d["time"]))


class ParticipantForm(forms.Form):
    """A person who took part."""

    school = forms.ModelChoiceField(label="Школа", queryset=School.objects.none())
    full_name = forms.CharField(label="ФИО", max_length=300)
    position = forms.CharField(label="Должность", max_length=300, required=False)

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["school"]
        field.queryset = schools
        field.label_from_instance = lambda s: s.name or "школа без названия"


class MaterialForm(forms.Form):
    """A file or a link."""

    title = forms.CharField(label="Название", max_length=300, required=False)
    file = forms.FileField(label="Файл", required=False)
    url = forms.URLField(label="Ссылка", max_length=1000, required=False, assume_scheme="https")


class ImportForm(forms.Form):
    """A webinar platform's participants export."""

    file = forms.FileField(label="Выгрузка участников (CSV или XLSX)")
