"""Monitoring: indicator table and calculation, manual values, effectiveness job, reports; role scoping."""

from __future__ import annotations

import io

import numpy as np
import polars as pl
import pytest
from django.test import Client
from django.urls import reverse

from shnor.core.methods.base import Inputs
from shnor.core.store import schema
from shnor.web.accounts.models import AuditEntry
from shnor.web.identification.models import SchoolOutcome
from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute
from shnor.web.monitoring import services
from shnor.web.monitoring.models import EffectivenessAnalysis, IndicatorValue
from shnor.web.registry.models import School
from tests.web.report_client import report_fetch

ROLES = ["region", "municipality", "school", "teacher", "curator", "observer"]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def indicators_url(level: str, unit: object, year: int | None = None) -> str:
    url = f"{reverse('monitoring:indicators')}?level={level}&unit={unit}"
    return url + (f"&year={year}" if year else "")


def test_region_table_shows_values_with_their_calculation(world) -> None:
    page = login(world.users["region"]).get(reverse("monitoring:indicators"))
    assert page.status_code == 200
    rows = {r["code"]: r for r in page.context["rows"]}
    # 2024: ШНОР sch0001 and sch0003 of the region's nine schools
    assert (rows["low_results"]["numerator"], rows["low_results"]["denominator"]) == (2, 9)
    # 2023 lists (ШНОР sch0001, sch0002; ШНСУ sch0001, sch0003, sch0100, sch0101): sch0002 left -> 1 of 5
    assert (rows["positive_dynamics"]["numerator"], rows["positive_dynamics"]["denominator"]) == (1, 5)
    assert rows["objectivity_index"]["display"] == "88,9 %"
    assert rows["teachers_diagnosed"]["display"] == "нет данных"
    html = page.content.decode()
    assert "школ в списке ШНОР: 2" in html
    assert "Источники:" in html
    assert page.context["years"] == [2023, 2024]


@pytest.mark.parametrize("role", ROLES)
def test_indicator_units_are_scoped(world, role) -> None:
    client = login(world.users[role])
    assert client.get(reverse("monitoring:indicators")).status_code == 200
    schools = {
        "region": {"sch0001", "sch0002", "sch0003"},
        "observer": {"sch0001", "sch0002", "sch0003"},
        "municipality": {"sch0001", "sch0002"},
        "school": {"sch0001"},
        "teacher": {"sch0001"},
        "curator": {"sch0001", "sch0003"},
    }[role]
    for sid in ("sch0001", "sch0002", "sch0003", "sch0009"):
        assert client.get(indicators_url("school", sid)).status_code == (200 if sid in schools else 404), (
            role,
            sid,
        )
    muns = {
        "region": {"mun", "mun2"},
        "observer": {"mun", "mun2"},
        "municipality": {"mun"},
        "school": {"mun"},
        "teacher": {"mun"},
        "curator": {"mun", "mun2"},
    }[role]
    for name in ("mun", "mun2", "other_mun"):
        expected = 200 if name in muns else 404
        assert client.get(indicators_url("municipality", getattr(world, name).pk)).status_code == expected, (
            role,
            name,
        )
    region_ok = 200 if role in ("region", "observer") else 404
    assert client.get(indicators_url("region", world.region.pk)).status_code == region_ok
    assert client.get(indicators_url("region", world.other_region.pk)).status_code == 404


