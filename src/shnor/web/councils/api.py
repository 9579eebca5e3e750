"""API of working groups (django-ninja ``Router``, mounted by ``web.api``): the tasks of the user's
scope with their deadlines and overdue marking, scoped exactly as the pages."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema

from shnor.web.apipages import PageRows, paged
from shnor.web.councils import selectors as sel

router = Router(tags=["Рабочие группы и советы"])


class TaskOut(Schema):
    """A task set by a decision of a working group or council."""

    id: int
    text: str
    executor: str
    school_id: str | None
    due_date: str
    status: str
    status_label: str
    overdue: bool
    group: str
    meeting_date: str


class TaskFilter(Schema):
    """Only the overdue tasks when ``overdue`` is true."""

    overdue: bool = False


def _task_out(t, today: dt.date) -> dict:
    return {
        "id": t.pk,
        "text": t.text,
        "executor": t.executor,
        "school_id": t.school.school_id if t.school else None,
        "due_date": f"{t.due_date:%d.%m.%Y}",
        "status": t.status,
        "status_label": t.get_status_display(),
        "overdue": t.overdue(today),
        "group": t.item.meeting.group.name,
        "meeting_date": f"{t.item.meeting.held_on:%d.%m.%Y}",
    }


@router.get("/tasks", response=list[TaskOut], summary="Поручения рабочих групп и советов")
@paged
def tasks(request: HttpRequest, filters: Query[TaskFilter]) -> PageRows:
    """The visible tasks, overdue first, then by deadline, a page at a time (the list was cut at 2000 tasks
    unsaid)."""
    today = dt.date.today()
    qs = sel.tasks_ordered(sel.tasks_visible(user=request.user), today, overdue_only=filters.overdue)
    return PageRows(qs, lambda t: _task_out(t, today))
