"""Import of an event's participants from a webinar platform's export (CSV or XLSX), one connection a row:

«ФИО» (required), «Организация» / «Школа» / «Образовательная организация», «Логин ОО» / «ИНН» (at least
one of the school's columns), «Должность», «Время подключения», «Длительность» (minutes, «45 мин» or
«ч:мм:сс»). The school is matched by its login (the registry's «логин ФИС ОКО»), else by its name among the
event's target schools the user sees; the rows left unmatched are shown to the user, who assigns each
organisation to a school or leaves it out (``mapping``), then the import runs.

Atomic: every row is checked first; a wrong cell (an empty name, a time or a duration that cannot be read)
rejects the whole file naming its file, sheet, row and column. Several connections of one person are
merged (the earliest time, the durations summed). A person already recorded is updated, so importing the
same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from shnor.core.ingest.common import find_column
from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import Sheet, norm, read_tables
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User
from shnor.web.events import selectors as sel
from shnor.web.events.labels import Source
from shnor.web.events.models import Event, Participant, SchoolAttendance
from shnor.web.events.services import clean_name
from shnor.web.outcome import ImportOutcome, error_report_write
from shnor.web.registry.models import School

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("ФИО", "ФИО участника", "Участник", "Имя участника", "Фамилия Имя Отчество"),
    "org": ("Организация", "Школа", "ОО", "Образовательная организация", "Место работы"),
    "login": ("Логин ОО", "Логин", "Код ОО", "ИНН", "ИНН ОО"),
    "position": ("Должность",),
    "joined": ("Время подключения", "Подключение", "Время входа", "Начало участия"),
    "duration": ("Длительность", "Длительность, мин", "Продолжительность", "Время участия"),
}
SKIP = "skip"
_TIME_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
)


@dataclass
class Row:
    """One checked connection of the file."""

    line: int
    name: str
    org: str
    login: str
    position: str
    joined: dt.datetime | None
    minutes: int | None


@dataclass
class Plan:
    """A read file: its rows with the school each matched (or None), the unmatched organisations."""

    file: str
    rows: list[tuple[Row, School | None]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def unmatched(self) -> list[tuple[str, str, int]]:
        """``(key, organisation as written, rows)`` of the organisations no school was found for."""
        groups: dict[str, list[Row]] = {}
        for r, school in self.rows:
            if school is None:
                groups.setdefault(org_key(r), []).append(r)
        return [
            (k, rows[0].org or rows[0].login or "не указана", len(rows)) for k, rows in sorted(groups.items())
        ]


def org_key(r: Row) -> str:
    """What groups the rows of one organisation for the user's choice: its name, else its login."""
    return _plain(r.org) or norm(r.login) or "—"


def _plain(text: str) -> str:
    """A school's name for matching: normalised, without quotes and the «№» spacing."""
    t = norm(text)
    t = re.sub(r"[«»\"'“”„]", "", t)
    t = re.sub(r"№\s*", "№", t)
    return re.sub(r"\s+", " ", t).strip()


def parse_time(text: str, day: dt.date) -> dt.datetime:
    """«05.12.2026 10:03», «2026-12-05 10:03:15» or «10:03» (on the event's day) as an aware datetime."""
    t = str(text).strip()
    for fmt in _TIME_FORMATS:
        try:
            return timezone.make_aware(dt.datetime.strptime(t, fmt))
        except ValueError:
            continue
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", t)
    if m and int(m[1]) < 24 and int(m[2]) < 60:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(int(m[1]), int(m[2]), int(m[3] or 0))))
    raise ValueError(t)


def parse_minutes(text: str) -> int:
    """«45», «45,5», «45 мин», «1:05:00» or «0:45» (ч:мм) as whole minutes (rounded)."""
    t = norm(text).removesuffix(".").replace("минут", "").replace("мин", "").strip()
    m = re.fullmatch(r"(\d+):(\d{2})(?::(\d{2}))?", t)
    if m:
        return round(int(m[1]) * 60 + int(m[2]) + int(m[3] or 0) / 60)
    value = float(t.replace(",", "."))
    if value < 0 or value > 24 * 60:
        raise ValueError(t)
    return round(value)


def _sheet(path: Path) -> tuple[Sheet, dict[str, str]]:
    for sheet in read_tables(path):
        cols = {k: find_column(sheet, *names) for k, names in COLUMNS.items()}
        if cols["name"] is not None:
            if cols["org"] is None and cols["login"] is None:
                raise IngestError(
                    f"{path.name}: нет столбца школы — ожидается «Организация» (или «Школа») либо «Логин ОО»"
                )
            return sheet, {k: v for k, v in cols.items() if v is not None}
    raise IngestError(f"{path.name}: не найден лист со столбцом «ФИО»")


