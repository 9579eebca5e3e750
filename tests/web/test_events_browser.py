"""Events in real (Debian) Chromium: the region creates a webinar for the 2024 lists, imports its
participants from a platform's CSV export (resolving the one organisation not found), and the attendance
appears on two school cards and in the indicator «Доля школ из списков, принявших участие в мероприятиях».
No browser download."""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from shnor.web.events.models import Event, Participant
from tests.web.test_browser import SCREENSHOT_DIR, login

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "attendance_example.csv"


def serious_faults(page) -> list[str]:
    """axe-core's violations of impact «serious» or «critical» on the page."""
    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['nodes'][0]['target']}" for v in found if v["impact"] in ("serious", "critical")]


def test_import_of_attendance_shows_on_cards_and_in_the_indicator(browser, live_server, live_world) -> None:
    world, url = live_world, live_server.url
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    context, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(f"{url}/events/")
        page.click("#new-event")
        page.wait_for_load_state("domcontentloaded")
        assert serious_faults(page) == []
        page.select_option("#id_kind", "webinar")
        page.fill("#id_title", "Работа с учебными дефицитами")
        page.fill("#id_day", "2024-03-12")
        page.fill("#id_time", "10:00")
        page.fill("#id_organiser_name", "Институт развития образования")
        page.select_option("#id_target_rule", "lists")
        page.fill("#id_year", "2024")
        page.click("#save-event")
        page.wait_for_load_state("domcontentloaded")
        assert "Работа с учебными дефицитами" in page.locator("h1").inner_text()
        assert page.locator("#schools tr.missed").count() == 4  # the four listed schools of 2024, none yet

        page.set_input_files("#import-form input[type=file]", str(EXAMPLE))
        page.click("#import-submit")
        page.wait_for_load_state("domcontentloaded")
        assert "Комитет по образованию г. Первый" in page.locator("#unmatched").inner_text()
        assert serious_faults(page) == []
        assert not Participant.objects.exists()  # nothing stored before the choice
        page.select_option("#org-0", "skip")
        page.click("#resolve-submit")
        page.wait_for_load_state("domcontentloaded")
        assert page.locator("#attended-count").inner_text() == "2"
        assert "50,0" in page.locator("#attendance-share").inner_text()
        assert page.locator("#participants tr").count() == 1 + 3
        page.wait_for_selector(".chart[data-drawn='1']")
        page.screenshot(path=str(SCREENSHOT_DIR / "events_detail.png"), full_page=True)
        assert serious_faults(page) == []
        event = Event.objects.get()

        for school_id, name in (("sch0001", "Иванова"), ("sch0003", "Сидорова")):
            page.goto(f"{url}/schools/{school_id}/")
            block = page.locator("#events-block")
            assert "Работа с учебными дефицитами" in block.inner_text()
            assert page.locator("#events-attended").inner_text() == "1"
            assert page.locator("#events-missed").inner_text() == "0"
            page.click(f"#events-block a[href='/events/{event.pk}/']")
            page.wait_for_load_state("domcontentloaded")
            assert name in page.locator("#participants").inner_text()
        page.goto(f"{url}/schools/sch0100/")  # listed, invited, did not come
        assert page.locator("#events-missed").inner_text() == "1"
        page.goto(f"{url}/events/?kind=webinar")
        assert page.locator("#events tr").count() == 2
        assert serious_faults(page) == []

        page.goto(f"{url}{reverse('monitoring:indicators')}?level=region&unit={world.region.pk}&year=2024")
        row = page.locator("#ind-events_participation")
        assert "Доля школ из списков, принявших участие в мероприятиях" in row.inner_text()
        assert "50,0" in row.inner_text()
        page.screenshot(path=str(SCREENSHOT_DIR / "events_indicator.png"), full_page=True)
    finally:
        context.close()
