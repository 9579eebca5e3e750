"""The API's long lists read page by page (``shnor/web/apipages.py``): the pages of a region's list, walked by
their ``next`` links, partition the whole list in its order; a page above the maximum is refused with a
Russian message; another region's rows never appear; a page costs the same few queries whatever its size —
only its own rows are built."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.apipages import PAGE_MAX
from shnor.web.diagnostics import people_services as people
from shnor.web.diagnostics.models import Person
from shnor.web.identification import selectors as ident
from shnor.web.identification.models import SchoolOutcome
from shnor.web.registry.models import School
from shnor.web.resources import services as resources
from tests.web.world import low_data

EXTRA = 23  # more schools on the region's ШНОР list than a page of the tests holds


@pytest.fixture
def crowded(world):
    """The test region with 23 more schools on the 2024 ШНОР list (two municipalities), and 6 of the
    other region's schools on it too."""
    ours = [
        School.objects.create(
            school_id=f"sch2{i:03d}",
            name=f"МБОУ СОШ №{100 + i}",
            municipality=world.mun if i % 2 else world.mun2,
            region=world.region,
        )
        for i in range(EXTRA)
    ]
    theirs = [
        School.objects.create(
            school_id=f"sch9{i:03d}",
            name=f"Школа соседей №{i}",
            municipality=world.other_mun,
            region=world.other_region,
        )
        for i in range(6)
    ]
    SchoolOutcome.objects.bulk_create(
        SchoolOutcome(
            run=world.run,
            school=s,
            method=SchoolOutcome.LOW_RESULTS,
            flagged=True,
            value=-0.5,
            label="ШНОР",
            data=low_data(s.school_id, True, world.run.year, -0.5, 1),
        )
        for s in [*ours, *theirs]
    )
    return world


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _walk(client: Client, url: str) -> tuple[list[dict], list[dict]]:
    """Every page from ``url`` on, by the ``next`` links: (the rows, the pages)."""
    rows: list[dict] = []
    pages: list[dict] = []
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.content
        page = r.json()
        pages.append(page)
        rows.extend(page["items"])
        url = page["next"]
    return rows, pages


def _region_ids(world) -> set[str]:
    return set(
        SchoolOutcome.objects.filter(
            run=world.run, method=SchoolOutcome.LOW_RESULTS, flagged=True, school__region=world.region
        ).values_list("school__school_id", flat=True)
    )