def test_manual_values_are_audited_aggregated_and_guarded(world) -> None:
    url = reverse("monitoring:indicator_enter")
    director = login(world.users["school"])
    data = {
        "indicator": "staff_shortage_measures",
        "year": 2024,
        "value": 3,
        "note": "анкета",
        "level": "school",
        "unit": "sch0001",
    }
    assert director.post(url, data).status_code == 302
    entry = IndicatorValue.objects.get()
    assert entry.school == world.school
    assert AuditEntry.objects.filter(
        object_type="monitoring.indicatorvalue", object_id=str(entry.pk)
    ).exists()
    # a computed indicator is refused; another school is out of reach
    page = director.post(url, {**data, "indicator": "low_results"}, follow=True)
    assert IndicatorValue.objects.count() == 1
    assert "Значение не сохранено" in page.content.decode()
    assert director.post(url, {**data, "unit": "sch0002"}).status_code == 404
    for role in ("teacher", "observer", "curator"):
        assert login(world.users[role]).post(url, data).status_code == 403, role
    # the municipality sees the sum of its schools; then enters its own value, which wins
    mun = login(world.users["municipality"])
    rows = {r["code"]: r for r in mun.get(indicators_url("municipality", world.mun.pk, 2024)).context["rows"]}
    assert rows["staff_shortage_measures"]["value"] == 3
    assert (
        mun.post(url, {**data, "level": "municipality", "unit": world.mun.pk, "value": 5}).status_code == 302
    )
    rows = {r["code"]: r for r in mun.get(indicators_url("municipality", world.mun.pk, 2024)).context["rows"]}
    assert rows["staff_shortage_measures"]["value"] == 5
    assert mun.post(url, {**data, "level": "municipality", "unit": world.mun2.pk}).status_code == 404
    region = login(world.users["region"])
    assert (
        region.post(
            url,
            {**data, "indicator": "resource_centre", "level": "region", "unit": world.region.pk, "value": 1},
        ).status_code
        == 302
    )
    rows = {r["code"]: r for r in region.get(indicators_url("region", world.region.pk, 2024)).context["rows"]}
    assert rows["resource_centre"]["display"] == "да"


def synthetic_inputs(region) -> Inputs:
    """Three years of ВПР maths for the region's schools: supported ones low, one pool school alike."""
    rng = np.random.default_rng(3)
    ids = sorted(School.objects.filter(region=region).values_list("school_id", flat=True))
    level = {
        sid: (-1.0 if sid in ("sch0001", "sch0003", "sch0100", "sch0101") else 0.3 * (i % 4))
        for i, sid in enumerate(ids)
    }
    rows = []
    for year in (2022, 2023, 2024):
        for sid in ids:
            bump = 0.5 if sid in ("sch0001", "sch0003") and year == 2024 else 0.0
            for k in range(15):
                score = int(np.clip(round(10 + 3 * (level[sid] + bump) + rng.normal(0, 3)), 0, 20))
                rows.append(
                    {
                        "procedure": "vpr",
                        "year": year,
                        "subject": "ma",
                        "grade": 4,
                        "school_id": sid,
                        "pupil_key": f"{sid}-{year}-{k}",
                        "absent": False,
                        "primary_score": score,
                    }
                )
    results = schema.conform(pl.DataFrame(rows), schema.RESULTS)
    schools = schema.conform(
        pl.DataFrame({"school_id": ids, "locality": ["город"] * len(ids), "pupils": [300] * len(ids)}),
        schema.SCHOOLS,
    )
    return Inputs(year=2024, results=results.lazy(), schools=schools)


def test_effectiveness_runs_as_a_job_and_shows_conclusions(
    world, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr(services, "effectiveness_inputs", lambda *, region: synthetic_inputs(region))
    client = login(world.users["region"])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("monitoring:effectiveness"), {"start_year": 2024})
    analysis = EffectivenessAnalysis.objects.get()
    assert page.url == reverse("monitoring:effectiveness_detail", args=[analysis.pk])
    assert analysis.supported == ["sch0001", "sch0003"]  # sch0009 has a track too, but in another region
    assert Job.objects.get(pk=analysis.job_id).kind == Job.EFFECTIVENESS
    job = job_execute(job_id=analysis.job_id)
    assert job.status == Job.DONE, job.error
    analysis.refresh_from_db()
    assert analysis.status == "done"
    summary = analysis.summary
    assert summary["n_supported"] == 2
    html = client.get(page.url).content.decode()
    for line in summary["conclusions"]:
        assert line in html  # verbatim
    assert "Ограничения: это наблюдательное сравнение" in html
    assert "data-figure=" in html
    assert summary["exits"]["available"]
    # no track in 2022: refused with a Russian message
    page = client.post(reverse("monitoring:effectiveness"), {"start_year": 2022}, follow=True)
    assert "Нет завершённого расчёта" in page.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_effectiveness_detail_is_scoped(world, role) -> None:
    region_analysis = EffectivenessAnalysis.objects.create(
        region=world.region,
        start_year=2024,
        supported=["sch0001"],
        status="done",
        summary={"conclusions": ["вывод"]},
    )
    mun_analysis = EffectivenessAnalysis.objects.create(
        region=world.region, municipality=world.mun, start_year=2024, status="done"
    )
    foreign = EffectivenessAnalysis.objects.create(region=world.other_region, start_year=2024, status="done")
    client = login(world.users[role])
    expected = {
        "region": {region_analysis, mun_analysis},
        "observer": {region_analysis, mun_analysis},
        "municipality": {mun_analysis},
    }.get(role, set())
    for a in (region_analysis, mun_analysis, foreign):
        status = client.get(reverse("monitoring:effectiveness_detail", args=[a.pk])).status_code
        assert status == (200 if a in expected else 404), (role, a)
    start = client.post(reverse("monitoring:effectiveness"), {"start_year": 2024})
    assert start.status_code == (403 if role in ("school", "teacher", "curator", "observer") else 302)


