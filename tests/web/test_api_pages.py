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
    ],
    ids=["lists", "schools", "decisions", "people", "events"],
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
