"""Writes of people's development: heads and specialists, their courses, internships and coaching at
high-results schools, teacher-to-teacher mentoring, the reserve of heads, competitions of programmes.

Every write checks the actor's right on the unit it touches (``ValueError`` with a Russian message when
the data is wrong, ``PermissionDenied`` when the actor may not) and is audited.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.diagnostics.models import (
    Competition,
    CompetitionEntry,
    Course,
    Enrolment,
    HeadReserve,
    Internship,
    MentoringMeeting,
    MentoringPair,
    Person,
    PersonCourse,
    Teacher,
)
from shnor.web.diagnostics.people_selectors import can_record, can_record_pairs, listed_school_ids
from shnor.web.registry.models import Municipality, Region, School

#: Programme files accepted for a competition entry.
PROGRAMME_SUFFIXES = {".pdf", ".docx", ".doc", ".odt", ".rtf", ".pptx", ".zip"}
PROGRAMME_MAX_MB = 30


def _audit(action: str, obj: Any, user: User, changes: dict | None = None) -> None:
    audit_record(
        action=action,
        object_type=f"diagnostics.{type(obj).__name__.lower()}",
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
        user=user,
    )


def _actor(user: User) -> Any:
    return user if getattr(user, "pk", None) else None


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _sees_municipality(user: User, municipality: Municipality) -> bool:
    s = scope_of(user)
    if s.superuser:
        return True
    if s.role == Role.MUNICIPALITY:
        return municipality.pk == s.municipality_id
    return s.role == Role.REGION and municipality.region_id == s.region_id


def person_create(
    *,
    full_name: str,
    position: str,
    user: User,
    school: School | None = None,
    municipality: Municipality | None = None,
) -> Person:
    """Add a head, deputy, municipal specialist or methodist of a school or (no school) of a municipality."""
    _require(can_record(user), "Руководителей и специалистов вносят регион и муниципалитет.")
    name = " ".join(full_name.split())
    if not name:
        raise ValueError("Не указаны ФИО.")
    if position not in dict(Person.POSITIONS):
        raise ValueError(f"Неизвестная должность «{position}».")
    if (school is None) == (municipality is None):
        raise ValueError("Укажите либо школу, либо муниципалитет (для муниципального специалиста).")
    if position in (Person.HEAD, Person.DEPUTY) and school is None:
        raise ValueError("Руководитель и заместитель руководителя указываются со школой.")
    if school is not None:
        _require(scope_of(user).sees(school), "Школа вне вашей области.")
    if municipality is not None:
        _require(_sees_municipality(user, municipality), "Муниципалитет вне вашей области.")
    person = Person.objects.create(
        full_name=name[:300], position=position, school=school, municipality=municipality
    )
    _audit("create", person, user)
    return person


def person_course_add(
    *, person: Person, course: Course, year: int, user: User, status: str = Enrolment.PLANNED
) -> PersonCourse:
    """Record a catalogue course (ДПП) of a head or specialist for a year."""
    _require(can_record(user), "Курсы руководителей и специалистов вносят регион и муниципалитет.")
    if status not in dict(Enrolment.STATUSES):
        raise ValueError(f"Неизвестный статус курса «{status}».")
    pc, _ = PersonCourse.objects.update_or_create(
        person=person,
        course=course,
        year=year,
        defaults={
            "status": status,
            "completed_on": dt.date.today() if status == Enrolment.COMPLETED else None,
        },
    )
    _audit("update", pc, user, {"status": status})
    return pc


def _dates(starts_on: dt.date, ends_on: dt.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise ValueError(f"Дата окончания {ends_on:%d.%m.%Y} раньше даты начала {starts_on:%d.%m.%Y}.")


def internship_create(
    *,
    kind: str,
    host: School,
    guests: list[Person],
    topic: str,
    starts_on: dt.date,
    ends_on: dt.date,
    user: User,
    outcome: str = "",
) -> Internship:
    """Record an internship or coaching practice of ``guests`` at ``host`` (a school off the ШНОР list)."""
    _require(can_record(user), "Стажировки вносят регион и муниципалитет.")
    s = scope_of(user)
    _require(s.sees(host), "Базовая школа вне вашей области.")
    if kind not in dict(Internship.KINDS):
        raise ValueError(f"Неизвестный вид «{kind}»: стажировка или коуч-практика.")
    if not topic.strip():
        raise ValueError("Не указана тема стажировки.")
    if not guests:
        raise ValueError("Не выбраны участники стажировки.")
    _dates(starts_on, ends_on)
    if host.pk in listed_school_ids():
        raise ValueError(
            f"Школа {host.school_id} в списке ШНОР: стажировки проводятся на базе школ "
            "с высокими результатами."
        )
    for g in guests:
        _require(Person.objects.visible_to(s).filter(pk=g.pk).exists(), f"{g.full_name} вне вашей области.")
    with transaction.atomic():
        internship = Internship.objects.create(
            kind=kind,
            host=host,
            topic=topic.strip()[:500],
            starts_on=starts_on,
            ends_on=ends_on,
            outcome=outcome.strip(),
            created_by=_actor(user),
        )
        internship.guests.set(guests)
    _audit("create", internship, user, {"guests": [g.full_name for g in guests]})
    return internship


def internship_update(*, internship: Internship, status: str, outcome: str, user: User) -> Internship:
    """Change an internship's status and record its outcome."""
    _require(can_record(user), "Итоги стажировок вносят регион и муниципалитет.")
    if status not in dict(Internship.STATUSES):
        raise ValueError(f"Неизвестный статус «{status}».")
    old = internship.status
    internship.status = status
    internship.outcome = outcome.strip()
    internship.save(update_fields=["status", "outcome"])
    _audit("update", internship, user, {"status": [old, status]})
    return internship


