"""Login, throttling, CSRF, the audit log, demo users and API tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shnor.web.accounts.models import AuditEntry, LoginFailure
from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.accounts.services import login_throttle_check
from shnor.web.demo import demo_users_create
from tests.web.world import PASSWORD

LOGIN = "/accounts/login/"


def test_login_lands_on_the_role_page(world) -> None:
    expected = {
        "region": f"/regions/{world.region.pk}/",
        "observer": f"/regions/{world.region.pk}/",
        "municipality": f"/municipalities/{world.mun.pk}/",
        "school": "/schools/sch0001/",
        "teacher": "/schools/sch0001/",
        "curator": "/schools/",
    }
    for role, target in expected.items():
        client = Client()
        response = client.post(
            LOGIN, {"username": world.users[role].username, "password": PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1][0] == target, role
        assert response.status_code == 200
    assert AuditEntry.objects.filter(action="вход").count() == len(expected)


def _earlier(seconds: float) -> None:
    """Move every recorded failure ``seconds`` into the past (instead of sleeping)."""
    back = dt.timedelta(seconds=seconds)
    LoginFailure.objects.update(last_failure_at=F("last_failure_at") - back, last_at=F("last_at") - back)


def test_repeated_failures_make_the_next_attempt_wait(world, settings) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(2):
        r = client.post(LOGIN, {"username": "u_school", "password": "неверный"})
        assert "Неверное имя пользователя или пароль" in r.content.decode()
    r = client.post(LOGIN, {"username": "u_school", "password": "неверный"})
    assert r.status_code == 200
    assert "Слишком много неудачных попыток входа. Повторите через 2 с." in r.content.decode()
    # the right password is refused during the wait (it is not even checked)
    r = client.post(LOGIN, {"username": "U_School", "password": PASSWORD})
    assert "Слишком много неудачных попыток" in r.content.decode()
    assert "_auth_user_id" not in client.session
    # another address is not affected
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(LOGIN, {"username": "u_school", "password": PASSWORD}).status_code == 302
    assert AuditEntry.objects.filter(action="неудачный вход", username="u_school").count() == 3
    throttled = AuditEntry.objects.get(action="ограничение входа", username="u_school")
    assert throttled.ip == "127.0.0.1"
    assert throttled.changes["неудачных попыток"] == 3
    # a wrong password after the wait doubles it
    _earlier(3)
    r = client.post(LOGIN, {"username": "u_school", "password": "неверный"})
    assert "Повторите через 4 с." in r.content.decode()
    # after the wait the right password works and forgets the streak
    _earlier(5)
    assert client.post(LOGIN, {"username": "u_school", "password": PASSWORD}).status_code == 302
    assert not LoginFailure.objects.filter(ip="127.0.0.1").exists()


def test_waits_are_capped_and_streaks_forgotten(world, settings) -> None:
    settings.LOGIN_DELAY_MAX_SECONDS = 300
    now = timezone.now()
    LoginFailure.objects.create(
        username="u_school", ip="127.0.0.1", failures=20, last_failure_at=now, last_at=now
    )
    throttle = login_throttle_check(username="u_school", ip="127.0.0.1", known=True)
    assert throttle is not None
    assert throttle.reason == "pair"
    assert 295 <= throttle.seconds <= 300
    assert "Повторите через 5 мин." in throttle.message
    # quiet for the window: forgotten
    _earlier(settings.LOGIN_WINDOW_MINUTES * 60 + 1)
    assert login_throttle_check(username="u_school", ip="127.0.0.1") is None
    assert Client().post(LOGIN, {"username": "u_school", "password": PASSWORD}).status_code == 302


def test_csrf_is_enforced_on_every_form(world) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(LOGIN, {"username": "u_region", "password": PASSWORD}).status_code == 403
    client.force_login(world.users["region"])
    for url, data in (
        (reverse("accounts:profile"), {"name": "x"}),
        (reverse("accounts:logout"), {}),
        (reverse("assessments:imports"), {}),
        (reverse("accounts:token_revoke", kwargs={"pk": 1}), {}),
    ):
        assert client.post(url, data).status_code == 403, url
    # with the token from the form it passes
    page = client.get(reverse("accounts:profile"))
    token = page.context["csrf_token"]
    assert (
        client.post(
            reverse("accounts:profile"), {"name": "интеграция", "csrfmiddlewaretoken": str(token)}
        ).status_code
        == 200
    )


def test_every_change_is_audited(world) -> None:
    client = Client()
    client.force_login(world.users["region"])
    world.school.name = "МБОУ СОШ №1 им. Пушкина"
    world.school.save()
    entry = AuditEntry.objects.filter(object_type="школа", action="изменение").latest("id")
    assert entry.changes["name"] == "МБОУ СОШ №1 им. Пушкина"
    client.get(reverse("identification:export", kwargs={"kind": "low_results"}))
    export = AuditEntry.objects.filter(action="выгрузка").latest("id")
    assert export.username == "u_region"
    page = client.get(reverse("accounts:audit"))
    assert page.status_code == 200
    assert "выгрузка" in page.content.decode()


def test_api_tokens(world) -> None:
    client = Client()
    client.force_login(world.users["municipality"])
    page = client.post(reverse("accounts:profile"), {"name": "ГИС муниципалитета"})
    key = page.context["new_key"]
    assert key.startswith("shn_")
    api = Client()
    me = api.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert me.status_code == 200
    assert me.json()["username"] == "u_mun"
    assert api.get("/api/schools/sch0003", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 404
    assert api.get("/api/schools/sch0002", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert api.get("/api/me", HTTP_AUTHORIZATION="Bearer shn_wrong").status_code == 401
    token_id = world.users["municipality"].api_tokens.get().pk
    client.post(reverse("accounts:token_revoke", kwargs={"pk": token_id}))
    assert api.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    # someone else's token cannot be revoked
    other = Client()
    other.force_login(world.users["school"])
    assert (
        other.post(reverse("accounts:token_revoke", kwargs={"pk": token_id}), follow=True).status_code == 200
    )


def test_openapi_schema(world) -> None:
    schema = Client().get("/api/openapi.json").json()
    assert {"/api/schools", "/api/schools/{school_id}", "/api/lists/{kind}", "/api/runs"} <= set(
        schema["paths"]
    )


@pytest.mark.django_db
def test_demo_users_one_per_role(world) -> None:
    rows = demo_users_create(password="demo-пароль")
    assert [r[0] for r in rows] == [
        "demo_region",
        "demo_municipality",
        "demo_school",
        "demo_teacher",
        "demo_curator",
        "demo_observer",
    ]
    assert all(r[1] == "demo-пароль" for r in rows)
    for username, password, _ in rows:
        client = Client()
        assert client.post(LOGIN, {"username": username, "password": password}).status_code == 302, username
    from django.contrib.auth import get_user_model

    school_user = get_user_model().objects.get(username="demo_school")
    assert schools_visible_to(user=school_user).count() == 1
    again = demo_users_create()
    assert again[0][1] != "demo-пароль"
    assert len(again[0][1]) >= 10


def test_demo_director_sees_a_school_on_the_list(world) -> None:
    from shnor.web.accounts.models import Profile
    from shnor.web.demo import demo_users_create
    from shnor.web.identification.models import SchoolOutcome

    demo_users_create(password="x")
    school = Profile.objects.get(user__username="demo_school").school
    assert SchoolOutcome.objects.filter(
        run=world.run, school=school, method=SchoolOutcome.LOW_RESULTS, flagged=True
    ).exists()
