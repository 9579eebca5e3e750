"""The region's decision on its lists: FIOKO's lists imported, a draft edited with reasons, approval by order,
versions, and every page following the approved list rather than the latest run."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from click.testing import CliRunner
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from shnor.cli import main
from shnor.web.accounts.models import AuditEntry
from shnor.web.identification import decisions, membership
from shnor.web.identification.fioko_lists import fioko_list_import
from shnor.web.identification.models import FiokoList, ListVersion, MethodologyRun, SchoolOutcome
from shnor.web.monitoring.reports import Unit, annual_data
from shnor.web.registry.models import School

DAGESTAN = "fioko_objectivity_markers_dagestan_2023.xlsx"


def client_for(world, role: str = "region") -> Client:
    c = Client()
    c.force_login(world.users[role])
    return c


@pytest.mark.django_db
def test_dagestan_list_imports_per_year_and_exports_every_school_from_fioko(real, home, tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["import", "fioko-list", str(real / DAGESTAN)])
    assert result.exit_code == 0, result.output
    # the file repeats its 2024 block (rows 161–308 again as 309–456): 599 rows, 451 schools-years
    assert "2023: 159 школ" in result.output
    assert "2024: 148 школ" in result.output
    assert "пропущено 148 строк" in result.output
    assert {(f.year, f.kind, f.entries.count()) for f in FiokoList.objects.all()} == {
        (2023, "objectivity", 159),
        (2024, "objectivity", 148),
        (2025, "objectivity", 144),
    }
    created = School.objects.filter(in_registry=False)
    assert created.count() == 341  # distinct logins over the three years, all unknown before
    again = runner.invoke(main, ["import", "fioko-list", str(real / DAGESTAN)])
    assert again.exit_code == 0
    assert "уже загружен, ничего не изменено" in again.output
    assert FiokoList.objects.count() == 3

    total = 0
    for year in (2023, 2024, 2025):
        out = tmp_path / f"objectivity_{year}.csv"
        done = runner.invoke(
            main, ["lists", "export", "--kind", "objectivity", "--year", str(year), "--out", str(out)]
        )
        assert done.exit_code == 0, done.output
        with open(out, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0]) == [
            "school_id",
            "name",
            "municipality",
            "source",
            "included",
            "reason",
            "status",
            "version",
        ]
        assert {r["source"] for r in rows} == {"fioko"}
        assert {r["included"] for r in rows} == {"true"}
        assert {(r["status"], r["version"]) for r in rows} == {("draft", "1")}
        total += len(rows)
    assert total == 451  # every distinct school-year of the file's 599 rows
    missing = runner.invoke(
        main, ["lists", "export", "--kind", "low_results", "--year", "2023", "--out", str(tmp_path / "x.csv")]
    )
    assert missing.exit_code != 0
    assert "списка «ШНОР» за 2023 год ещё нет" in missing.output


@pytest.mark.django_db
def test_a_bad_list_is_rejected_with_its_place_and_nothing_is_stored(home, tmp_path) -> None:
    bad = tmp_path / "fioko_2024.csv"
    bad.write_text("Логин;ОО\nedu1;Школа 1\n;Школа без логина\n", encoding="utf-8")
    outcome = fioko_list_import(path=bad)
    assert outcome.status == "rejected"
    assert "строка 3" in str(outcome.errors[0])
    assert FiokoList.objects.count() == 0
    assert School.objects.count() == 0


def _approve(version: ListVersion, actor) -> ListVersion:
    return decisions.version_approve(
        actor=actor,
        version=version,
        order_number="123-п",
        order_date=dt.date(2024, 10, 1),
        signatory="Министр образования И. И. Иванов",
    )


def test_draft_edit_approve_and_the_pages_follow_the_approved_list(world, tmp_path) -> None:
    region_user = world.users["region"]
    fioko = tmp_path / "shnor_2024.csv"
    fioko.write_text("Логин\nsch0001\nsch0002\n", encoding="utf-8")
    assert fioko_list_import(path=fioko, kind="low_results").ok
    sources = {s.code: s for s in decisions.sources_of(kind="low_results", year=2024)}
    assert sources["fioko"].schools == {world.school.pk, world.neighbour.pk}
    assert sources[f"run:{world.run.pk}"].schools == {world.school.pk, world.far.pk}

    draft = decisions.draft_create(actor=region_user, kind="low_results", year=2024)
    entries = {e.school.school_id: e for e in draft.entries.select_related("school")}
    assert {k for k, e in entries.items() if e.included} == {"sch0001", "sch0002"}  # the basis: FIOKO
    assert entries["sch0003"].source == "computed"
    assert not entries["sch0003"].included
    with pytest.raises(ValidationError):  # a reason is required
        decisions.entry_decide(actor=region_user, version=draft, school=world.far, included=True, reason=" ")
    with pytest.raises(PermissionDenied):
        decisions.entry_decide(
            actor=world.users["municipality"], version=draft, school=world.far, included=True, reason="x"
        )
    decisions.entry_decide(
        actor=region_user, version=draft, school=world.far, included=True, reason="доля «2» выросла"
    )
    decisions.entry_decide(
        actor=region_user, version=draft, school=world.neighbour, included=False, reason="ошибка выгрузки"
    )
    with pytest.raises(ValidationError):
        decisions.version_approve(
            actor=region_user, version=draft, order_number="", order_date=None, signatory=""
        )
    _approve(draft, region_user)
    assert AuditEntry.objects.filter(action="утверждение списка").count() == 1

    c = client_for(world)
    page = c.get(reverse("identification:list", kwargs={"kind": "low_results"}) + f"?run={world.run.pk}")
    assert {r["school_id"] for r in page.context["rows"]} == {"sch0001", "sch0003"}
    assert "Утверждённый список 2024 г. (приказ № 123-п от 01.10.2024, версия 1)" in page.content.decode()

    # a later run flags another school: the approved list does not move
    later = MethodologyRun.objects.create(
        year=2024, label="новый", config={}, config_digest="d" * 64, status=MethodologyRun.DONE
    )
    SchoolOutcome.objects.create(run=later, school=world.neighbour, method="low_results", flagged=True)
    basis = membership.basis_of(kind="low_results", run=later)
    assert set(membership.members(basis)) == {world.school.pk, world.far.pk}
    dash = c.get(reverse("identification:region", kwargs={"pk": world.region.pk}) + f"?run={later.pk}")
    counts = {x["code"]: x["n"] for x in dash.context["dash"]["counts"]}
    assert counts["low_results"] == 2
    api = c.get(f"/api/lists/low_results?run={later.pk}").json()
    assert api["count"] == 2
    assert {r["school_id"] for r in api["items"]} == {"sch0001", "sch0003"}
    assert {r["source"] for r in api["items"]} == {"fioko", "computed"}
    state = c.get(f"/api/lists/low_results/state?run={later.pk}").json()
    assert state["approved"]
    assert state["version"] == 1
    assert state["schools"] == 2
    xlsx = c.get(reverse("identification:export", kwargs={"kind": "low_results"}) + f"?run={later.pk}")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sorted(sheet.cell(r, 1).value for r in range(4, sheet.max_row + 1)) == ["sch0001", "sch0003"]
    report = annual_data(user=region_user, unit=Unit("region", world.region), year=2024)
    assert next(r for r in report.lists_by_year if r["year"] == 2024)["low_results"] == 2
    assert sum(m["low_results"] for m in report.municipalities) == 2

    # a change after approval is a new version with its reason; the difference is shown
    with pytest.raises(ValidationError):
        decisions.draft_create(actor=region_user, kind="low_results", year=2024)
    v2 = decisions.draft_create(actor=region_user, kind="low_results", year=2024, reason="решение коллегии")
    assert v2.number == 2
    assert v2.entries.filter(included=True).count() == 2
    decisions.entry_decide(actor=region_user, version=v2, school=world.school, included=False, reason="вышла")
    _approve(v2, region_user)
    diff = decisions.versions_diff(before=draft, after=v2)
    assert [e.school.school_id for e in diff["left"]] == ["sch0001"]
    assert diff["entered"] == []
    assert set(membership.members(membership.basis_of(kind="low_results", run=later))) == {world.far.pk}
    page = c.get(
        reverse("identification:decision", kwargs={"kind": "low_results", "year": 2024})
        + "?version=2&compare=1"
    )
    assert page.status_code == 200
    assert "вышла" in page.content.decode()


def test_decision_pages_are_for_the_region(world) -> None:
    assert client_for(world, "school").get(reverse("identification:decisions")).status_code == 403
    assert client_for(world, "municipality").get(reverse("identification:decisions")).status_code == 403
    c = client_for(world)
    assert c.get(reverse("identification:decisions")).status_code == 200
    made = c.post(
        reverse(
            "identification:decision_act", kwargs={"kind": "objectivity", "year": 2024, "action": "draft"}
        )
    )
    assert made.status_code == 302
    assert decisions.version_draft(kind="objectivity", year=2024) is not None
    observer = client_for(world, "observer")
    refused = observer.post(
        reverse(
            "identification:decision_act", kwargs={"kind": "objectivity", "year": 2024, "action": "approve"}
        ),
        {"order_number": "1", "order_date": "2024-10-01", "signatory": "x"},
    )
    assert refused.status_code == 403
    order = c.get(reverse("identification:decision_order", kwargs={"year": 2024}))
    assert order.status_code == 200
    assert order["Content-Type"].startswith("application/vnd.openxmlformats")


def test_municipality_overrides_a_track_with_a_reason(world) -> None:
    c = client_for(world, "municipality")
    url = reverse("identification:school_track", kwargs={"school_id": world.school.school_id})
    refused = c.post(url, {"run": world.run.pk, "track": "common", "reason": ""}, follow=True)
    assert "укажите основание" in refused.content.decode()
    c.post(url, {"run": world.run.pk, "track": "common", "reason": "сопровождение школой-лидером"})
    rows = c.get(reverse("identification:list", kwargs={"kind": "low_results"}) + f"?run={world.run.pk}")
    by = {r["school_id"]: r for r in rows.context["rows"]}
    assert by["sch0001"]["track"] == "common"
    assert AuditEntry.objects.filter(action="решение о сопровождении школы").exists()
    other = client_for(world, "school")
    assert other.post(url, {"run": world.run.pk, "track": "network", "reason": "x"}).status_code == 403
