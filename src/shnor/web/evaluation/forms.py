"""Forms of the evaluation pages (Russian labels; the services check the rights and the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from shnor.core.evaluation import CriteriaSet, EvaluationForm


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class _UsersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class DateInput(forms.DateInput):
    """A browser date picker (the value is ISO, the page shows ДД.ММ.ГГГГ)."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class EvaluationCreateForm(forms.Form):
    """Assign an inspection or a programme review of one school."""

    form_code = forms.ChoiceField(label="Форма оценки")
    year = forms.IntegerField(
        label="Год (дорожная карта этого года получит рекомендации)", min_value=2000, max_value=2100
    )
    subject = forms.CharField(
        label="Документ на экспертизу (название программы; для комплексной оценки — не обязательно)",
        max_length=500,
        required=False,
    )
    subject_url = forms.URLField(
        label="Ссылка на документ", max_length=500, required=False, assume_scheme="https"
    )
    experts = _UsersChoice(queryset=None, label="Эксперты", widget=forms.CheckboxSelectMultiple)
    lead_expert = _UserChoice(
        queryset=None, label="Ведущий эксперт", required=False, empty_label="не назначен"
    )
    start_date = forms.DateField(label="Начало", required=False, widget=DateInput())
    due_date = forms.DateField(label="Срок завершения", required=False, widget=DateInput())

    def __init__(self, *args: Any, criteria: CriteriaSet, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form_code"].choices = [(f.code, f.title) for f in criteria.forms]
        self.fields["experts"].queryset = candidates
        self.fields["lead_expert"].queryset = candidates


def score_field(code: str) -> str:
    """The form field of a criterion's score."""
    return f"score_{code}"


def comment_field(code: str) -> str:
    """The form field of a criterion's comment."""
    return f"comment_{code}"


class ReviewForm(forms.Form):
    """An expert's criteria form: a score and a comment per criterion, the conclusion, recommendations."""

    conclusion = forms.CharField(
        label="Заключение эксперта", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    recommendations = forms.CharField(
        label="Рекомендации (каждая с новой строки)", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: Any, form: EvaluationForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria_form = form
        for c in form.criteria:
            self.fields[score_field(c.code)] = forms.TypedChoiceField(
                label=f"{c.code}. {c.text}",
                choices=[(str(s), label) for s, label in c.options],
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
                help_text=c.guidance,
            )
            self.fields[comment_field(c.code)] = forms.CharField(
                label=f"Комментарий к {c.code}",
                required=False,
                max_length=2000,
                widget=forms.TextInput(attrs={"size": 90}),
            )

    def sections(self) -> list[dict[str, Any]]:
        """The bound fields grouped by section, for the template."""
        return [
            {
                "title": s.title,
                "rows": [
                    {
                        "criterion": c,
                        "score": self[score_field(c.code)],
                        "comment": self[comment_field(c.code)],
                    }
                    for c in s.criteria
                ],
            }
            for s in self.criteria_form.sections
        ]

    def scores(self) -> dict[str, int | None]:
        """Scores by criterion code (after ``is_valid``)."""
        return {c.code: self.cleaned_data.get(score_field(c.code)) for c in self.criteria_form.criteria}

    def comments(self) -> dict[str, str]:
        """Comments by criterion code (after ``is_valid``)."""
        return {c.code: self.cleaned_data.get(comment_field(c.code), "") for c in self.criteria_form.criteria}


class ConclusionForm(forms.Form):
    """The final conclusion and its recommendations."""

    conclusion = forms.CharField(label="Итоговое заключение", widget=forms.Textarea(attrs={"rows": 5}))
    recommendations = forms.CharField(
        label="Рекомендации школе (каждая с новой строки; каждая станет мероприятием дорожной карты)",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )

    def recommendation_list(self) -> list[str]:
        """The recommendations, one a line (after ``is_valid``)."""
        return [
            line.strip() for line in self.cleaned_data.get("recommendations", "").splitlines() if line.strip()
        ]
