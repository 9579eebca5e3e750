"""Shared fixtures: a private SHNOR_HOME per test and paths to the real ФИС ОКО files."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real"


@pytest.fixture
def real() -> Path:
    """The folder of real ФИС ОКО exports (../shared/real beside the project)."""
    if not REAL.exists():
        pytest.fail(f"нет папки с реальными файлами: {REAL}")
    return REAL


@pytest.fixture
def home(tmp_path, settings):  # type: ignore[no-untyped-def]
    """A private SHNOR_HOME for one test (warehouse, reports, secrets)."""
    settings.HOME = tmp_path / "home"
    settings.HOME.mkdir()
    return settings.HOME


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    """Each test starts with an empty cache: cached reads never leak between tests' databases."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
