"""Report requests and the quarterly report in real (Debian) Chromium (issue 30): the region asks five schools
for a roadmap execution report due in a week; two schools submit, one is returned and resubmitted, both are
accepted; a week and a day later the board shows the other three as late; the combined DOCX holds the
accepted parts. The quarterly report is made in the background and downloads as DOCX and as PDF, whose
pages, rendered to images by poppler's pdftoppm, are none of them blank."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

from django.utils import timezone
from docx import Document
from PIL import Image

from shnor.web.accounts.roles import Role
from shnor.web.accounts.services import user_create
from shnor.web.registry.models import School
from shnor.web.submissions import views
from shnor.web.submissions.models import Status, Submission
from shnor.web.support import services as support
from tests.web.test_browser import SCREENSHOT_DIR, login
from tests.web.test_imports_web import work
from tests.web.world import PASSWORD

FIVE = ["sch0001", "sch0002", "sch0003", "sch0100", "sch0101"]
TITLE = "Отчёт о выполнении дорожной карты за полугодие"


def region_asks(page, url: str, deadline: dt.date, year: int) -> None:
    page.goto(f"{url}/submissions/")
    page.click("#new-request")
    page.select_option("#request-form select[name=kind]", "roadmap")
    page.fill("#request-form input[name=title]", TITLE)
    page.fill("#request-form textarea[name=instruction]", "Приложите пояснение к невыполненным мероприятиям.")
    page.fill("#request-form input[name=deadline]", deadline.isoformat())
    page.fill("#request-form input[name=year]", str(year))
    page.select_option("#request-form select[name=recipients]", "schools")
    pks = [str(School.objects.get(school_id=s).pk) for s in FIVE]
    page.select_option("#request-form select[name=schools]", pks)
    page.click("#request-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "получателей 5" in page.locator(".messages").inner_text()
    assert page.locator("#board tr.state-new").count() == 5


def school_submits(browser, live_server, username: str, text: str) -> None:
    ctx, page = login(browser, live_server, username)
    try:
        page.goto(f"{live_server.url}/submissions/")
        assert page.locator("#submissions-badge").text_content() == "1"  # in the folded menu
        page.click(f"#inbox a:text('{TITLE}')")
        page.fill("#part-form textarea[name=text]", text)
        page.click("#submit-part")
        page.wait_for_load_state("domcontentloaded")
        assert page.locator("#part-status").inner_text() == "Отправлен"
        assert page.locator("#report-link").count() == 1
    finally:
        ctx.close()


def review(page, school: School, decision: str, comment: str = "") -> None:
    row = page.locator(f"#board tr[data-recipient='{school.name}']")
    if comment:
        row.locator("textarea[name=comment]").fill(comment)
    row.locator(f"button[value={decision}]").click()
    page.wait_for_load_state("domcontentloaded")


def quarterly_report(page, url: str, year: int, quarter: int, tmp_path: Path) -> None:
    page.goto(f"{url}/submissions/quarterly/")
    page.fill("#quarter-form input[name=year]", str(year))
    page.select_option("#quarter-form select[name=quarter]", str(quarter))
    page.click("#quarter-form button[type=submit]")
    page.wait_for_url("**/submissions/quarterly/*/")
    work()  # the worker makes the report
    page.locator("#quarterly-docx").wait_for(timeout=30_000)
    with page.expect_download() as info:
        page.click("#quarterly-docx")
    doc = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert TITLE in cells  # the request due in this quarter, with its counts
    assert "Школьная" in cells  # roadmap execution by level
    assert len(doc.inline_shapes) >= 1  # a chart
    with page.expect_download() as info:
        page.click("#quarterly-pdf")
    pdf = tmp_path / "quarterly.pdf"
    pdf.write_bytes(Path(info.value.path()).read_bytes())
    assert pdf.read_bytes()[:4] == b"%PDF"
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is installed by scripts/setup"
    subprocess.run([pdftoppm, "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    for png in pages:
        lo, hi = Image.open(png).convert("L").getextrema()
        assert hi - lo > 100, f"{png.name} is blank"
        shutil.copyfile(png, SCREENSHOT_DIR / f"quarterly_{png.name}")


def test_report_requests_and_the_quarterly_report(browser, live_server, live_world, tmp_path, monkeypatch):
    world = live_world
    url = live_server.url
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    day = timezone.localdate()
    deadline = day + dt.timedelta(days=7)
    year = deadline.year  # the roadmaps' year and the quarterly report's: the deadline's
    mun_user = world.users["municipality"]
    for school in (world.school, world.neighbour):
        support.roadmap_create(actor=mun_user, level="school", year=year, school=school, run=world.run)
    user_create(username="u_school2", password=PASSWORD, role=Role.SCHOOL, school=world.neighbour)

    region, page = login(browser, live_server, world.users["region"].username)
    try:
        region_asks(page, url, deadline, year)
        req_url = page.url
    finally:
        region.close()

    school_submits(browser, live_server, world.users["school"].username, "Семинар перенесён на май.")
    school_submits(browser, live_server, "u_school2", "Все мероприятия выполняются в срок.")

    region, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(req_url)
        review(page, world.school, "return", "Укажите новую дату семинара")
        review(page, world.neighbour, "accept")
        assert "Возвращён" in page.locator(f"#board tr[data-recipient='{world.school.name}']").inner_text()
    finally:
        region.close()

    school, page = login(browser, live_server, world.users["school"].username)
    try:
        page.goto(f"{url}/submissions/")
        page.click(f"#inbox a:text('{TITLE}')")
        assert "Укажите новую дату семинара" in page.locator("#return-comment").inner_text()
        page.fill("#part-form textarea[name=text]", "Семинар перенесён на 20 мая.")
        page.click("#submit-part")
        page.wait_for_load_state("domcontentloaded")
        assert page.locator("#part-status").inner_text() == "Отправлен"
        assert page.locator("#history tr").count() == 4  # header, submitted, returned, submitted
    finally:
        school.close()

    later = day + dt.timedelta(days=8)  # a week and a day on: the deadline has passed
    monkeypatch.setattr(views, "today", lambda: later)
    region, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(req_url)
        review(page, world.school, "accept")
        statuses = page.locator("#board td.status").all_inner_texts()
        assert sorted(statuses) == ["Принят", "Принят", "Просрочен", "Просрочен", "Просрочен"]
        assert "Просрочен: 3" in page.locator("#board-counts").inner_text()
        page.screenshot(path=str(SCREENSHOT_DIR / "submissions_board.png"), full_page=True)
        with page.expect_download() as info:
            page.click("#combined")
        doc = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
        body = "\n".join(p.text for p in doc.paragraphs)
        cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
        assert "Получателей: 5; принято частей: 2." in body
        assert "Семинар перенесён на 20 мая." in body
        assert "Все мероприятия выполняются в срок." in body
        states = [row.cells[2].text for row in doc.tables[0].rows[1:]]  # the recipients' table
        assert sorted(states) == ["Принят", "Принят", "Просрочен", "Просрочен", "Просрочен"]
        assert "Отметка о выполнении" in cells  # each accepted part's roadmap table
        quarterly_report(page, url, year, (deadline.month - 1) // 3 + 1, tmp_path)
    finally:
        region.close()
    assert Submission.objects.filter(status=Status.ACCEPTED).count() == 2
