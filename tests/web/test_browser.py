"""Each role's main path in real (Debian) Chromium via Playwright: log in, find a school, open the card,
see a flag's evidence chart drawn by the local Plotly, export a list. No browser download:
/usr/bin/chromium."""

from __future__ import annotations

import io
import os
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.web.world import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(os.environ.get("SHNOR_SCREENSHOTS", "/tmp/shnor-screenshots"))


def login(browser, live_server, username: str):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="ru-RU"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    return context, page


def job_result(page):
    """The finished job's result block. The job page reloads itself when its job ends (jobs.js polls
    every 1.5 s); a reload from the test as well would race with it (net::ERR_ABORTED), so the test waits
    for the page's own reload and reloads only if that has not come."""
    result = page.locator("#job-result")
    try:
        result.wait_for(timeout=15_000)
    except PlaywrightTimeout:
        page.reload()
        result.wait_for()
    return result


def see_evidence_chart(page) -> None:
    flag = page.locator("#flag-objectivity")
    assert "в списке" in flag.inner_text()
    chart = flag.locator(".chart[data-drawn='1']").first
    chart.wait_for(timeout=15000)
    assert chart.locator(".main-svg").count() >= 1  # Plotly drew an SVG


def export_list(page, live_server) -> None:
    page.goto(f"{live_server.url}/lists/objectivity/")
    assert page.locator("#list").inner_text().count("sch0001") == 1
    with page.expect_download() as info:
        page.click("#export")
    content = Path(info.value.path()).read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet.cell(4, 1).value == "sch0001"


@pytest.mark.parametrize("role", ["region", "observer", "municipality", "curator"])
def test_role_finds_school_and_sees_evidence(browser, live_server, live_world, role) -> None:
    context, page = login(browser, live_server, live_world.users[role].username)
    try:
        page.goto(f"{live_server.url}/schools/")
        page.fill("input[name=q]", "СОШ №1")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        page.click("text=МБОУ СОШ №1")
        page.wait_for_url("**/schools/sch0001/")
        assert page.locator("h1").inner_text() == "МБОУ СОШ №1"
        see_evidence_chart(page)
        if role == "region":
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT_DIR / "school_card.png"), full_page=True)
        export_list(page, live_server)
        # a school outside the scope is not found
        assert page.goto(f"{live_server.url}/schools/sch0009/").status == 404
    finally:
        context.close()


@pytest.mark.parametrize("role", ["school", "teacher"])
def test_school_roles_land_on_their_card(browser, live_server, live_world, role) -> None:
    context, page = login(browser, live_server, live_world.users[role].username)
    try:
        page.wait_for_url("**/schools/sch0001/")
        see_evidence_chart(page)
        assert "Индивидуальное сопровождение" in page.locator("#summary").inner_text()
        export_list(page, live_server)
        assert page.goto(f"{live_server.url}/schools/sch0002/").status == 404
    finally:
        context.close()


def test_dashboard_map_and_offline_degradation(browser, live_server, live_world) -> None:
    context, page = login(browser, live_server, live_world.users["region"].username)
    try:
        page.wait_for_url(f"**/regions/{live_world.region.pk}/")
        page.locator(".chart[data-drawn='1']").nth(3).wait_for(
            timeout=15000
        )  # dynamics, signs, caterpillar, map
        assert page.locator(".chart").count() == 4
        # without the Plotly bundle the page still works and says why there is no chart
        page.route("**/vendor/plotly.min.js", lambda route: route.abort())
        page.goto(f"{live_server.url}/schools/sch0001/")
        assert page.locator(".chart-missing").count() >= 1
        assert "МБОУ СОШ №1" in page.locator("h1").inner_text()
    finally:
        context.close()


CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(
    e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber
  );
});
"""


def test_main_pages_have_no_csp_violations(browser, live_server, live_world) -> None:
    """Under the Content-Security-Policy (no inline script, no eval) the main pages draw their charts and
    run their scripts without a single violation; the selects that had inline handlers still work."""
    from django.contrib.auth.models import Permission

    live_world.users["region"].user_permissions.add(Permission.objects.get(codename="manage_users"))
    context, page = login(browser, live_server, live_world.users["region"].username)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    context.add_init_script(CSP_WATCH)  # Playwright's init scripts are not subject to the page's CSP
    region = live_world.region.pk
    pages = [
        f"/regions/{region}/",
        f"/municipalities/{live_world.mun.pk}/",
        "/schools/",
        "/schools/sch0001/",
        "/lists/low_results/",
        "/lists/objectivity/",
        "/runs/",
        "/imports/",
        "/jobs/",
        "/support/",
        "/monitoring/",
        "/monitoring/effectiveness/",
        "/monitoring/sites/",
        "/diagnostics/",
        "/accounts/profile/",
        "/accounts/audit/",
        "/accounts/users/",
        "/api/docs",
    ]
    try:
        for url in pages:
            response = page.goto(live_server.url + url)
            assert response is not None
            assert response.status == 200, url
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("load")
            # open every folded block (its charts are drawn then) and wait for every chart on the page
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            page.wait_for_function(
                "[...document.querySelectorAll('.chart')].every(c => c.getAttribute('data-drawn') === '1')",
                timeout=30000,
            )
            if url == "/api/docs":
                page.locator(".swagger-ui .info").wait_for(timeout=15000)  # Swagger UI ran
            violations = page.evaluate("window.__csp")
            assert violations == [], (url, violations)
        # the run picker submits itself (data-autosubmit, was onchange=)
        page.goto(f"{live_server.url}/schools/sch0001/")
        with page.expect_navigation():
            page.select_option("select[name=run]", str(live_world.run_old.pk))
        assert f"run={live_world.run_old.pk}" in page.url
        # the indicators' object picker fills level and unit (data-split-into, was onchange=)
        page.goto(f"{live_server.url}/monitoring/")
        options = page.locator("select[name=pick] option").evaluate_all("os => os.map(o => o.value)")
        target = next(v for v in options if v.startswith("municipality|"))
        page.select_option("select[name=pick]", target)
        assert page.input_value("input[name=level]") == "municipality"
        assert page.input_value("input[name=unit]") == target.split("|")[1]
        assert page.evaluate("window.__csp") == []
        seen = list(console)  # before the refusal provoked below
        # the watch works and the policy is enforced: injected inline script is refused and reported
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
            " document.body.appendChild(s); }"
        )
        page.wait_for_function("window.__csp.length > 0")
        assert page.evaluate("window.__ran") is None
        assert "script-src" in page.evaluate("window.__csp")[0]
    finally:
        context.close()
    assert not [m for m in seen if "Content Security Policy" in m or "Refused to" in m], seen
    assert not [m for m in seen if m.startswith("pageerror")], seen
