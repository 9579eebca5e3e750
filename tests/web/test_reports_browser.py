"""The reports page in real Chromium: the form starts a background job, its page reloads itself when the
worker has made the file, the download button gives a DOCX that opens; asked again, the same job and file."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from shnor.web.jobs.models import Job
from shnor.web.monitoring.report_jobs import REPORT_KIND
from tests.web.test_browser import job_result, login
from tests.web.test_imports_web import work


def test_a_report_from_the_form_to_the_file(browser, live_server, live_world) -> None:
    world = live_world
    context, page = login(browser, live_server, world.users["region"].username)
    try:
        page.goto(f"{live_server.url}/monitoring/reports/")
        form = page.locator("#report-annual_report form")
        form.locator("select[name=unit]").select_option(f"region:{world.region.pk}")
        form.locator("select[name=year]").select_option("2024")
        form.locator("select[name=format]").select_option("docx")
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/monitoring/reports/jobs/*/")
        job_url = page.url
        work()
        assert "Отчёт готов" in job_result(page).inner_text()
        with page.expect_download() as info:
            page.click("#download")
        doc = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert world.region.name in text

        # the same report again: the finished job's page at once, nothing new to make
        page.goto(f"{live_server.url}/monitoring/reports/")
        assert job_url.removeprefix(live_server.url) in page.locator("#recent-reports").inner_html()
        form = page.locator("#report-annual_report form")
        form.locator("select[name=unit]").select_option(f"region:{world.region.pk}")
        form.locator("select[name=year]").select_option("2024")
        form.locator("select[name=format]").select_option("docx")
        form.locator("button[type=submit]").click()
        page.wait_for_url(job_url)
        assert page.locator("#download").is_visible()
        assert Job.objects.filter(kind=REPORT_KIND).count() == 1
    finally:
        context.close()
