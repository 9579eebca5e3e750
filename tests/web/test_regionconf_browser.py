"""The region's settings in real (Debian) Chromium: the region adds an indicator with a target and sets a
target of a computed one, imports a roadmap template from an appendix's XLSX table and makes it the
default, edits the risk questionnaire; then the next indicator table, the next school roadmap and the
next survey use them. No browser download."""

from __future__ import annotations

from shnor.web.regionconf.models import Kind, SettingsVersion
from shnor.web.support.models import RiskSurvey, Roadmap
from shnor.web.support.services.surveys import questionnaire_of, risk_survey_open
from tests.core.roadmaps.test_template_import import xlsx_appendix
from tests.web.test_browser import SCREENSHOT_DIR, login

NEW_INDICATOR = "Доля школ, прошедших региональный мониторинг управленческих команд"
NEW_QUESTION = "В школе есть современное лабораторное оборудование"


def _indicators(page, url: str) -> None:
    page.goto(f"{url}/settings/indicators/")
    form = page.locator("#indicator-add form")
    form.locator("input[name=name]").fill(NEW_INDICATOR)
    form.locator("input[name=formula]").fill("число школ с мониторингом / число школ × 100")
    form.locator("input[name=targets]").fill("2024: 60")
    form.locator("input[name=reason]").fill("решение коллегии № 2")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator(f'#indicator-settings input[value="{NEW_INDICATOR}"]').count() == 1
    page.fill("input[name='targets-low_results']", "2024: 20")
    page.select_option("select[name='better-low_results']", "lower")
    page.fill("#indicators-form input[name=reason]", "протокол совета: пересмотр показателей")
    page.click("#indicators-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "Сохранено: версия 2" in page.content()


def _template(page, url: str, tmp_path) -> None:
    path = tmp_path / "Приложение 2 к приказу 863-ОД.xlsx"
    path.write_bytes(xlsx_appendix())
    page.goto(f"{url}/settings/templates/import/")
    page.set_input_files("#import-form input[name=file]", str(path))
    page.fill("#import-form input[name=title]", "План сопровождения школ с низкими результатами")
    page.select_option("#import-form select[name=level]", "school")
    page.fill("#import-form input[name=year]", "2025")
    page.click("#import-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#import-count").inner_text() == "4"
    assert (
        "Повышение квалификации учителей школ с низкими результатами"
        in page.locator("#import-rows").inner_text()
    )
    page.fill("#import-preview input[name=reason]", "приказ № 863-ОД, приложение 2")
    page.click("#import-confirm")
    page.wait_for_load_state("domcontentloaded")
    page.check("#template-form input[name=default]")
    page.fill("#template-form input[name=reason]", "шаблон региона для школьных карт")
    page.click("#template-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "Сохранено: версия 2" in page.content()


def _questionnaire(page, url: str) -> None:
    page.goto(f"{url}/settings/questionnaire/")
    page.fill("#questionnaire-form input[name=threshold]", "30")
    page.select_option("#questionnaire-form select[name=new-group]", "director")
    page.select_option("#questionnaire-form select[name=new-factor]", "equipment")
    page.fill("#questionnaire-form input[name=new-text]", NEW_QUESTION)
    page.fill("#questionnaire-form input[name=reason]", "протокол методического совета")
    page.click("#questionnaire-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "Сохранено: версия 1" in page.content()


def test_settings_reach_the_indicators_the_roadmap_and_the_survey(browser, live_server, live_world, tmp_path):
    world, url = live_world, live_server.url
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    context, page = login(browser, live_server, world.users["region"].username)
    try:
        _indicators(page, url)
        _template(page, url, tmp_path)
        _questionnaire(page, url)
        page.goto(f"{url}/settings/")
        overview = page.locator("#settings-overview").inner_text()
        assert "План сопровождения школ с низкими результатами" in overview
        assert "протокол методического совета" in overview
        page.screenshot(path=str(SCREENSHOT_DIR / "regionconf_index.png"), full_page=True)

        # the next indicator computation: the target beside the value, the added indicator entered
        page.goto(f"{url}/monitoring/?year=2024")
        low = page.locator("#ind-low_results").inner_text()
        assert "22,2 %" in low
        assert "цель 20,0 %: не достигнута" in low
        assert "набор показателей региона, версия 2" in page.locator("#indicator-set").inner_text()
        page.select_option("select[name=indicator]", label=NEW_INDICATOR)
        page.fill("input[name=value]", "75")
        page.click("form[action$='/monitoring/indicators/enter/'] button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        page.goto(f"{url}/monitoring/?year=2024")
        row = page.locator("#indicators tr", has_text=NEW_INDICATOR).inner_text()
        assert "75,0 %" in row
        assert "цель 60,0 %: достигнута" in row
        page.screenshot(path=str(SCREENSHOT_DIR / "regionconf_indicators.png"), full_page=True)
    finally:
        context.close()

    key = SettingsVersion.objects.get(kind=Kind.TEMPLATE, number=2).key
    # the next school roadmap: the region's template is offered and preselected
    context, page = login(browser, live_server, world.users["municipality"].username)
    try:
        page.goto(f"{url}/support/roadmaps/new/?level=school&target=sch0001")
        box = page.locator(f"#roadmap-new input[name=templates][value='{key}']")
        assert box.is_checked()
        assert not page.locator("#roadmap-new input[name=templates][value='school_tracks']").is_checked()
        page.click("#roadmap-new button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert "Анализ результатов федеральных и региональных оценочных процедур" in page.content()
    finally:
        context.close()
    roadmap = Roadmap.objects.get(level="school", school=world.school)
    assert roadmap.templates == [key]
    assert roadmap.activities.count() == 4

    # the next survey: the school answers the new question; the profile uses the new threshold
    survey = risk_survey_open(actor=world.users["school"], school=world.school, year=2025)
    new_code = next(q.code for q in questionnaire_of(world.school).questions if q.text == NEW_QUESTION)
    context, page = login(browser, live_server, world.users["school"].username)
    try:
        page.goto(f"{url}/support/risk/{survey.pk}/fill/director/")
        assert NEW_QUESTION in page.content()
        page.check(f"input[name='{new_code}'][value='4']")
        page.click("form button[type=submit] >> nth=-1")
        page.wait_for_load_state("domcontentloaded")
    finally:
        context.close()
    survey = RiskSurvey.objects.get(pk=survey.pk)
    assert survey.profile["threshold"] == 30.0
    assert survey.profile["factors"]["equipment"]["score"] == 100.0
    assert survey.chosen == ["equipment"]
