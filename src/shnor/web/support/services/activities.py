"""Activities of a roadmap: adding, status and dates, comments, deletion."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shnor.core.roadmaps.templates import period_parse
from shnor.web.accounts.scope import User
from shnor.web.support import selectors as sel
from shnor.web.support.models import (
    Activity,
    ActivityComment,
    Roadmap,
    Status,
)
from shnor.web.support.services.roadmaps import _parent_roadmap


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
    """Add an activity to a roadmap (period text is read into dates unless ``due_date`` is given)."""
    if not sel.roadmap_access(user=actor, roadmap=roadmap).edit:
        raise PermissionDenied("нет права изменять дорожную карту")
    if not title.strip():
        raise ValidationError("не заполнено наименование мероприятия")
    per = period_parse(period_text, year=roadmap.year)
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
        due_date=due_date or per.due,
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
    """Change an activity's status (and optionally its due date, period, executors) with a comment."""
    _check_edit(actor, activity)
    if status is not None:
        if status not in Status.values:
            raise ValidationError(f"недопустимый статус «{status}»")
        if status == Status.DONE and activity.status != Status.DONE:
            activity.done_at = timezone.now()
        elif status != Status.DONE:
            activity.done_at = None
        activity.status = status
    if period_text is not None and period_text != activity.period_text:
        activity.period_text = period_text.strip()
        per = period_parse(activity.period_text, year=activity.roadmap.year)
        activity.start_date, activity.due_date = per.start, per.due
    if due_date is not None:
        activity.due_date = due_date
    if executor is not None:
        activity.executor = executor.strip()
    if co_executors is not None:
        activity.co_executors = co_executors.strip()
    activity.save()
    if comment.strip():
        ActivityComment.objects.create(activity=activity, author=actor, text=comment.strip())
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
