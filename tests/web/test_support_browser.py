"""A municipal coordinator in real (Debian) Chromium: opens a school's roadmap from the school card,
marks an activity done with a comment, exports the DOCX order appendix. No browser download."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from tests.web.test_browser import SCREENSHOT_DIR, login


def test_coordinator_marks_activity_done_and_exports_docx(browser, live_server, live_support) -> None:
    context, page = login(browser, live_server, live_support.users["municipality"].username)
    try:
        page.goto(f"{live_server.url}/schools/sch0001/")
        block = page.locator("#support-roadmap")
        assert "Дорожная карта 2024 г." in block.inner_text()
        block.locator("text=Дорожная карта 2024 г.").click()
        page.wait_for_url("**/support/roadmaps/*/")
        assert "выполнено 0 из 15" in page.locator("#progress").inner_text()
        row = page.locator(
            "#activities tr", has_text="Участие в индивидуальном собеседовании управленческой команды школы"
        )
        row.locator("a").first.click()
        page.wait_for_url("**/support/activities/*/")
        assert page.input_value("#id_due_date") == "2024-03-31"  # ISO value for <input type=date>
        page.select_option("#id_status", "done")
        page.fill("#id_comment", "Собеседование проведено 12.03.2024, протокол размещён на сайте школы")
        page.click("#save")
        page.wait_for_load_state("domcontentloaded")
        assert page.locator("#state").inner_text() == "Выполнено"
        assert "протокол размещён на сайте школы" in page.locator("#comments").inner_text()
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / "support_activity.png"), full_page=True)
        page.click("text=Дорожная карта 2024")  # crumbs back to the roadmap
        page.wait_for_url("**/support/roadmaps/*/")
        assert "выполнено 1 из 15" in page.locator("#progress").inner_text()
        page.screenshot(path=str(SCREENSHOT_DIR / "support_roadmap.png"), full_page=True)
        with page.expect_download() as info:
            page.click("#export-docx")
        content = Path(info.value.path()).read_bytes()
        (SCREENSHOT_DIR / "support_roadmap.docx").write_bytes(content)
        d = Document(io.BytesIO(content))
        assert d.paragraphs[0].text == "Приложение"
        assert "ДОРОЖНАЯ КАРТА" in [p.text for p in d.paragraphs]
        table = d.tables[0]
        assert [c.text for c in table.rows[0].cells][:2] == ["№ п/п", "Наименование мероприятия"]
        assert any("индивидуальном собеседовании" in c.text for r in table.rows for c in r.cells)
        page.goto(f"{live_server.url}/support/schools/sch0001/")
        page.click("text=Анкетирование 2024 г.")
        page.wait_for_url("**/support/risk/*/")
        page.click("text=Заполнить: Обучающиеся")
        page.check("input[name=P01][value='4']")
        page.check("input[name=P03][value='3']")
        page.click("#questionnaire button[type=submit]")
        page.wait_for_url("**/support/risk/*/")
        assert "Обучающиеся — 1" in page.locator("#respondents").inner_text()
        page.screenshot(path=str(SCREENSHOT_DIR / "support_risk_profile.png"), full_page=True)
    finally:
        context.close()
