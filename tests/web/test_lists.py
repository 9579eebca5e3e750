"""Lists, filters, XLSX export, run comparison, the school card and dashboards."""

from __future__ import annotations

import io

import openpyxl
from django.test import Client
from django.urls import reverse


def client_for(world, role: str = "region") -> Client:
    c = Client()
    c.force_login(world.users[role])
    return c


def test_lists_and_filters(world) -> None:
    c = client_for(world)
    page = c.get(reverse("identification:list", kwargs={"kind": "low_results"}))
    rows = page.context["rows"]
    assert page.context["run"] == world.run
    assert {r["school_id"] for r in rows} == {"sch0001", "sch0003"}
    by = {r["school_id"]: r for r in rows}
    assert by["sch0001"]["track"] == "individual"
    assert by["sch0001"]["years_in_list"] == 2
    old = c.get(reverse("identification:list", kwargs={"kind": "low_results"}) + f"?run={world.run_old.pk}")
    assert {r["school_id"] for r in old.context["rows"]} == {"sch0001", "sch0002"}
    by_mun = c.get(
        reverse("identification:list", kwargs={"kind": "low_results"}) + f"?municipality={world.mun2.pk}"
    )
    assert [r["school_id"] for r in by_mun.context["rows"]] == ["sch0003"]
    by_track = c.get(reverse("identification:list", kwargs={"kind": "low_results"}) + "?track=network")
    assert [r["school_id"] for r in by_track.context["rows"]] == ["sch0003"]
    by_years = c.get(reverse("identification:list", kwargs={"kind": "low_results"}) + "?min_years=2")
    assert [r["school_id"] for r in by_years.context["rows"]] == ["sch0001"]
    social = c.get(reverse("identification:list", kwargs={"kind": "social_risk"}))
    assert len(social.context["rows"]) == 4
    objectivity = c.get(reverse("identification:list", kwargs={"kind": "objectivity"}))
    assert [r["school_id"] for r in objectivity.context["rows"]] == ["sch0001"]
    assert "Скопление у порога отметки" in objectivity.content.decode()
    assert c.get(reverse("identification:list", kwargs={"kind": "nope"})).status_code == 404
    assert (
        c.get(reverse("identification:list", kwargs={"kind": "low_results"}) + "?run=999").status_code == 404
    )


def test_export_opens_with_openpyxl(world) -> None:
    c = client_for(world, "municipality")
    response = c.get(
        reverse("identification:export", kwargs={"kind": "low_results"}) + f"?run={world.run.pk}"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet.cell(3, 1).value == "Логин ОО"
    logins = [sheet.cell(r, 1).value for r in range(4, sheet.max_row + 1)]
    assert logins == ["sch0001"]  # sch0003 is outside the municipality
    assert sheet.cell(4, 7).value == "Индивидуальное сопровождение"


def test_compare_runs(world) -> None:
    c = client_for(world)
    page = c.get(reverse("identification:runs") + f"?a={world.run_old.pk}&b={world.run.pk}&kind=low_results")
    cmp = page.context["comparison"]
    assert [s.school_id for s in cmp["entered"]] == ["sch0003"]
    assert [s.school_id for s in cmp["left"]] == ["sch0002"]
    assert [s.school_id for s in cmp["stayed"]] == ["sch0001"]
    assert "черновик" not in page.content.decode()  # unfinished runs are not offered


def test_school_card_shows_flags_evidence_history_and_track(world) -> None:
    c = client_for(world, "school")
    page = c.get(reverse("identification:school", kwargs={"school_id": "sch0001"}))
    html = page.content.decode()
    flags = {f.method: f for f in page.context["flags"]}
    assert flags["objectivity"].flagged
    assert flags["low_results"].flagged
    signs = flags["objectivity"].signs
    assert signs[0]["significant"]
    assert signs[0]["charts"]
    kinds = {c["title"].split(":")[0] for s in signs for c in s["charts"]}
    assert {
        "Распределение баллов",
        "Профиль выполнения заданий",
        "Понизили / подтвердили / повысили",
    } <= kinds
    assert any("table" in ch for s in signs for ch in s["charts"])  # journal vs ВПР table
    assert any("Добавленная ценность" in ch["title"] for ch in flags["low_results"].charts)
    assert any(
        "Распределение баллов" in ch["title"] for ch in flags["fioko"].charts
    )  # {"histogram": {score, observed, expected}}
    assert page.context["track"]["label"] == "Индивидуальное сопровождение"
    assert [h["run"].year for h in page.context["history"]] == [2023, 2024]
    assert page.context["results"]["figure"] is not None
    assert "data-figure" in html
    assert "vendor/plotly.min.js" in html
    assert "Доля из малообеспеченных семей" in html


def test_dashboards(world) -> None:
    c = client_for(world)
    page = c.get(reverse("identification:region", kwargs={"pk": world.region.pk}))
    dash = page.context["dash"]
    assert dash["total"] == 9
    counts = {x["code"]: x["n"] for x in dash["counts"]}
    assert counts == {"low_results": 2, "social_risk": 4, "objectivity": 1, "fioko": 1}
    assert {"dynamics", "signs", "caterpillar", "map"} <= set(dash["figures"])
    assert len(dash["figures"]["caterpillar"]["data"][0]["x"]) == 9
    mun = c.get(reverse("identification:municipality", kwargs={"pk": world.mun.pk}))
    assert mun.context["dash"]["total"] == 2


def test_school_search(world) -> None:
    c = client_for(world)
    found = c.get(reverse("identification:schools") + "?q=лицей")
    assert [s.school_id for s in found.context["page"]] == ["sch0002"]
    in_list = c.get(reverse("identification:schools") + "?list=social_risk&locality=село")
    assert {s.school_id for s in in_list.context["page"]} == {"sch0003", "sch0100", "sch0101"}


def test_static_plotly_is_served(world, client) -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/plotly.min.js")
    assert finders.find("shnor/charts.js")


def test_huge_or_odd_numbers_in_the_query_string_are_not_server_errors(world) -> None:
    from django.test import Client

    c = Client()
    c.force_login(world.users["region"])
    huge = "9" * 40
    for url in (
        f"/schools/?municipality={huge}",
        f"/schools/?municipality=-{huge}",
        "/schools/?municipality=abc",
        f"/lists/low_results/?run={huge}",
        f"/lists/low_results/?year={huge}",
        f"/lists/low_results/?min_years={huge}",
        f"/schools/{world.school.school_id}/?run={huge}",
    ):
        assert c.get(url).status_code in (200, 400, 404), (
            url
        )  # a malformed number is a 400 naming the parameter
