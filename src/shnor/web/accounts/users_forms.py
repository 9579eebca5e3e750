"""Forms of user management: a user's role and scope, the import file, the invitation code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db.models import Q

from shnor.web.accounts.models import Role
from shnor.web.accounts.scope import User
from shnor.web.accounts.users import (
    ADMIN_LABEL,
    ScopeError,
    school_logins_split,
    school_region_id,
    scope_build,
)
from shnor.web.registry.models import Municipality, Region, School

ROLE_CHOICES = [(r.value, r.label) for r in Role]


class UserForm(forms.Form):
    """A user's ФИО, e-mail, role and scope; a new user also gets a login.

    The region is the administrator's (a superuser chooses it). Only the fields the role uses are taken:
    a municipality for «Муниципалитет», a school for «Школа» and «Учитель», schools for «Куратор».
    """

    username = forms.CharField(
        label="Логин",
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="буквы, цифры и символы @ . + - _",
    )
    full_name = forms.CharField(label="ФИО", max_length=150)
    email = forms.EmailField(label="Эл. почта", required=False)
    role = forms.ChoiceField(label="Роль", choices=ROLE_CHOICES)
    region = forms.ModelChoiceField(label="Регион", queryset=Region.objects.order_by("name"), required=False)
    municipality = forms.ModelChoiceField(
        label="Муниципалитет",
        queryset=Municipality.objects.none(),
        required=False,
        help_text="для роли «Муниципалитет»",
    )
    school = forms.CharField(
        label="Школа (логин ФИС ОКО)",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "schools-list", "autocomplete": "off"}),
        help_text="для ролей «Школа» и «Учитель»",
    )
    curated = forms.CharField(
        label="Закреплённые школы (логины ФИС ОКО)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text="для роли «Куратор»: через запятую, пробел или с новой строки",
    )
    users_admin = forms.BooleanField(
        label=ADMIN_LABEL,
        required=False,
        help_text="для роли «Регион»: заводит и меняет пользователей своего региона",
    )

    def __init__(
        self, *args: Any, admin: User, region: Region | None, user: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.admin, self.fixed_region, self.user = admin, region, user
        if user is not None:
            del self.fields["username"]
        if region is not None:  # a region administrator: their region only
            del self.fields["region"]
            self.fields["municipality"].queryset = Municipality.objects.filter(region=region).order_by("name")
        else:
            self.fields["region"].required = True
            self.fields["municipality"].queryset = Municipality.objects.select_related("region").order_by(
                "name"
            )

    def clean_username(self) -> str:
        """A login nobody has (compared without case)."""
        name = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError("Такой логин уже есть.")
        return name

    def _schools(self, region: Region | None, logins: list[str], field: str) -> list[School]:
        found = {
            s.school_id.lower(): s
            for s in School.objects.select_related("municipality").filter(
                Q(school_id__in=logins)
                | Q(school_id__in=[x.lower() for x in logins])
                | Q(school_id__in=[x.upper() for x in logins])
            )
        }
        missing = [x for x in logins if x.lower() not in found]
        if missing:
            self.add_error(field, "Нет в реестре: " + ", ".join(missing))
        out = [found[x.lower()] for x in logins if x.lower() in found]
        if region is not None:
            foreign = [s.school_id for s in out if school_region_id(s) != region.pk]
            if foreign:
                self.add_error(field, f"Не относятся к региону «{region.name}»: " + ", ".join(foreign))
        return out

    def clean(self) -> dict:
        """Build and check the role's scope (``cleaned_data["scope"]``)."""
        data = super().clean()
        role = data.get("role")
        region = self.fixed_region or data.get("region")
        if not role or region is None or self.errors:
            return data
        school = None
        curated: list[School] = []
        if role in {Role.SCHOOL, Role.TEACHER}:
            logins = school_logins_split(data.get("school", ""))
            if len(logins) != 1:
                self.add_error("school", "Укажите одну школу — её логин ФИС ОКО.")
                return data
            found = self._schools(region, logins, "school")
            school = found[0] if found else None
        elif role == Role.CURATOR:
            curated = self._schools(region, school_logins_split(data.get("curated", "")), "curated")
        if self.errors:
            return data
        municipality = data.get("municipality") if role == Role.MUNICIPALITY else None
        try:
            data["scope"] = scope_build(
                role=role, region=region, municipality=municipality, school=school, curated=curated
            )
        except ScopeError as exc:
            field = {
                Role.MUNICIPALITY: "municipality",
                Role.SCHOOL: "school",
                Role.TEACHER: "school",
                Role.CURATOR: "curated",
            }.get(role)
            self.add_error(field, str(exc)[:1].upper() + str(exc)[1:] + ".")
            return data
        if data.get("users_admin") and role != Role.REGION:
            self.add_error(
                "users_admin",
                "Администратором пользователей может быть только пользователь с ролью «Регион».",
            )
        return data


class ImportForm(forms.Form):
    """The users' file; a superuser also chooses the region."""

    file = forms.FileField(label="Файл пользователей (CSV или XLSX)")
    region = forms.ModelChoiceField(label="Регион", queryset=Region.objects.order_by("name"))

    def __init__(self, *args: Any, region: Region | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if region is not None:
            del self.fields["region"]

    def clean_file(self):
        """Only .csv/.xlsx, not larger than SHNOR_UPLOAD_MAX_MB."""
        f = self.cleaned_data["file"]
        if Path(f.name).suffix.lower() not in {".csv", ".txt", ".xlsx", ".xlsm"}:
            raise forms.ValidationError("Ожидается файл CSV или XLSX.")
        if f.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"Файл больше {settings.UPLOAD_MAX_MB} МБ.")
        return f


class InviteCodeForm(forms.Form):
    """The code from a printed sheet or a letter."""

    code = forms.CharField(
        label="Код приглашения",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "XXXX-XXXX-XXXX-XXXX"}),
    )