@pytest.fixture
def fioko_marked(world):
    """Stored FIOKO markers shaped as a real run stores them (one dict per marker)."""
    SchoolOutcome.objects.filter(run=world.run, method=SchoolOutcome.FIOKO, school=world.school).update(
        data={
            "markers": [
                {
                    "school_id": "sch0001",
                    "procedure": "vpr",
                    "subject": "ma",
                    "grade": 4,
                    "marker": "inflated_mean",
                },
                {
                    "school_id": "sch0001",
                    "procedure": "vpr",
                    "subject": "ru",
                    "grade": 5,
                    "marker": "journal_mismatch",
                },
            ]
        }
    )
    return world


def test_reports_render_for_the_region(fioko_marked) -> None:
    world = fioko_marked
    client = login(world.users["region"])
    page = client.get(reverse("monitoring:reports"))
    assert [r["identifier"] for r in page.context["reports"]] == [
        "annual_report",
        "fioko_list",
        "municipality_summary",
        "protocol_draft",
    ]
    unit = f"region:{world.region.pk}"
    for fmt, magic in (("docx", b"PK"), ("pdf", b"%PDF")):
        body = report_fetch(client, "annual_report", {"unit": unit, "year": 2024, "format": fmt})
        assert body.startswith(magic)
    body = report_fetch(client, "fioko_list", {"unit": unit, "year": 2024})
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(body)).active
    assert [c.value for c in ws[1]] == [
        "Год",
        "Логин",
        "Муниципалитет",
        "ОО",
        "4 РУ",
        "4 МА",
        "5 РУ",
        "5 МА",
        "Количество маркеров",
    ]
    assert [c.value for c in ws[2]] == ["2024", "sch0001", "Город Первый", "МБОУ СОШ №1", None, 1, 1, None, 2]
    mun_unit = f"municipality:{world.mun.pk}"
    for ident in ("municipality_summary", "protocol_draft"):
        body = report_fetch(client, ident, {"unit": mun_unit, "year": 2024})
        assert body.startswith(b"PK")
    assert (
        client.post(
            reverse("monitoring:report", args=["municipality_summary"]), {"unit": unit, "year": 2024}
        ).status_code
        == 404
    )
    assert AuditEntry.objects.filter(action="export", object_type="monitoring.report").count() == 5


@pytest.mark.parametrize("role", ROLES)
def test_reports_are_scoped(world, role) -> None:
    client = login(world.users[role])
    reports = client.get(reverse("monitoring:reports")).context["reports"]
    units = {u.value for r in reports for u in r["units"]}
    expected = {
        "region": {
            f"region:{world.region.pk}",
            f"municipality:{world.mun.pk}",
            f"municipality:{world.mun2.pk}",
        },
        "observer": {
            f"region:{world.region.pk}",
            f"municipality:{world.mun.pk}",
            f"municipality:{world.mun2.pk}",
        },
        "municipality": {f"municipality:{world.mun.pk}"},
    }.get(role, set())
    assert units == expected
    for unit in (
        f"region:{world.other_region.pk}",
        f"municipality:{world.other_mun.pk}",
        f"municipality:{world.mun2.pk}",
        f"region:{world.region.pk}",
    ):
        data = {"unit": unit, "year": 2024}
        if unit in expected:
            assert report_fetch(client, "protocol_draft", data).startswith(b"PK"), (role, unit)
        else:
            status = client.post(reverse("monitoring:report", args=["protocol_draft"]), data).status_code
            assert status == 404, (role, unit)
