"""The needs register in real (Debian) Chromium: the school enters a vacancy and an equipment need; the
region records a support decision and its execution; the municipality's summary shows both, with the
numbers. No browser download."""

from __future__ import annotations

from shnor.web.registry.models import SchoolContext
from tests.web.test_browser import SCREENSHOT_DIR, login

NB = "\u00a0"


def test_needs_decision_execution_and_the_municipality_summary(browser, live_server, live_world) -> None:
    world, url = live_world, live_server.url
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    school_page = f"{url}/resources/schools/sch0001/?year=2025"

    context, page = login(browser, live_server, world.users["school"].username)
    try:
        page.goto(school_page)
        page.click("#staff-form summary")
        page.select_option("#staff-form select[name=specialist]", "psychologist")
        page.fill("#staff-form input[name=rates_needed]", "1.5")
        page.fill("#staff-form input[name=rates_vacant]", "1")
        page.click("#staff-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert "педагог-психолог" in page.locator("#staff-needs").inner_text()
        page.click("#equipment-form summary")
        page.fill("#equipment-form input[name=item]", "Интерактивная панель")
        page.fill("#equipment-form input[name=quantity]", "2")
        page.fill("#equipment-form input[name=cost]", "600000")
        page.fill("#equipment-form input[name=purpose]", "кабинет математики")
        page.click("#equipment-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert f"600{NB}000,00{NB}₽" in page.locator("#equipment-needs").inner_text()
        assert page.locator("#decision-form").count() == 0  # the school does not decide
    finally:
        context.close()
    assert SchoolContext.objects.get(school=world.school, year=2025).staff_shortage is True

    context, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(school_page)
        page.click("#decision-form summary")
        page.fill("#decision-form input[name=purpose]", "Обновление материально-технической базы")
        page.fill("#decision-form input[name=amount]", "500000")
        page.select_option("#decision-form select[name=source]", "region")
        page.fill("#decision-form input[name=decided_on]", "2025-04-10")
        page.fill("#decision-form input[name=document]", "№ 12-р")
        page.click("#decision-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        row = page.locator("#decision-list tr", has_text="Обновление материально-технической базы")
        assert "10.04.2025" in row.inner_text()
        row.locator(".execution-form summary").click()
        row.locator("input[name=date]").fill("2025-06-01")
        row.locator("input[name=spent]").fill("200000")
        row.locator("input[name=note]").fill("первый этап поставки")
        row.locator(".execution-form button[type=submit]").click()
        page.wait_for_load_state("domcontentloaded")
        row = page.locator("#decision-list tr", has_text="Обновление материально-технической базы")
        assert f"01.06.2025 — 200{NB}000,00{NB}₽" in row.inner_text()
        assert "исполняется" in row.locator(".status").inner_text()
        page.screenshot(path=str(SCREENSHOT_DIR / "resources_school.png"), full_page=True)
    finally:
        context.close()

    context, page = login(browser, live_server, world.users["municipality"].username)
    try:
        page.goto(f"{url}/resources/?year=2025")
        vacancies = [
            c.strip() for c in page.locator("#vacancies tr", has_text="sch0001").inner_text().split("\t")
        ]
        assert vacancies[2] == "1"  # педагог-психолог: 1 vacant rate
        assert vacancies[-1] == "1"
        support = page.locator("#support-summary tr", has_text="МБОУ").first.inner_text()
        assert f"600{NB}000,00{NB}₽" in support  # equipment cost
        assert f"1 / 500{NB}000,00{NB}₽" in support  # one decision «исполняется»
        assert f"200{NB}000,00{NB}₽" in support
        assert f"40,0{NB}%" in support
        page.screenshot(path=str(SCREENSHOT_DIR / "resources_summary.png"), full_page=True)
        with page.expect_download() as info:
            page.click("#export-xlsx")
        assert info.value.suggested_filename == "resources_2025_" + str(world.mun.pk) + ".xlsx"
    finally:
        context.close()
