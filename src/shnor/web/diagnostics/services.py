"""Writes for teacher diagnostics: import of competence results, routes (ИОМ), enrolments, courses, accounts.

The file format is described in docs/monitoring.md («Результаты диагностики компетенций учителей»).
Rows are validated with ``shnor.core.ingest.columns.parse_table`` (row and column in every Russian
error); rows of schools outside the importing user's scope are rejected, never loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction

from shnor.core.ingest.columns import Column, parse_table
from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import read_tables
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.models import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.diagnostics.models import (
    CompetenceImport,
    CompetenceResult,
    Course,
    DevelopmentRoute,
    Enrolment,
    Teacher,
)
from shnor.web.diagnostics.selectors import courses_for_area, teacher_deficit_areas
from shnor.web.registry.models import School

COLUMNS = [
    Column("Логин ОО", aliases=("school_id", "логин", "логин оо фис око")),
    Column("Код учителя", aliases=("teacher_code", "код", "код педагога")),
    Column("ФИО", required=False, nullable=True, aliases=("full_name", "фио учителя")),
    Column("Предмет", aliases=("subject",)),
    Column("Область компетенций", aliases=("area", "компетенция", "область")),
    Column("Балл", kind="float", low=0, aliases=("score",)),
    Column("Максимум", kind="float", low=0.0001, aliases=("max", "максимальный балл", "max_score")),
    Column("Дата", aliases=("date", "дата диагностики")),
]
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y")


@dataclass
class CompetenceOutcome:
    """What an import did: the stored batch, counts and the row errors."""

    batch: CompetenceImport | None
    rows_total: int = 0
    rows_loaded: int = 0
    teachers_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _date(text: str) -> dt.date | None:
    raw = text.strip().split(" ")[0]
    for f in DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, f).date()
        except ValueError:
            continue
    return None


def competence_file_import(*, path: Path, user: User, original_name: str = "") -> CompetenceOutcome:
    """Load a CSV/XLSX of teacher competence results; bad rows are reported and skipped, good rows stored."""
    name = original_name or path.name
    sheets = read_tables(path)
    if not sheets:
        raise IngestError(f"{name}: в файле нет таблиц")
    allowed = dict(School.objects.visible_to(user).values_list("school_id", "pk"))
    outcome = CompetenceOutcome(batch=None)
    good: list[dict[str, Any]] = []
    for sheet in sheets:
        parsed = parse_table(sheet, COLUMNS)
        outcome.rows_total += parsed.rows_total
        outcome.errors += [
            RowError(name, e.sheet, e.row, e.column, e.message, e.value) for e in parsed.errors
        ]
        outcome.warnings += parsed.warnings
        for r in parsed.frame.iter_rows(named=True):
            where = (name, sheet.name, int(r["source_row"]))
            sid = str(r["Логин ОО"]).strip()
            if sid not in allowed:
                outcome.errors.append(
                    RowError(*where, "Логин ОО", "школа не найдена в реестре или вне вашей области", sid)
                )
                continue
            day = _date(str(r["Дата"]))
            if day is None:
                outcome.errors.append(
                    RowError(*where, "Дата", "ожидается дата ДД.ММ.ГГГГ или ГГГГ-ММ-ДД", str(r["Дата"]))
                )
                continue
            if r["Балл"] > r["Максимум"]:
                outcome.errors.append(RowError(*where, "Балл", "балл больше максимального", f"{r['Балл']:g}"))
                continue
            good.append({**r, "school_pk": allowed[sid], "day": day})
    outcome.errors.sort(key=lambda e: (e.sheet, e.row, e.column))
    with transaction.atomic():
        batch = CompetenceImport.objects.create(
            file_name=name[:255],
            rows_total=outcome.rows_total,
            rows_loaded=0,
            errors=[e.as_dict() for e in outcome.errors[:500]],
            warnings=outcome.warnings[:50],
            created_by=user if getattr(user, "pk", None) else None,
        )
        teachers: dict[tuple[int, str], Teacher] = {}
        for r in good:
            key = (r["school_pk"], str(r["Код учителя"]).strip())
            t = teachers.get(key)
            if t is None:
                t, created = Teacher.objects.get_or_create(school_id=key[0], code=key[1][:64])
                outcome.teachers_created += int(created)
                teachers[key] = t
            if r["ФИО"] and not t.full_name:
                t.full_name = str(r["ФИО"]).strip()[:300]
                t.save(update_fields=["full_name"])
            CompetenceResult.objects.update_or_create(
                teacher=t,
                subject=str(r["Предмет"]).strip()[:200],
                area=str(r["Область компетенций"]).strip()[:300],
                assessed_on=r["day"],
                defaults={"score": float(r["Балл"]), "max_score": float(r["Максимум"]), "batch": batch},
            )
            outcome.rows_loaded += 1
        batch.rows_loaded = outcome.rows_loaded
        batch.save(update_fields=["rows_loaded"])
    outcome.batch = batch
    audit_record(
        action="import",
        object_type="diagnostics.competenceimport",
        object_id=str(batch.pk),
        object_repr=name,
        changes={"rows": outcome.rows_total, "loaded": outcome.rows_loaded, "errors": len(outcome.errors)},
        user=user,
    )
    return outcome


def teacher_create(*, school: Any, code: str, full_name: str = "", user: User = None) -> Teacher:
    """Add a teacher to the school's register (the denominator of the teacher indicators)."""
    code = code.strip()
    if not code:
        raise ValueError("не указан код учителя")
    teacher, _ = Teacher.objects.get_or_create(
        school=school, code=code[:64], defaults={"full_name": full_name[:300]}
    )
    audit_record(
        action="create",
        object_type="diagnostics.teacher",
        object_id=str(teacher.pk),
        object_repr=str(teacher),
        user=user,
    )
    return teacher


