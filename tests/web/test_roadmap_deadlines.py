"""Roadmap deadlines (issue 25): a typed due date is stored as typed, a period text is read into an exact
date or leaves no due date, and a new roadmap's default year has nothing overdue on the day it is made."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from shnor.web.support import services
from shnor.web.support.models import Activity, Level
from tests.web.world import PASSWORD


def login(world, role: str) -> Client:
    client = Client()
    assert client.login(username=world.users[role].username, password=PASSWORD)
    return client


@pytest.fixture
def region_map(world):
    return services.roadmap_create(
        actor=world.users["region"], level="region", year=2025, region=world.region
    )


def _post_activity(client: Client, roadmap, **data):
    return client.post(
        reverse("support:activity_new", kwargs={"pk": roadmap.pk}), {"title": "Семинар", **data}, follow=True
    )


def test_typed_due_date_is_kept_as_typed(world, region_map) -> None:
    client = login(world, "region")
    r = _post_activity(client, region_map, period_text="В течение года", due_date="2025-10-15")
    act = region_map.activities.get(title="Семинар")
    assert act.due_date == dt.date(2025, 10, 15)
    assert "Срок исполнения: 15.10.2025" in r.content.decode()


def test_period_with_exact_date_fills_an_empty_due_date(world, region_map) -> None:
    client = login(world, "region")
    r = _post_activity(client, region_map, period_text="до 01.09.2025", due_date="")
    act = region_map.activities.get(title="Семинар")
    assert (act.start_date, act.due_date) == (None, dt.date(2025, 9, 1))
    assert "Срок исполнения определён по тексту «до 01.09.2025»: 01.09.2025" in r.content.decode()


def test_unreadable_period_leaves_no_due_date_and_says_so(world, region_map) -> None:
    client = login(world, "region")
    r = _post_activity(client, region_map, period_text="по графику", due_date="")
    act = region_map.activities.get(title="Семинар")
    assert act.due_date is None
    assert "напоминания о нём приходить не будут" in r.content.decode()
    page = client.get(reverse("support:activity", kwargs={"pk": act.pk})).content.decode()
    assert 'id="no-due"' in page


def test_editing_period_keeps_a_typed_due_date(world, region_map) -> None:
    act = services.activity_add(
        actor=world.users["region"],
        roadmap=region_map,
        title="Совещание",
        period_text="Март 2025 г.",
        due_date=dt.date(2025, 4, 10),
    )
    client = login(world, "region")
    url = reverse("support:activity", kwargs={"pk": act.pk})
    form = {"action": "update", "status": act.status, "comment": "", "due_date": "2025-04-10"}
    client.post(url, {**form, "period_text": "Май 2025 г."})
    act.refresh_from_db()
    assert (act.period_text, act.due_date) == ("Май 2025 г.", dt.date(2025, 4, 10))
    assert act.start_date == dt.date(2025, 5, 1)
    # a due date read from the text follows the text
    auto = services.activity_add(
        actor=world.users["region"], roadmap=region_map, title="Отчёт", period_text="Март 2025 г."
    )
    assert auto.due_date == dt.date(2025, 3, 31)
    services.activity_update(actor=world.users["region"], activity=auto, period_text="до 15.06.2025")
    auto.refresh_from_db()
    assert auto.due_date == dt.date(2025, 6, 15)
    services.activity_update(actor=world.users["region"], activity=auto, period_text="по графику")
    auto.refresh_from_db()
    assert auto.due_date is None


@pytest.mark.parametrize("level", [Level.REGION, Level.MUNICIPALITY, Level.SCHOOL])
def test_default_year_has_no_overdue_activity(world, level) -> None:
    today = dt.date(2026, 12, 5)
    templates = services.DEFAULT_TEMPLATES[level]
    year = services.roadmap_year_default(templates=templates, level=level, today=today)
    assert year >= 2026
    kw = {
        Level.REGION: {"region": world.region},
        Level.MUNICIPALITY: {"municipality": world.mun},
        Level.SCHOOL: {"school": world.school, "run": world.run},
    }[level]
    rm = services.roadmap_create(actor=world.users["region"], level=level, year=year, **kw)
    assert rm.activities.exists()
    assert not rm.activities.filter(due_date__lt=today).exists()
    # and it is the smallest such year: the year before has overdue activities (or is before the school year)
    if year > 2026:
        assert (
            services.roadmap_overdue_count(templates=templates, level=level, year=year - 1, today=today) > 0
        )


def test_default_year_depends_on_the_day() -> None:
    # in January of the 2025/26 school year the calendar-year plan of 2026 (from February on) is still ahead
    year = services.roadmap_year_default(
        templates=["school_tracks"], level="school", today=dt.date(2026, 1, 15)
    )
    assert year == 2026
    # in December its February–November activities have passed: the next year
    year = services.roadmap_year_default(
        templates=["school_tracks"], level="school", today=dt.date(2026, 12, 5)
    )
    assert year == 2027


def test_new_roadmap_form_defaults_to_a_year_without_overdue_and_warns_otherwise(world, monkeypatch) -> None:
    from shnor.web.support import views

    monkeypatch.setattr(views, "_today", lambda: dt.date(2026, 12, 5))
    client = login(world, "region")
    url = reverse("support:roadmap_new") + f"?level=region&target={world.region.pk}"
    page = client.get(url).content.decode()
    assert 'value="2027"' in page
    assert "Учебный год 2027/2028: все сроки мероприятий позже сегодняшней даты" in page
    r = client.post(url, {"year": 2026, "templates": ["chel_region_2024"]})
    assert r.status_code == 302
    warnings = [str(m) for m in get_messages(r.wsgi_request) if m.level_tag == "warning"]
    late = Activity.objects.filter(
        roadmap__year=2026, roadmap__level="region", due_date__lt=dt.date(2026, 12, 5)
    )
    assert late.exists()
    assert warnings
    assert f"мероприятий с прошедшим сроком: {late.count()}" in warnings[0]
