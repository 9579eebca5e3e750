"""A roadmap's life cycle: submitted by its school, returned by the municipality with a comment, resubmitted,
approved (the approved edition stored), edited afterwards (the changes shown); who may do which step;
invalid transitions; the page's block and the DOCX draft of the approving order."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from docx import Document

from shnor.web.accounts.models import AuditEntry, Role
from shnor.web.accounts.services import user_create
from shnor.web.support import services
from shnor.web.support.models import Activity, RoadmapEvent, RoadmapStatus, Status
from shnor.web.support.services import lifecycle
from tests.web.world import PASSWORD

S = RoadmapStatus


@pytest.fixture
def maps(world):
    """The region's, the municipality's and the school's roadmaps of 2024, drafted by their owners."""
    u = world.users
    region = services.roadmap_create(actor=u["region"], level="region", year=2024, region=world.region)
    mun = services.roadmap_create(
        actor=u["municipality"], level="municipality", year=2024, municipality=world.mun
    )
    school = services.roadmap_create(
        actor=u["school"], level="school", year=2024, school=world.school, run=world.run
    )
    return region, mun, school


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_full_path_from_draft_to_completion(world, maps) -> None:
    _, _, school = maps
    u = world.users
    assert school.status == S.DRAFT
    lifecycle.roadmap_submit(actor=u["school"], roadmap=school, comment="Просим согласовать")
    assert school.status == S.SUBMITTED
    lifecycle.roadmap_return(
        actor=u["municipality"], roadmap=school, comment="Добавьте мероприятия по объективности ВПР"
    )
    school.refresh_from_db()
    assert school.status == S.RETURNED
    assert school.approved_snapshot is None
    lifecycle.roadmap_submit(actor=u["school"], roadmap=school)
    lifecycle.roadmap_approve(
        actor=u["municipality"], roadmap=school, order_number="125-од", order_date=dt.date(2024, 9, 2)
    )
    school.refresh_from_db()
    assert school.status == S.APPROVED
    assert school.approved_by == u["municipality"]
    assert school.approved_at is not None
    assert (school.approval_order_number, school.approval_order_date) == ("125-од", dt.date(2024, 9, 2))
    snap = school.approved_snapshot
    acts = list(school.activities.order_by("position", "id"))
    assert [a["pk"] for a in snap["activities"]] == [a.pk for a in acts]
    first = snap["activities"][0]
    assert first["title"] == acts[0].title
    assert first["status"] == Status.PLANNED
    assert first["due_date"] == (acts[0].due_date.isoformat() if acts[0].due_date else None)
    assert snap["header"]["title"] == school.title
    assert lifecycle.roadmap_changes_since_approval(school) == []

    events = list(school.events.order_by("created_at", "id"))
    assert [(e.from_status, e.to_status) for e in events] == [
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.RETURNED),
        (S.RETURNED, S.SUBMITTED),
        (S.SUBMITTED, S.APPROVED),
    ]
    assert events[1].comment == "Добавьте мероприятия по объективности ВПР"
    assert events[1].actor == u["municipality"]
    audit = AuditEntry.objects.filter(object_type="дорожная карта", object_id=str(school.pk))
    assert audit.filter(action="дорожная карта: вернуть на доработку").count() == 1
    assert audit.filter(action="дорожная карта: утвердить", user=u["municipality"]).count() == 1

    lifecycle.roadmap_start(actor=u["school"], roadmap=school)
    lifecycle.roadmap_complete(actor=u["municipality"], roadmap=school, comment="Выполнено")
    school.refresh_from_db()
    assert school.status == S.COMPLETED