def plan_read(*, path: Path | str, user: User, event: Event, name: str = "") -> Plan:
    """Read and check the file, matching each row's school among the event's targets the user marks."""
    path = Path(path)
    sheet, cols = _sheet(path)
    plan = Plan(name or path.name)
    head = {k: sheet.header[int(c[1:])] for k, c in cols.items()}
    data = sheet.data.select(list(cols.values())).rename({c: k for k, c in cols.items()})
    schools = list(sel.schools_markable(user=user, event=event))
    by_login = {norm(s.school_id): s for s in schools}
    by_name: dict[str, School | None] = {}
    for s in schools:
        key = _plain(s.name)
        by_name[key] = None if key in by_name else s  # two schools of one name: not a match
    day = timezone.localtime(event.starts_at).date()

    def err(line: int, key: str, msg: str, value: Any = "") -> None:
        plan.errors.append(RowError(plan.file, sheet.name, line, head.get(key, key), msg, str(value or "")))

    for i, r in enumerate(data.iter_rows(named=True)):
        line = i + 2
        if not any(v for v in r.values()):
            continue
        person = clean_name(r.get("name") or "")
        if not person:
            err(line, "name", "не указано ФИО участника")
            continue
        joined = minutes = None
        if r.get("joined"):
            try:
                joined = parse_time(r["joined"], day)
            except ValueError:
                err(
                    line,
                    "joined",
                    "время подключения не распознано (ожидается, например, 05.12.2026 10:03)",
                    r["joined"],
                )
                continue
        if r.get("duration"):
            try:
                minutes = parse_minutes(r["duration"])
            except ValueError:
                err(
                    line,
                    "duration",
                    "длительность не распознана (ожидаются минуты или ч:мм:сс)",
                    r["duration"],
                )
                continue
        row = Row(
            line,
            person,
            str(r.get("org") or "").strip(),
            str(r.get("login") or "").strip(),
            str(r.get("position") or "").strip(),
            joined,
            minutes,
        )
        school = by_login.get(norm(row.login)) if row.login else None
        if school is None and row.org:
            school = by_name.get(_plain(row.org))
        plan.rows.append((row, school))
    return plan


def attendance_import(
    *,
    path: Path | str,
    actor: User,
    event: Event,
    name: str = "",
    mapping: dict[str, str] | None = None,
) -> ImportOutcome:
    """Import the participants of ``event`` from a platform's export. ``mapping``: for each unmatched
    organisation (``Plan.unmatched`` key) a school's pk among those the actor marks, or ``"skip"``.
    Refused (status «refused», nothing stored) while an organisation is left unresolved."""
    if not sel.can_import(user=actor, event=event):
        raise PermissionDenied("загружать участников этого мероприятия вам не разрешено")
    path = Path(path)
    name = name or path.name
    try:
        plan = plan_read(path=path, user=actor, event=event, name=name)
    except IngestError as exc:
        return ImportOutcome(name, "rejected", str(exc))
    if plan.errors:
        summary = f"{name}: файл не загружен — ошибок в строках: {len(plan.errors)}"
        report = error_report_write(name, plan.errors, summary, [])
        return ImportOutcome(name, "rejected", summary, errors=plan.errors, report=report)
    if not plan.rows:
        return ImportOutcome(name, "rejected", f"{name}: в файле нет ни одного участника")
    markable = {str(s.pk): s for s in sel.schools_markable(user=actor, event=event)}
    mapping = mapping or {}
    chosen: dict[str, School | None] = {}
    for key, org, _n in plan.unmatched:
        value = mapping.get(key, "")
        if value == SKIP:
            chosen[key] = None
        elif value in markable:
            chosen[key] = markable[value]
        else:
            return ImportOutcome(name, "refused", f"{name}: не указана школа для организации «{org}»")
    merged: dict[tuple[int, str], Row] = {}
    schools: dict[int, School] = {}
    for row, school in plan.rows:
        school = school if school is not None else chosen[org_key(row)]
        if school is None:
            continue
        schools[school.pk] = school
        key = (school.pk, row.name)
        if key in merged:
            old = merged[key]
            times = [t for t in (old.joined, row.joined) if t is not None]
            old.joined = min(times) if times else None
            if row.minutes is not None:
                old.minutes = (old.minutes or 0) + row.minutes
            old.position = old.position or row.position
        else:
            merged[key] = Row(**vars(row))
    return _store(actor=actor, event=event, name=name, merged=merged, schools=schools)


def _store(
    *, actor: User, event: Event, name: str, merged: dict[tuple[int, str], Row], schools: dict[int, School]
) -> ImportOutcome:
    added = updated = 0
    with transaction.atomic():
        existing = {
            (p.school_id, p.full_name): p
            for p in Participant.objects.filter(event=event, school_id__in=schools)
        }
        for (school_pk, person), row in merged.items():
            p = existing.get((school_pk, person))
            values = {"position": row.position, "joined_at": row.joined, "duration_minutes": row.minutes}
            if p is None:
                Participant.objects.create(
                    event=event, school_id=school_pk, full_name=person, source=Source.IMPORT, **values
                )
                added += 1
            elif any(getattr(p, k) != v for k, v in values.items() if v not in (None, "")):
                for k, v in values.items():
                    if v not in (None, ""):
                        setattr(p, k, v)
                p.save()
                updated += 1
        had = set(
            SchoolAttendance.objects.filter(event=event, school_id__in=schools).values_list(
                "school_id", flat=True
            )
        )
        new_schools = [pk for pk in schools if pk not in had]
        SchoolAttendance.objects.bulk_create(
            [
                SchoolAttendance(event=event, school_id=pk, source=Source.IMPORT, marked_by=_user(actor))
                for pk in new_schools
            ]
        )
        if added or updated or new_schools:
            audit_record(
                action="загрузка участников мероприятия",
                object_type="мероприятие",
                object_id=str(event.pk),
                object_repr=str(event),
                changes={
                    "файл": name,
                    "участников добавлено": added,
                    "обновлено": updated,
                    "школ отмечено": len(new_schools),
                },
                user=actor,
            )
    if not (added or updated or new_schools):
        return ImportOutcome(name, "unchanged", f"{name}: всё уже было загружено — ничего не изменилось")
    return ImportOutcome(
        name,
        "stored",
        f"{name}: участников добавлено — {added}, обновлено — {updated}; "
        f"школ отмечено впервые — {len(new_schools)} (всего школ в файле — {len(schools)})",
    )


def _user(actor: User) -> Any:
    return actor if getattr(actor, "pk", None) else None
