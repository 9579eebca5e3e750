"""The bank of practices in real (Debian) Chromium: a school submits a practice, the region moderates and
publishes it, a search in another word form («дефициты чтения») finds it, and it is linked for the school
with a reading deficit (the tag rendered through a small test-only template). No browser download."""

from __future__ import annotations

from django.template import engines
from django.test import RequestFactory

from shnor.web.identification.models import SchoolOutcome
from shnor.web.practices.models import Practice
from tests.web.test_browser import SCREENSHOT_DIR, login

TITLE = "Клуб смыслового чтения в 5–6 классах"


def test_school_submits_region_publishes_search_finds_deficit_links(browser, live_server, live_world) -> None:
    world = live_world
    context, page = login(browser, live_server, world.users["school"].username)
    try:
        page.goto(f"{live_server.url}/practices/")
        page.click("#new-practice")
        page.wait_for_url("**/practices/new/")
        page.fill("#id_title", TITLE)
        page.fill(
            "#id_description",
            "Еженедельные занятия с текстами разных жанров помогли снять дефицита чтения у слабых читателей.",
        )
        page.select_option("#id_subject", "ru")
        page.check("input[name=grades][value='5']")
        page.check("input[name=risk_factors][value='failure_risk']")
        page.fill("#id_skills", "читательская грамотность; КЭС 1.2 Смысловое чтение")
        page.click("#save")
        page.wait_for_url("**/practices/*/")
        assert page.locator("#status").inner_text() == "черновик"
        page.click("#submit")
        page.wait_for_load_state("domcontentloaded")
        assert page.locator("#status").inner_text() == "на модерации"
    finally:
        context.close()

    context, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(f"{live_server.url}/practices/moderation/")
        page.click(f"#queue >> text={TITLE}")
        page.wait_for_url("**/practices/*/")
        page.check("input[name=decision][value='publish']")
        page.click("#decide")
        page.wait_for_load_state("domcontentloaded")
        assert page.locator("#status").inner_text() == "опубликовано"
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / "practices_practice.png"), full_page=True)
    finally:
        context.close()

    context, page = login(browser, live_server, world.users["teacher"].username)
    try:
        page.goto(f"{live_server.url}/practices/")
        page.fill("#id_q", "дефициты чтения")
        page.click("#search")
        page.wait_for_load_state("domcontentloaded")
        results = page.locator("#results").inner_text()
        assert TITLE in results
        assert "Найдено: 1" in page.locator("h2").last.inner_text()
        page.screenshot(path=str(SCREENSHOT_DIR / "practices_search.png"), full_page=True)
    finally:
        context.close()

    practice = Practice.objects.get(title=TITLE)
    SchoolOutcome.objects.create(
        run=world.run,
        school=world.school,
        method=SchoolOutcome.DEFICITS,
        flagged=True,
        data={
            "deficits": [
                {
                    "unit": "school",
                    "element": "1.2",
                    "element_label": "Смысловое чтение: понимание прочитанного",
                    "subject": "ru",
                    "grade": 5,
                    "topic": "Дефициты чтения и работы с текстом",
                }
            ]
        },
    )
    request = RequestFactory().get("/")
    request.user = world.users["school"]
    html = (
        engines["django"]
        .from_string("{% load practices_tags %}{% practices_for_deficits school %}")
        .render({"request": request, "school": world.school})
    )
    assert f'href="/practices/{practice.pk}/"' in html
    assert TITLE in html