def test_changes_since_approval_list_added_removed_and_changed(world, maps) -> None:
    _, _, school = maps
    u = world.users
    lifecycle.roadmap_submit(actor=u["school"], roadmap=school)
    lifecycle.roadmap_approve(actor=u["municipality"], roadmap=school)
    first, second = school.activities.order_by("position", "id")[:2]
    old_title, old_due = first.title, first.due_date
    services.activity_update(actor=u["school"], activity=first, due_date=dt.date(2024, 12, 20))
    Activity.objects.filter(pk=first.pk).update(title="Педсовет по итогам ВПР")
    services.activity_update(actor=u["school"], activity=second, status=Status.DONE)  # execution, no change
    added = services.activity_add(
        actor=u["school"], roadmap=school, title="Открытые уроки", period_text="Ноябрь 2024 г."
    )
    removed = school.activities.order_by("-position", "-id").exclude(pk=added.pk).first()
    removed_title = removed.title
    Activity.objects.filter(pk=removed.pk).delete()

    changes = lifecycle.roadmap_changes_since_approval(school)
    by_kind = {(c["kind"], c["pk"]): c for c in changes}
    assert set(by_kind) == {("changed", first.pk), ("added", added.pk), ("removed", removed.pk)}
    fields = {f["field"]: f for f in by_kind[("changed", first.pk)]["fields"]}
    assert set(fields) == {"title", "due_date"}
    assert fields["title"]["old"] == old_title
    assert fields["title"]["new"] == "Педсовет по итогам ВПР"
    assert fields["due_date"]["new"] == "20.12.2024"
    assert fields["due_date"]["old"] == (old_due.strftime("%d.%m.%Y") if old_due else "—")
    assert by_kind[("removed", removed.pk)]["title"] == removed_title
    assert by_kind[("added", added.pk)]["title"] == "Открытые уроки"

    services.activity_update(actor=u["school"], activity=second, status=Status.CANCELLED)
    cancelled = [c for c in lifecycle.roadmap_changes_since_approval(school) if c["pk"] == second.pk]
    assert cancelled[0]["fields"] == [
        {"field": "status", "label": "статус", "old": "Запланировано", "new": "Отменено"}
    ]


def test_who_may_approve_each_level(world, maps) -> None:
    region, mun, school = maps
    u = world.users
    for r, owner in ((school, "school"), (mun, "municipality"), (region, "region")):
        lifecycle.roadmap_submit(actor=u[owner], roadmap=r)
    # the school, its curator, its teacher and the region's observer never approve the school's roadmap
    for role in ("school", "curator", "teacher", "observer"):
        with pytest.raises(PermissionDenied):
            lifecycle.roadmap_approve(actor=u[role], roadmap=school)
        with pytest.raises(PermissionDenied):
            lifecycle.roadmap_return(actor=u[role], roadmap=school, comment="нет")
    # a municipality does not approve its own roadmap; the region does
    with pytest.raises(PermissionDenied):
        lifecycle.roadmap_approve(actor=u["municipality"], roadmap=mun)
    lifecycle.roadmap_approve(actor=u["region"], roadmap=mun)
    # another municipality's coordinator neither sees nor approves the school's roadmap
    stranger = user_create(
        username="u_mun2", password=PASSWORD, role=Role.MUNICIPALITY, municipality=world.mun2
    )
    assert not lifecycle.can_approve(user=stranger, roadmap=school)
    with pytest.raises(PermissionDenied):
        lifecycle.roadmap_approve(actor=stranger, roadmap=school)
    # the region approves the school's roadmap too, and its own
    lifecycle.roadmap_approve(actor=u["region"], roadmap=school)
    lifecycle.roadmap_approve(actor=u["region"], roadmap=region)
    # only editors submit: a teacher of the school cannot
    with pytest.raises(PermissionDenied):
        lifecycle.roadmap_submit(actor=u["teacher"], roadmap=school)


def test_invalid_transitions_name_the_current_status(world, maps) -> None:
    _, _, school = maps
    u = world.users
    with pytest.raises(ValidationError, match="«Черновик»"):
        lifecycle.roadmap_approve(actor=u["municipality"], roadmap=school)
    with pytest.raises(ValidationError, match="«Черновик»"):
        lifecycle.roadmap_start(actor=u["school"], roadmap=school)
    lifecycle.roadmap_submit(actor=u["school"], roadmap=school)
    with pytest.raises(ValidationError, match="«На согласовании»"):
        lifecycle.roadmap_submit(actor=u["school"], roadmap=school)
    with pytest.raises(ValidationError, match="Укажите в комментарии"):
        lifecycle.roadmap_return(actor=u["municipality"], roadmap=school, comment="   ")
    with pytest.raises(ValidationError, match="«На согласовании»"):
        lifecycle.roadmap_complete(actor=u["school"], roadmap=school)
    lifecycle.roadmap_approve(actor=u["municipality"], roadmap=school)
    with pytest.raises(ValidationError, match="«Утверждена»"):
        lifecycle.roadmap_return(actor=u["municipality"], roadmap=school, comment="поздно")
    school.refresh_from_db()
    assert school.status == S.APPROVED
    assert school.events.count() == 2  # refused steps leave no event


