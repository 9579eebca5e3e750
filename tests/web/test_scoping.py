"""Role × view scoping: every detail URL and API endpoint answers 404 outside the user's scope."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.identification.selectors import LISTS

VISIBLE = {
    "region": {"sch0001", "sch0002", "sch0003"},
    "observer": {"sch0001", "sch0002", "sch0003"},
    "municipality": {"sch0001", "sch0002"},
    "school": {"sch0001"},
    "teacher": {"sch0001"},
    "curator": {"sch0001", "sch0003"},
}
PROBED = ["sch0001", "sch0002", "sch0003", "sch0009"]


def login(world, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


@pytest.mark.parametrize("role", list(VISIBLE))
def test_selector_matches_the_role(world, role) -> None:
    got = set(
        schools_visible_to(user=world.users[role])
        .filter(school_id__in=PROBED)
        .values_list("school_id", flat=True)
    )
    assert got == VISIBLE[role]


def test_anonymous_and_profileless_see_nothing(world, django_user_model) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not schools_visible_to(user=AnonymousUser()).exists()
    bare = django_user_model.objects.create_user("bare", password="x")
    assert not schools_visible_to(user=bare).exists()
    admin = django_user_model.objects.create_superuser("root", password="x")
    assert schools_visible_to(user=admin).filter(school_id="sch0009").exists()


@pytest.mark.parametrize("role", list(VISIBLE))
def test_school_card_and_api_per_school(world, role) -> None:
    client = login(world, role)
    for sid in PROBED:
        expected = 200 if sid in VISIBLE[role] else 404
        for url in (
            reverse("identification:school", kwargs={"school_id": sid}),
            reverse("identification:school", kwargs={"school_id": sid}) + f"?run={world.run_old.pk}",
            f"/api/schools/{sid}",
            f"/api/schools/{sid}/outcomes",
            f"/api/schools/{sid}/outcomes?run={world.run.pk}",
        ):
            assert client.get(url).status_code == expected, (role, url)


@pytest.mark.parametrize("role", list(VISIBLE))
def test_municipality_and_region_pages(world, role) -> None:
    client = login(world, role)
    visible_muns = {
        "region": {"mun", "mun2"},
        "observer": {"mun", "mun2"},
        "municipality": {"mun"},
        "school": {"mun"},
        "teacher": {"mun"},
        "curator": {"mun", "mun2"},
    }[role]
    for name in ("mun", "mun2", "other_mun"):
        m = getattr(world, name)
        status = client.get(reverse("identification:municipality", kwargs={"pk": m.pk})).status_code
        assert status == (200 if name in visible_muns else 404), (role, name)
    assert client.get(reverse("identification:region", kwargs={"pk": world.region.pk})).status_code == 200
    other = reverse("identification:region", kwargs={"pk": world.other_region.pk})
    assert client.get(other).status_code == 404
    api_muns = {m["code"] for m in client.get("/api/municipalities").json()}
    assert api_muns == {getattr(world, n).code for n in visible_muns}
    assert {r["code"] for r in client.get("/api/regions").json()} == {"r01"}


@pytest.mark.parametrize("role", list(VISIBLE))
def test_lists_pages_exports_and_api_are_scoped(world, role) -> None:
    client = login(world, role)
    listed = client.get("/api/schools?limit=100").json()["items"]
    assert {s["school_id"] for s in listed} & set(PROBED) == VISIBLE[role]
    for kind in LISTS:
        page = client.get(reverse("identification:list", kwargs={"kind": kind}))
        assert page.status_code == 200
        assert "sch0009" not in page.content.decode()
        rows = client.get(f"/api/lists/{kind}").json()["items"]  # one page holds the test region's list
        assert {r["school_id"] for r in rows} & set(PROBED) <= VISIBLE[role]
        assert "sch0009" not in {r["school_id"] for r in rows}
    shown = client.get(reverse("identification:schools")).content.decode()
    for sid in PROBED:
        assert (sid in shown) == (sid in VISIBLE[role]), (role, sid)
    compare = client.get(
        reverse("identification:runs") + f"?a={world.run_old.pk}&b={world.run.pk}&kind=low_results"
    )
    body = compare.content.decode()
    for sid in PROBED:
        if sid not in VISIBLE[role]:
            assert sid not in body


def test_pages_need_login(world) -> None:
    client = Client()
    for url in (
        reverse("home"),
        reverse("identification:schools"),
        reverse("identification:school", kwargs={"school_id": "sch0001"}),
        reverse("identification:region", kwargs={"pk": world.region.pk}),
        reverse("identification:list", kwargs={"kind": "low_results"}),
        reverse("identification:export", kwargs={"kind": "low_results"}),
        reverse("identification:runs"),
        reverse("assessments:imports"),
        reverse("accounts:profile"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"], url
    for url in ("/api/schools", "/api/schools/sch0001", "/api/lists/low_results", "/api/me", "/api/runs"):
        assert client.get(url).status_code == 401, url


@pytest.mark.parametrize("role", ["municipality", "school", "teacher", "curator"])
def test_imports_and_audit_are_region_only(world, role) -> None:
    client = login(world, role)
    assert client.get(reverse("assessments:imports")).status_code == 403
    assert client.get(reverse("accounts:audit")).status_code == 403
    assert client.get(reverse("assessments:report", kwargs={"name": "x.xlsx"})).status_code == 403


def test_observer_reads_imports_but_cannot_upload(world) -> None:
    client = login(world, "observer")
    assert client.get(reverse("assessments:imports")).status_code == 200
    assert client.post(reverse("assessments:imports"), {}).status_code == 403
    assert client.get(reverse("accounts:audit")).status_code == 403
