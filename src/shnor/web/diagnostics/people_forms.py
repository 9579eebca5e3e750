"""Forms of people's development; every choice is narrowed to what the user sees."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.diagnostics.models import HeadReserve, Internship, MentoringPair, Person
from shnor.web.diagnostics.people_selectors import listed_school_ids, people_visible_to
from shnor.web.registry.models import Municipality, School
from shnor.web.registry.selectors import in_region


class DateInput(forms.DateInput):
    """A browser date picker (the value is ISO; pages show dates as ДД.ММ.ГГГГ)."""

    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date(label: str, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput())


class SchoolChoice(forms.ModelChoiceField):
    """A school shown as «login name»."""

    def label_from_instance(self, obj: School) -> str:
        return f"{obj.school_id} {obj.name}".strip()


def region_schools(user: User) -> QuerySet[School]:
    """Schools of the user's region (mentors may come from any school of the region)."""
    s = scope_of(user)
    if s.superuser:
        return School.objects.all()
    region_id = s.region_id
    if region_id is None and s.municipality_id is not None:
        region_id = (
            Municipality.objects.filter(pk=s.municipality_id).values_list("region_id", flat=True).first()
        )
    if region_id is None and s.school_id is not None:
        school = School.objects.filter(pk=s.school_id).first()
        region_id = school.region_id or (school.municipality.region_id if school.municipality else None)
    if region_id is None:
        return School.objects.none()
    return School.objects.filter(in_region(region_id))


class PersonForm(forms.Form):
    """A head, deputy, municipal specialist or methodist."""

    full_name = forms.CharField(label="ФИО", max_length=300)
    position = forms.ChoiceField(label="Должность", choices=Person.POSITIONS)
    school = SchoolChoice(label="Школа", queryset=School.objects.none(), required=False)
    municipality = forms.ModelChoiceField(
        label="Муниципалитет (для муниципального специалиста)",
        queryset=Municipality.objects.none(),
        required=False,
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.visible_to(user)
        self.fields["municipality"].queryset = Municipality.objects.visible_to(user)


class InternshipForm(forms.Form):
    """An internship or coaching practice at a school with high results."""

    kind = forms.ChoiceField(label="Вид", choices=Internship.KINDS)
    host = SchoolChoice(label="Базовая школа (с высокими результатами)", queryset=School.objects.none())
    guests = forms.ModelMultipleChoiceField(label="Участники", queryset=Person.objects.none())
    topic = forms.CharField(label="Тема", max_length=500)
    starts_on = _date("Начало")
    ends_on = _date("Окончание")
    outcome = forms.CharField(
        label="Итог (можно внести позже)", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = School.objects.visible_to(user).exclude(pk__in=listed_school_ids())
        self.fields["guests"].queryset = people_visible_to(user=user)


class InternshipStatusForm(forms.Form):
    """An internship's status and outcome."""

    status = forms.ChoiceField(label="Статус", choices=Internship.STATUSES)
    outcome = forms.CharField(label="Итог", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class MentoringPairForm(forms.Form):
    """A mentor teacher (any school of the region) and a mentee of a school on the ШНОР list."""

    mentor_school = SchoolChoice(label="Школа наставника", queryset=School.objects.none())
    mentor_code = forms.CharField(label="Код учителя-наставника", max_length=64)
    mentor_name = forms.CharField(label="ФИО наставника", max_length=300, required=False)
    mentee_school = SchoolChoice(label="Школа наставляемого (из списка ШНОР)", queryset=School.objects.none())
    mentee_code = forms.CharField(label="Код наставляемого учителя", max_length=64)
    mentee_name = forms.CharField(label="ФИО наставляемого", max_length=300, required=False)
    subject = forms.CharField(label="Предмет", max_length=200)
    starts_on = _date("Начало")
    ends_on = _date("Окончание (план)", required=False)
    goals = forms.CharField(label="Цели наставничества", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        s = scope_of(user)
        mentees = School.objects.visible_to(user).filter(pk__in=listed_school_ids())
        if s.role == Role.SCHOOL and not s.superuser:
            mentees = mentees.filter(pk=s.school_id)
        self.fields["mentee_school"].queryset = mentees
        self.fields["mentor_school"].queryset = region_schools(user)


class MeetingForm(forms.Form):
    """An entry of a pair's meetings log."""

    held_on = _date("Дата встречи")
    note = forms.CharField(label="Содержание встречи", max_length=1000)


class PairResultForm(forms.Form):
    """A pair's status, result and end date."""

    status = forms.ChoiceField(label="Статус", choices=MentoringPair.STATUSES)
    ends_on = _date("Дата окончания", required=False)
    result = forms.CharField(label="Результат", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ReserveForm(forms.Form):
    """A person included in the reserve of heads."""

    person = forms.ModelChoiceField(label="Сотрудник", queryset=Person.objects.none())
    position_aimed = forms.CharField(label="На должность", max_length=300)
    included_on = _date("Дата включения")
    note = forms.CharField(label="Примечание", max_length=1000, required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people_visible_to(user=user)


class ReserveStatusForm(forms.Form):
    """A reserve entry's status."""

    status = forms.ChoiceField(label="Статус", choices=HeadReserve.STATUSES)
    note = forms.CharField(label="Примечание", max_length=1000, required=False)


class CompetitionForm(forms.Form):
    """A competition of development programmes."""

    title = forms.CharField(label="Название конкурса", max_length=500)
    year = forms.IntegerField(label="Год", min_value=2015, max_value=2100)


class EntryForm(forms.Form):
    """A school's programme entered in a competition."""

    school = SchoolChoice(label="Школа", queryset=School.objects.none())
    programme = forms.CharField(label="Программа развития", max_length=500)
    file = forms.FileField(label="Файл программы (PDF, DOCX, ODT, RTF, PPTX, ZIP)", required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.visible_to(user)


class EntryResultForm(forms.Form):
    """The jury's result of an entry."""

    place = forms.IntegerField(label="Место", min_value=1, max_value=1000, required=False)
    score = forms.FloatField(label="Балл", min_value=0, max_value=100000, required=False)
    decision = forms.CharField(label="Решение жюри", max_length=500, required=False)
