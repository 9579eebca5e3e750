"""The page of tasks (/councils/tasks/) by pages: overdue first, then by deadline, ordered by the database
across the pages, the filter kept in the page links, the user's scope applied before the pages."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client

from shnor.web.councils import services
from shnor.web.councils.models import Task
from shnor.web.councils.views import TASKS_PER_PAGE
from tests.web.test_councils import _group, _meeting

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr(?: class="overdue")?><td>([^<]+)')
NEXT = re.compile(r'<a href="(\?[^"]*)">вперёд')


@pytest.fixture
def tasks(world) -> list[Task]:
    """More tasks than two pages: done ones with the oldest deadlines (first in the model's order), overdue
    ones, ones due later, and, created last, an overdue task whose deadline comes after all the done ones."""
    _, item = _meeting(world, _group(world))
    today = dt.date.today()

    def day(n: int) -> dt.date:
        return today + dt.timedelta(days=n)

    Task.objects.bulk_create(
        [
            Task(item=item, text=f"Выполнено {i}", executor="Отдел", due_date=day(-500 - i), status="done")
            for i in range(TASKS_PER_PAGE)
        ]
        + [
            Task(
                item=item,
                text=f"Просрочено {i}",
                executor="Отдел",
                due_date=day(-10 - i % 5),
                school=world.school if i % 10 == 0 else None,
            )
            for i in range(TASKS_PER_PAGE + 1)
        ]
        + [
            Task(
                item=item,
                text=f"Впереди {i}",
                executor="Отдел",
                due_date=day(1 + i),
                school=world.school if i % 3 == 0 else None,
            )
            for i in range(10)
        ]
    )
    services.task_create(
        actor=world.users["municipality"],
        item=item,
        text="Последнее поручение",
        executor="МБОУ СОШ №1",
        due_date=day(-100),
        school=world.school,
    )
    return list(Task.objects.all())


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _walk(client: Client, url: str) -> list[list[str]]:
    """The task texts of each page, following the «вперёд» links from ``url``."""
    pages = []
    while True:
        resp = client.get(url)
        assert resp.status_code == 200
        body = resp.content.decode()
        pages.append(ROW.findall(body))
        link = NEXT.search(body)
        if link is None:
            return pages
        url = "/councils/tasks/" + html.unescape(link.group(1))


def _expected(tasks: list[Task]) -> list[str]:
    today = dt.date.today()
    return [t.text for t in sorted(tasks, key=lambda t: (not t.overdue(today), t.due_date, t.pk))]


def test_overdue_first_across_the_pages(world, tasks) -> None:
    assert len(tasks) > 2 * TASKS_PER_PAGE
    pages = _walk(_client(world.users["region"]), "/councils/tasks/")
    assert [len(p) for p in pages] == [TASKS_PER_PAGE, TASKS_PER_PAGE, len(tasks) - 2 * TASKS_PER_PAGE]
    # the task created last is overdue: first on page 1, though the model's order puts the done ones before
    assert pages[0][0] == "Последнее поручение"
    assert not any(t.startswith("Выполнено") for t in pages[0])
    # the pages continue one another: the order of the whole list, no task twice, none missing
    assert [t for p in pages for t in p] == _expected(tasks)


def test_the_overdue_filter_stays_in_the_page_links(world, tasks) -> None:
    client = _client(world.users["region"])
    body = client.get("/councils/tasks/?overdue=1").content.decode()
    assert f"стр. 1 из 2, строки 1–{TASKS_PER_PAGE}" in body
    assert "overdue=1" in html.unescape(NEXT.search(body).group(1))
    pages = _walk(client, "/councils/tasks/?overdue=1")
    today = dt.date.today()
    late = [t for t in tasks if t.overdue(today)]
    assert [len(p) for p in pages] == [TASKS_PER_PAGE, len(late) - TASKS_PER_PAGE]
    assert [t for p in pages for t in p] == _expected(late)


def test_a_schools_user_pages_only_its_own_tasks(world, tasks) -> None:
    pages = _walk(_client(world.users["school"]), "/councils/tasks/")
    own = [t for t in tasks if t.school_id == world.school.pk]
    assert len(pages) == 1
    assert pages[0] == _expected(own)
    assert pages[0][0] == "Последнее поручение"


def test_marking_a_task_returns_to_its_page(world, tasks) -> None:
    client = _client(world.users["municipality"])
    task = next(t for t in tasks if t.text == "Просрочено 7")
    resp = client.post(
        f"/councils/tasks/{task.pk}/status/?overdue=1&page=2", {"status": "done", "report": ""}
    )
    assert resp.status_code == 302
    assert resp["Location"] == "/councils/tasks/?overdue=1&page=2"
    task.refresh_from_db()
    assert task.status == "done"
    resp = client.post(f"/councils/tasks/{task.pk}/status/", {"status": "open", "report": ""})
    assert resp["Location"] == "/councils/tasks/"
