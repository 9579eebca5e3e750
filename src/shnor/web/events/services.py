"""Writes of events: create and edit an event, choose its target schools, mark attendance by school and by
person, add materials. Every write checks the actor's rights (``selectors``) and is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.events import selectors as sel
from shnor.web.events.labels import Kind, OrganiserLevel, Source
from shnor.web.events.models import Event, Material, Participant, SchoolAttendance
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.registry.models import Municipality, School
from shnor.web.support.models import Activity
from shnor.web.uploads import upload_check

MAX_MATERIAL = 50 * 1024 * 1024
#: The list methods a target rule takes from the year's latest finished run.
RULE_METHODS = {
    "lists": (SchoolOutcome.LOW_RESULTS, SchoolOutcome.SOCIAL_INDEX),
    "low_results": (SchoolOutcome.LOW_RESULTS,),
    "social_index": (SchoolOutcome.SOCIAL_INDEX,),
    "objectivity": (SchoolOutcome.OBJECTIVITY,),
}


def clean_name(text: str) -> str:
    """A person's name as stored: single spaces, trimmed."""
    return " ".join(str(text or "").split())


def targets_choose(
    *,
    actor: User,
    rule: str,
    year: int | None = None,
    municipality: Municipality | None = None,
    picked: Iterable[School] = (),
) -> QuerySet[School]:
    """The schools an event is for, among those the actor sees: a year's list (ШНОР/ШНСУ, ШНОР, ШНСУ,
    objectivity signs) from that year's latest finished run, a municipality's schools, or picked ones."""
    visible = School.objects.visible_to(actor)
    if rule in RULE_METHODS:
        if year is None:
            raise ValidationError("для школ из списков укажите год")
        run = (
            MethodologyRun.objects.filter(year=year, status=MethodologyRun.DONE)
            .order_by("-finished_at")
            .first()
        )
        if run is None:
            raise ValidationError(f"за {year} год нет завершённого расчёта списков")
        ids = SchoolOutcome.objects.filter(run=run, method__in=RULE_METHODS[rule], flagged=True).values(
            "school_id"
        )
        return visible.filter(pk__in=ids)
    if rule == "municipality":
        if municipality is None:
            raise ValidationError("выберите муниципалитет")
        return visible.filter(municipality=municipality)
    if rule == "picked":
        return visible.filter(pk__in=[s.pk for s in picked])
    raise ValidationError("неизвестный способ выбора школ")


def _check_targets(actor: User, schools: list[School]) -> None:
    if not schools:
        raise ValidationError("не выбрано ни одной школы: мероприятие должно быть для кого-то")
    visible = set(
        School.objects.visible_to(actor).filter(pk__in=[s.pk for s in schools]).values_list("pk", flat=True)
    )
    if any(s.pk not in visible for s in schools):
        raise PermissionDenied("среди школ есть недоступные вам")


def _check_activities(actor: User, activities: list[Activity]) -> None:
    ids = {a.pk for a in activities}
    if ids and Activity.objects.visible_to(actor).filter(pk__in=ids).count() != len(ids):
        raise PermissionDenied("среди мероприятий дорожных карт есть недоступные вам")


def _fields(kind: str, title: str, organiser_level: str, organiser_name: str) -> None:
    if kind not in Kind.values:
        raise ValidationError("неизвестный вид мероприятия")
    if organiser_level not in OrganiserLevel.values:
        raise ValidationError("неизвестный уровень организатора")
    if not title.strip():
        raise ValidationError("укажите тему мероприятия")
    if not organiser_name.strip():
        raise ValidationError("укажите организатора")


