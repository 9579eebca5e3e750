"""A full-page PNG of every main page in real (Debian) Chromium, as the region user and the school user.

Each page must answer OK, show a Russian heading, not be a Django error page and log no console errors. The
PNGs go to ``$SHNOR_SCREENSHOTS`` (default /tmp/shnor-screenshots) for a person to look at."""

from __future__ import annotations

import re

from tests.web.test_browser import SCREENSHOT_DIR, login

RUSSIAN = re.compile(r"[А-Яа-яЁё]{3,}")
ERROR_PAGE = ("Traceback", "Server Error (500)", "Page not found", "DisallowedHost", "TemplateSyntaxError")


class Shooter:
    """Opens pages of one browser context, checks them and saves a PNG of each; collects the problems."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base, self.problems, self.saved = page, base, [], []
        self.errors: list[str] = []
        page.on("console", lambda msg: self._console(msg))
        page.on("pageerror", lambda exc: self.errors.append(f"JS: {exc}"))

    def _console(self, msg) -> None:
        url = (msg.location or {}).get("url", "")
        if msg.type == "error" and not url.endswith("/favicon.ico"):
            self.errors.append(f"console: {msg.text} ({url})")

    def shoot(
        self, name: str, url: str | None = None, heading: str = "h1", status: int | None = None
    ) -> None:
        """Open ``url`` (or stay on the current page), check it and save ``name``.png."""
        page = self.page
        self.errors.clear()
        if url is not None:
            response = page.goto(self.base + url)
            status = response.status if response else None
        page.wait_for_load_state("load")
        drawn = page.locator(".chart:not(details:not([open]) .chart)")
        for i in range(drawn.count()):  # wait for the charts that are visible to be drawn
            drawn.nth(i).locator(".main-svg, .chart-missing").first.wait_for(timeout=15000)
        where = f"{name} ({page.url})"
        if status is not None and status >= 400:
            self.problems.append(f"{where}: HTTP {status}")
        text = page.locator(heading).first.inner_text(timeout=10000) if page.locator(heading).count() else ""
        if not RUSSIAN.search(text):
            self.problems.append(f"{where}: нет русского заголовка {heading!r}: {text!r}")
        body = page.content()
        self.problems += [f"{where}: страница ошибки ({marker})" for marker in ERROR_PAGE if marker in body]
        self.problems += [f"{where}: {e}" for e in self.errors]
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.saved.append(path)


def test_main_pages_screenshots(browser, live_server, live_support) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    w = live_support
    problems: list[str] = []
    saved = []

    # the login page, before anyone logs in
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    shooter = Shooter(context.new_page(), live_server.url)
    shooter.shoot("01_login", "/accounts/login/")
    problems += shooter.problems
    saved += shooter.saved
    context.close()

    context, page = login(browser, live_server, w.users["region"].username)
    try:
        shooter = Shooter(page, live_server.url)
        page.wait_for_url(f"**/regions/{w.region.pk}/")
        shooter.shoot("02_region_dashboard", status=200)
        shooter.shoot("03_municipality_dashboard", f"/municipalities/{w.mun.pk}/")
        shooter.shoot("04_schools_search", "/schools/?q=" + "СОШ")
        shooter.shoot("05_school_card", "/schools/sch0001/")
        for kind in ("low_results", "social_risk", "objectivity", "fioko"):
            shooter.shoot(f"06_list_{kind}", f"/lists/{kind}/")
        shooter.shoot("07_runs_comparison", f"/runs/?a={w.run_old.pk}&b={w.run.pk}")
        shooter.shoot("08_imports", "/imports/")
        shooter.shoot("09_jobs", "/jobs/")
        shooter.shoot("10_support", "/support/")
        shooter.shoot("11_monitoring_indicators", "/monitoring/")
        shooter.shoot("12_diagnostics", "/diagnostics/")
        shooter.shoot("13_reports", "/monitoring/reports/")
        shooter.shoot("14_profile", "/accounts/profile/")
        page.goto(live_server.url + "/api/docs")
        page.locator(".swagger-ui .info .title").wait_for(timeout=15000)
        page.locator(".opblock").first.wait_for(timeout=15000)
        shooter.shoot("15_api_docs", heading=".swagger-ui .info", status=200)
        problems += shooter.problems
        saved += shooter.saved
    finally:
        context.close()

    context, page = login(browser, live_server, w.users["school"].username)
    try:
        shooter = Shooter(page, live_server.url)
        page.wait_for_url("**/schools/sch0001/")
        shooter.shoot("16_school_user_card", status=200)
        shooter.shoot("17_school_user_support", "/support/")
        shooter.shoot("18_school_user_list", "/lists/objectivity/")
        problems += shooter.problems
        saved += shooter.saved
    finally:
        context.close()

    assert not problems, "\n".join(problems)
    assert len(saved) == 21
    assert all(p.stat().st_size > 10_000 for p in saved)
