"""Real (Debian) Chromium: a municipal coordinator records a head of a ШНОР school and her internship at a
high-results school; the school's director records a teacher-to-teacher mentoring pair and a meeting;
both show on the pages and in the school's «Развитие кадров» section. No browser download."""

from __future__ import annotations

from tests.web.test_browser import SCREENSHOT_DIR, login

HEAD = "Иванова Анна Петровна"
TOPIC = "Управление изменениями в школе с низкими результатами"


def _municipality_records_internship(browser, live_server, username: str) -> None:
    context, page = login(browser, live_server, username)
    try:
        page.goto(f"{live_server.url}/diagnostics/people/")
        assert "sch0002" in page.locator("#hosts").inner_text()  # off the list, good results
        assert "sch0001" not in page.locator("#hosts").inner_text()  # on the ШНОР list
        page.fill("#id_full_name", HEAD)
        page.select_option("#id_position", "head")
        page.select_option("#id_school", label="sch0001 МБОУ СОШ №1")
        page.click("#person-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert HEAD in page.locator("#people").inner_text()
        page.goto(f"{live_server.url}/diagnostics/people/internships/")
        page.select_option("#id_kind", "internship")
        page.select_option("#id_host", label="sch0002 МБОУ Лицей №2")
        page.select_option("#id_guests", label=f"{HEAD} (руководитель, МБОУ СОШ №1)")
        page.fill("#id_topic", TOPIC)
        page.fill("#id_starts_on", "2024-10-07")
        page.fill("#id_ends_on", "2024-10-11")
        page.click("#internship-form button[type=submit]")
        page.wait_for_url("**/diagnostics/people/internships/*/")
        assert "МБОУ Лицей №2" in page.locator("#host").inner_text()
        assert HEAD in page.locator("#guests").inner_text()
        page.select_option("#id_status", "done")
        page.fill("#id_outcome", "Разработан план перехода школы в эффективный режим")
        page.click("#internship-status button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert page.locator("#status").inner_text() == "проведена"
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / "people_internship.png"), full_page=True)
        page.goto(f"{live_server.url}/diagnostics/people/internships/")
        assert "07.10.2024 — 11.10.2024" in page.locator("#internships").inner_text()
    finally:
        context.close()


def test_internship_and_mentoring_pair_recorded(browser, live_server, live_world) -> None:
    _municipality_records_internship(browser, live_server, live_world.users["municipality"].username)
    context, page = login(browser, live_server, live_world.users["school"].username)
    try:
        page.goto(f"{live_server.url}/diagnostics/people/mentoring/")
        page.select_option("#id_mentor_school", label="sch0002 МБОУ Лицей №2")
        page.fill("#id_mentor_code", "M-01")
        page.fill("#id_mentor_name", "Петров Олег Ильич")
        page.select_option("#id_mentee_school", label="sch0001 МБОУ СОШ №1")
        page.fill("#id_mentee_code", "T-07")
        page.fill("#id_mentee_name", "Сидорова Мария Андреевна")
        page.fill("#id_subject", "Математика")
        page.fill("#id_starts_on", "2024-09-02")
        page.fill("#id_goals", "Освоить приёмы работы с текстовыми задачами в 5–6 классах")
        page.click("#pair-form button[type=submit]")
        page.wait_for_url("**/diagnostics/people/mentoring/*/")
        assert "Петров Олег Ильич" in page.locator("#mentor").inner_text()
        page.fill("#id_held_on", "2024-09-16")
        page.fill("#id_note", "Взаимопосещение уроков, разбор урока по теме «Дроби»")
        page.click("#meeting-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert "16.09.2024" in page.locator("#meetings").inner_text()
        page.goto(f"{live_server.url}/diagnostics/people/mentoring/")
        assert "Сидорова Мария Андреевна" in page.locator("#pairs").inner_text()
        page.goto(f"{live_server.url}/diagnostics/people/schools/sch0001/")
        block = page.locator("#people-development")
        assert TOPIC in block.locator("#people-internships").inner_text()
        assert HEAD in block.locator("#people-internships").inner_text()
        assert "Петров Олег Ильич → Сидорова Мария Андреевна" in block.locator("#people-pairs").inner_text()
        page.screenshot(path=str(SCREENSHOT_DIR / "people_school_section.png"), full_page=True)
    finally:
        context.close()
