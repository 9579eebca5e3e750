"""List pages: columns that mean one thing, years on the list shown, grouped reasons, sorting by any column
(validated, with aria-sort), pages with the total; the same on the school list and the websites page."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from shnor.web.identification import listing
from shnor.web.identification import views as ident_views
from shnor.web.identification.models import SchoolOutcome
from shnor.web.monitoring import views as mon_views
from tests.web.world import ROLES


def _client(world, role: str = "region") -> Client:
    c = Client()
    c.force_login(world.users[role])
    return c


def _list(c: Client, kind: str, query: str = ""):
    return c.get(reverse("identification:list", args=[kind]) + "?" + query)


def test_each_list_names_its_own_columns(world) -> None:
    c = _client(world)
    heads = {kind: [h["header"] for h in _list(c, kind).context["headers"]] for kind in listing.KIND_COLUMNS}
    assert "Показатель" not in {h for hs in heads.values() for h in hs}
    assert any(h.startswith("q-значение") for h in heads["objectivity"])
    assert not any(h.startswith("q-значение") for h in heads["low_results"])
    assert "Индекс социального неблагополучия" in heads["social_risk"]
    assert "Маркеров ФИОКО" in heads["fioko"]
    for hs in heads.values():
        assert hs.count("Лет в списке подряд") == 1
    export = c.get(reverse("identification:export", args=["objectivity"]))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert [x.value for x in sheet[3]] == [c.header for c in listing.columns_of("objectivity")]


def test_years_on_the_objectivity_list_count_objectivity_years(world) -> None:
    """sch0001 is on the ШНОР list 2 years by the method, and on the objectivity list in both runs (2023,
    2024); the foreign school too; a school that leaves the list one year starts again at 1."""
    c = _client(world)
    rows = {r["school_id"]: r for r in _list(c, "objectivity").context["rows"]}
    assert rows["sch0001"]["years_in_list"] == 2
    SchoolOutcome.objects.filter(
        run=world.run_old, method=SchoolOutcome.OBJECTIVITY, school=world.school
    ).update(flagged=False)
    from django.core.cache import cache

    cache.clear()
    rows = {r["school_id"]: r for r in _list(c, "objectivity").context["rows"]}
    assert rows["sch0001"]["years_in_list"] == 1
    low = {r["school_id"]: r for r in _list(c, "low_results").context["rows"]}
    assert low["sch0001"]["years_in_list"] == 2  # ШНОР: the method's own count, untouched


def test_reasons_are_grouped_once_per_sign() -> None:
    ids = [f"bunching:vpr:{s}:{g}" for s in ("ma", "ru") for g in (4, 5)] + ["task_pattern:vpr:ma:4"]
    grouped = listing.reasons_grouped(listing.sign_items(ids))
    assert [r.n for r in grouped] == [4, 1]
    first = str(grouped[0])
    assert first.count(grouped[0].title) == 1
    assert "ВПР, математика: 4, 5 кл." in first
    assert "ВПР, русский язык: 4, 5 кл." in first


def test_objectivity_page_shows_each_sign_once(world) -> None:
    c = _client(world)
    page = _list(c, "objectivity")
    row = page.context["rows"][0]
    titles = [r.title for r in row["reasons"]]
    assert len(titles) == len(set(titles))
    assert row["n_signs"] == sum(r.n for r in row["reasons"])
    assert '<ul class="reasons">' in page.content.decode()


def test_sorting_is_validated_and_announced(world) -> None:
    c = _client(world)
    up = _list(c, "social_risk", "sort=school_id")
    ids = [r["school_id"] for r in up.context["rows"]]
    assert ids == sorted(ids)
    down = _list(c, "social_risk", "sort=-school_id")
    assert [r["school_id"] for r in down.context["rows"]] == sorted(ids, reverse=True)
    html = down.content.decode()
    assert 'aria-sort="descending"' in html
    assert 'aria-sort="ascending"' not in html
    assert _list(c, "social_risk", "sort=drop_table").status_code == 400
    assert _list(c, "social_risk", "sort=details").status_code == 400


def test_pages_show_the_total(world, monkeypatch) -> None:
    monkeypatch.setattr(ident_views, "PER_PAGE", 2)
    c = _client(world)
    first = _list(c, "social_risk", "sort=school_id")
    assert first.context["page"].paginator.count == 4
    assert len(first.context["page"].object_list) == 2
    html = first.content.decode()
    assert '<b id="list-count">4</b>' in html
    assert "стр. 1 из 2" in html
    second = _list(c, "social_risk", "sort=school_id&page=2")
    both = [r["school_id"] for r in first.context["page"]] + [r["school_id"] for r in second.context["page"]]
    assert both == [r["school_id"] for r in first.context["rows"]]


def test_school_list_sorts_and_pages(world, monkeypatch) -> None:
    monkeypatch.setattr(ident_views, "PER_PAGE", 3)
    c = _client(world)
    page = c.get(reverse("identification:schools") + "?sort=-pupils")
    pupils = [s.pupils for s in page.context["page"]]
    assert pupils == sorted(pupils, reverse=True)
    assert pupils[0] == 400
    assert page.context["total"] == 9
    assert 'aria-sort="descending"' in page.content.decode()
    assert c.get(reverse("identification:schools") + "?sort=lists").status_code == 400


def test_websites_page_sorts_and_pages(world, monkeypatch) -> None:
    monkeypatch.setattr(mon_views, "SITES_PER_PAGE", 4)
    c = _client(world)
    page = c.get(reverse("monitoring:sites") + "?sort=-school_id")
    shown = [r["school_id"] for r in page.context["page"]]
    assert len(shown) == 4
    assert shown == sorted(shown, reverse=True)
    assert page.context["page"].paginator.count == 9
    assert "стр. 1 из 3" in page.content.decode()
    assert c.get(reverse("monitoring:sites") + "?sort=nope").status_code == 400


@pytest.mark.parametrize("role", ROLES)
def test_list_pages_per_role(world, role) -> None:
    c = _client(world, role)
    for kind in listing.KIND_COLUMNS:
        page = _list(c, kind, "sort=-years_in_list")
        assert page.status_code == 200, (role, kind)
        visible = {r["school_id"] for r in page.context["rows"]}
        assert "sch0009" not in visible  # the other region's school never shows
    assert c.get(reverse("identification:schools") + "?sort=name").status_code == 200
