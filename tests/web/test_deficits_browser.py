"""Skill deficits (issue 10) in real (Debian) Chromium: a school user on a generated municipality sees the
«Дефициты умений» block with its chart on its own card, downloads the DOCX report from the button, and the
report names only its own school and classes; another school's report URL is 404. No browser download."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from docx import Document

from shnor.cli import main
from shnor.core.demo import DemoConfig, generate, write_files
from shnor.web.accounts.models import Role
from shnor.web.accounts.services import user_create
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.registry.models import School
from tests.web.test_browser import SCREENSHOT_DIR, login
from tests.web.world import PASSWORD


def _cli(*args: str) -> None:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output


@pytest.fixture
def live_deficits(transactional_db, home, tmp_path, live_server):
    """A generated municipality imported through the CLI, `shnor identify --year 2024`, committed for the live
    server (the same building as tests/test_identify.py), and a school user of a school with deficits."""
    data = generate(
        DemoConfig(
            seed=5, size="municipality", years=(2023, 2024), subjects=("ma",), grades=(4, 5), gia=False
        )
    )
    files = {p.name: p for p in write_files(data, tmp_path / "demo")}
    for kind in ("scales", "tasks", "schools", "context"):
        _cli("import", kind, str(files[f"{kind}.csv"]))
    _cli("import", "vpr", *[str(p) for n, p in sorted(files.items()) if n.startswith("vpr_")])
    _cli("identify", "--year", "2024")
    flagged = list(
        SchoolOutcome.objects.filter(method=SchoolOutcome.DEFICITS, flagged=True)
        .select_related("school")
        .order_by("school__school_id")
    )
    assert flagged, "генератор не дал школ с дефицитами"
    # prefer a school whose files carry class letters (the generator writes «нет» for some schools)
    outcome = max(flagged, key=lambda o: len(_classes(o.school.school_id) - {"нет"}))
    user_create(username="u_director", password=PASSWORD, role=Role.SCHOOL, school=outcome.school)
    return outcome


def _classes(school_id: str) -> set[str]:
    from shnor.web.assessments.selectors import results_scan

    frame = results_scan().filter((pl.col("school_id") == school_id) & (pl.col("year") == 2024)).collect()
    return {str(c) for c in frame["class_name"].drop_nulls().unique().to_list()}


def test_school_downloads_its_own_deficit_report(browser, live_server, live_deficits) -> None:
    school = live_deficits.school
    others = list(School.objects.exclude(pk=school.pk).order_by("school_id"))
    run = MethodologyRun.objects.get(year=2024, status=MethodologyRun.DONE)
    context, page = login(browser, live_server, "u_director")
    try:
        page.wait_for_url(f"**/schools/{school.school_id}/")  # the school role lands on its own card
        block = page.locator("#flag-deficits")
        assert "Дефициты умений" in block.locator("h3").inner_text()
        assert "в списке" in block.inner_text()
        chart = block.locator(".chart[data-drawn='1']").first
        chart.wait_for(timeout=20000)
        assert chart.locator(".main-svg").count() >= 1  # Plotly drew an SVG
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        block.screenshot(path=str(SCREENSHOT_DIR / "deficits_block.png"))
        button = block.locator("a", has_text="Отчёт о дефицитах и рекомендации (DOCX)")
        assert button.get_attribute("href") == f"/schools/{school.school_id}/deficits.docx?run={run.pk}"
        with page.expect_download() as info:
            button.click()
        download = info.value
        assert download.suggested_filename.endswith(".docx")
        content = Path(download.path()).read_bytes()
        (SCREENSHOT_DIR / "deficits_report.docx").write_bytes(content)
        doc = Document(io.BytesIO(content))
        text = "\n".join(
            [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
        )
        assert "Дефициты предметных умений и адресные рекомендации" in text
        assert school.school_id in text or school.name in text
        for other in others:  # no other school of the municipality is named
            assert other.school_id not in text, other.school_id
            assert not other.name or other.name == school.name or other.name not in text, other.name
        own = _classes(school.school_id)
        assert own, "у школы нет классов в результатах"
        assert own - {"нет"}, f"у школы нет букв классов в файлах: {own}"
        # every «Класс …» paragraph of the at-risk part and every row of «Дефициты классов» is one of ours
        # («нет» in the file — no class given — is printed as «—»)
        printed = own | {"—"}
        named = {
            p.text.removeprefix("Класс ").split(":")[0] for p in doc.paragraphs if p.text.startswith("Класс ")
        }
        for t in doc.tables:
            if t.rows[0].cells[0].text == "Класс":
                named |= {r.cells[0].text for r in t.rows[1:]}
        assert named, "в отчёте нет ни одного класса"
        assert named <= printed, named - printed
        foreign = set().union(*(_classes(o.school_id) for o in others)) - own - {"нет"}
        assert not named & foreign, named & foreign
        # another school's report typed into the address bar is not found
        url = f"{live_server.url}/schools/{others[0].school_id}/deficits.docx?run={run.pk}"
        assert page.goto(url).status == 404
        assert page.goto(f"{live_server.url}/schools/{others[0].school_id}/").status == 404
    finally:
        context.close()
