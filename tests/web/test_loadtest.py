"""The load driver against a live server: sessions log in, click around, and every request is measured."""

from __future__ import annotations

import pytest

from shnor_bench.loadtest import Session, run_load
from tests.web.world import PASSWORD


@pytest.mark.django_db(transaction=True)
def test_sessions_log_in_and_measure_every_request(world, live_server, settings) -> None:
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    # one session: the test server's in-memory SQLite cannot take concurrent logins (transactions
    # collide); concurrency is what `shnor loadtest` measures against gunicorn on PostgreSQL
    report = run_load(
        base=live_server.url + "/",
        username="u_region",
        password=PASSWORD,
        sessions=1,
        seconds=2,
        think=(0.0, 0.05),
    )
    assert not report.failures
    assert len(report.samples) >= 4
    assert report.errors == 0
    assert len({s.kind for s in report.samples}) > 1
    assert report.percentile(0.95) > 0
    assert "всего" in report.table()


@pytest.mark.django_db(transaction=True)
def test_wrong_password_is_a_failure_not_a_crash(world, live_server) -> None:
    from django.db import connection

    # two sessions at once on PostgreSQL; one on the test server's in-memory SQLite, whose shared
    # connection cannot take two failed logins' transactions at once (they collided 1 run in many:
    # "no more rows available", and the broken teardown then failed the tests after it)
    sessions = 1 if connection.vendor == "sqlite" else 2
    report = run_load(
        base=live_server.url + "/", username="u_region", password="wrong", sessions=sessions, seconds=0.5
    )
    assert report.failures["вход не удался"] == sessions
    assert report.samples == []


def test_only_loopback_is_ever_contacted() -> None:
    with pytest.raises(ValueError, match="только к адресам на этой машине"):
        Session("http://10.0.0.5:8000/", "u", "p")
    with pytest.raises(ValueError, match="только к адресам"):
        Session("https://example.org/", "u", "p")
