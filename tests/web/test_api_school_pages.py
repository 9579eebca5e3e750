"""The API's school list read page by page: each page holds the rows of that stretch of the whole list,
in the list's order, the count is the number of visible schools, and the fields are the registry's."""

from __future__ import annotations

from django.test import Client

from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.registry.selectors import schools_search


def test_pages_cut_the_whole_ordered_list(world, django_user_model) -> None:
    admin = django_user_model.objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(admin)
    whole = list(schools_search(schools=schools_visible_to(user=admin)))
    assert len(whole) >= 5
    got: list[dict] = []
    for offset in range(0, len(whole), 2):
        page = client.get(f"/api/schools?limit=2&offset={offset}").json()
        assert page["count"] == len(whole)
        assert len(page["items"]) == min(2, len(whole) - offset)
        got.extend(page["items"])
    assert [r["school_id"] for r in got] == [s.school_id for s in whole]
    first = whole[0]
    assert got[0]["name"] == first.name
    assert got[0]["municipality"] == (first.municipality.name if first.municipality else None)
    assert got[0]["region"] == (first.region.name if first.region else None)
    past = client.get(f"/api/schools?limit=2&offset={len(whole)}").json()
    assert (past["items"], past["count"], past["next"]) == ([], len(whole), None)


def test_search_and_municipality_narrow_the_count(world) -> None:
    client = Client()
    client.force_login(world.users["region"])
    visible = schools_visible_to(user=world.users["region"])
    one = visible.exclude(municipality=None).first()
    page = client.get(f"/api/schools?municipality={one.municipality_id}&limit=1").json()
    assert page["count"] == visible.filter(municipality_id=one.municipality_id).count()
    assert len(page["items"]) == 1
    page = client.get(f"/api/schools?q={one.school_id}").json()
    assert page["count"] == 1
    assert page["items"][0]["school_id"] == one.school_id
