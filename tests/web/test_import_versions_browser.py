"""Replace, refuse and restore a ВПР file in real Chromium on the real Altai file: the upload of a 28-row file
under the real file's name shows the difference and changes nothing until confirmed; the imports page
brings the original back."""

from __future__ import annotations

from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.services import reference_ensure_shipped
from tests.web.test_browser import SCREENSHOT_DIR, job_result, login
from tests.web.test_import_versions import NAME, truncated
from tests.web.test_imports_web import work


def upload(page, live_server, path) -> None:
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.fill("input[name=year]", "2021")
    page.select_option("select[name=subject]", "ma")
    page.fill("input[name=grade]", "4")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url("**/jobs/*/")
    work()
    job_result(page)


def test_replace_needs_confirmation_and_restores(browser, live_server, live_world, real, tmp_path) -> None:
    reference_ensure_shipped()
    context, page = login(browser, live_server, live_world.users["region"].username)
    try:
        upload(page, live_server, real / NAME)
        assert "сохранено участников 24849" in page.locator("#job-result").inner_text()
        original = ImportBatch.objects.get(source_name=NAME)

        upload(page, live_server, truncated(real, tmp_path / "small"))
        result = page.locator("#job-result")
        assert "Нужно подтвердить замену файла" in result.inner_text()
        assert "Исчезнут из данных школ" in result.inner_text()
        assert "24849" in result.locator("table.version-diff").inner_text()
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / "import_replace_preview.png"), full_page=True)
        original.refresh_from_db()
        assert original.status == ImportBatch.ACTIVE

        refused = page.url
        page.click("#confirm-replace")
        page.wait_for_url(lambda url: "/jobs/" in url and url != refused)
        work()
        job_result(page)
        assert "заменена версия от" in page.locator("#job-result").inner_text()
        original.refresh_from_db()
        assert original.status == ImportBatch.REPLACED

        page.goto(f"{live_server.url}/imports/")
        page.click("a[href$='/restore']")
        page.wait_for_url("**/restore")
        assert "Вернуть эту версию" in page.content()
        page.click('form button[type=submit]:has-text("Вернуть эту версию")')
        page.wait_for_url("**/imports/")
        assert "возвращена версия" in page.locator(".messages").inner_text()
        original.refresh_from_db()
        assert original.status == ImportBatch.ACTIVE
    finally:
        context.close()