def teacher_link_user(*, teacher: Teacher, account: User | None, user: User) -> Teacher:
    """Link a teacher-role account of the same school to the record (the teacher then sees own results)."""
    target = scope_of(account) if account is not None else None
    if target is not None and (target.role != Role.TEACHER or target.school_id != teacher.school_id):
        raise ValueError("учётная запись должна иметь роль «Учитель» и ту же школу")
    if account is not None:
        Teacher.objects.filter(user=account).exclude(pk=teacher.pk).update(user=None)
    teacher.user = account
    teacher.save(update_fields=["user"])
    audit_record(
        action="update",
        object_type="diagnostics.teacher",
        object_id=str(teacher.pk),
        object_repr=str(teacher),
        changes={"user": account.get_username() if account is not None else None},
        user=user,
    )
    return teacher


def route_create(
    *, teacher: Teacher, year: int, user: User, config: Mapping[str, Any] | None = None
) -> DevelopmentRoute:
    """Create (or complete) the teacher's route for ``year``: a planned course per catalogued deficit area."""
    route, _ = DevelopmentRoute.objects.get_or_create(
        teacher=teacher, year=year, defaults={"created_by": user if getattr(user, "pk", None) else None}
    )
    have = set(route.enrolments.values_list("course_id", flat=True))
    added = []
    for a in teacher_deficit_areas(teacher=teacher, config=config):
        course = (
            courses_for_area(area=a.area, subject=a.subject)
            .exclude(pk__in=have)
            .order_by("hours", "title")
            .first()
        )
        if course is None:
            continue
        Enrolment.objects.create(route=route, course=course, area=a.area)
        have.add(course.pk)
        added.append(course.title)
    audit_record(
        action="create",
        object_type="diagnostics.developmentroute",
        object_id=str(route.pk),
        object_repr=str(route),
        changes={"courses": added},
        user=user,
    )
    return route


def enrolment_add(*, route: DevelopmentRoute, course: Course, area: str = "", user: User) -> Enrolment:
    """Add a catalogue course to a route by hand."""
    enrolment, _ = Enrolment.objects.get_or_create(route=route, course=course, defaults={"area": area[:300]})
    audit_record(
        action="create",
        object_type="diagnostics.enrolment",
        object_id=str(enrolment.pk),
        object_repr=str(enrolment),
        user=user,
    )
    return enrolment


def enrolment_set_status(
    *, enrolment: Enrolment, status: str, user: User, completed_on: dt.date | None = None
) -> Enrolment:
    """Change an enrolment's status; completion records the date."""
    if status not in dict(Enrolment.STATUSES):
        raise ValueError(f"неизвестный статус {status!r}")
    old = enrolment.status
    enrolment.status = status
    enrolment.completed_on = (completed_on or dt.date.today()) if status == Enrolment.COMPLETED else None
    enrolment.save(update_fields=["status", "completed_on"])
    audit_record(
        action="update",
        object_type="diagnostics.enrolment",
        object_id=str(enrolment.pk),
        object_repr=str(enrolment),
        changes={"status": [old, status]},
        user=user,
    )
    return enrolment


def course_create(
    *,
    title: str,
    provider: str,
    hours: int,
    areas: list[str],
    subject: str = "",
    at_risk_pupils: bool = False,
    user: User,
) -> Course:
    """Add a course (ДПП) to the catalogue."""
    course = Course.objects.create(
        title=title.strip(),
        provider=provider.strip(),
        hours=hours,
        areas=[a.strip() for a in areas if a.strip()],
        subject=subject.strip(),
        at_risk_pupils=at_risk_pupils,
    )
    audit_record(
        action="create",
        object_type="diagnostics.course",
        object_id=str(course.pk),
        object_repr=str(course),
        user=user,
    )
    return course


def template_frame() -> pl.DataFrame:
    """An example of the import format (for the download link and the docs)."""
    return pl.DataFrame(
        {
            "Логин ОО": ["sch0001", "sch0001"],
            "Код учителя": ["T-001", "T-001"],
            "ФИО": ["", ""],
            "Предмет": ["Математика", "Математика"],
            "Область компетенций": ["Предметные знания", "Методика преподавания"],
            "Балл": [14, 6],
            "Максимум": [20, 12],
            "Дата": ["15.03.2024", "15.03.2024"],
        }
    )
