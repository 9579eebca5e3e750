"""Roadmaps for every school of a list at once: the plan, its execution (each school on its own), the
municipal roadmaps created first, the scope of a municipality, the default year, the page and the job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from shnor.web.identification.models import ListEntry, ListVersion
from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute
from shnor.web.support.models import Activity, Level, Roadmap
from shnor.web.support.services import bulk
from shnor.web.support.services import roadmaps as rm

#: Early January 2024: the roadmaps of 2024 are the first whose activities are all still ahead.
TODAY = dt.date(2024, 1, 10)


def _params(plan: bulk.BulkPlan, today: dt.date = TODAY) -> dict:
    return {**plan.params(), "today": today.isoformat()}


def _noop(_: str) -> None:
    return None


def test_default_year_has_no_activity_due_already() -> None:
    assert bulk.year_default(templates=None, level=Level.SCHOOL, today=TODAY) == 2024
    # in December the year's activities are past: next year
    assert bulk.year_default(templates=None, level=Level.SCHOOL, today=dt.date(2024, 12, 5)) == 2025


def test_plan_of_the_region_lists_the_run_schools_with_tracks(world) -> None:
    plan = bulk.bulk_plan(actor=world.users["region"], year=2024, today=TODAY)
    assert plan.list_year == 2024
    assert plan.run_id == world.run.pk
    assert plan.caption.startswith("Список не утверждён: показан расчёт")
    assert [s.school_id for s in plan.schools] == ["sch0001", "sch0003"]
    first, far = plan.schools
    assert first.tracks == ["common", "individual", "objectivity"]
    assert first.activities == 6 + 3 + 6
    assert far.tracks == ["common", "network"]
    assert not first.exists
    assert not far.exists
    assert sorted(m.name for m in plan.municipalities) == ["Город Первый", "Сельский район"]
    assert plan.overdue == 0
    # a year already under way: the activities due before today are counted for the warning
    late = bulk.bulk_plan(actor=world.users["region"], year=2024, today=dt.date(2024, 7, 1))
    assert late.overdue > 0


def test_bulk_create_makes_one_roadmap_per_school_and_the_municipal_ones(world) -> None:
    region = world.users["region"]
    rm.roadmap_create(actor=region, level=Level.REGION, year=2024, region=world.region)
    plan = bulk.bulk_plan(actor=region, year=2024, today=TODAY)
    stages: list[str] = []
    result = bulk.bulk_create(actor=region, plan_params=_params(plan), progress=stages.append)
    assert (result["created"], result["municipal_created"], result["errors"]) == (2, 2, [])
    assert stages[0] == "Создано 0 из 4"
    assert stages[-1] == "Создано 4 из 4"
    schools = Roadmap.objects.filter(level=Level.SCHOOL, year=2024)
    assert sorted(schools.values_list("school__school_id", flat=True)) == ["sch0001", "sch0003"]
    assert sorted(result["roadmap_ids"]) == sorted(schools.values_list("pk", flat=True))
    far = schools.get(school=world.far)
    assert far.parent.level == Level.MUNICIPALITY
    assert far.parent.municipality == world.mun2
    assert far.parent.parent.level == Level.REGION
    assert far.track == ["common", "network"]
    new = Activity.objects.filter(roadmap__year=2024).exclude(roadmap__level=Level.REGION)
    assert not new.filter(due_date__lt=TODAY).exists()
    # the second call finds everything in place
    again = bulk.bulk_create(actor=region, plan_params=_params(plan), progress=_noop)
    assert (again["created"], again["skipped"], again["municipal_created"]) == (0, 2, 0)
    assert Roadmap.objects.filter(year=2024).count() == 5


def test_existing_roadmaps_are_skipped_and_a_failing_school_keeps_the_rest(world, monkeypatch) -> None:
    region = world.users["region"]
    rm.roadmap_create(actor=region, level=Level.SCHOOL, year=2024, school=world.school, run=world.run)
    plan = bulk.bulk_plan(actor=region, year=2024, today=TODAY)
    assert [s.exists for s in plan.schools] == [True, False]
    assert [m.name for m in plan.municipalities] == ["Сельский район"]
    real = rm.roadmap_create

    def failing(**kw):
        if kw.get("school") is not None:
            raise ValidationError("шаблон не подходит")
        return real(**kw)

    monkeypatch.setattr(rm, "roadmap_create", failing)
    result = bulk.bulk_create(actor=region, plan_params=_params(plan), progress=_noop)
    assert result["created"] == 0
    assert result["municipal_created"] == 1
    assert result["errors"] == [
        {"where": "школа «МКОУ Сельская ООШ» (sch0003)", "error": "шаблон не подходит"}
    ]
    assert Roadmap.objects.filter(level=Level.MUNICIPALITY, municipality=world.mun2, year=2024).exists()


def test_municipal_user_gets_only_its_municipality(world) -> None:
    plan = bulk.bulk_plan(actor=world.users["municipality"], year=2024, today=TODAY)
    assert [s.school_id for s in plan.schools] == ["sch0001"]
    assert [m.name for m in plan.municipalities] == ["Город Первый"]
    # a municipality outside the user's scope gives nothing
    other = bulk.bulk_plan(actor=world.users["municipality"], year=2024, municipality=world.mun2, today=TODAY)
    assert other.schools == []
    assert other.municipalities == []
    # users who may not create school roadmaps in bulk (observers) get an empty plan
    assert bulk.bulk_plan(actor=world.users["observer"], year=2024, today=TODAY).schools == []


def test_approved_list_and_filtered_selection(world) -> None:
    version = ListVersion.objects.create(
        kind="low_results", year=2024, number=1, status=ListVersion.APPROVED, order_number="12-о"
    )
    for s in (world.neighbour, world.far, world.foreign):
        ListEntry.objects.create(version=version, school=s, source=ListEntry.MANUAL)
    plan = bulk.bulk_plan(actor=world.users["region"], year=2024, today=TODAY)
    assert plan.caption.startswith("Утверждённый список 2024 г. (приказ № 12-о")
    assert [s.school_id for s in plan.schools] == ["sch0002", "sch0003"]  # the foreign school is out of scope
    picked = bulk.bulk_plan(
        actor=world.users["region"], year=2024, school_ids=[world.far.pk, world.school.pk], today=TODAY
    )
    assert picked.filtered
    assert [s.school_id for s in picked.schools] == ["sch0003"]


def test_roadmap_year_ahead_of_the_lists_follows_the_latest_list(world) -> None:
    plan = bulk.bulk_plan(actor=world.users["region"], year=2025, today=TODAY)
    assert plan.list_year == 2024
    assert [s.school_id for s in plan.schools] == ["sch0001", "sch0003"]


def _client(world, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


@pytest.mark.parametrize("role", ["school", "curator", "observer", "teacher"])
def test_page_is_refused_to_other_roles(world, role) -> None:
    assert _client(world, role).get(reverse("support:roadmaps_bulk")).status_code == 403


def test_page_preview_confirm_and_job(world) -> None:
    client = _client(world, "municipality")
    index = client.get(reverse("support:index")).content.decode()
    assert "Дорожные карты для всех школ списка" in index
    url = reverse("support:roadmaps_bulk")
    page = client.get(url)
    assert page.status_code == 200
    assert "Показать, что будет создано" in page.content.decode()
    form = {"year": 2024, "kind": "low_results", "templates": "school_tracks", "list_year": ""}
    preview = client.get(url, {**form, "preview": "1"}).content.decode()
    assert "МБОУ СОШ №1" in preview
    assert "МКОУ Сельская ООШ" not in preview
    assert "Город Первый — " in preview
    assert "Список не утверждён" in preview
    assert 'id="bulk-confirm"' in preview
    assert 'id="bulk-overdue"' in preview  # 2024 is long past: its activities would be overdue
    response = client.post(url, form)
    job = Job.objects.get(kind=Job.ROADMAPS_BULK)
    assert response.status_code == 302
    assert response["Location"] == reverse("support:roadmaps_bulk_job", kwargs={"pk": job.pk})
    assert job.params["user_id"] == world.users["municipality"].pk
    done = job_execute(job_id=job.pk)
    assert done.status == Job.DONE, done.error
    assert done.result["created"] == 1
    assert done.result["municipal_created"] == 1
    assert Roadmap.objects.get(level=Level.SCHOOL, year=2024).school == world.school
    result = client.get(response["Location"]).content.decode()
    assert "Дорожные карты созданы" in result
    assert "Школьных карт создано: <strong>1</strong>" in result
    # nothing left to create: the confirmation says so instead of starting a job
    again = client.post(url, form).content.decode()
    assert "Создавать нечего" in again
    assert Job.objects.filter(kind=Job.ROADMAPS_BULK).count() == 1
