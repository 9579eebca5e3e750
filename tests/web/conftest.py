"""Fixtures of the web tests: a small region with runs, evidence and one user per role."""

from __future__ import annotations

import os

import pytest

from tests.web.test_browser import ARGS, CHROMIUM
from tests.web.world import World, build_world


@pytest.fixture
def world(db, home) -> World:
    """The test region (see tests/web/world.py)."""
    return build_world()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """MD5 hashing in tests only: PBKDF2 would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (Playwright's sync API runs its own event loop). Never
    skipped: a missing /usr/bin/chromium fails the browser tests."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def live_world(transactional_db, home, live_server):
    """The test region (no roadmaps yet), committed for the live server thread."""
    return build_world()


@pytest.fixture
def live_support(transactional_db, home, live_server):
    """The test region with the municipal and the school roadmap of 2024 (support pages not empty),
    committed for the live server thread."""
    from shnor.web.support import services

    world = build_world()
    mun_user = world.users["municipality"]
    services.roadmap_create(actor=mun_user, level="municipality", year=2024, municipality=world.mun)
    services.roadmap_create(actor=mun_user, level="school", year=2024, school=world.school, run=world.run)
    return world


@pytest.fixture
def analyst(world, keep_db_connection):
    """A logged-in region analyst (imports allowed), the shipped scales and tasks loaded."""
    from django.test import Client

    from shnor.web.assessments.services import reference_ensure_shipped

    reference_ensure_shipped()
    c = Client()
    c.force_login(world.users["region"])
    return c
