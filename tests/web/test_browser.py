"""Each role's main path in real (Debian) Chromium via Playwright: log in, find a school, open the card,
see a flag's evidence chart drawn by the local Plotly, export a list. No browser download: /usr/bin/chromium."""

from __future__ import annotations

import io
import os
from pathlib import Path

import openpyxl
import pytest

from tests.web.world import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT_DIR = Path(os.environ.get("SHNOR_SCREENSHOTS", "/tmp/shnor-screenshots"))




def login(browser, live_server, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    return context, page


def see_evidence_chart(page) -> None:  # type: ignore[no-untyped-def]
    flag = page.locator("#flag-objectivity")
    assert "в списке" in flag.inner_text()
    chart = flag.locator(".chart[data-drawn='1']").first
    chart.wait_for(timeout=15000)
    assert chart.locator(".main-svg").count() >= 1  # Plotly drew an SVG


def export_list(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/lists/objectivity/")
    assert page.locator("#list").inner_text().count("sch0001") == 1
    with page.expect_download() as info:
        page.click("#export")
    content = Path(info.value.path()).read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet.cell(4, 1).value == "sch0001"


@pytest.mark.parametrize("role", ["region", "observer", "municipality", "curator"])
def test_role_finds_school_and_sees_evidence(browser, live_server, live_world, role) -> None:  # type: ignore[no-untyped-def]
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
def test_school_roles_land_on_their_card(browser, live_server, live_world, role) -> None:  # type: ignore[no-untyped-def]
    context, page = login(browser, live_server, live_world.users[role].username)
    try:
        page.wait_for_url("**/schools/sch0001/")
        see_evidence_chart(page)
        assert "Индивидуальное сопровождение" in page.locator("#summary").inner_text()
        export_list(page, live_server)
        assert page.goto(f"{live_server.url}/schools/sch0002/").status == 404
    finally:
        context.close()


def test_dashboard_map_and_offline_degradation(browser, live_server, live_world) -> None:  # type: ignore[no-untyped-def]
    context, page = login(browser, live_server, live_world.users["region"].username)
    try:
        page.wait_for_url(f"**/regions/{live_world.region.pk}/")
        page.locator(".chart[data-drawn='1']").nth(3).wait_for(timeout=15000)  # dynamics, signs, caterpillar, map
        assert page.locator(".chart").count() == 4
        # without the Plotly bundle the page still works and says why there is no chart
        page.route("**/vendor/plotly.min.js", lambda route: route.abort())
        page.goto(f"{live_server.url}/schools/sch0001/")
        assert page.locator(".chart-missing").count() >= 1
        assert "МБОУ СОШ №1" in page.locator("h1").inner_text()
    finally:
        context.close()
