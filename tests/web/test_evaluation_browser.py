"""An inspection in real (Debian) Chromium: the region assigns a comprehensive inspection of a school to a
curator; the curator fills the criteria form and, as the lead expert, the conclusion; the region sees it
in the school-card block and puts its recommendations into the school's roadmap of the year."""

from __future__ import annotations

from shnor.core.evaluation import criteria_shipped
from shnor.web.evaluation.models import Evaluation
from shnor.web.support.models import Roadmap
from tests.web.test_browser import SCREENSHOT_DIR, login

RECS = ["Организовать наставничество для учителей математики", "Ввести коллегиальную проверку работ ВПР"]


def test_an_inspection_from_assignment_to_the_roadmap(browser, live_server, live_support) -> None:
    world = live_support
    url = live_server.url
    curator = world.users["curator"]
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    context, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(f"{url}/evaluation/")
        page.fill("#assign input[name=school]", "sch0001")
        page.click("#assign button[type=submit]")
        page.wait_for_url("**/evaluation/new/?school=sch0001")
        page.select_option("#id_form_code", "complex")
        page.fill("#id_year", "2024")
        page.check(f"input[name=experts][value='{curator.pk}']")
        page.select_option("#id_lead_expert", str(curator.pk))
        page.fill("#id_due_date", "2024-11-30")
        page.click("#assign-submit")
        page.wait_for_url("**/evaluation/*/")
        assert page.locator("#status").inner_text() == "назначена"
        assert "завершить до 30.11.2024" in page.locator(".sub").inner_text()
    finally:
        context.close()
    ev = Evaluation.objects.get()

    context, page = login(browser, live_server, curator.username)
    try:
        page.goto(f"{url}/evaluation/{ev.pk}/")
        for c in criteria_shipped().form("complex").criteria:
            page.check(f"#criterion-{c.code} input[value='{1 if c.code in ('M1', 'O1') else c.max_score}']")
        page.fill("#criterion-M1 input[name=comment_M1]", "Анализ причин не связан с результатами ВПР")
        page.fill("#review-form textarea[name=conclusion]", "Управление переходом требует усиления")
        page.fill("#review-form textarea[name=recommendations]", "\n".join(RECS))
        page.click("#review-submit")
        page.wait_for_url(f"**/evaluation/{ev.pk}/")
        assert page.locator("#status").inner_text() == "проводится"
        assert "Анализ причин не связан с результатами ВПР" in page.locator("#criteria-table").inner_text()
        assert page.input_value("#conclude-form textarea[name=recommendations]") == "\n".join(RECS)
        page.fill("#conclude-form textarea[name=conclusion]", "Школа выполняет программу перехода частично")
        page.screenshot(path=str(SCREENSHOT_DIR / "evaluation_review.png"), full_page=True)
        page.click("#conclude-submit")
        page.wait_for_url(f"**/evaluation/{ev.pk}/")
        assert page.locator("#status").inner_text() == "завершена"
        assert page.locator("#review-form").count() == 0
    finally:
        context.close()

    context, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(f"{url}/evaluation/schools/sch0001/")
        block = page.locator("#evaluation-block")
        assert "Школа выполняет программу перехода частично" in block.inner_text()
        assert "Управление\t5 из 6\t83 %" in block.inner_text()
        assert [t.strip() for t in block.locator("#evaluation-recommendations li").all_inner_texts()] == RECS
        page.screenshot(path=str(SCREENSHOT_DIR / "evaluation_school_block.png"), full_page=True)
        block.locator("a").first.click()
        page.wait_for_url(f"**/evaluation/{ev.pk}/")
        page.click("#to-roadmap")
        page.wait_for_url(f"**/evaluation/{ev.pk}/")
        assert "добавлено мероприятий: 2" in page.locator(".messages").inner_text()
        assert page.locator("#recommendations .badge").count() == 2
        roadmap = Roadmap.objects.get(level="school", school=world.school, year=2024)
        page.goto(f"{url}/support/roadmaps/{roadmap.pk}/")
        activities = page.locator("#activities").inner_text()
        for text in RECS:
            assert text in activities
        page.screenshot(path=str(SCREENSHOT_DIR / "evaluation_roadmap.png"), full_page=True)
    finally:
        context.close()
