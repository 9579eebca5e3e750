"""The yearly cycle, part 1, in real (Debian) Chromium: the region imports FIOKO's list, compares it with a
computed run and approves it with one school added and one removed; the municipality overrides a track
and creates roadmaps for all its listed schools in one action (none overdue); a school submits its
roadmap, the municipality returns it once and then approves it; a later run leaves the approved list
unchanged; the counts agree on the dashboard, the list, its XLSX, the API and the yearly report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
from django.utils import timezone

from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.monitoring.reports import Unit, annual_data
from shnor.web.support.models import Activity, Roadmap
from tests.web.test_browser import SCREENSHOT_DIR, job_result, login
from tests.web.test_imports_web import work

LISTED = {"sch0001", "sch0002"}  # FIOKO: sch0001, sch0003; the region adds sch0002, removes sch0003


def region_decides(page, url: str, fioko: Path) -> None:
    page.goto(f"{url}/lists/decisions/")
    page.set_input_files("#fioko-upload input[name=file]", str(fioko))
    page.select_option("#fioko-upload select[name=kind]", "low_results")
    page.click("#fioko-upload button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "2024: 2 школ" in page.locator(".messages").inner_text()
    page.goto(f"{url}/lists/decisions/low_results/2024/")
    header = page.locator("#sources tr").first.inner_text()
    assert "Список ФИОКО" in header
    assert "Расчёт №" in header
    assert "Правило Рособрнадзора" in header
    page.select_option("#make-draft select[name=basis]", "fioko")
    page.click("#make-draft button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#included-count").inner_text() == "2"
    page.click("#add-school summary")  # no source names sch0002: the region adds it by hand
    page.fill("#add-school input[name=school_id]", "sch0002")
    page.fill("#add-school textarea[name=reason]", "доля «2» по математике выросла до 41 % (рабочая группа)")
    page.click("#add-school button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    row = page.locator("#sources tr:has(a:text-is('sch0003'))")
    row.locator("input[name=reason]").fill("результаты подтверждены перепроверкой, школа исключена")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")
    assert "добавлена вручную" in page.locator("#sources tr:has(a:text-is('sch0002'))").inner_text()
    assert page.locator("#included-count").inner_text() == "2"
    page.click("#approve summary")
    page.fill("#approve input[name=order_number]", "1234-п")
    page.fill("#approve input[name=order_date]", "2024-10-15")
    page.fill("#approve input[name=signatory]", "Министр образования И. И. Иванов")
    page.click("#approve button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "Утверждён: версия 1, приказ № 1234-п от 15.10.2024" in page.locator("#state").inner_text()
    page.screenshot(path=str(SCREENSHOT_DIR / "list_decision.png"), full_page=True)


def municipality_plans(page, url: str) -> None:
    page.goto(f"{url}/schools/sch0001/")
    assert "утверждённый список, приказ № 1234-п" in page.locator("#school-lists").inner_text()
    page.click("#track-choice summary")
    page.select_option("#track-choice select[name=track]", "network")
    page.fill("#track-choice textarea[name=reason]", "школа войдёт в сетевое объединение с лицеем № 2")
    page.click("#track-choice button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "Сетевые методические объединения" in page.locator("#track").inner_text()
    page.goto(f"{url}/lists/low_results/")
    page.click("#bulk-roadmaps")
    page.wait_for_url("**/support/roadmaps/bulk/**")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    plan = page.locator("#bulk-schools").inner_text()
    assert "sch0001" in plan
    assert "sch0002" in plan
    assert "sch0003" not in plan
    assert page.locator("#bulk-overdue").count() == 0
    page.click("#bulk-confirm button[type=submit]")
    page.wait_for_url("**/support/roadmaps/bulk/jobs/*/")
    work()
    job_result(page)
    assert "Дорожные карты созданы" in page.locator("#job-result").inner_text()


def school_submits(page, url: str, roadmap: Roadmap) -> None:
    page.goto(f"{url}/support/roadmaps/{roadmap.pk}/")
    assert "просрочено 0" in page.locator("#progress").inner_text()
    page.click("#lc-submit")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#roadmap-status").get_attribute("data-status") == "submitted"


def test_the_yearly_cycle_part_one(browser, live_server, live_world, tmp_path) -> None:
    world = live_world
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    fioko = tmp_path / "fioko_shnor_2024.csv"
    fioko.write_text("Логин;ОО\nsch0001;МБОУ СОШ №1\nsch0003;МКОУ Сельская ООШ\n", encoding="utf-8")
    url = live_server.url
    region, page = login(browser, live_server, world.users["region"].username)
    try:
        region_decides(page, url, fioko)
    finally:
        region.close()

    mun, page = login(browser, live_server, world.users["municipality"].username)
    try:
        municipality_plans(page, url)
    finally:
        mun.close()
    roadmaps = Roadmap.objects.filter(level="school")
    assert {r.school.school_id for r in roadmaps} == LISTED
    today = timezone.localdate()
    assert not Activity.objects.filter(roadmap__in=roadmaps, due_date__lt=today).exists()
    assert Roadmap.objects.filter(level="municipality", municipality=world.mun).exists()
    own = roadmaps.get(school=world.school)
    assert "network" in own.track

    school, page = login(browser, live_server, world.users["school"].username)
    try:
        school_submits(page, url, own)
        mun, mpage = login(browser, live_server, world.users["municipality"].username)
        try:
            mpage.goto(f"{url}/support/roadmaps/{own.pk}/")
            mpage.fill(
                "#lifecycle-actions input[name=comment][required]", "добавьте мероприятия по русскому языку"
            )
            mpage.click("#lc-return")
            mpage.wait_for_load_state("domcontentloaded")
            assert mpage.locator("#roadmap-status").get_attribute("data-status") == "returned"
            page.reload()
            assert "добавьте мероприятия по русскому языку" in page.locator("#returned-comment").inner_text()
            page.click("#lc-submit")
            page.wait_for_load_state("domcontentloaded")
            mpage.reload()
            mpage.click("#lc-approve")
            mpage.wait_for_load_state("domcontentloaded")
            assert mpage.locator("#roadmap-status").get_attribute("data-status") == "approved"
            mpage.screenshot(path=str(SCREENSHOT_DIR / "roadmap_approved.png"), full_page=True)
        finally:
            mun.close()
    finally:
        school.close()

    # a later run flags other schools: the approved list stays as decided
    later = MethodologyRun.objects.create(
        year=2024, label="пересчёт", config={}, config_digest="e" * 64, status=MethodologyRun.DONE
    )
    for s in (world.far, world.neighbour, world.school):
        SchoolOutcome.objects.create(run=later, school=s, method="low_results", flagged=s is world.far)

    region, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(f"{url}/lists/low_results/?run={later.pk}")
        assert "Утверждённый список 2024 г." in page.locator("#basis").inner_text()
        on_list = int(page.locator("#list-count").inner_text())
        with page.expect_download() as info:
            page.click("#export")
        sheet = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
        in_xlsx = {sheet.cell(r, 1).value for r in range(4, sheet.max_row + 1)}
        page.goto(f"{url}/regions/{world.region.pk}/?run={later.pk}")
        kpi = page.locator(".kpi", has_text="ШНОР").locator(".n").inner_text()
        api = json.loads(page.context.request.get(f"{url}/api/lists/low_results?run={later.pk}").text())[
            "items"
        ]
    finally:
        region.close()
    report = annual_data(user=world.users["region"], unit=Unit("region", world.region), year=2024)
    in_report = next(r for r in report.lists_by_year if r["year"] == 2024)["low_results"]
    assert in_xlsx == {r["school_id"] for r in api} == LISTED
    assert on_list == int(kpi) == len(api) == in_report == len(LISTED)
