"""Forms that work: unique field ids on the roadmap page, distinct download names, deletions with a
confirmation step (evidence, activities: permission-checked, audited), the manual-indicator form offering
only what the unit's level takes by hand."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from shnor.web.accounts.models import AuditEntry
from shnor.web.regionconf import selectors as regionconf
from shnor.web.support import services
from shnor.web.support.models import Activity, Evidence


def _client(world, role: str) -> Client:
    c = Client()
    c.force_login(world.users[role])
    return c


@pytest.fixture
def roadmap(world):
    """The school roadmap of sch0001 for 2024 (made by the municipality) with a link as evidence."""
    rm = services.roadmap_create(
        actor=world.users["municipality"], level="school", year=2024, school=world.school, run=world.run
    )
    act = rm.activities.order_by("position").first()
    services.evidence_add(
        actor=world.users["municipality"], activity=act, url="https://school.example/p", title="Страница"
    )
    return rm


def test_roadmap_page_has_unique_field_ids(world, roadmap) -> None:
    c = _client(world, "municipality")
    html = c.get(reverse("support:roadmap", args=[roadmap.pk])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    assert "id_header-title" in ids
    assert "id_title" in ids  # the add-activity form keeps its own
    response = c.post(
        reverse("support:roadmap", args=[roadmap.pk]),
        {"header-title": "Дорожная карта МБОУ СОШ №1 на 2024 год"},
    )
    assert response.status_code == 302
    roadmap.refresh_from_db()
    assert roadmap.title == "Дорожная карта МБОУ СОШ №1 на 2024 год"


def test_order_appendix_and_execution_report_have_distinct_names(world, roadmap) -> None:
    c = _client(world, "municipality")
    url = reverse("support:roadmap_export", args=[roadmap.pk, "docx"])
    plain = c.get(url)["Content-Disposition"]
    report = c.get(url + "?status=1")["Content-Disposition"]
    assert plain != report
    assert "attachment" in plain
    assert "%D0%9E%D1%82%D1%87%D1%91%D1%82" in report  # «Отчёт» URL-encoded
    assert "%D0%94%D0%BE%D1%80%D0%BE%D0%B6%D0%BD%D0%B0%D1%8F" in plain  # «Дорожная»


def test_evidence_is_deleted_only_after_confirmation(world, roadmap) -> None:
    c = _client(world, "municipality")
    ev = Evidence.objects.get(activity__roadmap=roadmap)
    url = reverse("support:activity", args=[ev.activity_id])
    first = c.post(url, {"action": "delete_evidence", "evidence": ev.pk})
    assert first.status_code == 200
    assert 'id="confirm-delete"' in first.content.decode()
    html = first.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script …
    assert not re.search(r"\son[a-z]+=", html)  # … and no inline handler
    assert Evidence.objects.filter(pk=ev.pk).exists()
    second = c.post(url, {"action": "delete_evidence", "evidence": ev.pk, "confirm": "1"})
    assert second.status_code == 302
    assert not Evidence.objects.filter(pk=ev.pk).exists()


def test_evidence_file_deletion_confirms_too(world, roadmap) -> None:
    c = _client(world, "school")
    act = roadmap.activities.order_by("position").first()
    services.evidence_add(
        actor=world.users["school"],
        activity=act,
        upload=SimpleUploadedFile("протокол.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        title="Протокол",
    )
    ev = Evidence.objects.exclude(file="").get(activity=act)
    page = c.post(
        reverse("support:activity", args=[act.pk]), {"action": "delete_evidence", "evidence": ev.pk}
    )
    assert "Протокол" in page.content.decode()
    assert Evidence.objects.filter(pk=ev.pk).exists()


def test_activity_delete_confirms_checks_rights_and_is_audited(world, roadmap) -> None:
    act = roadmap.activities.order_by("position").last()
    url = reverse("support:activity", args=[act.pk])
    teacher = _client(world, "teacher")
    assert teacher.post(url, {"action": "delete_activity", "confirm": "1"}).status_code in (403, 404)
    observer = _client(world, "observer")
    assert observer.post(url, {"action": "delete_activity", "confirm": "1"}).status_code in (403, 404)
    assert Activity.objects.filter(pk=act.pk).exists()
    editor = _client(world, "school")
    page = editor.get(url).content.decode()
    assert 'id="delete-activity"' in page
    asked = editor.post(url, {"action": "delete_activity"})
    assert asked.status_code == 200
    assert act.title[:30] in asked.content.decode()
    assert Activity.objects.filter(pk=act.pk).exists()
    done = editor.post(url, {"action": "delete_activity", "confirm": "1"})
    assert done.status_code == 302
    assert done["Location"] == reverse("support:roadmap", args=[roadmap.pk])
    assert not Activity.objects.filter(pk=act.pk).exists()
    assert AuditEntry.objects.filter(action="удаление", object_id=str(act.pk)).exists()


def test_teacher_sees_no_delete_button(world, roadmap) -> None:
    act = roadmap.activities.order_by("position").first()
    page = _client(world, "teacher").get(reverse("support:activity", args=[act.pk]))
    if page.status_code == 200:
        assert 'id="delete-activity"' not in page.content.decode()


def _offered(page) -> list[str]:
    form = page.context["form"]
    return [code for code, _ in form.fields["indicator"].choices]


def test_school_is_offered_only_indicators_it_may_enter(world) -> None:
    c = _client(world, "school")
    page = c.get(f"{reverse('monitoring:indicators')}?level=school&unit={world.school.school_id}")
    offered = _offered(page)
    indicators, _ = regionconf.indicators_for(region=world.region)
    by_code = {i.code: i for i in indicators}
    assert offered
    assert all("school" in by_code[c].levels and not by_code[c].computed for c in offered)
    refused = [i.code for i in indicators if not i.computed and "school" not in i.levels]
    assert refused  # there are manual indicators a school may not enter …
    assert not set(refused) & set(offered)  # … and none of them is offered
    form = page.context["form"]
    assert form.initial["indicator"] == offered[0]
    html = page.content.decode()
    assert re.search(rf'<option value="{offered[0]}"[^>]*selected', html)
    saved = c.post(
        reverse("monitoring:indicator_enter"),
        {
            "indicator": offered[0],
            "year": 2024,
            "value": 1,
            "level": "school",
            "unit": world.school.school_id,
        },
    )
    assert saved.status_code == 302


def test_municipality_is_offered_its_level(world) -> None:
    c = _client(world, "municipality")
    page = c.get(f"{reverse('monitoring:indicators')}?level=municipality&unit={world.mun.pk}")
    indicators, _ = regionconf.indicators_for(region=world.region)
    by_code = {i.code: i for i in indicators}
    assert all("municipality" in by_code[c].levels for c in _offered(page))
