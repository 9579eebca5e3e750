"""Support (issue 7) in real (Debian) Chromium, beyond test_support_browser.py: the coordinator creates the
municipal roadmap from a template, the director attaches a PDF and a link to an activity of the school
roadmap, overdue activities reach the coordinator's list, the export opens in python-docx (and, where
LibreOffice and poppler are installed, renders to a non-blank PNG); leader-school proposals respect the
capacity and are deterministic; a questionnaire filled in the browser gives the hand-computed risk profile. No
browser download."""

from __future__ import annotations

import copy
import datetime as dt
import io
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from django.utils import timezone
from docx import Document

from shnor.web.identification.models import SchoolOutcome
from shnor.web.support import services
from shnor.web.support.models import Evidence, Level, PartnerAssignment, RiskSurvey, Roadmap
from tests.web.test_browser import SCREENSHOT_DIR, login
from tests.web.world import low_data

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _render_first_page(docx: bytes, workdir: Path) -> Path:
    """DOCX → PDF (LibreOffice, private profile) → PNG of page 1 (pdftoppm)."""
    src = workdir / "roadmap.docx"
    src.write_bytes(docx)
    profile = (workdir / "lo-profile").as_uri()
    subprocess.run(
        [
            shutil.which("libreoffice") or "libreoffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workdir),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = workdir / "roadmap.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(workdir / "page1"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return workdir / "page1.png"


def test_roadmap_from_template_evidence_overdue_and_export(
    browser, live_server, live_world, tmp_path
) -> None:
    w = live_world
    today = timezone.localdate()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    # 1. the coordinator creates the municipal roadmap from the Nyazepetrovsk template in the browser
    context, page = login(browser, live_server, w.users["municipality"].username)
    try:
        page.goto(f"{live_server.url}/support/")
        page.click(f"text=Новая муниципальная: {w.mun.name}")
        page.wait_for_url("**/support/roadmaps/new/**")
        coming = services.roadmap_year_default(
            templates=services.DEFAULT_TEMPLATES[Level.MUNICIPALITY], level=Level.MUNICIPALITY, today=today
        )
        assert page.input_value("#id_year") == str(coming)  # nothing overdue on the day it is made
        page.fill("#id_year", "2024")  # a year already past: created, with a warning
        for box in page.locator("#roadmap-new input[name=templates]").all():
            box.uncheck()
        page.check("#roadmap-new input[name=templates][value=chel_municipal_2024]")
        page.click("#roadmap-new button[type=submit]")
        page.wait_for_url("**/support/roadmaps/*/")
        assert "Дорожная карта создана: 13 мероприятий" in page.locator(".messages").inner_text()
        mun_map = Roadmap.objects.get(level=Level.MUNICIPALITY, municipality=w.mun, year=2024)
        assert mun_map.templates == ["chel_municipal_2024"]
        assert mun_map.activities.count() == 13
        assert page.url.endswith(f"/support/roadmaps/{mun_map.pk}/")
        assert "выполнено 0 из 13" in page.locator("#progress").inner_text()
    finally:
        context.close()
    school_map = services.roadmap_create(
        actor=w.users["municipality"], level="school", year=2024, school=w.school, run=w.run
    )
    assert school_map.parent == mun_map
    acts = list(school_map.activities.order_by("position", "id"))
    late, soon = acts[0], acts[1]

    # 2. the director attaches a PDF and a link to an activity of its school's roadmap, and moves two due
    # dates
    context, page = login(browser, live_server, w.users["school"].username)
    try:
        page.goto(f"{live_server.url}/support/roadmaps/{school_map.pk}/")
        page.locator(f"#activities a[href='/support/activities/{late.pk}/']").first.click()
        page.wait_for_url(f"**/support/activities/{late.pk}/")
        form = page.locator("#evidence-form")
        form.locator("#id_title").fill("Протокол заседания педсовета")
        form.locator("#id_file").set_input_files(
            {"name": "protokol.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"**/support/activities/{late.pk}/")
        assert "Подтверждение добавлено" in page.locator(".messages").inner_text()
        form = page.locator("#evidence-form")
        form.locator("#id_title").fill("Страница на сайте школы")
        form.locator("#id_url").fill("https://school1.example.ru/shnor/protokol")
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"**/support/activities/{late.pk}/")
        evidence = page.locator("#evidence")
        assert "Протокол заседания педсовета" in evidence.inner_text()
        assert "protokol.pdf" in evidence.inner_text()
        link = evidence.locator("a", has_text="Страница на сайте школы")
        assert link.get_attribute("href") == "https://school1.example.ru/shnor/protokol"
        with page.expect_download() as info:
            evidence.locator("a", has_text="Протокол заседания педсовета").click()
        assert Path(info.value.path()).read_bytes() == PDF
        assert sorted(Evidence.objects.filter(activity=late).values_list("url", flat=True)) == [
            "",
            "https://school1.example.ru/shnor/protokol",
        ]
        # due dates: yesterday (overdue) and in five days (upcoming)
        page.fill("#id_due_date", (today - dt.timedelta(days=1)).isoformat())
        page.click("#save")
        page.wait_for_url(f"**/support/activities/{late.pk}/")
        assert page.locator("#state").inner_text() == "Просрочено"
        page.screenshot(path=str(SCREENSHOT_DIR / "support_evidence.png"), full_page=True)
        page.goto(f"{live_server.url}/support/activities/{soon.pk}/")
        page.fill("#id_due_date", (today + dt.timedelta(days=5)).isoformat())
        page.click("#save")
        page.wait_for_url(f"**/support/activities/{soon.pk}/")
        assert page.locator("#state").inner_text() == "Запланировано"
    finally:
        context.close()

    # 3. the coordinator sees the overdue activity, exports the municipal roadmap
    context, page = login(browser, live_server, w.users["municipality"].username)
    try:
        page.goto(f"{live_server.url}/support/")
        overdue, upcoming = page.locator("#overdue"), page.locator("#upcoming")
        assert overdue.locator(f"a[href='/support/activities/{late.pk}/']").count() == 1
        assert f"до {today - dt.timedelta(days=1):%d.%m.%Y}" in overdue.inner_text()
        assert overdue.locator(f"a[href='/support/activities/{soon.pk}/']").count() == 0
        assert upcoming.locator(f"a[href='/support/activities/{soon.pk}/']").count() == 1
        page.screenshot(path=str(SCREENSHOT_DIR / "support_overdue.png"), full_page=True)
        page.goto(f"{live_server.url}/support/roadmaps/{mun_map.pk}/")
        with page.expect_download() as info:
            page.click("#export-docx")
        content = Path(info.value.path()).read_bytes()
    finally:
        context.close()
    d = Document(io.BytesIO(content))
    assert "ДОРОЖНАЯ КАРТА" in [p.text for p in d.paragraphs]
    header = [c.text for c in d.tables[0].rows[0].cells]
    assert header[:2] == ["№ п/п", "Наименование мероприятия"]
    assert len(header) == 7
    assert shutil.which("libreoffice"), "libreoffice-writer-nogui is installed by scripts/setup"
    assert shutil.which("pdftoppm"), "poppler-utils is installed by scripts/setup"
    from PIL import Image

    png = _render_first_page(content, tmp_path)
    assert png.stat().st_size > 5000
    with Image.open(png) as im:
        lo, hi = im.convert("L").getextrema()
        assert im.width > 300
        assert im.height > 200
    assert hi - lo > 100, "страница пустая"
    shutil.copy(png, SCREENSHOT_DIR / "support_roadmap_docx_page1.png")


def test_partner_proposals_respect_capacity_and_are_deterministic(browser, live_server, live_world) -> None:
    w = live_world
    # a rural municipality with four ШНОР and two strong schools nearby
    extra = list(w.mun2.schools.exclude(pk=w.far.pk).order_by("school_id"))
    low = {w.far, *extra[:3]}
    strong = {extra[4]: 0.9, extra[5]: 0.8}
    for o in SchoolOutcome.objects.filter(
        run=w.run, method=SchoolOutcome.LOW_RESULTS, school__in=extra
    ).select_related("school"):
        flagged = o.school in low
        effect = -0.6 if flagged else strong.get(o.school, -0.1)
        o.flagged, o.value = flagged, effect
        o.data = low_data(o.school.school_id, flagged, 2024, effect, 1)
        o.save()
    from shnor.core.config import default_config

    cfg = copy.deepcopy(default_config()["matching"])
    cfg["capacity"] = 1
    region_user = w.users["region"]
    first = services.partner_proposals_create(actor=region_user, municipality=w.mun2, run=w.run, config=cfg)
    pairs = sorted(
        (p.school.school_id, p.leader.school_id if p.leader else None, p.method_status) for p in first
    )
    assert {p.school for p in first} == low
    leaders = Counter(p.leader for p in first if p.leader is not None)
    assert leaders
    assert max(leaders.values()) <= 1
    assert set(leaders) <= set(strong) | {w.neighbour}
    assert sum(1 for p in first if p.leader is None) == len(low) - len(
        leaders
    )  # the rest are reported, not dropped
    assert any(p.method_status == "capacity_exhausted" for p in first)
    again = services.partner_proposals_create(actor=region_user, municipality=w.mun2, run=w.run, config=cfg)
    assert (
        sorted((p.school.school_id, p.leader.school_id if p.leader else None, p.method_status) for p in again)
        == pairs
    )
    assert PartnerAssignment.objects.filter(year=2024, school__municipality=w.mun2).count() == len(low)
    # with the default capacity (2) a leader may take two schools, never three
    wider = services.partner_proposals_create(actor=region_user, municipality=w.mun2, run=w.run)
    assert max(Counter(p.leader for p in wider if p.leader is not None).values()) <= 2
    assert sum(1 for p in wider if p.leader is not None) >= len(leaders)
    # the region user sees the proposals in the browser
    context, page = login(browser, live_server, region_user.username)
    try:
        page.goto(f"{live_server.url}/support/municipalities/{w.mun2.pk}/partners/")
        table = page.locator("#partners").inner_text()
        for s in low:
            assert s.name in table
    finally:
        context.close()


# hand-made answers of one pupil and the factor scores they must give (risk points: value − 1, or 4 − value
# when the statement is a risk when agreed; score = 100 · mean points / 3)
PUPIL = {"P01": 4, "P02": 3, "P03": 1, "P04": 2, "P05": 4, "P06": 1, "P07": 4}
EXPECTED = {
    "pupil_motivation": 83.3,
    "environment": 16.7,
    "adaptivity": 100.0,
    "language_barriers": 100.0,
    "failure_risk": 0.0,
}


def test_questionnaire_in_the_browser_gives_the_profile(browser, live_server, live_world) -> None:
    w = live_world
    context, page = login(browser, live_server, w.users["school"].username)
    try:
        page.goto(f"{live_server.url}/support/schools/{w.school.school_id}/")
        page.click("text=Анкетирование 2024 г.")
        page.wait_for_url("**/support/risk/*/")
        page.click("text=Заполнить: Обучающиеся")
        page.wait_for_url("**/fill/pupils/")
        for code, value in PUPIL.items():
            page.check(f"input[name={code}][value='{value}']")
        page.click("#questionnaire button[type=submit]")
        page.wait_for_url("**/support/risk/*/")
        assert "Обучающиеся — 1" in page.locator("#respondents").inner_text()
        survey = RiskSurvey.objects.get(school=w.school, year=2024)
        factors = survey.profile["factors"]
        assert {k: factors[k]["score"] for k in EXPECTED} == EXPECTED
        assert all(v["score"] is None for k, v in factors.items() if k not in EXPECTED)
        # at most three risks at or above 50, highest first (ties by code)
        assert survey.chosen == ["adaptivity", "language_barriers", "pupil_motivation"]
        rows = page.locator("#profile tr")
        for code, score in EXPECTED.items():
            title = factors[code]["title"]
            row = rows.filter(has_text=title)
            shown = f"{score:.1f}".replace(".", ",")  # ru-RU number format
            assert row.locator("td.score").inner_text().strip() == shown, (code, row.inner_text())
            assert row.locator("input[name=factor]").is_checked() == (code in survey.chosen)
        page.screenshot(path=str(SCREENSHOT_DIR / "support_risk_profile_pupil.png"), full_page=True)
    finally:
        context.close()
