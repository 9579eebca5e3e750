"""Bulk import of users from CSV (UTF-8 or Windows-1251, ``,`` or ``;``) or XLSX.

Columns (any order, Russian or English headers): логин, ФИО, e-mail (optional), роль, область (a school's
ФИС ОКО login for school roles; a municipality's code or name for the municipality role; school logins
separated by commas for a curator; empty or the region for region roles). Every row is checked first
(``import_plan``); nothing is stored while any row is wrong. ``import_apply`` stores the plan in one
transaction: new users are created, identical ones are left alone, changed ones are updated only when
asked to. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import decode_text, norm
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.models import Role
from shnor.web.accounts.scope import User
from shnor.web.accounts.users import (
    REGION_ROLES,
    SCHOOL_ROLES,
    Assignment,
    ScopeError,
    school_logins_split,
    scope_build,
    scope_snapshot,
    snapshot_diff,
    user_create_scoped,
    user_snapshot,
    user_update,
)
from shnor.web.registry.models import Municipality, Region, School
from shnor.web.registry.selectors import in_region

MAX_ROWS = 20000


def _key(text: object) -> str:
    return re.sub(r"[^0-9a-zа-я]", "", norm(text))


#: Field → the column names it is recognised by (compared without case, spaces and punctuation).
COLUMNS: dict[str, tuple[str, list[str]]] = {
    "login": ("Логин", ["логин", "login", "имя пользователя", "username", "учетная запись"]),
    "name": ("ФИО", ["фио", "ф.и.о.", "name", "фамилия имя отчество", "full name", "имя"]),
    "email": (
        "E-mail",
        ["e-mail", "email", "эл. почта", "электронная почта", "почта", "адрес электронной почты"],
    ),
    "role": ("Роль", ["роль", "role"]),
    "scope": (
        "Область",
        [
            "область",
            "scope",
            "область видимости",
            "школа или муниципалитет",
            "школа/муниципалитет",
            "организация",
            "школа",
            "оо",
            "логин оо",
            "муниципалитет",
            "закрепленные школы",
        ],
    ),
}
REQUIRED = ["login", "name", "role", "scope"]
_SYNONYMS = {_key(s): f for f, (_, names) in COLUMNS.items() for s in names}


def _role_names() -> dict[str, str]:
    out: dict[str, str] = {}
    for role in Role:
        out[_key(role.value)] = role.value
        out[_key(role.label)] = role.value
        out[_key(role.label.split(" (")[0])] = role.value
    extra = {
        "регион": Role.REGION,
        "аналитик региона": Role.REGION,
        "министерство": Role.REGION,
        "муниципалитет": Role.MUNICIPALITY,
        "координатор": Role.MUNICIPALITY,
        "координатор моуо": Role.MUNICIPALITY,
        "моуо": Role.MUNICIPALITY,
        "директор": Role.SCHOOL,
        "заместитель директора": Role.SCHOOL,
        "школа": Role.SCHOOL,
        "администрация школы": Role.SCHOOL,
        "учитель": Role.TEACHER,
        "педагог": Role.TEACHER,
        "куратор": Role.CURATOR,
        "наблюдатель": Role.OBSERVER,
    }
    out.update({_key(k): v.value for k, v in extra.items()})
    return out


ROLE_NAMES = _role_names()
ROLE_HINT = (
    "регион, муниципалитет, школа, учитель, куратор, наблюдатель (или код роли: region, municipality, …)"
)


@dataclass
class SourceRow:
    """One data row as read: where it is and its cells by field."""

    sheet: str
    row: int
    cells: dict[str, str]
    columns: dict[str, str]  # field → the column's header as written


@dataclass
class PlanRow:
    """One checked row: the user it describes and what importing it would do."""

    sheet: str
    row: int
    username: str
    full_name: str
    email: str
    scope: Assignment
    status: str  # "new" | "same" | "changed"
    changes: dict[str, dict[str, str]] = field(default_factory=dict)
    user_id: int | None = None

    @property
    def status_label(self) -> str:
        """The status in Russian."""
        return {"new": "новый", "same": "без изменений", "changed": "изменится"}[self.status]

    @property
    def role_label(self) -> str:
        """The role in Russian (without the explanation in brackets)."""
        return Role(self.scope.role).label.split(" (")[0]

    @property
    def scope_label(self) -> str:
        """What the user will see, in Russian."""
        s = self.scope
        if s.school is not None:
            return f"{s.school.school_id} {s.school.name}".strip()
        if s.municipality is not None:
            return s.municipality.name
        if s.curated:
            return "школы: " + ", ".join(x.school_id for x in s.curated)
        return s.region.name


@dataclass
class ImportPlan:
    """Everything the file would do, or why it cannot be imported."""

    file: str
    region: Region
    rows: list[PlanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row is wrong."""
        return not self.errors

    def count(self, status: str) -> int:
        """How many rows have this status."""
        return sum(1 for r in self.rows if r.status == status)

    @property
    def signature(self) -> str:
        """A digest of what would be done: the confirmation is refused if it changed since the preview."""
        data = [(r.username, r.status, r.changes) for r in self.rows]
        payload = json.dumps(
            [self.region.pk, data, [str(e) for e in self.errors]], ensure_ascii=False, sort_keys=True
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class ImportResult:
    """What ``import_apply`` stored."""

    created: list[Any] = field(default_factory=list)
    updated: list[Any] = field(default_factory=list)
    unchanged: int = 0
    skipped_changes: int = 0


# --- reading ----------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\xa0", " ").strip()


def _csv_rows(raw: bytes, name: str) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    text = decode_text(raw, name)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    if first.count("\t") > max(first.count(";"), first.count(",")):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for cells in reader:
        rows.append((reader.line_num, [_text(c) for c in cells]))
    return [("", rows)]


def _xlsx_rows(raw: bytes, name: str) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise IngestError(f"{name}: файл не читается как книга Excel ({exc.__class__.__name__})") from exc
    out = []
    try:
        for sheet in book.worksheets:
            rows = []
            for i, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                rows.append((i, [_text(v) for v in values]))
                if i > MAX_ROWS + 50:
                    break
            out.append((sheet.title, rows))
    finally:
        book.close()
    return out


def users_file_read(*, raw: bytes, name: str) -> tuple[list[SourceRow], list[RowError]]:
    """The data rows of a CSV or XLSX file with the recognised columns; file-level problems as errors.

    Sheets without a «Логин» column (instructions, lists of codes) are passed over; the header is the
    first non-empty row of a sheet; empty rows are skipped; row numbers are as the spreadsheet shows them.
    """
    suffix = Path(name).suffix.lower()
    if suffix in {".csv", ".txt"}:
        tables = _csv_rows(raw, name)
    elif suffix in {".xlsx", ".xlsm"}:
        tables = _xlsx_rows(raw, name)
    else:
        raise IngestError(f"{name}: неизвестный тип файла «{suffix}» (ожидается CSV или XLSX)")
    rows: list[SourceRow] = []
    errors: list[RowError] = []
    found_any = False
    for sheet, lines in tables:
        lines = [(n, cells) for n, cells in lines if any(cells)]
        if not lines:
            continue
        header_row, header = lines[0]
        fields: dict[int, str] = {}
        written: dict[str, str] = {}
        for j, h in enumerate(header):
            f = _SYNONYMS.get(_key(h))
            if f is None:
                continue
            if f in written:
                errors.append(
                    RowError(
                        name,
                        sheet,
                        header_row,
                        h,
                        f"столбец повторяет «{written[f]}» ({COLUMNS[f][0]}): оставьте один",
                    )
                )
                continue
            fields[j], written[f] = f, h
        if "login" not in written:
            continue
        found_any = True
        for f in REQUIRED:
            if f not in written:
                errors.append(
                    RowError(
                        name,
                        sheet,
                        header_row,
                        COLUMNS[f][0],
                        f"нет столбца «{COLUMNS[f][0]}» (заголовки: {', '.join(h for h in header if h)})",
                    )
                )
        for n, cells in lines[1:]:
            values = {f: (cells[j] if j < len(cells) else "") for j, f in fields.items()}
            rows.append(SourceRow(sheet=sheet, row=n, cells=values, columns=written))
    if not found_any:
        raise IngestError(
            f"{name}: не найден столбец «Логин» — первая строка листа должна содержать заголовки "
            "«Логин», «ФИО», «E-mail», «Роль», «Область»"
        )
    if len(rows) > MAX_ROWS:
        raise IngestError(f"{name}: строк больше {MAX_ROWS} — разделите файл")
    return rows, errors


# --- checking ---------------------------------------------------------------------------------------------


class _Registry:
    """The region's schools, municipalities and existing users, looked up once for the whole file."""

    def __init__(self, region: Region, logins: list[str]) -> None:
        self.region = region
        schools = School.objects.select_related("municipality", "region").filter(in_region(region.pk))
        self.schools = {s.school_id.lower(): s for s in schools}
        muns = list(Municipality.objects.filter(region=region).select_related("region"))
        self.mun_by_code = {m.code.lower(): m for m in muns}
        self.mun_by_name: dict[str, list[Municipality]] = defaultdict(list)
        for m in muns:
            self.mun_by_name[norm(m.name)].append(m)
        User = get_user_model()
        lowered = {u.lower() for u in logins}
        users = (
            User.objects.filter(Q(username__in=logins) | Q(username__in=lowered))
            .select_related("profile__region", "profile__municipality", "profile__school")
            .prefetch_related("profile__curated_schools")
        )
        self.users = {u.username.lower(): u for u in users}

    def school(self, login: str) -> School:
        s = self.schools.get(login.lower())
        if s is None:
            elsewhere = School.objects.filter(school_id__iexact=login).exists()
            if elsewhere:
                raise ScopeError(f"школа «{login}» относится к другому региону")
            raise ScopeError(f"школа с логином ФИС ОКО «{login}» не найдена в реестре региона")
        return s

    def municipality(self, text: str) -> Municipality:
        m = self.mun_by_code.get(text.lower())
        if m is not None:
            return m
        found = self.mun_by_name.get(norm(text), [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ScopeError(
                f"муниципалитетов с названием «{text}» несколько — укажите код: "
                + ", ".join(m.code for m in found)
            )
        known = ", ".join(f"{m.code} {m.name}" for m in list(self.mun_by_code.values())[:3])
        raise ScopeError(
            f"муниципалитет «{text}» не найден в реестре региона (укажите код или название, "
            f"как в реестре, например: {known})"
        )

    def region_check(self, text: str) -> None:
        if not text:
            return
        if text.lower() == self.region.code.lower() or norm(text) == norm(self.region.name):
            return
        raise ScopeError(
            f"«{text}» — не ваш регион (для роли региона оставьте область пустой "
            f"или укажите «{self.region.name}»)"
        )


def _scope_from_text(reg: _Registry, role: str, text: str) -> Assignment:
    if role in REGION_ROLES:
        reg.region_check(text)
        return scope_build(role=role, region=reg.region)
    if not text:
        what = {
            Role.MUNICIPALITY: "код или название муниципалитета",
            Role.CURATOR: "логины закреплённых школ",
        }
        raise ScopeError(f"не указана область: нужен {what.get(role, 'логин школы в ФИС ОКО')}")
    if role == Role.MUNICIPALITY:
        return scope_build(role=role, region=reg.region, municipality=reg.municipality(text))
    if role in SCHOOL_ROLES:
        parts = school_logins_split(text)
        if len(parts) != 1:
            raise ScopeError("для школы или учителя указывается одна школа (логин ФИС ОКО)")
        return scope_build(role=role, region=reg.region, school=reg.school(parts[0]))
    problems, schools = [], []
    for login in school_logins_split(text):
        try:
            schools.append(reg.school(login))
        except ScopeError as exc:
            problems.append(str(exc))
    if problems:
        raise ScopeError("; ".join(problems))
    return scope_build(role=role, region=reg.region, curated=schools)


def import_plan(
    *, admin: User, region: Region, rows: list[SourceRow], errors: list[RowError], file: str
) -> ImportPlan:
    """Check every row against the registry of ``region`` and the existing users; nothing is written."""
    from shnor.web.accounts.users import users_managed_by

    plan = ImportPlan(file=file, region=region, errors=list(errors))
    reg = _Registry(region, [r.cells.get("login", "") for r in rows if r.cells.get("login")])
    managed = set(
        users_managed_by(admin=admin)
        .filter(pk__in=[u.pk for u in reg.users.values()])
        .values_list("pk", flat=True)
    )
    seen: dict[str, int] = {}
    username_check = UnicodeUsernameValidator()

    for src in rows:

        def bad(f: str, message: str, value: str = "", src: SourceRow = src) -> None:
            column = src.columns.get(f, COLUMNS[f][0])
            plan.errors.append(RowError(file, src.sheet, src.row, column, message, value))

        n_before = len(plan.errors)
        login = src.cells.get("login", "")
        full_name = re.sub(r"\s+", " ", src.cells.get("name", ""))
        email = src.cells.get("email", "").strip()
        role_text = src.cells.get("role", "")
        scope_text = src.cells.get("scope", "")
        if not login:
            bad("login", "не указан логин")
        elif len(login) > 150:
            bad("login", "логин длиннее 150 символов", login)
        else:
            try:
                username_check(login)
            except ValidationError:
                bad(
                    "login",
                    "логин может содержать только буквы, цифры и символы @ . + - _ (без пробелов)",
                    login,
                )
            if login.lower() in seen:
                bad("login", f"логин уже встречается в строке {seen[login.lower()]}", login)
            else:
                seen[login.lower()] = src.row
        if not full_name:
            bad("name", "не указаны ФИО")
        elif len(full_name) > 150:
            bad("name", "ФИО длиннее 150 символов", full_name)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                bad("email", "адрес электронной почты записан с ошибкой", email)
        role = ROLE_NAMES.get(_key(role_text)) if role_text else None
        if not role_text:
            bad("role", f"не указана роль: {ROLE_HINT}")
        elif role is None:
            bad("role", f"неизвестная роль; допустимо: {ROLE_HINT}", role_text)
        scope = None
        if role is not None:
            try:
                scope = _scope_from_text(reg, role, scope_text)
            except ScopeError as exc:
                bad("scope", str(exc), scope_text)
        existing = reg.users.get(login.lower()) if login else None
        if existing is not None and len(plan.errors) == n_before:
            if existing.username != login:
                bad(
                    "login",
                    f"логин отличается от существующего «{existing.username}» только регистром букв",
                    login,
                )
            elif existing.is_superuser:
                bad("login", "это учётная запись администратора системы — она импортом не меняется", login)
            elif existing.pk not in managed:
                bad("login", "логин занят пользователем вне вашего региона — выберите другой", login)
            elif existing.pk == admin.pk and scope is not None and scope.role != Role.REGION:
                bad("role", "свою роль импортом не сменить — попросите другого администратора", role_text)
        if len(plan.errors) != n_before or scope is None:
            continue
        after = scope_snapshot(full_name=full_name, email=email, scope=scope)
        if existing is None:
            plan.rows.append(
                PlanRow(src.sheet, src.row, login, full_name, email, scope, "new", snapshot_diff({}, after))
            )
            continue
        diff = snapshot_diff(user_snapshot(existing), after)
        plan.rows.append(
            PlanRow(
                src.sheet,
                src.row,
                login,
                full_name,
                email,
                scope,
                "changed" if diff else "same",
                diff,
                existing.pk,
            )
        )
    if not plan.rows and not plan.errors:
        plan.errors.append(RowError(file, "", 1, "", "в файле нет ни одной строки с пользователем"))
    return plan


@transaction.atomic
def import_apply(*, admin: User, plan: ImportPlan, update_changed: bool) -> ImportResult:
    """Store a checked plan in one transaction: create the new users, update the changed ones when
    ``update_changed``, leave the identical ones alone; one audit entry per user and one for the file."""
    if not plan.ok:
        raise ValueError("план импорта с ошибками не применяется")
    User = get_user_model()
    result = ImportResult()
    for row in plan.rows:
        if row.status == "new":
            result.created.append(
                user_create_scoped(
                    username=row.username, full_name=row.full_name, email=row.email, scope=row.scope
                )
            )
        elif row.status == "changed":
            if not update_changed:
                result.skipped_changes += 1
                continue
            user = User.objects.select_for_update().get(pk=row.user_id)
            user_update(
                admin=admin,
                user=user,
                full_name=row.full_name,
                email=row.email,
                scope=row.scope,
                action="изменение пользователя (импорт)",
            )
            result.updated.append(user)
        else:
            result.unchanged += 1
    audit_record(
        action="импорт пользователей",
        object_type="файл",
        object_repr=plan.file,
        changes={
            "регион": plan.region.name,
            "создано": len(result.created),
            "обновлено": len(result.updated),
            "без изменений": result.unchanged,
            "изменения не приняты": result.skipped_changes,
        },
    )
    return result