def test_pages_buttons_history_and_endpoints(world, maps) -> None:
    _, _, school = maps
    u = world.users
    page = reverse("support:roadmap", kwargs={"pk": school.pk})
    go = lambda action: reverse("support:roadmap_transition", kwargs={"pk": school.pk, "action": action})  # noqa: E731
    school_c, mun_c = _client(u["school"]), _client(u["municipality"])

    html = school_c.get(page).content.decode()
    assert 'data-status="draft"' in html
    assert "Черновик" in html
    assert 'id="lc-submit"' in html
    assert 'id="lc-approve"' not in html
    assert school_c.get(go("submit")).status_code == 405
    r = school_c.post(go("submit"), follow=True)
    assert r.redirect_chain[-1][0] == page
    assert "Дорожная карта отправлена на согласование" in r.content.decode()

    html = mun_c.get(page).content.decode()
    assert 'id="lc-approve"' in html
    assert 'id="lc-return"' in html
    assert 'id="lc-approve"' not in school_c.get(page).content.decode()
    r = mun_c.post(go("return"), {"comment": ""}, follow=True)
    assert "Укажите в комментарии" in r.content.decode()
    mun_c.post(go("return"), {"comment": "Уточните сроки раздела 2"})
    html = school_c.get(page).content.decode()
    assert 'id="returned-comment"' in html
    assert "Уточните сроки раздела 2" in html
    assert "Возвращена на доработку" in html

    r = school_c.post(go("approve"), follow=True)  # the school cannot approve its own roadmap
    school.refresh_from_db()
    assert school.status == S.RETURNED
    assert "вышестоящий уровень" in r.content.decode()

    stranger = user_create(
        username="u_mun2", password=PASSWORD, role=Role.MUNICIPALITY, municipality=world.mun2
    )
    assert _client(stranger).post(go("submit")).status_code == 404
    assert _client(stranger).get(page).status_code == 404

    school_c.post(go("submit"))
    mun_c.post(go("approve"), {"order_number": "77", "order_date": "02.09.2024"})
    school.refresh_from_db()
    assert (school.status, school.approval_order_number) == (S.APPROVED, "77")
    act = school.activities.order_by("position", "id").first()
    services.activity_update(actor=u["school"], activity=act, executor="Завуч Иванова И. И.")
    html = school_c.get(page).content.decode()
    assert 'id="lifecycle-changes"' in html
    assert "Завуч Иванова И. И." in html
    changes = school_c.get(reverse("support:roadmap_changes", kwargs={"pk": school.pk})).content.decode()
    assert "Изменено мероприятие" in changes
    assert "Завуч Иванова И. И." in changes
    assert "История согласования (4)" in html
    assert mun_c.post(go("unknown")).status_code == 404
    assert RoadmapEvent.objects.visible_to(stranger).count() == 0
    assert RoadmapEvent.objects.visible_to(u["school"]).filter(roadmap=school).count() == 4


def test_order_docx_opens_and_holds_the_roadmap(world, maps) -> None:
    _, _, school = maps
    u = world.users
    services.roadmap_header_update(
        actor=u["school"],
        roadmap=school,
        title=school.title,
        order_authority="Управления образования",
        order_number="",
        order_date=None,
        appendix="",
    )
    url = reverse("support:roadmap_order", kwargs={"pk": school.pk})
    r = _client(u["municipality"]).get(url)
    assert r.status_code == 200
    assert quote("Приказ_об_утверждении_дорожной_карты") in r["Content-Disposition"]
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "УПРАВЛЕНИЕ ОБРАЗОВАНИЯ" in text
    assert "Об утверждении" in text
    assert "«___» ________ 20__ г." in text
    assert "№ ____" in text
    assert "Утвердить" in text
    assert "(приложение)" in text
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Наименование мероприятия" in cells
    assert "Выходной документ" in cells
    for a in school.activities.exclude(status=Status.CANCELLED):
        assert a.title in cells
    stranger = user_create(
        username="u_mun2", password=PASSWORD, role=Role.MUNICIPALITY, municipality=world.mun2
    )
    assert _client(stranger).get(url).status_code == 404


def test_the_first_activity_worked_on_starts_an_approved_roadmap(world, maps) -> None:
    _, _, school = maps
    u = world.users
    act = school.activities.order_by("position").first()
    services.activity_update(actor=u["school"], activity=act, status=Status.IN_PROGRESS)
    school.refresh_from_db()
    assert school.status == S.DRAFT  # a draft is not started by work on it
    lifecycle.roadmap_submit(actor=u["school"], roadmap=school)
    lifecycle.roadmap_approve(actor=u["municipality"], roadmap=school)
    services.activity_update(actor=u["school"], activity=act, status=Status.DONE, comment="проведено")
    school.refresh_from_db()
    assert school.status == S.IN_PROGRESS
    assert school.events.order_by("-id").first().to_status == S.IN_PROGRESS
