"""Interviews and working groups in real (Debian) Chromium: the municipality records an interview with a
school's management team and an agreed change; the school accepts it and the activity appears on its
roadmap. A working group's meeting is held in the browser and its protocol DOCX lists the members."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from shnor.web.councils.models import Group, Meeting
from shnor.web.interviews.models import Correction, Interview
from shnor.web.support.models import Roadmap
from tests.web.test_browser import SCREENSHOT_DIR, login

NEW_ACTIVITY = "Закрепить наставника за молодым учителем математики"


def test_an_agreed_change_becomes_a_roadmap_correction(browser, live_server, live_support) -> None:
    world = live_support
    url = live_server.url
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    roadmap = Roadmap.objects.get(level="school", school=world.school, year=2024)

    context, page = login(browser, live_server, world.users["municipality"].username)
    try:
        page.goto(f"{url}/interviews/")
        page.fill("#start input[name=school]", "sch0001")
        page.click("#start button[type=submit]")
        page.wait_for_url("**/interviews/new/?school=sch0001")
        page.fill("#id_held_on", "2024-03-12")
        page.fill("#id_year", "2024")
        page.fill("#id_participants", "Коробейникова Е.С. — директор\nСмирнова А.А. — заместитель директора")
        page.fill("#id_interviewers", "Тихонова О.В., заведующий методическим кабинетом")
        page.select_option("#id_level_teacher_competence", "high")
        page.fill("#id_comment_teacher_competence", "молодые учителя без наставников")
        page.click("#interview-submit")
        page.wait_for_url("**/interviews/*/")
        assert "высокий" in page.locator("#findings").inner_text()
        page.select_option("#id_kind", "add")
        page.fill("#id_title", NEW_ACTIVITY)
        page.fill("#id_period_text", "до 01.10.2024")
        page.fill("#id_executor", "Директор")
        page.fill("#id_reason", "Дефицит методической компетентности")
        page.click("#propose-submit")
        page.wait_for_load_state("domcontentloaded")
        assert "предложено школе" in page.locator("#corrections").inner_text()
    finally:
        context.close()
    interview = Interview.objects.get()
    correction = Correction.objects.get()

    context, page = login(browser, live_server, world.users["school"].username)
    try:
        page.goto(f"{url}/schools/sch0001/")
        assert (
            "Ждут ответа школы корректировок дорожной карты: 1"
            in page.locator("#interview-block").inner_text()
        )
        page.goto(f"{url}/interviews/{interview.pk}/")
        page.click(f"#correction-{correction.pk} button.accept")
        page.wait_for_load_state("domcontentloaded")
        assert (
            "принято, внесено в дорожную карту" in page.locator(f"#correction-{correction.pk}").inner_text()
        )
        page.screenshot(path=str(SCREENSHOT_DIR / "interview_accepted.png"), full_page=True)
        page.goto(f"{url}/support/roadmaps/{roadmap.pk}/")
        assert NEW_ACTIVITY in page.locator("#activities").inner_text()
        assert "принято" in page.locator("#interview-corrections").inner_text()
    finally:
        context.close()
    correction.refresh_from_db()
    assert correction.activity is not None
    assert correction.activity.roadmap_id == roadmap.pk


def test_a_working_group_protocol_lists_its_members(browser, live_server, live_support) -> None:
    world = live_support
    url = live_server.url
    people = [
        ("Зайдуллина Р.М.", "начальник отдела образования", "chair"),
        ("Бакиева А.З.", "начальник отдела оценки качества", "secretary"),
        ("Галина А.Т.", "начальник отдела дошкольного образования", "member"),
    ]
    context, page = login(browser, live_server, world.users["municipality"].username)
    try:
        page.goto(f"{url}/councils/")
        page.fill("#id_name", "по развитию муниципальной системы оценки качества")
        page.select_option("#id_kind", "working_group")
        page.select_option("#id_level", "municipality")
        page.select_option("#id_municipality", str(world.mun.pk))
        page.click("#group-submit")
        page.wait_for_url("**/councils/*/")
        for name, position, role in people:
            page.fill("#member-form input[name=full_name]", name)
            page.fill("#member-form input[name=position]", position)
            page.select_option("#member-form select[name=role]", role)
            page.click("#member-submit")
            page.wait_for_load_state("domcontentloaded")
        assert "Галина А.Т." in page.locator("#members").inner_text()
        page.fill("#meeting-form input[name=held_on]", "2024-07-02")
        page.fill("#meeting-form input[name=number]", "3")
        page.fill("#meeting-form textarea[name=agenda]", "Анализ эффективности мер")
        for box in page.locator("#meeting-form input[name=present]").all():
            box.check()
        page.click("#meeting-submit")
        page.wait_for_url("**/councils/meetings/*/")
        page.fill(".item-form textarea[name$=heard]", "Доклад о результатах ВПР")
        page.fill(".item-form textarea[name$=decided]", "Провести семинар по критериям оценивания")
        page.click(".item-form button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        with page.expect_download() as info:
            page.click("#protocol-link")
        content = Path(info.value.path()).read_bytes()  # before the context deletes it
    finally:
        context.close()
    assert Group.objects.count() == 1
    assert Meeting.objects.count() == 1
    doc = Document(io.BytesIO(content))
    text = "\n".join(p.text for p in doc.paragraphs)
    present = text.split("Присутствовали:")[1].split("ПОВЕСТКА ДНЯ:")[0]
    for name, position, _ in people:
        assert f"{name}, {position}" in present
    assert "ПРОТОКОЛ № 3" in text
    assert "Провести семинар по критериям оценивания" in text