def event_create(
    *,
    actor: User,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    organiser_level: str,
    organiser_name: str,
    schools: Iterable[School],
    target_rule: str = "",
    duration_minutes: int | None = None,
    place: str = "",
    description: str = "",
    activities: Iterable[Activity] = (),
) -> Event:
    """A new event for ``schools`` (all visible to ``actor``); region analysts and municipalities only."""
    if not sel.can_create(user=actor):
        raise PermissionDenied("создавать мероприятия могут регион и муниципалитет")
    schools, activities = list(schools), list(activities)
    _fields(kind, title, organiser_level, organiser_name)
    _check_targets(actor, schools)
    _check_activities(actor, activities)
    scope = scope_of(actor)
    mun = None
    if scope.role == Role.MUNICIPALITY and not scope.superuser:
        mun = Municipality.objects.get(pk=scope.municipality_id)
    region = (
        mun.region
        if mun is not None
        else schools[0].region or getattr(schools[0].municipality, "region", None)
    )
    with transaction.atomic():
        ev = Event.objects.create(
            kind=kind,
            title=title.strip(),
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            place=place.strip(),
            description=description.strip(),
            organiser_level=organiser_level,
            organiser_name=organiser_name.strip(),
            region=region,
            municipality=mun,
            target_rule=target_rule,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        ev.target_schools.set(schools)
        ev.activities.set(activities)
        audit_record(
            action="создание мероприятия",
            object_type="мероприятие",
            object_id=str(ev.pk),
            object_repr=str(ev),
            changes={"школ": len(schools), "мероприятий дорожных карт": len(activities)},
            user=actor,
        )
    return ev


def event_update(
    *,
    actor: User,
    event: Event,
    schools: Iterable[School] | None = None,
    activities: Iterable[Activity] | None = None,
    **fields: Any,
) -> Event:
    """Change an event's fields, its schools (attendance of removed schools is dropped) or its activities."""
    if not sel.can_edit(user=actor, event=event):
        raise PermissionDenied("изменять это мероприятие вам не разрешено")
    allowed = {"kind", "title", "starts_at", "duration_minutes", "place", "description"}
    allowed |= {"organiser_level", "organiser_name", "target_rule"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if getattr(event, name) != value:
            changes[name] = str(value)
            setattr(event, name, value)
    _fields(event.kind, event.title, event.organiser_level, event.organiser_name)
    with transaction.atomic():
        event.save()
        if schools is not None:
            schools = list(schools)
            _check_targets(actor, schools)
            keep = {s.pk for s in schools}
            # only the actor's own schools are replaced: others' targets stay
            mine = set(
                School.objects.visible_to(actor).filter(events_targeted=event).values_list("pk", flat=True)
            )
            removed = mine - keep
            event.target_schools.remove(*removed)
            event.target_schools.add(*keep)
            SchoolAttendance.objects.filter(event=event, school_id__in=removed).delete()
            Participant.objects.filter(event=event, school_id__in=removed).delete()
            changes["школ"] = len(keep)
        if activities is not None:
            activities = list(activities)
            _check_activities(actor, activities)
            event.activities.set(activities)
            changes["мероприятий дорожных карт"] = len(activities)
        audit_record(
            action="изменение мероприятия",
            object_type="мероприятие",
            object_id=str(event.pk),
            object_repr=str(event),
            changes=changes,
            user=actor,
        )
    return event


def attendance_set(*, actor: User, event: Event, attended: Iterable[int]) -> dict[str, int]:
    """Tick the schools that took part among those the actor marks (``schools_markable``); the schools
    it marks but did not tick lose their mark. Returns how many were added and removed."""
    markable = set(sel.schools_markable(user=actor, event=event).values_list("pk", flat=True))
    if not markable:
        raise PermissionDenied("отмечать участие в этом мероприятии вам не разрешено")
    wanted = {int(pk) for pk in attended}
    if wanted - markable:
        raise PermissionDenied("среди отмеченных есть школы, участие которых вы не отмечаете")
    have = set(
        SchoolAttendance.objects.filter(event=event, school_id__in=markable).values_list(
            "school_id", flat=True
        )
    )
    add, drop = wanted - have, (have - wanted)
    with transaction.atomic():
        SchoolAttendance.objects.bulk_create(
            [
                SchoolAttendance(event=event, school_id=pk, source=Source.MANUAL, marked_by=_user(actor))
                for pk in add
            ]
        )
        SchoolAttendance.objects.filter(event=event, school_id__in=drop).delete()
        if add or drop:
            audit_record(
                action="отметка участия школ в мероприятии",
                object_type="мероприятие",
                object_id=str(event.pk),
                object_repr=str(event),
                changes={"отмечено": len(add), "снято": len(drop)},
                user=actor,
            )
    return {"added": len(add), "removed": len(drop)}


def _user(actor: User) -> Any:
    return actor if getattr(actor, "pk", None) else None


def participant_add(
    *, actor: User, event: Event, school: School, full_name: str, position: str = ""
) -> Participant:
    """A person of ``school`` took part (the school is marked as attended too)."""
    if not sel.schools_markable(user=actor, event=event).filter(pk=school.pk).exists():
        raise PermissionDenied("отмечать участников этой школы вам не разрешено")
    name = clean_name(full_name)
    if not name:
        raise ValidationError("укажите ФИО участника")
    with transaction.atomic():
        person, created = Participant.objects.get_or_create(
            event=event, school=school, full_name=name, defaults={"position": position.strip()}
        )
        if not created and position.strip() and person.position != position.strip():
            person.position = position.strip()
            person.save(update_fields=["position"])
        SchoolAttendance.objects.get_or_create(
            event=event, school=school, defaults={"source": Source.MANUAL, "marked_by": _user(actor)}
        )
        audit_record(
            action="участник мероприятия добавлен",
            object_type="мероприятие",
            object_id=str(event.pk),
            object_repr=str(event),
            changes={"участник": name, "школа": school.name or school.school_id},
            user=actor,
        )
    return person


def participant_remove(*, actor: User, participant: Participant) -> None:
    """Remove a person from an event's participants (the school's mark stays)."""
    event = participant.event
    if not sel.schools_markable(user=actor, event=event).filter(pk=participant.school_id).exists():
        raise PermissionDenied("изменять участников этой школы вам не разрешено")
    with transaction.atomic():
        audit_record(
            action="участник мероприятия удалён",
            object_type="мероприятие",
            object_id=str(event.pk),
            object_repr=str(event),
            changes={"участник": participant.full_name},
            user=actor,
        )
        participant.delete()


def material_add(
    *, actor: User, event: Event, title: str = "", upload: Any = None, url: str = ""
) -> Material:
    """A file (checked by ``upload_check``) or a link among the event's materials."""
    if not sel.can_edit(user=actor, event=event):
        raise PermissionDenied("добавлять материалы к этому мероприятию вам не разрешено")
    if upload is None and not url.strip():
        raise ValidationError("приложите файл или укажите ссылку")
    m = Material(event=event, title=title.strip(), url=url.strip(), added_by=_user(actor))
    if upload is not None:
        name, size = upload_check(upload, max_bytes=MAX_MATERIAL)
        m.original_name, m.size = name, size
        m.file.save(name, upload, save=False)
    with transaction.atomic():
        m.save()
        audit_record(
            action="материал мероприятия добавлен",
            object_type="мероприятие",
            object_id=str(event.pk),
            object_repr=str(event),
            changes={"материал": str(m)},
            user=actor,
        )
    return m
