"""Activities of a roadmap: adding, status and dates, comments, deletion."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shnor.core.roadmaps.templates import TemplateError, period_due, period_parse, template_get
from shnor.web.accounts.scope import User
from shnor.web.support import selectors as sel
from shnor.web.support.models import (
    Activity,
    ActivityComment,
    Roadmap,
    RoadmapStatus,
    Status,
)
from shnor.web.support.services.lifecycle import roadmap_start
from shnor.web.support.services.roadmaps import _parent_roadmap


def roadmap_calendar(roadmap: Roadmap) -> str:
    """The calendar its first template reads months in (school year or calendar year)."""
    for key in roadmap.templates or []:
        try:
            return template_get(str(key)).calendar
        except TemplateError:
            continue
    return "calendar_year"


def _read(text: str, roadmap: Roadmap):
    return period_due(text, year=roadmap.year, calendar=roadmap_calendar(roadmap))


def _due_set_by_user(activity: Activity) -> bool:
    """True when the stored due date is not what the stored period text gives (a user typed it)."""
    if activity.due_date is None:
        return False
    year, cal = activity.roadmap.year, roadmap_calendar(activity.roadmap)
    read = {
        period_due(activity.period_text, year=year, calendar=cal).due,
        period_parse(activity.period_text, year=year, calendar=cal).due,
    }
    return activity.due_date not in read


def activity_due_note(*, activity: Activity, typed: bool) -> tuple[str, str]:
    """What the page says about the due date after a save: («info» | «warning», text in Russian)."""
    if typed and activity.due_date is not None:
        return "info", f"Срок исполнения: {activity.due_date:%d.%m.%Y}"
    if activity.due_date is not None:
        return (
            "info",
            f"Срок исполнения определён по тексту «{activity.period_text}»: {activity.due_date:%d.%m.%Y}",
        )
    what = (
        f"текст сроков «{activity.period_text}» не содержит даты"
        if activity.period_text
        else "сроки не указаны"
    )
    return (
        "warning",
        f"У мероприятия «{activity.title[:80]}» нет срока исполнения ({what}): напоминания о нём "
        "приходить не будут. Укажите срок исполнения в поле «Срок исполнения».",
    )


def _check_edit(actor: User, activity: Activity) -> None:
    if not sel.roadmap_access(user=actor, roadmap=activity.roadmap).edit:
        raise PermissionDenied("нет права изменять мероприятия этой дорожной карты")


@transaction.atomic
def activity_add(
    *,
    actor: User,
    roadmap: Roadmap,
    title: str,
    period_text: str = "",
    executor: str = "",
    co_executors: str = "",
    expected_result: str = "",
    target_group: str = "",
    output_document: str = "",
    section: str = "",
    number: str = "",
    due_date: dt.date | None = None,
    parent: Activity | None = None,
    track: str = "",
) -> Activity:
    """Add an activity to a roadmap. A given ``due_date`` is stored as typed; without it the due date is
    read from the period text («до 01.09.2025», «Март 2025 г.») or stays empty when the text names no
    date («по графику») — never invented."""
    if not sel.roadmap_access(user=actor, roadmap=roadmap).edit:
        raise PermissionDenied("нет права изменять дорожную карту")
    if not title.strip():
        raise ValidationError("не заполнено наименование мероприятия")
    per = _read(period_text, roadmap)
    last = roadmap.activities.order_by("-position").first()
    if not number:
        same = roadmap.activities.filter(section=section).count() if section else roadmap.activities.count()
        number = str(same + 1)
    if parent is not None and parent.roadmap_id not in {
        p.pk for p in _parent_roadmap(roadmap.level, roadmap.region, roadmap.municipality, roadmap.year)
    }:
        raise ValidationError(
            "мероприятие может реализовывать только мероприятие вышестоящей дорожной карты того же года"
        )
    return Activity.objects.create(
        roadmap=roadmap,
        position=(last.position + 1) if last else 1,
        number=number,
        section=section,
        title=title.strip(),
        period_text=period_text.strip(),
        start_date=per.start,
        due_date=due_date if due_date is not None else per.due,
        executor=executor,
        co_executors=co_executors,
        expected_result=expected_result,
        target_group=target_group,
        output_document=output_document,
        parent=parent,
        track=track,
    )


@transaction.atomic
def activity_update(
    *,
    actor: User,
    activity: Activity,
    status: str | None = None,
    comment: str = "",
    due_date: dt.date | None = None,
    period_text: str | None = None,
    executor: str | None = None,
    co_executors: str | None = None,
) -> Activity:
    """Change an activity's status (and optionally its due date, period, executors) with a comment.

    A new period text re-reads the start and due dates, except a due date the user typed (one that
    differs from what the old text gave): that stays unless a new ``due_date`` is given."""
    _check_edit(actor, activity)
    if status is not None:
        if status not in Status.values:
            raise ValidationError(f"недопустимый статус «{status}»")
        if status == Status.DONE and activity.status != Status.DONE:
            activity.done_at = timezone.now()
        elif status != Status.DONE:
            activity.done_at = None
        activity.status = status
    if period_text is not None and period_text.strip() != activity.period_text:
        typed = _due_set_by_user(activity)
        activity.period_text = period_text.strip()
        per = _read(activity.period_text, activity.roadmap)
        activity.start_date = per.start
        if not typed:
            activity.due_date = per.due
    if due_date is not None:
        activity.due_date = due_date
    if executor is not None:
        activity.executor = executor.strip()
    if co_executors is not None:
        activity.co_executors = co_executors.strip()
    activity.save()
    if comment.strip():
        ActivityComment.objects.create(activity=activity, author=actor, text=comment.strip())
    if status in (Status.IN_PROGRESS, Status.DONE) and activity.roadmap.status == RoadmapStatus.APPROVED:
        roadmap_start(actor=actor, roadmap=activity.roadmap)  # the first work on an approved roadmap
    return activity


def activity_comment_add(*, actor: User, activity: Activity, text: str) -> ActivityComment:
    """Comment on an activity (editors and, on school roadmaps, teachers)."""
    if not sel.roadmap_access(user=actor, roadmap=activity.roadmap).comment:
        raise PermissionDenied("нет права комментировать")
    if not text.strip():
        raise ValidationError("пустой комментарий")
    return ActivityComment.objects.create(activity=activity, author=actor, text=text.strip()[:5000])


def activity_delete(*, actor: User, activity: Activity) -> None:
    """Delete an activity (its implementations lose the link)."""
    _check_edit(actor, activity)
    activity.delete()
