"""An objectivity case from flag to verdict in real (Debian) Chromium: the region opens the cases of its
list and imports the expert re-check of a flagged school and of control schools; the flagged school's
page and its dossier show the discrepancy; the school answers with a file; the region records a verdict
with its reason; the per-sign table counts it."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from shnor.web.cases.models import ObjectivityCase
from tests.web.test_browser import SCREENSHOT_DIR, job_result, login
from tests.web.test_cases import recheck_csv
from tests.web.test_imports_web import work

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sign_row(page, label: str) -> list[str]:
    return [c.strip() for c in page.locator("#sign-table tr", has_text=label).first.inner_text().split("\t")]


def test_a_case_from_flag_to_verdict(browser, live_server, live_world, tmp_path) -> None:
    world = live_world
    url = live_server.url
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    rechecks = recheck_csv(tmp_path)  # sch0001 flagged: 8 of 10 works lowered; sch0002, sch0003 unchanged

    region, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(f"{url}/cases/?year=2024")
        page.click("#open-cases")
        page.wait_for_load_state("domcontentloaded")
        assert "sch0001" in page.locator("#cases").inner_text()
        before = sign_row(page, "Скопление у порога отметки")
        assert before[1:4] == ["1", "0", "0"]  # raised, reviewed, confirmed
        page.click("#recheck-upload summary")
        page.set_input_files("#recheck-upload input[type=file]", str(rechecks))
        page.click("#recheck-upload button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert "ошиб" not in page.locator(".messages").inner_text().lower()
        case = ObjectivityCase.objects.get(school=world.school, year=2024)
        page.goto(f"{url}/cases/{case.pk}/")
        conclusion = page.locator("#recheck-conclusion").inner_text()
        assert "8 из 10" in conclusion  # the expert changed 8 of the school's 10 works
        assert "0 из 20" in conclusion  # and none of the 20 control works
        page.click("#dossier-docx")  # the dossier is made in the background: its job's page
        page.wait_for_url(f"**/cases/{case.pk}/dossier/*/")
        work()
        job_result(page)
        with page.expect_download() as info:
            page.click("#download")
        text = "\n".join(
            p.text for p in Document(io.BytesIO(Path(info.value.path()).read_bytes())).paragraphs
        )
        assert "8 из 10" in text
        assert world.school.name in text
    finally:
        region.close()

    school, page = login(browser, live_server, world.users["school"].username)
    try:
        page.goto(f"{url}/schools/sch0001/")
        page.click("#objectivity-case a")
        page.wait_for_url(f"**/cases/{case.pk}/")
        page.fill("#answer-form textarea", "Работы проверяла предметная комиссия школы; протокол прилагаем.")
        page.set_input_files(
            "#answer-form input[type=file]",
            {"name": "protokol.pdf", "mimeType": "application/pdf", "buffer": PDF},
        )
        page.click("#answer-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        answers = page.locator("#answers").inner_text()
        assert "предметная комиссия" in answers
        assert "protokol.pdf" in answers
        assert page.locator("#decide").count() == 0  # a school does not decide its own case
    finally:
        school.close()

    region, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(f"{url}/cases/{case.pk}/")
        page.select_option("#decide select[name=verdict]", "confirmed")
        page.fill(
            "#decide textarea[name=reason]",
            "перепроверка снизила баллы в 8 из 10 работ; ответ школы рассмотрен",
        )
        page.click("#decide button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert "признаки подтверждены" in page.locator("#verdict").inner_text().lower()
        page.screenshot(path=str(SCREENSHOT_DIR / "objectivity_case.png"), full_page=True)
        page.goto(f"{url}/cases/?year=2024")
        after = sign_row(page, "Скопление у порога отметки")
        assert after[1:4] == ["1", "1", "1"]
    finally:
        region.close()
