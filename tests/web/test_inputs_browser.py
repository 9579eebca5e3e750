"""Every input from the browser, in real (Debian) Chromium: the region uploads a yearly context file and an
РДР file; the version with bad rows is refused with a row-level report (downloadable as XLSX) and nothing
is stored; the good one is stored, and the РДР indicator of the monitoring table shows its value."""

from __future__ import annotations

import io

import openpyxl

from shnor.web.assessments.models import ImportBatch
from shnor.web.registry.models import SchoolContext
from tests.builders import HEADER_2021, good_tasks, pupil_row, write_csv, write_xlsx
from tests.web.test_browser import SCREENSHOT_DIR, job_result, login
from tests.web.test_imports_web import work

CONTEXT_HEADER = ["year", "school_id", "share_low_income", "share_registered", "staff_shortage"]
SCORE = {2: 3, 3: 8, 4: 12, 5: 17}


def rdr_xlsx(path, marks: dict[str, list[object]]):
    rows, n = [], 0
    for school, ms in marks.items():
        for m in ms:
            n += 1
            rows.append(
                [*pupil_row(school, n, good_tasks(SCORE.get(m, 8) if isinstance(m, int) else 8)), str(m)]
            )
    return write_xlsx(path, rows, [*HEADER_2021, "Отметка"], sheet="РДР")


def upload(page, url: str, kind: str, path, **fields: str) -> str:
    """Submit one input's form; the job page's result text once the worker has run."""
    page.goto(f"{url}/imports/")
    card = f"#upload-{kind}"
    page.set_input_files(f"{card} input[type=file]", str(path))
    for name, value in fields.items():
        if name == "subject":
            page.select_option(f"{card} select[name={kind}-subject]", value)
        else:
            page.fill(f"{card} input[name={kind}-{name}]", value)
    page.click(f"{card} button[type=submit]")
    page.wait_for_url("**/jobs/*/")
    work()
    job_result(page)
    return page.locator("#job-result").inner_text()


def test_context_and_rdr_from_the_browser(browser, live_server, live_world, tmp_path) -> None:
    world, url = live_world, live_server.url
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    contexts_before = SchoolContext.objects.count()
    (tmp_path / "исправленный").mkdir()
    bad_context = write_csv(
        tmp_path / "контекст_2025.csv",
        [
            ["2025", "sch0001", "41", "3", "да"],
            ["2025", "sch0404", "10", "1", "нет"],  # no such school
            ["2025", "sch0002", "сорок", "2", "нет"],  # not a number
        ],
        CONTEXT_HEADER,
    )
    good_context = write_csv(
        tmp_path / "исправленный" / "контекст_2025.csv",
        [["2025", "sch0001", "41", "3", "да"], ["2025", "sch0002", "12,5", "2", "нет"]],
        CONTEXT_HEADER,
    )
    bad_rdr = rdr_xlsx(tmp_path / "rdr_2024_ma4_ошибки.xlsx", {"sch0001": [2, 7, 3, "—"]})
    good_rdr = rdr_xlsx(
        tmp_path / "rdr_2024_ma4.xlsx", {"sch0001": [2, 3, 4, 5], "sch0003": [2], "sch0002": [2]}
    )

    context, page = login(browser, live_server, world.users["region"].username)
    try:
        text = upload(page, url, "context", bad_context)
        assert "Файл отклонён" in text
        assert "ничего не сохранено" in text
        errors = page.locator("#job-result table").inner_text()
        assert "школы нет в реестре" in errors
        assert "sch0404" in errors
        assert "share_low_income" in errors
        with page.expect_download() as download:
            page.click("#job-result a:has-text('Отчёт об ошибках')")
        assert download.value.suggested_filename.endswith(".xlsx")
        book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
        cells = {str(c.value) for row in book["Ошибки"].iter_rows() for c in row}
        assert {"3", "4", "sch0404"} <= cells
        page.screenshot(path=str(SCREENSHOT_DIR / "inputs_context_refused.png"), full_page=True)
        assert SchoolContext.objects.count() == contexts_before

        text = upload(page, url, "context", good_context)
        assert "записей контекста загружено 2" in text
        assert SchoolContext.objects.get(school=world.neighbour, year=2025).share_low_income == 0.125

        text = upload(page, url, "rdr", bad_rdr)
        assert "Файл отклонён" in text
        rows = page.locator("#job-result table").inner_text()
        assert "отметка должна быть от 2 до 5" in rows
        assert "РДР" in rows  # the sheet
        assert not ImportBatch.objects.exists()

        text = upload(page, url, "rdr", good_rdr, year="2024", subject="ma", grade="4")
        assert "РДР 2024, Математика, 4 класс" in text
        assert "сохранено участников 6" in text
        assert ImportBatch.objects.get().procedure == "rdr"
        page.goto(f"{url}/imports/")
        assert "РДР" in page.locator("table").last.inner_text()
        page.screenshot(path=str(SCREENSHOT_DIR / "inputs_imports.png"), full_page=True)

        page.goto(f"{url}/monitoring/?level=region&unit={world.region.pk}&year=2024")
        row = page.locator("#ind-rdr_fail")
        # ШНОР/ШНСУ of 2024 are sch0001 and sch0003: 2 pupils with «2» of 5 (sch0002 is not listed)
        assert "Доля обучающихся, имеющих неудовлетворительные результаты РДР" in row.inner_text()
        assert "40,0 %" in row.inner_text()
        page.screenshot(path=str(SCREENSHOT_DIR / "inputs_rdr_indicator.png"), full_page=True)
    finally:
        context.close()