@pytest.mark.parametrize("limit", [4, 5])
def test_pages_partition_the_list_in_its_order(crowded, limit) -> None:
    user = crowded.users["region"]
    client = _client(user)
    rows, pages = _walk(client, f"/api/lists/low_results?run={crowded.run.pk}&limit={limit}")
    whole = ident.list_rows(schools=schools_visible_to(user=user), run=crowded.run, kind="low_results")
    ids = [r["school_id"] for r in rows]
    assert len(ids) == len(set(ids))  # no school twice
    assert set(ids) == _region_ids(crowded)  # none missing, none of the other region
    assert len(ids) == EXTRA + 2
    assert ids == [r["school_id"] for r in whole]  # the list's order, stable across the pages
    assert [r["track"] for r in rows] == [r["track"] for r in whole]
    assert [r["years_in_list"] for r in rows] == [r["years_in_list"] for r in whole]
    assert len(pages) == -(-len(ids) // limit)
    assert all(p["count"] == len(ids) for p in pages)
    assert all(len(p["items"]) == limit for p in pages[:-1])
    assert pages[0]["previous"] is None
    assert pages[-1]["next"] is None
    # the second page's «previous» is the first page
    back = client.get(pages[1]["previous"]).json()
    assert back["items"] == pages[0]["items"]


def test_filters_keep_the_pages_whole(crowded) -> None:
    client = _client(crowded.users["region"])
    base = f"/api/lists/low_results?run={crowded.run.pk}"
    rows, _ = _walk(client, base + f"&municipality={crowded.mun.pk}&limit=3")
    expected = set(School.objects.filter(municipality=crowded.mun).values_list("school_id", flat=True))
    assert {r["school_id"] for r in rows} == _region_ids(crowded) & expected
    # with min_years the whole list is built, then cut: the same partition
    rows, pages = _walk(client, base + "&min_years=1&limit=4")
    ids = [r["school_id"] for r in rows]
    assert len(ids) == len(set(ids)) == pages[0]["count"]
    assert set(ids) <= _region_ids(crowded)
    assert "offset=4" in pages[0]["next"]
    assert "min_years=1" in pages[0]["next"]  # the links keep the filters


def test_scope_applies_on_every_page(crowded, django_user_model) -> None:
    rows, _ = _walk(
        _client(crowded.users["municipality"]), f"/api/lists/low_results?run={crowded.run.pk}&limit=2"
    )
    assert rows
    mine = set(School.objects.filter(municipality=crowded.mun).values_list("school_id", flat=True))
    assert {r["school_id"] for r in rows} <= mine
    # the other region's schools are on the list: a country-wide user sees them
    root = django_user_model.objects.create_superuser("root", password="x")
    rows, _ = _walk(_client(root), f"/api/lists/low_results?run={crowded.run.pk}&limit=7")
    assert {r["school_id"] for r in rows} >= {f"sch9{i:03d}" for i in range(6)}
    assert len(rows) == EXTRA + 2 + 6


@pytest.mark.parametrize(
    "url",
    [
        "/api/lists/low_results",
        "/api/schools",
        "/api/resources/decisions",
        "/api/people/reserve",
        "/api/events/",
        "/api/councils/tasks",
        "/api/submissions/requests",
        "/api/practices/search",
    ],
    ids=["lists", "schools", "decisions", "people", "events", "tasks", "requests", "practices"],
)
def test_a_page_above_the_maximum_is_refused_in_russian(crowded, url) -> None:
    client = _client(crowded.users["region"])
    r = client.get(f"{url}?limit={PAGE_MAX + 1}")
    assert r.status_code == 422
    assert f"не больше {PAGE_MAX} строк" in r.json()["detail"]
    page = client.get(f"{url}?limit={PAGE_MAX}").json()
    assert page["next"] is None
    assert len(page["items"]) == page["count"]
    assert client.get(f"{url}?offset=-1").status_code == 422


def test_a_page_costs_the_same_queries_whatever_its_size(
    crowded, monkeypatch, django_assert_max_num_queries
) -> None:
    client = _client(crowded.users["region"])
    built: list[int] = []
    real = ident.list_rows

    def spy(**kw):
        rows = real(**kw)
        built.append(len(rows))
        return rows

    monkeypatch.setattr(ident, "list_rows", spy)
    url = f"/api/lists/low_results?run={crowded.run.pk}"
    client.get(url + "&limit=1")  # the session and the user, once
    counts = []
    for limit, offset in ((2, 1), (20, 3)):
        with CaptureQueriesContext(connection) as q:
            page = client.get(url + f"&limit={limit}&offset={offset}").json()
        assert len(page["items"]) == limit
        counts.append(len(q))
    assert counts[0] == counts[1]  # no query a row
    assert built == [1, 2, 20]  # only the page's rows were built
    with django_assert_max_num_queries(counts[0]):
        client.get(url + "&limit=3&offset=21")


def test_decisions_by_pages(crowded, django_user_model) -> None:
    root = django_user_model.objects.create_superuser("root", password="x")
    ours = list(School.objects.filter(region=crowded.region).order_by("school_id"))
    theirs = list(School.objects.filter(region=crowded.other_region))
    made = {}
    for i, s in enumerate([*ours, *theirs]):
        d = resources.decision_create(
            actor=root,
            school=s,
            purpose=f"Кабинет {i}",
            amount=1000 + i,
            source="region",
            decided_on=date(2025, 1 + i % 12, 1 + i % 28),
        )
        if i % 3 == 0:
            resources.execution_add(actor=root, decision=d, on=date(2025, 12, 1), spent=i)
        made[d.pk] = s
    client = _client(crowded.users["region"])
    rows, pages = _walk(client, "/api/resources/decisions?limit=4")
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == {pk for pk, s in made.items() if s.region_id == crowded.region.pk}
    keys = [(r["decided_on"], r["id"]) for r in rows]
    assert keys == sorted(keys, reverse=True)  # newest first, on every page
    spent = {r["id"]: r["spent"] for r in rows}
    assert spent == {
        pk: float(sum(e.spent for e in d.executions.all()))
        for pk, d in ((pk, resources.SupportDecision.objects.get(pk=pk)) for pk in ids)
    }
    assert pages[0]["count"] == len(ids)


def test_reserve_by_pages(crowded, django_user_model) -> None:
    """The people lists (here the reserve of heads) page the same way; entries included on one day are
    told apart by their id, so no page repeats or skips one."""
    root = django_user_model.objects.create_superuser("root", password="x")
    made = {}
    for i, s in enumerate(School.objects.order_by("school_id")):
        person = people.person_create(
            full_name=f"Иванова Анна {i}", position=Person.DEPUTY, school=s, user=root
        )
        entry = people.reserve_add(
            person=person, position_aimed="директор", included_on=date(2025, 9, 1 + i % 2), user=root
        )
        made[entry.pk] = s
    rows, pages = _walk(_client(crowded.users["region"]), "/api/people/reserve?limit=3")
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == {pk for pk, s in made.items() if s.region_id == crowded.region.pk}
    assert len(pages) > 2
    assert pages[0]["count"] == len(ids)


# --- the tasks of working groups, the report requests and the bank of practices ------------------------


def _pages(client: Client, url: str, limit: int) -> tuple[list[dict], list[dict]]:
    sep = "&" if "?" in url else "?"
    return _walk(client, f"{url}{sep}limit={limit}")


def _same_queries_whatever_the_page(client: Client, url: str, total: int) -> None:
    """Two pages of different sizes cost the same number of queries."""
    sep = "&" if "?" in url else "?"
    client.get(f"{url}{sep}limit=1")  # the session and the user, once
    counts = []
    for limit in (2, total):
        with CaptureQueriesContext(connection) as q:
            page = client.get(f"{url}{sep}limit={limit}").json()
        assert len(page["items"]) == limit
        counts.append(len(q))
    assert counts[0] == counts[1], counts


@pytest.fixture
def tasks(world):
    """Twelve tasks of a municipal group: overdue, done past their deadline, due later, some on one day;
    every third set for the world's school."""
    from shnor.web.councils import services as councils
    from shnor.web.councils.models import Task
    from tests.web.test_councils import _group, _meeting

    _, item = _meeting(world, _group(world))
    today = date.today()
    made = []
    for i in range(12):
        due = date.fromordinal(today.toordinal() + (-30 + 5 * (i // 2)))  # two tasks a day, some past
        made.append(
            councils.task_create(
                actor=world.users["municipality"],
                item=item,
                text=f"Поручение {i}",
                executor="Отдел образования",
                due_date=due,
                school=world.school if i % 3 == 0 else None,
            )
        )
    Task.objects.filter(pk__in=[made[1].pk, made[4].pk]).update(status="done")  # past due, but done
    return list(Task.objects.filter(pk__in=[t.pk for t in made]))


def test_tasks_by_pages_overdue_first_then_by_deadline(world, tasks) -> None:
    today = date.today()
    client = _client(world.users["region"])
    rows, pages = _pages(client, "/api/councils/tasks", 5)
    assert [len(p["items"]) for p in pages] == [5, 5, 2]
    assert all(p["count"] == len(tasks) for p in pages)
    assert {r["id"] for r in pages[0]["items"]}.isdisjoint(r["id"] for r in pages[1]["items"])
    ids = [r["id"] for r in rows]
    expected = sorted(tasks, key=lambda t: (not t.overdue(today), t.due_date, t.pk))
    assert ids == [t.pk for t in expected]  # the order of the whole list, across the pages
    late = [r["overdue"] for r in rows]
    assert late == sorted(late, reverse=True)
    assert any(late)
    assert not all(late)
    assert pages[0]["previous"] is None
    assert "offset=5" in pages[0]["next"]
    assert client.get(pages[1]["previous"]).json()["items"] == pages[0]["items"]
    # only the overdue ones: the filter narrows the count, and the links keep it
    page = client.get("/api/councils/tasks?overdue=true&limit=2").json()
    assert page["count"] == sum(t.overdue(today) for t in tasks) == late.count(True)
    assert "overdue=true" in page["next"]
    assert all(r["overdue"] for r in page["items"])


def test_tasks_pages_keep_the_schools_scope(world, tasks) -> None:
    rows, pages = _pages(_client(world.users["school"]), "/api/councils/tasks", 2)
    own = [t.pk for t in tasks if t.school_id == world.school.pk]
    assert pages[0]["count"] == len(own) == 4
    assert sorted(r["id"] for r in rows) == sorted(own)
    assert {r["school_id"] for r in rows} == {world.school.school_id}


def test_tasks_page_costs_the_same_queries_whatever_its_size(world, tasks) -> None:
    _same_queries_whatever_the_page(_client(world.users["region"]), "/api/councils/tasks", 10)


@pytest.fixture
def requests_made(world):
    """Nine requests of the region: to the world's school and its neighbour, or to the far school only
    (another municipality); deadlines past and ahead, two on one day; parts sent, accepted or not."""
    from shnor.web.submissions import services as submissions
    from shnor.web.submissions.models import Submission

    today = date.today()
    made = []
    for i in range(9):
        schools = [world.far] if i % 3 == 2 else [world.school, world.neighbour, world.far]
        req = submissions.request_create(
            actor=world.users["region"],
            kind="file",
            title=f"Запрос {i}",
            deadline=date.fromordinal(today.toordinal() - 10 + 3 * (i // 2)),
            schools=schools,
        )
        parts = Submission.objects.filter(request=req).order_by("id")
        if i % 2:
            Submission.objects.filter(pk=parts[0].pk).update(status="accepted")
        if i % 4 == 0:
            Submission.objects.filter(pk=parts.last().pk).update(status="submitted")
        made.append(req)
    return made


def test_requests_by_pages_with_the_boards_counts(world, requests_made) -> None:
    from django.utils import timezone

    from shnor.web.submissions import selectors as subs

    user = world.users["region"]
    client = _client(user)
    rows, pages = _pages(client, "/api/submissions/requests", 4)
    assert [len(p["items"]) for p in pages] == [4, 4, 1]
    assert all(p["count"] == len(requests_made) for p in pages)
    assert {r["id"] for r in pages[0]["items"]}.isdisjoint(r["id"] for r in pages[1]["items"])
    assert [r["id"] for r in rows] == [
        r.pk for r in sorted(requests_made, key=lambda r: (r.deadline, r.pk), reverse=True)
    ]  # latest deadline first, across the pages
    today = timezone.localdate()
    for row in rows:  # the page's counts are the request's board
        board = subs.board(
            user=user, request=next(r for r in requests_made if r.pk == row["id"]), today=today
        )
        assert (row["recipients"], row["accepted"], row["late"]) == (
            board["total"],
            board["accepted"],
            board["late"],
        )
    assert any(r["late"] for r in rows)
    assert any(r["accepted"] for r in rows)


def test_requests_pages_keep_the_scope(world, requests_made) -> None:
    rows, pages = _pages(_client(world.users["municipality"]), "/api/submissions/requests", 2)
    mine = [r.pk for r in requests_made if r.submissions.filter(school=world.school).exists()]
    assert pages[0]["count"] == len(mine) == 6  # not the far school's requests
    assert sorted(r["id"] for r in rows) == sorted(mine)
    assert all(r["recipients"] == 2 for r in rows)  # the municipality's two schools of three


def test_requests_page_costs_the_same_queries_whatever_its_size(world, requests_made) -> None:
    _same_queries_whatever_the_page(_client(world.users["region"]), "/api/submissions/requests", 8)


@pytest.fixture
def bank(world):
    """Eleven published practices, most about reading (the word once or several times, in the title or
    the text), and a draft about reading."""
    from shnor.web.practices import services as practices
    from tests.web.test_practices import GEOMETRY, READING, published

    made = []
    for i in range(11):
        if i % 4 == 3:
            data = {**GEOMETRY, "title": f"{GEOMETRY['title']} {i}"}
        else:
            extra = " Чтение вслух и чтение про себя." * (i % 3)
            data = {
                **READING,
                "title": f"Практика {i}" + (": чтение" if i % 2 else ""),
                "description": READING["description"] + extra,
                "grades": [5] if i % 2 else [6],
            }
        made.append(published(world, data))
    practices.practice_save(actor=world.users["school"], data={**READING, "title": "Черновик про чтение"})
    return made


def test_bank_search_by_pages_keeps_the_ranking(world, bank) -> None:
    from shnor.web.practices import search
    from shnor.web.practices import selectors as sel

    user = world.users["teacher"]
    client = _client(user)
    rows, pages = _pages(client, "/api/practices/search?q=чтения", 3)
    # the whole ranking at once, by the search the links from deficits use (no pages, no cut here)
    whole = search.search(sel.practices_published(), "чтения", limit=100)
    assert all(p["count"] == len(whole) == len(rows) for p in pages)
    assert sorted(r["id"] for r in rows) == sorted(
        p.pk for p in bank if p.kind == "practice"
    )  # every practice about reading, no geometry, no draft
    assert {r["id"] for r in pages[0]["items"]}.isdisjoint(r["id"] for r in pages[1]["items"])
    assert [r["id"] for r in rows] == [p.pk for p in whole]  # best first across the pages, not within each
    ranks = [r["rank"] for r in rows]
    assert ranks == pytest.approx([p.rank for p in whole])
    assert len(set(ranks)) > 1
    # a later stretch's relevance is a share of the best match of all, not of the stretch's best
    later = sel.bank_results(user=user, filters=sel.Filters(q="чтения"))[3:6]
    assert [p.relevance for p in later] == [round(100 * p.rank / whole[0].rank) for p in later]
    assert max(p.relevance for p in later) < 100
    # the filters of lists narrow the count and keep the order
    rows5, pages5 = _pages(client, "/api/practices/search?q=чтения&grade=5", 2)
    assert pages5[0]["count"] == len(rows5) == sum(1 for p in bank if p.grades == [5])
    assert [r["id"] for r in rows5] == [r["id"] for r in rows if r["grades"] == [5]]
    assert "grade=5" in pages5[0]["next"]
    assert "q=" in pages5[0]["next"]


def test_bank_without_a_query_by_pages_newest_first(world, bank) -> None:
    client = _client(world.users["school"])
    rows, pages = _pages(client, "/api/practices/search", 4)
    assert pages[0]["count"] == len(bank) == len(rows)  # published only: not the draft
    assert [r["id"] for r in rows] == [
        p.pk for p in sorted(bank, key=lambda p: (p.published_at, p.pk), reverse=True)
    ]
    assert all(r["rank"] is None for r in rows)
    page = client.get("/api/practices/search?kind=material&limit=1").json()
    assert page["count"] == sum(1 for p in bank if p.kind == "material") == 2


@pytest.mark.parametrize("query", ["", "?q=чтения", "?grade=6"], ids=["newest", "ranked", "grade"])
def test_bank_page_costs_the_same_queries_whatever_its_size(world, bank, query) -> None:
    _same_queries_whatever_the_page(_client(world.users["teacher"]), f"/api/practices/search{query}", 5)