def _teacher(school: School, code: str, full_name: str, what: str) -> Teacher:
    code = code.strip()
    if not code:
        raise ValueError(f"Не указан код учителя ({what}).")
    teacher, _ = Teacher.objects.get_or_create(
        school=school, code=code[:64], defaults={"full_name": " ".join(full_name.split())[:300]}
    )
    if full_name.strip() and not teacher.full_name:
        teacher.full_name = " ".join(full_name.split())[:300]
        teacher.save(update_fields=["full_name"])
    return teacher


def mentoring_pair_create(
    *,
    mentor_school: School,
    mentor_code: str,
    mentee_school: School,
    mentee_code: str,
    subject: str,
    starts_on: dt.date,
    goals: str,
    user: User,
    mentor_name: str = "",
    mentee_name: str = "",
    ends_on: dt.date | None = None,
) -> MentoringPair:
    """A mentor teacher (any school of the region) paired with a teacher of a school on the ШНОР list."""
    _require(can_record_pairs(user), "Наставнические пары вносят регион, муниципалитет и школа.")
    s = scope_of(user)
    _require(s.sees(mentee_school), "Школа наставляемого вне вашей области.")
    if s.role == Role.SCHOOL and not s.superuser and mentee_school.pk != s.school_id:
        raise PermissionDenied("Школа вносит пары только для своих учителей.")
    if mentee_school.pk not in listed_school_ids():
        raise ValueError(
            f"Школа наставляемого {mentee_school.school_id} не в списке ШНОР: наставничество "
            "оформляется для учителей школ из списка."
        )
    if not subject.strip() or not goals.strip():
        raise ValueError("Укажите предмет и цели наставничества.")
    _dates(starts_on, ends_on)
    with transaction.atomic():
        mentor = _teacher(mentor_school, mentor_code, mentor_name, "наставник")
        mentee = _teacher(mentee_school, mentee_code, mentee_name, "наставляемый")
        if mentor.pk == mentee.pk:
            raise ValueError("Наставник и наставляемый — один и тот же учитель.")
        pair = MentoringPair.objects.create(
            mentor=mentor,
            mentee=mentee,
            subject=subject.strip()[:200],
            starts_on=starts_on,
            ends_on=ends_on,
            goals=goals.strip(),
            created_by=_actor(user),
        )
    _audit("create", pair, user)
    return pair


def may_edit_pair(user: User, pair: MentoringPair) -> bool:
    s = scope_of(user)
    if can_record(s):
        return s.sees(pair.mentee.school) or s.sees(pair.mentor.school)
    return s.role == Role.SCHOOL and pair.mentee.school_id == s.school_id


def meeting_add(*, pair: MentoringPair, held_on: dt.date, note: str, user: User) -> MentoringMeeting:
    """Add an entry to the pair's meetings log."""
    _require(may_edit_pair(user, pair), "Журнал встреч ведут регион, муниципалитет и школа наставляемого.")
    if not note.strip():
        raise ValueError("Не указано содержание встречи.")
    if held_on < pair.starts_on:
        raise ValueError(
            f"Встреча {held_on:%d.%m.%Y} раньше начала наставничества {pair.starts_on:%d.%m.%Y}."
        )
    meeting = MentoringMeeting.objects.create(
        pair=pair, held_on=held_on, note=note.strip()[:1000], created_by=_actor(user)
    )
    _audit("create", meeting, user)
    return meeting


def pair_update(
    *, pair: MentoringPair, status: str, result: str, user: User, ends_on: dt.date | None = None
) -> MentoringPair:
    """Change a pair's status, result and end date."""
    _require(may_edit_pair(user, pair), "Итог наставничества вносят регион, муниципалитет и школа.")
    if status not in dict(MentoringPair.STATUSES):
        raise ValueError(f"Неизвестный статус «{status}».")
    _dates(pair.starts_on, ends_on)
    old = pair.status
    pair.status, pair.result = status, result.strip()
    if ends_on is not None or status != MentoringPair.ACTIVE:
        pair.ends_on = ends_on or dt.date.today()
    pair.save(update_fields=["status", "result", "ends_on"])
    _audit("update", pair, user, {"status": [old, status]})
    return pair


