"""Role × support page: every detail URL answers 404 outside the user's scope; writes need the right."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from shnor.web.support.models import (
    Activity,
    AntiRiskProgramme,
    Evidence,
    PartnerAssignment,
    RiskSurvey,
    Status,
)
from tests.web.test_support_world import PDF, build_support

SCHOOLS = {
    "region": {"sch0001", "sch0002", "sch0003"},
    "observer": {"sch0001", "sch0002", "sch0003"},
    "municipality": {"sch0001", "sch0002"},
    "school": {"sch0001"},
    "teacher": {"sch0001"},
    "curator": {"sch0001", "sch0003"},
}
MUNS = {
    "region": {"mun", "mun2"},
    "observer": {"mun", "mun2"},
    "municipality": {"mun"},
    "school": {"mun"},
    "teacher": {"mun"},
    "curator": {"mun", "mun2"},
}
EDIT_SCHOOL = {"region", "municipality", "school", "curator"}


@pytest.fixture
def sup(world):
    return build_support(world)


def login(world, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def school_urls(sup, sid: str) -> list[str]:
    rm = sup.school_maps[sid]
    act = rm.activities.order_by("position").first()
    ev = Evidence.objects.filter(activity__roadmap=rm).exclude(file="").first()
    survey = RiskSurvey.objects.get(school=rm.school)
    prog = AntiRiskProgramme.objects.get(survey=survey)
    urls = [
        reverse("support:roadmap", kwargs={"pk": rm.pk}),
        reverse("support:roadmap_export", kwargs={"pk": rm.pk, "fmt": "docx"}),
        reverse("support:roadmap_export", kwargs={"pk": rm.pk, "fmt": "xlsx"}) + "?status=1",
        reverse("support:activity", kwargs={"pk": act.pk}),
        reverse("support:evidence", kwargs={"pk": ev.pk}),
        reverse("support:school", kwargs={"school_id": sid}),
        reverse("support:survey", kwargs={"pk": survey.pk}),
        reverse("support:programme", kwargs={"pk": prog.pk}),
    ]
    pa = PartnerAssignment.objects.filter(school=rm.school).first()
    if pa is not None:
        urls.append(reverse("support:partner", kwargs={"pk": pa.pk}))
    return urls


@pytest.mark.parametrize("role", list(SCHOOLS))
def test_school_level_pages_are_scoped(world, sup, role) -> None:
    client = login(world, role)
    for sid in ("sch0001", "sch0002", "sch0003", "sch0009"):
        expected = 200 if sid in SCHOOLS[role] else 404
        for url in school_urls(sup, sid):
            assert client.get(url).status_code == expected, (role, sid, url)


@pytest.mark.parametrize("role", list(SCHOOLS))
def test_municipal_and_regional_roadmaps_are_scoped(world, sup, role) -> None:
    client = login(world, role)
    for name, rm in sup.mun_maps.items():
        expected = 200 if name in MUNS[role] else 404
        act = rm.activities.first()
        for url in (
            reverse("support:roadmap", kwargs={"pk": rm.pk}),
            reverse("support:activity", kwargs={"pk": act.pk}),
            reverse("support:roadmap_export", kwargs={"pk": rm.pk, "fmt": "docx"}),
        ):
            assert client.get(url).status_code == expected, (role, name, url)
        mun = getattr(world, name)
        assert client.get(reverse("support:partners", kwargs={"pk": mun.pk})).status_code == expected
    assert client.get(reverse("support:roadmap", kwargs={"pk": sup.region_map.pk})).status_code == 200
    assert client.get(reverse("support:roadmap", kwargs={"pk": sup.other_region_map.pk})).status_code == 404
    index = client.get(reverse("support:index")).content.decode()
    assert "Школа соседей" not in index
    assert "Чужой район" not in index
    assert client.get(reverse("support:notices")).status_code == 200


@pytest.mark.parametrize("role", list(SCHOOLS))
def test_writes_follow_the_role(world, sup, role) -> None:
    client = login(world, role)
    act = sup.school_maps["sch0001"].activities.order_by("position").first()
    url = reverse("support:activity", kwargs={"pk": act.pk})
    r = client.post(
        url, {"action": "update", "status": Status.DONE, "period_text": act.period_text, "comment": "готово"}
    )
    act.refresh_from_db()
    if role in EDIT_SCHOOL:
        assert r.status_code == 302
        assert act.status == Status.DONE
    else:
        assert r.status_code == 403
        assert act.status != Status.DONE
    r = client.post(url, {"action": "comment", "text": "комментарий"})
    assert r.status_code == (403 if role == "observer" else 302)
    # upload through the page
    r = client.post(
        url,
        {
            "action": "evidence",
            "title": "Протокол",
            "file": SimpleUploadedFile("p.pdf", PDF, "application/pdf"),
        },
    )
    assert r.status_code == (302 if role in EDIT_SCHOOL else 403)
    # a foreign activity is 404 even for POST
    foreign = sup.school_maps["sch0009"].activities.first()
    assert (
        client.post(
            reverse("support:activity", kwargs={"pk": foreign.pk}), {"action": "comment", "text": "x"}
        ).status_code
        == 404
    )
    # creating a school roadmap for a visible school (2025) — only editors
    r = client.post(
        reverse("support:roadmap_new") + "?level=school&target=sch0001",
        {"year": 2025, "templates": ["school_tracks"]},
    )
    assert r.status_code == (302 if role in EDIT_SCHOOL else 403)
    assert client.get(reverse("support:roadmap_new") + "?level=school&target=sch0009").status_code == 404


def test_pages_need_login_and_csrf(world, sup) -> None:
    anon = Client()
    for url in [reverse("support:index"), *school_urls(sup, "sch0001")]:
        r = anon.get(url)
        assert r.status_code == 302, url
        assert "/accounts/login/" in r["Location"], url
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["school"])
    act = sup.school_maps["sch0001"].activities.first()
    assert (
        strict.post(
            reverse("support:activity", kwargs={"pk": act.pk}), {"action": "comment", "text": "x"}
        ).status_code
        == 403
    )


def test_forms_on_pages(world, sup) -> None:
    """Region: new regional roadmap exists already (duplicate message); municipality: proposals and decision;
    school: questionnaire in the browser and an import with errors; programme into the roadmap."""
    mun = login(world, "municipality")
    r = mun.post(reverse("support:partners", kwargs={"pk": world.mun.pk}), {"run": world.run.pk})
    assert r.status_code == 302
    pa = PartnerAssignment.objects.get(school=world.school)
    r = mun.post(
        reverse("support:partner", kwargs={"pk": pa.pk}),
        {"decision": "confirmed", "leader": "", "note": "ок"},
    )
    assert r.status_code == 302
    pa.refresh_from_db()
    assert pa.status == "confirmed"
    page = mun.get(reverse("identification:school", kwargs={"school_id": "sch0001"})).content.decode()
    assert 'id="support-roadmap"' in page
    assert "Дорожная карта 2024 г." in page
    school = login(world, "school")
    survey = RiskSurvey.objects.get(school=world.school)
    r = school.post(
        reverse("support:survey_fill", kwargs={"pk": survey.pk, "group": "pupils"}), {"P01": "4", "P02": "4"}
    )
    assert r.status_code == 302
    assert survey.responses.filter(group="pupils").count() == 1
    r = school.post(
        reverse("support:survey", kwargs={"pk": survey.pk}),
        {
            "action": "import",
            "group": "parents",
            "file": SimpleUploadedFile("p.csv", "R01,R02\n1,нет ответа\n".encode()),
        },
    )
    body = r.content.decode()
    assert r.status_code == 200
    assert "строка 2, столбец B «R02»: недопустимый ответ «нет ответа»" in body
    prog = AntiRiskProgramme.objects.get(survey=survey)
    r = school.post(reverse("support:programme", kwargs={"pk": prog.pk}))
    assert r.status_code == 302
    assert Activity.objects.filter(roadmap__school=world.school, track="antirisk").count() == 2
    obs = login(world, "observer")
    assert obs.post(reverse("support:programme", kwargs={"pk": prog.pk})).status_code == 403
    assert (
        obs.post(reverse("support:survey", kwargs={"pk": survey.pk}), {"action": "choose"}).status_code == 403
    )
    reg = login(world, "region")
    r = reg.post(
        reverse("support:roadmap_new") + f"?level=region&target={world.region.pk}",
        {"year": 2024, "templates": ["chel_region_2024"]},
    )
    assert r.status_code == 200
    assert "уже есть" in r.content.decode()


def test_activity_dates_round_trip_through_the_form(world, sup) -> None:
    act = sup.school_maps["sch0001"].activities.get(template_ref="school_tracks:common.3")
    client = login(world, "school")
    url = reverse("support:activity", kwargs={"pk": act.pk})
    assert 'value="2024-03-31"' in client.get(url).content.decode()
    r = client.post(
        url,
        {
            "action": "update",
            "status": Status.IN_PROGRESS,
            "period_text": act.period_text,
            "due_date": "2024-04-15",
            "comment": "",
        },
    )
    assert r.status_code == 302
    act.refresh_from_db()
    assert act.due_date.isoformat() == "2024-04-15"
    assert act.status == Status.IN_PROGRESS
