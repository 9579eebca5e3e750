"""Page weight as ``shnor serve`` serves it: static files collected with hashed names and compressed copies,
WhiteNoise in front (not the test server's plain static handler). In real (Debian) Chromium with the
cache disabled, the login page and the region's dashboard after login each transfer under 1 MB, the
dashboard still draws its four charts, Plotly is loaded only where there is a chart, and hashed files
are served compressed and «immutable»."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.web.world import PASSWORD, World, build_world

LIMIT = 1_000_000  # bytes on the wire for one cold page with everything it loads


@dataclass
class Served:
    url: str
    world: World


@pytest.fixture
def served(transactional_db, home, settings, monkeypatch, tmp_path) -> Iterator[Served]:
    """The test region behind a server thread whose static files go through WhiteNoise, after the same
    collection ``shnor serve`` makes (only the project's own static folder: the admin's files are not on
    these pages and would take a minute to compress)."""
    from django.db import connections
    from django.test.testcases import LiveServerThread

    from shnor.serving import static_collect
    from shnor.web.staticfinders import COLLECTED_ENV

    monkeypatch.delenv(COLLECTED_ENV, raising=False)
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    assert static_collect() is True
    assert static_collect() is False  # the same files: not collected again
    assert (settings.STATIC_ROOT / "staticfiles.json").exists()
    world = build_world()
    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for conn in shared.values():
        conn.inc_thread_sharing()
    thread = LiveServerThread("localhost", lambda app: app, connections_override=shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield Served(url=f"http://localhost:{thread.port}", world=world)
    finally:
        thread.terminate()
        # the server's request threads are daemons it does not wait for: one still closing its
        # connection after the sharing below ends fails the test's teardown (seen in CI)
        for t in threading.enumerate():
            if t.name.endswith("(process_request_thread)"):
                t.join(timeout=30)
        for conn in shared.values():
            conn.dec_thread_sharing()


@dataclass
class Wire:
    """Bytes received (headers and encoded bodies, as Chromium's network panel counts) and responses."""

    total: int = 0
    urls: dict[str, dict[str, str]] = field(default_factory=dict)
    by_id: dict[str, str] = field(default_factory=dict)


def _cold_page(browser):
    """A fresh context (empty cache) and a CDP session that counts transferred bytes, cache disabled."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    wire = Wire()

    def received(ev: dict) -> None:
        wire.by_id[ev["requestId"]] = ev["response"]["url"]
        wire.urls[ev["response"]["url"]] = {k.lower(): v for k, v in ev["response"]["headers"].items()}

    def finished(ev: dict) -> None:
        wire.total += int(ev["encodedDataLength"])

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    return context, page, cdp, wire


def _reset(wire: Wire) -> None:
    wire.total = 0
    wire.urls.clear()


def test_cold_pages_weigh_under_a_megabyte(browser, served) -> None:
    # the login page, cold
    context, page, cdp, wire = _cold_page(browser)
    try:
        page.goto(f"{served.url}/accounts/login/", wait_until="networkidle")
        login_bytes = wire.total
        assert login_bytes < LIMIT, f"страница входа: {login_bytes} байт"
        assert not any("plotly" in u for u in wire.urls), "Plotly на странице без графиков"
        styles = [u for u in wire.urls if "/static/shnor/style." in u]
        assert styles
        assert all(".css" in u and u.count(".") >= 2 for u in styles)
        # log in; then the dashboard with an empty cache again
        page.fill("#id_username", served.world.users["region"].username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/regions/{served.world.region.pk}/")
        page.wait_for_load_state("networkidle")
        cdp.send("Network.clearBrowserCache")
        _reset(wire)
        page.goto(f"{served.url}/", wait_until="networkidle")
        page.locator(".chart[data-drawn='1']").nth(3).wait_for(timeout=20000)
        assert page.locator(".chart").count() == 4
        assert page.locator(".chart .main-svg").count() >= 4  # Plotly drew them
        dash_bytes = wire.total
        assert dash_bytes < LIMIT, f"панель региона: {dash_bytes} байт"
        plotly = [u for u in wire.urls if "/static/vendor/plotly.min." in u]
        assert len(plotly) == 1, list(wire.urls)
        headers = wire.urls[plotly[0]]
        assert headers.get("content-encoding") in {"gzip", "br"}, headers
        assert "immutable" in headers.get("cache-control", ""), headers
        assert int(headers["content-length"]) < 450_000  # the basic bundle, compressed
        print(f"\nвход: {login_bytes} байт; панель региона: {dash_bytes} байт; Plotly: {headers}")
    finally:
        context.close()


def test_pages_without_charts_load_no_plotly_and_pages_with_charts_draw(browser, served) -> None:
    """The school card (evidence charts) loads Plotly and draws; the list page (no chart) does not load it."""
    context, page, cdp, wire = _cold_page(browser)
    try:
        page.goto(f"{served.url}/accounts/login/")
        page.fill("#id_username", served.world.users["municipality"].username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        _reset(wire)
        page.goto(f"{served.url}/lists/social_risk/", wait_until="networkidle")
        assert page.locator("[data-figure]").count() == 0
        assert not any("plotly" in u for u in wire.urls)
        _reset(wire)
        page.goto(f"{served.url}/schools/{served.world.school.school_id}/", wait_until="networkidle")
        page.locator(".chart[data-drawn='1']").first.wait_for(timeout=20000)
        assert any("/static/vendor/plotly.min." in u for u in wire.urls)
        # the page's last requests answered before the browser closes: a request the live server is
        # still serving at teardown closes its connection from another thread (an error on SQLite)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
