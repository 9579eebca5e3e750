"""Fixtures of the web tests: a small region with runs, evidence and one user per role."""

from __future__ import annotations

import pytest

from tests.web.world import World, build_world


@pytest.fixture
def world(db, home) -> World:  # type: ignore[no-untyped-def]
    """The test region (see tests/web/world.py)."""
    return build_world()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    """MD5 hashing in tests only: PBKDF2 would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