def reserve_add(
    *, person: Person, position_aimed: str, included_on: dt.date, user: User, note: str = ""
) -> HeadReserve:
    """Include a person in the reserve of heads."""
    _require(can_record(user), "Кадровый резерв ведут регион и муниципалитет.")
    _require(Person.objects.visible_to(user).filter(pk=person.pk).exists(), "Сотрудник вне вашей области.")
    if not position_aimed.strip():
        raise ValueError("Не указана должность, на которую сформирован резерв.")
    entry = HeadReserve.objects.create(
        person=person,
        position_aimed=position_aimed.strip()[:300],
        included_on=included_on,
        note=note.strip()[:1000],
        created_by=_actor(user),
    )
    _audit("create", entry, user)
    return entry


def reserve_set_status(*, entry: HeadReserve, status: str, user: User, note: str = "") -> HeadReserve:
    """Change a reserve entry's status (appointed, excluded)."""
    _require(can_record(user), "Кадровый резерв ведут регион и муниципалитет.")
    if status not in dict(HeadReserve.STATUSES):
        raise ValueError(f"Неизвестный статус «{status}».")
    old = entry.status
    entry.status = status
    if note.strip():
        entry.note = note.strip()[:1000]
    entry.save(update_fields=["status", "note"])
    _audit("update", entry, user, {"status": [old, status]})
    return entry


def competition_create(
    *, title: str, year: int, user: User, municipality: Municipality | None = None
) -> Competition:
    """A competition of development programmes of the region or (a municipality's user) the municipality."""
    _require(can_record(user), "Конкурсы проводят регион и муниципалитет.")
    s = scope_of(user)
    if s.role == Role.MUNICIPALITY and not s.superuser:
        municipality = Municipality.objects.get(pk=s.municipality_id)
    if municipality is not None:
        _require(_sees_municipality(user, municipality), "Муниципалитет вне вашей области.")
        region = municipality.region
    elif s.region_id is not None:
        region = Region.objects.get(pk=s.region_id)
    else:
        raise ValueError("Укажите муниципалитет конкурса.")
    if not title.strip():
        raise ValueError("Не указано название конкурса.")
    competition = Competition.objects.create(
        title=title.strip()[:500],
        year=year,
        region=region,
        municipality=municipality,
        created_by=_actor(user),
    )
    _audit("create", competition, user)
    return competition


def may_run_competition(user: User, competition: Competition) -> bool:
    s = scope_of(user)
    if not can_record(s):
        return False
    if s.superuser:
        return True
    if competition.municipality_id is None:
        return s.role == Role.REGION and competition.region_id == s.region_id
    return _sees_municipality(user, competition.municipality)


def entry_add(
    *, competition: Competition, school: School, programme: str, user: User, upload: Any = None
) -> CompetitionEntry:
    """A school's programme entered in the competition, with its file (PDF, DOCX, ODT, RTF, PPTX, ZIP)."""
    _require(may_run_competition(user, competition), "Заявки вносит организатор конкурса.")
    _require(scope_of(user).sees(school), "Школа вне вашей области.")
    if not programme.strip():
        raise ValueError("Не указано название программы.")
    entry = CompetitionEntry(competition=competition, school=school, programme=programme.strip()[:500])
    if upload is not None:
        suffix = Path(upload.name).suffix.lower()
        if suffix not in PROGRAMME_SUFFIXES:
            raise ValueError(f"Файл «{upload.name}»: ожидается {', '.join(sorted(PROGRAMME_SUFFIXES))}.")
        if upload.size > PROGRAMME_MAX_MB * 1024 * 1024:
            raise ValueError(f"Файл «{upload.name}» больше {PROGRAMME_MAX_MB} МБ.")
        entry.original_name = Path(upload.name).name[:255]
        entry.file.save(f"programme{suffix}", upload, save=False)
    entry.save()
    _audit("create", entry, user)
    return entry


def entry_result(
    *,
    entry: CompetitionEntry,
    user: User,
    place: int | None = None,
    score: float | None = None,
    decision: str = "",
) -> CompetitionEntry:
    """The jury's result of an entry: place, score, decision."""
    _require(may_run_competition(user, entry.competition), "Итоги вносит организатор конкурса.")
    if place is not None and place < 1:
        raise ValueError("Место — целое число от 1.")
    entry.place, entry.score, entry.decision = place, score, decision.strip()[:500]
    entry.save(update_fields=["place", "score", "decision"])
    _audit("update", entry, user, {"place": place, "score": score})
    return entry
