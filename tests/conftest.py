"""Shared fixtures: a private SHNOR_HOME per test and paths to the real ФИС ОКО files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# no per-example deadline: a property test asserts behaviour, not speed (a slow or busy machine
# otherwise fails an example that took over 200 ms)
hypothesis_settings.register_profile("shnor", deadline=None)
hypothesis_settings.load_profile("shnor")

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real"


@pytest.fixture
def real() -> Path:
    """The folder of real ФИС ОКО exports (../shared/real beside the project)."""
    if not REAL.exists():
        pytest.fail(f"нет папки с реальными файлами: {REAL}")
    return REAL


@pytest.fixture
def home(tmp_path, settings):
    """A private SHNOR_HOME for one test (warehouse, reports, secrets)."""
    settings.HOME = tmp_path / "home"
    settings.HOME.mkdir()
    return settings.HOME


@pytest.fixture(scope="session", autouse=True)
def _log_into_tmp(tmp_path_factory):
    """Test runs log into a temporary SHNOR_HOME/logs, not into the developer's var/logs/shnor.log."""
    import logging.config

    from django.conf import settings

    from shnor.web.request_log import logging_config

    settings.LOGGING = logging_config(home=tmp_path_factory.mktemp("log-home"), level=settings.LOG_LEVEL)
    logging.config.dictConfig(settings.LOGGING)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: cached reads never leak between tests' databases."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def keep_db_connection(monkeypatch):
    """Keep the test's database connection open when code outside Django's test client runs requests or
    the task worker: both call close_old_connections(), which drops a connection inside the test's
    transaction on PostgreSQL (SQLite's in-memory test database ignores it)."""
    from django.core import signals
    from django.db import close_old_connections
    from django_tasks_db.management.commands import db_worker

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
