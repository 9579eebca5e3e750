"""Forms of report requests: a new request with its recipients, a part's draft, a review, a quarter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from shnor.web.accounts.scope import User
from shnor.web.registry.models import Municipality, School
from shnor.web.submissions.models import Kind
from shnor.web.submissions.selectors import listed_schools, recipient_choices

RECIPIENTS = [
    ("listed", "Все школы списка ШНОР"),
    ("municipality", "Школы муниципалитета"),
    ("schools", "Выбранные школы"),
    ("municipalities", "Муниципалитеты"),
]


class SchoolChoice(forms.ModelMultipleChoiceField):
    """Schools shown by name and municipality."""

    def label_from_instance(self, obj: School) -> str:
        mun = obj.municipality.name if obj.municipality_id else ""
        return f"{obj.name} ({mun})" if mun else obj.name


class RequestForm(forms.Form):
    """A new request: what, by when, to whom."""

    kind = forms.ChoiceField(label="Вид отчёта", choices=Kind.choices)
    title = forms.CharField(label="Название", max_length=300)
    instruction = forms.CharField(
        label="Указания получателям", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    deadline = forms.DateField(label="Срок", widget=forms.DateInput(attrs={"type": "date"}))
    year = forms.IntegerField(label="Год дорожной карты", min_value=2015, max_value=2100, required=False)
    remind_days = forms.IntegerField(label="Напомнить за, дней", min_value=0, max_value=60, initial=3)
    recipients = forms.ChoiceField(label="Получатели", choices=RECIPIENTS, initial="schools")
    municipality = forms.ModelChoiceField(
        label="Муниципалитет", queryset=Municipality.objects.none(), required=False
    )
    schools = SchoolChoice(label="Школы", queryset=School.objects.none(), required=False)
    municipalities = forms.ModelMultipleChoiceField(
        label="Муниципалитеты", queryset=Municipality.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        choices = recipient_choices(user=user)
        self.fields["schools"].queryset = choices["schools"]
        self.fields["schools"].widget.attrs["size"] = 12
        self.fields["municipality"].queryset = Municipality.objects.filter(
            pk__in=choices["schools"].values("municipality_id")
        ).order_by("name")
        self.fields["municipalities"].queryset = choices["municipalities"]
        if not choices["municipalities"].exists():
            self.fields["recipients"].choices = RECIPIENTS[:3]
        self.fields["deadline"].initial = dt.date.today() + dt.timedelta(days=7)

    def clean(self) -> dict[str, Any]:
        """Resolve the recipients into ``schools`` or ``municipalities``; a roadmap report needs its year."""
        data = super().clean()
        mode = data.get("recipients")
        schools: list[School] = []
        muns: list[Municipality] = []
        if mode == "listed":
            schools = list(listed_schools(user=self.user, year=data.get("year")))
            if not schools:
                self.add_error("recipients", "В списке ШНОР за этот год нет школ из вашей области видимости.")
        elif mode == "municipality":
            if data.get("municipality") is None:
                self.add_error("municipality", "Выберите муниципалитет.")
            else:
                schools = list(self.fields["schools"].queryset.filter(municipality=data["municipality"]))
        elif mode == "schools":
            schools = list(data.get("schools") or [])
            if not schools:
                self.add_error("schools", "Выберите хотя бы одну школу.")
        elif mode == "municipalities":
            muns = list(data.get("municipalities") or [])
            if not muns:
                self.add_error("municipalities", "Выберите хотя бы один муниципалитет.")
        if data.get("kind") == Kind.ROADMAP and not data.get("year"):
            self.add_error("year", "Укажите год дорожной карты, о выполнении которой нужен отчёт.")
        data["school_list"], data["municipality_list"] = schools, muns
        return data


class PartForm(forms.Form):
    """A recipient's draft: text and an optional file."""

    text = forms.CharField(
        label="Текст", widget=forms.Textarea(attrs={"rows": 8}), required=False, max_length=100_000
    )
    file = forms.FileField(label="Файл", required=False)


class ReviewForm(forms.Form):
    """Accept or return with a comment."""

    decision = forms.ChoiceField(choices=[("accept", "Принять"), ("return", "Вернуть на доработку")])
    comment = forms.CharField(
        label="Замечание", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )


class QuarterForm(forms.Form):
    """A year and a quarter."""

    year = forms.IntegerField(label="Год", min_value=2015, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="Квартал",
        coerce=int,
        choices=[(q, f"{q}-й квартал") for q in (1, 2, 3, 4)],
    )
