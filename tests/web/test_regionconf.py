"""The region's own settings: indicator set with targets, roadmap templates (made in the browser or
imported from an appendix table) and the risk questionnaire — versioned, audited, scoped by role, and
used by the next indicator table, the next roadmap and the next survey."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from shnor.core.roadmaps.templates import template_get
from shnor.web.accounts.models import AuditEntry
from shnor.web.monitoring import services as monitoring_services
from shnor.web.monitoring.forms import IndicatorValueForm
from shnor.web.regionconf import selectors as sel
from shnor.web.regionconf import services
from shnor.web.regionconf.models import Kind, SettingsVersion
from shnor.web.support import services as support
from shnor.web.support.forms import template_choices
from shnor.web.support.models import RiskSurvey
from shnor.web.support.services import bulk
from shnor.web.support.services.roadmaps import default_templates
from tests.core.roadmaps.test_template_import import xlsx_appendix

ROLES = ["region", "municipality", "school", "teacher", "curator", "observer"]
PAGES = ["index", "indicators", "templates", "questionnaire"]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows_of(client: Client, year: int = 2024) -> dict[str, dict]:
    page = client.get(f"{reverse('monitoring:indicators')}?year={year}")
    assert page.status_code == 200
    return {r["code"]: r for r in page.context["rows"]}


# --------------------------------------------------------------------------------------------
# roles


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(world, role) -> None:
    client = login(world.users[role])
    for name in PAGES:
        page = client.get(reverse(f"regionconf:{name}"))
        if role in ("region", "observer", "municipality"):
            assert page.status_code == 200, name
            html = page.content.decode()
            assert "Тестовый край" in html or name != "index"
            editable = 'name="reason"' in html
            assert editable == (role == "region" and name in ("indicators", "questionnaire")), (role, name)
        else:
            assert page.status_code == 403, (role, name)
    post = client.post(reverse("regionconf:indicators"), {"reason": "проба"})
    assert post.status_code == (302 if role == "region" else 403)
    assert client.get(reverse("regionconf:template_import")).status_code == (200 if role == "region" else 403)


def test_another_region_is_never_written(world) -> None:
    with pytest.raises(PermissionDenied):
        services.indicators_save(
            actor=world.users["region"], region=world.other_region, edits={}, reason="чужой регион"
        )
    with pytest.raises(PermissionDenied):
        services.indicators_save(actor=world.users["observer"], region=world.region, edits={}, reason="нет")


# --------------------------------------------------------------------------------------------
# indicators


def _post_indicators(client: Client, changes: dict[str, str], *, off: set[str] = frozenset(), reason: str):
    rows = sel.indicators_all(region=None)
    data = {f"on-{r['code']}": "on" for r in rows if r["code"] not in off}
    data |= {f"name-{r['code']}": r["name"] for r in rows} | {
        f"formula-{r['code']}": r["formula"] for r in rows
    }
    data |= changes | {"reason": reason}
    return client.post(reverse("regionconf:indicators"), data)


def test_targets_switches_and_versions_reach_the_indicator_page(world) -> None:
    client = login(world.users["region"])
    before = rows_of(client)
    assert before["low_results"]["target_display"] == ""
    assert before["low_results"]["settings_version"] == "набор показателей методики"
    response = _post_indicators(
        client,
        {"targets-low_results": "2024: 20; 2025: 15", "better-low_results": "lower"},
        off={"staff_shortage"},
        reason="протокол совета № 3",
    )
    assert response.status_code == 302
    v = SettingsVersion.objects.get(region=world.region, kind=Kind.INDICATORS)
    assert (v.number, v.reason, v.author) == (1, "протокол совета № 3", world.users["region"])
    rows = rows_of(client)
    assert "staff_shortage" not in rows
    assert "staff_shortage" in before
    low = rows["low_results"]
    assert low["display"] == "22,2 %"  # 2 of 9 schools
    assert (low["target_display"], low["target_met"]) == ("20,0 %", False)
    assert low["settings_version"].startswith("набор показателей региона, версия 1")
    html = client.get(f"{reverse('monitoring:indicators')}?year=2024").content.decode()
    assert "цель 20,0 %: не достигнута" in html
    assert "Расчёт по: набор показателей региона, версия 1" in html
    # a municipality of the region sees the same set; the other region does not
    mun_rows = rows_of(login(world.users["municipality"]))
    assert "staff_shortage" not in mun_rows
    assert mun_rows["low_results"]["target_display"] == "20,0 %"
    # audited «было → стало»
    entry = AuditEntry.objects.filter(action="изменение настроек региона").latest("id")
    lines = entry.changes["было → стало"]
    assert any("включён: — → нет" in line for line in lines)
    assert any("цели: — → 2024: 20; 2025: 15" in line for line in lines)
    assert entry.changes["основание"] == "протокол совета № 3"
    # the same save again makes no version; a changed target makes version 2; version 1 can come back
    _post_indicators(
        client,
        {"targets-low_results": "2024: 20; 2025: 15", "better-low_results": "lower"},
        off={"staff_shortage"},
        reason="повтор",
    )
    assert SettingsVersion.objects.filter(kind=Kind.INDICATORS).count() == 1
    _post_indicators(
        client,
        {"targets-low_results": "2024: 25", "better-low_results": "lower"},
        off={"staff_shortage"},
        reason="уточнение цели",
    )
    assert rows_of(client)["low_results"]["target_met"] is True
    history = client.get(reverse("regionconf:history", args=["indicators", "indicators"]))
    assert "уточнение цели" in history.content.decode()
    assert "протокол совета № 3" in history.content.decode()
    client.post(reverse("regionconf:version_restore", args=[v.pk]), {"reason": "вернули цель"})
    assert SettingsVersion.objects.filter(kind=Kind.INDICATORS).count() == 3
    assert rows_of(client)["low_results"]["target_met"] is False
    shown = client.get(reverse("regionconf:version", args=[v.pk])).content.decode()
    assert "2024: 20; 2025: 15" in shown


def test_bad_targets_and_missing_reason_store_nothing(world) -> None:
    client = login(world.users["region"])
    page = _post_indicators(client, {"targets-low_results": "в 2025 году — восемьдесят"}, reason="x")
    assert page.status_code == 200
    assert "не прочитана" in page.content.decode()
    page = _post_indicators(client, {"targets-low_results": "2025: 80"}, reason="  ")
    assert "укажите основание" in page.content.decode()
    assert not SettingsVersion.objects.exists()


def test_an_added_manual_indicator_is_entered_and_shown_with_its_target(world) -> None:
    client = login(world.users["region"])
    response = client.post(
        reverse("regionconf:indicator_add"),
        {
            "name": "Доля школ, прошедших региональный мониторинг управленческих команд",
            "section": "Показатели региона",
            "formula": "число школ с мониторингом / число школ × 100",
            "unit": "%",
            "levels": ["region"],
            "aggregate": "none",
            "targets": "2024: 60",
            "better": "higher",
            "reason": "решение коллегии",
        },
    )
    assert response.status_code == 302
    added = SettingsVersion.objects.get(kind=Kind.INDICATORS).data["added"][0]
    code = added["code"]
    assert code == f"r{world.region.pk}_1"
    assert (code, added["name"]) in IndicatorValueForm().fields["indicator"].choices
    monitoring_services.indicator_value_enter(
        user=world.users["region"], indicator=code, year=2024, level="region", unit=world.region, value=75
    )
    row = rows_of(client)[code]
    assert (row["display"], row["target_display"], row["target_met"]) == ("75,0 %", "60,0 %", True)
    html = client.get(f"{reverse('monitoring:indicators')}?year=2024").content.decode()
    assert code not in re.sub(r"<[^>]+>", " ", html)  # the code is never shown as text
    assert "цель 60,0 %: достигнута" in html


# --------------------------------------------------------------------------------------------
# templates


def _import(client: Client, content: bytes, name: str, **extra: str):
    data = {"title": "План сопровождения ШНОР", "level": "school", "year": "2025", "target": ""} | extra
    data["file"] = SimpleUploadedFile(name, content)
    return client.post(reverse("regionconf:template_import"), data)


def test_an_imported_appendix_becomes_the_template_of_the_next_roadmap(world) -> None:
    client = login(world.users["region"])
    preview = _import(client, xlsx_appendix(), "приложение 2.xlsx")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'Мероприятий: <strong id="import-count">4</strong>' in html
    assert not SettingsVersion.objects.exists()  # nothing stored before the confirmation
    token = preview.context["preview"]["token"]
    done = client.post(
        reverse("regionconf:template_import"), {"confirm": "1", "token": token, "reason": "приказ № 863-ОД"}
    )
    assert done.status_code == 302
    v = SettingsVersion.objects.get(kind=Kind.TEMPLATE)
    tpl = template_get(v.key)  # the region's template is known to the roadmaps' lookup
    assert [a.number for a in tpl.activities] == ["1", "2", "3", "4"]
    # the same file again, as a new version of that template: nothing changes
    again = _import(client, xlsx_appendix(), "приложение 2.xlsx", target=v.key)
    client.post(
        reverse("regionconf:template_import"),
        {"confirm": "1", "token": again.context["preview"]["token"], "reason": "повтор"},
    )
    assert SettingsVersion.objects.filter(kind=Kind.TEMPLATE).count() == 1
    # offered in the roadmap form; made the default, it is what a new school roadmap takes
    assert v.key in dict(template_choices("school", world.users["municipality"]))
    assert v.key not in dict(template_choices("school", None))
    edit = client.get(reverse("regionconf:template", args=[v.key]))
    form = {k: val for k, val in edit.context["head"].initial.items() if val not in (None, False)}
    rows = {
        f"a-{r['i']}-{f}": r.get(f, "")
        for r in edit.context["rows"]
        for f in ("number", "section", "title", "period", "executor", "expected_result", "output_document")
    }
    rows["a-1-period"] = "Сентябрь - ноябрь"
    client.post(
        reverse("regionconf:template", args=[v.key]),
        form | rows | {"default": "on", "reason": "по умолчанию для школ"},
    )
    assert SettingsVersion.objects.filter(kind=Kind.TEMPLATE, key=v.key).count() == 2
    roadmap = support.roadmap_create(
        actor=world.users["municipality"], level="school", year=2025, school=world.school, run=world.run
    )
    assert roadmap.templates == [v.key]
    acts = list(roadmap.activities.order_by("position"))
    assert [a.title for a in acts][0] == "Анализ результатов федеральных и региональных оценочных процедур"
    assert acts[1].period_text == "Сентябрь - ноябрь"
    assert acts[3].expected_result == "Доля обученных педагогов не менее 80 %"
    assert acts[0].section == "Организационно-управленческие меры"
    # the bulk creation proposes it too and plans with it
    assert default_templates(level="school", user=world.users["region"]) == [v.key]
    plan = bulk.bulk_plan(actor=world.users["region"], year=2026, today=dt.date(2025, 9, 1))
    assert plan.templates == [v.key]


def test_a_bad_appendix_is_refused_with_its_rows_and_stores_nothing(world) -> None:
    client = login(world.users["region"])
    rows = [["1.", "Анализ", "Июнь", "СОИРО", ""], ["2.", "", "Июль", "МОЦ", ""]]
    page = _import(client, xlsx_appendix(rows), "план.xlsx")
    html = page.content.decode()
    assert "план.xlsx, лист «Приложение 2», строка 5, столбец «Мероприятие»" in html
    assert "import-confirm" not in html
    page = _import(client, b"%PDF-1.4", "план.xlsx")
    assert "содержимое не соответствует" in page.content.decode()
    assert not SettingsVersion.objects.exists()


def test_a_template_made_in_the_browser_from_a_builtin(world) -> None:
    client = login(world.users["region"])
    page = client.get(reverse("regionconf:template_new") + "?from=smolensk_low_2019")
    assert page.status_code == 200
    head = page.context["head"].initial
    assert head["title"].endswith("(региональная редакция)")
    rows = {
        f"a-{r['i']}-{f}": r.get(f, "")
        for r in page.context["rows"]
        for f in ("number", "section", "title", "period", "executor", "expected_result", "output_document")
    }
    form = {k: v for k, v in head.items() if v not in (None, False, "")}
    saved = client.post(reverse("regionconf:template_new"), form | rows | {"reason": "редакция региона"})
    assert saved.status_code == 302
    copy = SettingsVersion.objects.get(kind=Kind.TEMPLATE)
    assert len(template_get(copy.key).activities) == len(template_get("smolensk_low_2019").activities)
    with pytest.raises(ValidationError):
        services.template_save(
            actor=world.users["region"],
            region=world.region,
            data={"title": "Пустой", "level": "school", "year": 2025, "activities": []},
            reason="проба",
        )
    v, created = services.template_save(
        actor=world.users["region"],
        region=world.region,
        data={
            "title": "Муниципальный план",
            "level": "municipality",
            "year": 2025,
            "calendar": "school_year",
            "default": True,
            "activities": [{"number": "1", "title": "Совещание с руководителями ШНОР", "period": "Октябрь"}],
        },
        reason="проба",
    )
    assert created
    assert default_templates(level="municipality", unit=world.mun) == [v.key]
    assert default_templates(level="municipality", unit=world.other_mun) == ["chel_municipal_2024"]


# --------------------------------------------------------------------------------------------
# questionnaire


def test_an_edited_questionnaire_scores_the_next_survey(world) -> None:
    client = login(world.users["region"])
    data, _ = sel.questionnaire_data(region=world.region)
    first = data["questions"][0]
    post = {
        "threshold": "30",
        "max_chosen": "2",
        **{f"label-{i}": label for i, label in enumerate(data["scale"]["labels"])},
        **{f"f-{f['code']}": f["title"] for f in data["factors"]},
        "new-group": "director",
        "new-factor": "equipment",
        "new-text": "В школе есть современное лабораторное оборудование",
        "reason": "протокол методического совета",
    }
    for q in data["questions"]:
        post |= {
            f"q-{q['code']}-text": q["text"],
            f"q-{q['code']}-factor": q["factor"],
            f"q-{q['code']}-seen": "1",
        }
        if q.get("risk_when_agree"):
            post[f"q-{q['code']}-risk"] = "on"
    post[f"q-{first['code']}-text"] = "Руководитель регулярно анализирует результаты оценочных процедур"
    post["label-0"] = "Да, полностью"
    response = client.post(reverse("regionconf:questionnaire"), post)
    assert response.status_code == 302
    q = sel.questionnaire_for(region=world.region)
    assert (q.threshold, q.max_chosen, q.labels[0]) == (30.0, 2, "Да, полностью")
    new = [x for x in q.questions if x.text.startswith("В школе есть современное")][0]
    assert (new.group, new.factor) == ("director", "equipment")
    # the next survey uses it: the new question is accepted, the new label is read, the version recorded
    survey = support.risk_survey_open(actor=world.users["school"], school=world.school, year=2025)
    support.survey_response_add(
        actor=world.users["school"],
        survey=survey,
        group="director",
        answers={new.code: "Полностью не согласен"},
    )
    survey = RiskSurvey.objects.get(pk=survey.pk)
    assert survey.profile["factors"]["equipment"]["score"] == 100.0
    assert survey.profile["threshold"] == 30.0
    assert survey.profile["questionnaire"]["version"] == "регион, версия 1"
    assert survey.chosen == ["equipment"]
    page = login(world.users["school"]).get(reverse("support:survey_fill", args=[survey.pk, "director"]))
    assert "Руководитель регулярно анализирует результаты оценочных процедур" in page.content.decode()
    # another region keeps the shipped questionnaire
    assert sel.questionnaire_for(region=world.other_region).threshold == 50.0
    entry = AuditEntry.objects.filter(action="изменение настроек региона").latest("id")
    assert any("порог риска: 50 → 30" in line for line in entry.changes["было → стало"])


# --------------------------------------------------------------------------------------------
# the crawl of tests/web/test_malformed_params.py


def crawl_entries(world) -> dict[str, dict[str, object]]:
    """Valid path parameters of the settings' routes: a template of the region and its version."""
    v, _ = services.template_save(
        actor=world.users["region"],
        region=world.region,
        data={
            "title": "План обхода",
            "level": "school",
            "year": 2024,
            "activities": [{"number": "1", "title": "Анализ результатов", "period": "Октябрь"}],
        },
        reason="обход страниц",
    )
    return {
        "regionconf:template": {"key": v.key},
        "regionconf:history": {"kind": "template", "key": v.key},
        "regionconf:version": {"pk": v.pk},
        "regionconf:version_restore": {"pk": v.pk},
    }
