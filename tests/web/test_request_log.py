"""Request ids and the error log: a view that fails leaves its traceback with the request id in
SHNOR_HOME/logs/shnor.log, the 500 page shows the same id, administrators get it by e-mail."""

from __future__ import annotations

import logging
import logging.config
import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from shnor.web import request_log
from shnor.web import settings as shnor_settings
from shnor.web.support import selectors as support_selectors


@pytest.fixture
def log_home(home, settings):
    """Logging configured as settings.py does it, but into the test's SHNOR_HOME (mail to the admins on)."""
    settings.ADMINS = [("Дежурный", "admin@example.ru")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    logging.config.dictConfig(request_log.logging_config(home=home, mail_admins=True))
    yield home / "logs" / "shnor.log"
    logging.config.dictConfig(django_settings.LOGGING)  # back to the session's (tests/conftest.py)


def _broken(monkeypatch) -> None:
    def boom(**kwargs):
        raise RuntimeError("сбой при подсчёте сроков")

    monkeypatch.setattr(support_selectors, "activities_deadlines", boom)


def test_a_server_error_is_logged_with_its_request_id_and_shown_on_the_500_page(
    world, log_home, monkeypatch
) -> None:
    _broken(monkeypatch)
    client = Client(raise_request_exception=False)
    client.force_login(world.users["region"])
    response = client.get("/support/")
    assert response.status_code == 500
    rid = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    page = response.content.decode()
    assert rid in page
    assert "Ошибка на сервере" in page
    assert 'href="/schools/"' in page  # the menu is there

    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_home.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "Internal Server Error: /support/" in x)
    assert f"ERROR [{rid}] django.request" in line
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: сбой при подсчёте сроков" in text

    (letter,) = mail.outbox
    assert letter.to == ["admin@example.ru"]
    assert letter.subject.startswith("[ШНОР] ERROR")
    assert f"[{rid}]" in letter.body
    assert "сбой при подсчёте сроков" in letter.body


def test_a_proxy_request_id_is_kept_a_strange_one_replaced(world, log_home, settings) -> None:
    client = Client()
    client.force_login(world.users["region"])
    # from a client that is not a trusted proxy the id is never taken
    assert (
        client.get("/schools/", HTTP_X_REQUEST_ID="nginx-4f2a.17").headers["X-Request-ID"] != "nginx-4f2a.17"
    )
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    assert (
        client.get("/schools/", HTTP_X_REQUEST_ID="nginx-4f2a.17").headers["X-Request-ID"] == "nginx-4f2a.17"
    )
    for strange in ("a b", "<script>", "x" * 65, "", "-начало"):
        rid = client.get("/schools/", HTTP_X_REQUEST_ID=strange).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", rid), strange


def test_client_errors_are_logged_with_the_id_but_without_a_traceback(world, log_home, settings) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]  # the ids come from "the proxy"
    client = Client()
    client.force_login(world.users["region"])
    bad = client.get("/support/?days=abc", HTTP_X_REQUEST_ID="req-400")
    missing = client.get("/schools/sch0009/", HTTP_X_REQUEST_ID="req-404")  # another region's school
    assert (bad.status_code, missing.status_code) == (400, 404)
    for handler in logging.getLogger("django").handlers:
        handler.flush()
    text = log_home.read_text(encoding="utf-8")
    assert "WARNING [req-400] django.request" in text
    assert "WARNING [req-404] django.request: Not Found: /schools/sch0009/" in text
    assert "Traceback" not in text
    assert mail.outbox == []


def test_the_404_and_403_pages_are_russian_with_the_menu(world) -> None:
    client = Client()
    client.force_login(world.users["teacher"])
    missing = client.get("/schools/sch0009/")
    assert missing.status_code == 404
    assert "Страница не найдена" in missing.content.decode()
    assert "No School matches" not in missing.content.decode()  # Django's English message is not shown
    forbidden = client.get("/jobs/run/")
    assert forbidden.status_code == 403
    body = forbidden.content.decode()
    assert "Нет доступа" in body
    assert "Запускать расчёт может аналитик региона" in body
    assert 'href="/schools/"' in body


def test_admins_come_from_the_environment(monkeypatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("SHNOR_ADMINS", "Иванова Анна <ivanova@edu.example.ru>, ops@edu.example.ru")
    assert shnor_settings._admins("SHNOR_ADMINS") == [
        ("Иванова Анна", "ivanova@edu.example.ru"),
        ("", "ops@edu.example.ru"),
    ]
    monkeypatch.setenv("SHNOR_ADMINS", "")
    assert shnor_settings._admins("SHNOR_ADMINS") == []
    monkeypatch.setenv("SHNOR_ADMINS", "Иванова без адреса")
    with pytest.raises(ImproperlyConfigured, match="SHNOR_ADMINS"):
        shnor_settings._admins("SHNOR_ADMINS")
