"""The bank of practices: submission by a school, moderation by the region (rejected with a comment,
corrected, published), who sees drafts, the Russian full-text search in other word forms (run on SQLite
and on PostgreSQL by CI), the links from a school's deficits and from a risk factor, adoption with the
results around its year, files validated, the XLSX export and the API router."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import engines
from django.test import Client, RequestFactory

from shnor.web.accounts.models import AuditEntry, Role
from shnor.web.accounts.services import user_create
from shnor.web.identification.models import SchoolOutcome
from shnor.web.identification.selectors import school_results_by_year
from shnor.web.practices import api, search, services
from shnor.web.practices import selectors as sel
from shnor.web.practices.models import Practice, Status
from tests.web.test_support_world import PDF
from tests.web.world import PASSWORD

READING = {
    "title": "Клуб смыслового чтения в 5–6 классах",
    "description": "Еженедельные занятия с текстами разных жанров помогли снять дефицита чтения у слабых "
    "читателей: ученики учатся находить главную мысль и отвечать на вопросы по тексту.",
    "kind": "practice",
    "level": "school",
    "subject": "ru",
    "grades": [5, 6],
    "skills": ["читательская грамотность", "КЭС 1.2 Смысловое чтение"],
    "risk_factors": ["failure_risk"],
}
GEOMETRY = {
    "title": "Геометрия на клетчатой бумаге",
    "description": "Задачи на площадь фигур на клетчатой бумаге для четвёртых классов.",
    "kind": "material",
    "subject": "ma",
    "grades": [4],
    "skills": ["площадь фигуры"],
    "risk_factors": ["teacher_competence"],
}


def published(world, data: dict) -> Practice:
    """A practice submitted by the school and published by the region."""
    p = services.practice_save(actor=world.users["school"], data=data)
    services.practice_submit(actor=world.users["school"], practice=p)
    return services.practice_moderate(actor=world.users["region"], practice=p, publish=True)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_school_submits_region_rejects_with_comment_then_publishes(world) -> None:
    school, region = world.users["school"], world.users["region"]
    p = services.practice_save(actor=school, data=READING)
    assert (p.status, p.author_school, p.region) == (Status.DRAFT, world.school, world.region)
    with pytest.raises(ValidationError, match="не на модерации"):
        services.practice_moderate(actor=region, practice=p, publish=True)  # a draft
    services.practice_submit(actor=school, practice=p)
    with pytest.raises(PermissionDenied):
        services.practice_moderate(actor=school, practice=p, publish=True)
    with pytest.raises(PermissionDenied):
        services.practice_moderate(actor=world.users["observer"], practice=p, publish=True)
    with pytest.raises(ValidationError, match="укажите, что исправить"):
        services.practice_moderate(actor=region, practice=p, publish=False)
    services.practice_moderate(actor=region, practice=p, publish=False, comment="Добавьте результаты")
    assert p.status == Status.REJECTED
    services.practice_save(actor=school, practice=p, data={**READING, "title": "Клуб чтения: результаты"})
    services.practice_submit(actor=school, practice=p)
    assert list(sel.moderation_queue(user=region)) == [p]
    assert list(sel.moderation_queue(user=world.users["school"])) == []
    services.practice_moderate(actor=region, practice=p, publish=True, comment="")
    p.refresh_from_db()
    assert p.status == Status.PUBLISHED
    assert p.published_at is not None
    assert p.moderated_by == region
    with pytest.raises(PermissionDenied):  # published: edited only through a new moderation
        services.practice_save(actor=school, practice=p, data=READING)
    actions = list(
        AuditEntry.objects.filter(object_type="practices.Practice", object_id=str(p.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions.count("практика отправлена на модерацию") == 2
    assert "практика отклонена" in actions
    assert "практика опубликована" in actions


def test_the_moderation_check_is_a_draft_error_not_a_silent_publish(world) -> None:
    p = services.practice_save(actor=world.users["school"], data=READING)
    services.practice_submit(actor=world.users["school"], practice=p)
    services.practice_moderate(actor=world.users["region"], practice=p, publish=True)
    with pytest.raises(ValidationError, match="не на модерации"):
        services.practice_moderate(actor=world.users["region"], practice=p, publish=False, comment="нет")


def test_fields_are_checked_and_named(world) -> None:
    school = world.users["school"]
    with pytest.raises(ValidationError, match="«Название»"):
        services.practice_save(actor=school, data={**READING, "title": " "})
    with pytest.raises(ValidationError, match="неизвестный код предмета «xx»"):
        services.practice_save(actor=school, data={**READING, "subject": "xx"})
    with pytest.raises(ValidationError, match="неизвестные коды nonsense"):
        services.practice_save(actor=school, data={**READING, "risk_factors": ["nonsense"]})
    with pytest.raises(ValidationError, match="классы от 1 до 11"):
        services.practice_save(actor=school, data={**READING, "grades": [12]})
    for role in ("teacher", "municipality", "observer", "curator"):
        with pytest.raises(PermissionDenied):
            services.practice_save(actor=world.users[role], data=READING)


def test_drafts_are_seen_by_their_side_published_by_everyone(world) -> None:
    draft = services.practice_save(actor=world.users["school"], data=READING)
    inst = services.practice_save(actor=world.users["region"], data=GEOMETRY)
    assert inst.organisation == "Региональный институт развития образования"
    assert inst.author_school is None
    other = user_create(username="u_other", password=PASSWORD, role=Role.SCHOOL, school=world.neighbour)
    foreign = user_create(username="u_foreign", password=PASSWORD, role=Role.SCHOOL, school=world.foreign)

    def seen(user) -> set[int]:
        return set(sel.practices_visible(user=user).values_list("pk", flat=True))

    assert seen(world.users["school"]) == {draft.pk}
    assert seen(world.users["region"]) == {draft.pk, inst.pk}
    assert seen(world.users["municipality"]) == {draft.pk}
    assert seen(other) == set()
    assert client_for(other).get(f"/practices/{draft.pk}/").status_code == 404
    services.practice_submit(actor=world.users["school"], practice=draft)
    services.practice_moderate(actor=world.users["region"], practice=draft, publish=True)
    assert seen(other) == {draft.pk}
    assert seen(foreign) == {draft.pk}  # published: every logged-in user
    assert client_for(foreign).get(f"/practices/{draft.pk}/").status_code == 200


def test_search_understands_russian_word_forms(world) -> None:
    reading = published(world, READING)
    geometry = published(world, GEOMETRY)
    services.practice_save(actor=world.users["school"], data={**READING, "title": "Черновик про чтение"})
    user = world.users["teacher"]

    def found(q: str) -> list[int]:
        return [p.pk for p in sel.bank_search(user=user, filters=sel.Filters(q=q))]

    assert found("дефициты чтения") == [reading.pk]  # the text says «дефицита чтения»; drafts never found
    assert found("Читательской грамотности") == [reading.pk]  # a tag, in another case
    assert found("площади фигур") == [geometry.pk]
    assert found("дефициты геометрии") == []  # all words must match
    assert found("и в на") == []
    rows = sel.bank_search(user=user, filters=sel.Filters(q="чтение"))
    assert rows[0].rank > 0
    assert rows[0].relevance == 100
    assert found("")[:2] == [geometry.pk, reading.pk]  # no query: newest first
    assert [p.pk for p in sel.bank_search(user=user, filters=sel.Filters(grade=4))] == [geometry.pk]
    assert [p.pk for p in sel.bank_search(user=user, filters=sel.Filters(factor="failure_risk"))] == [
        reading.pk
    ]
    assert [p.pk for p in sel.bank_search(user=user, filters=sel.Filters(tag="смысловое"))] == [reading.pk]


def test_search_index_follows_changes_and_deletion(world) -> None:
    school = world.users["school"]
    p = services.practice_save(actor=school, data=READING)
    qs = Practice.objects.all()
    assert [x.pk for x in search.search(qs, "дефициты чтения")] == [p.pk]
    services.practice_save(actor=school, practice=p, data={**READING, "description": "Про дроби и проценты."})
    assert search.search(qs, "дефициты чтения") == []
    assert [x.pk for x in search.search(qs, "дробями")] == [p.pk]
    services.practice_delete(actor=school, practice=p)
    assert search.search(Practice.objects.all(), "дробями") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM practices_fts WHERE rowid = %s", [p.pk])
            assert cur.fetchone()[0] == 0


def _deficits(world, subject: str = "ru") -> None:
    SchoolOutcome.objects.create(
        run=world.run,
        school=world.school,
        method=SchoolOutcome.DEFICITS,
        flagged=True,
        data={
            "school_deficits": 1,
            "deficits": [
                {
                    "unit": "school",
                    "element": "1.2",
                    "element_label": "Смысловое чтение: понимание прочитанного",
                    "procedure": "vpr",
                    "subject": subject,
                    "grade": 5,
                    "success": 0.31,
                    "topic": "Дефициты чтения и работы с текстом",
                }
            ],
        },
    )


def _render(text: str, user, **ctx) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return engines["django"].from_string(text).render({"request": request, **ctx})


def test_deficit_link_lists_practices_of_the_subject_matching_the_labels(world) -> None:
    reading = published(world, READING)
    published(world, GEOMETRY)
    published(world, {**READING, "title": "Чтение на уроках математики", "subject": "ma"})
    tag = "{% load practices_tags %}{% practices_for_deficits school %}"
    assert "practices-for-deficits" not in _render(
        tag, world.users["region"], school=world.far
    )  # no deficits
    _deficits(world)
    rows = sel.practices_for_deficits(school=world.school)
    assert sel.practices_for_deficits(school=world.school, run=world.run_old) is None  # that run has none
    with_run = "{% load practices_tags %}{% practices_for_deficits school run %}"
    assert "Клуб смыслового чтения" in _render(
        with_run, world.users["school"], school=world.school, run=world.run
    )
    assert [r["practice"].pk for r in rows] == [reading.pk]
    html = _render(tag, world.users["school"], school=world.school)
    assert f"/practices/{reading.pk}/" in html
    assert "Клуб смыслового чтения" in html
    assert "Геометрия" not in html
    assert "на уроках математики" not in html
    other = user_create(username="u_other", password=PASSWORD, role=Role.SCHOOL, school=world.neighbour)
    assert _render(tag, other, school=world.school).strip() == ""  # a school the user does not see


def test_deficit_link_follows_the_bank_after_being_cached(world) -> None:
    """The practices found for a card's deficits are cached; a practice published or withdrawn after a
    view shows on the next one."""
    _deficits(world)
    assert sel.practices_for_deficits(school=world.school) == []  # cached: nothing in the bank yet
    reading = published(world, READING)
    assert [r["practice"].pk for r in sel.practices_for_deficits(school=world.school)] == [reading.pk]
    reading.status = Status.DRAFT
    reading.save()
    assert sel.practices_for_deficits(school=world.school) == []
    second = published(world, {**READING, "title": "Читательский марафон"})
    reading.delete()
    assert [r["practice"].pk for r in sel.practices_for_deficits(school=world.school)] == [second.pk]


def test_deficit_link_finds_a_published_practice_behind_many_better_drafts(world) -> None:
    """The drafts are in the search index too: more than 500 of them matching the deficits better must not
    crowd out the published practice (the matches are narrowed to the published ones before the cut)."""
    reading = published(world, READING)
    drafts = [
        Practice(
            title=f"Смысловое чтение {i}",
            description="Дефициты чтения: понимание прочитанного, работа с текстом.",
            subject="ru",
            status=Status.DRAFT,
        )
        for i in range(600)
    ]
    for p in drafts:
        p.search_text = search.search_text(p)
    for p in Practice.objects.bulk_create(drafts):
        search.index_put(p)
    _deficits(world)
    label = "Дефициты чтения и работы с текстом"
    if connection.vendor == "sqlite":  # the premise: in the index alone, the published one is past 500
        match = " OR ".join(f'"{s}"' for s in sorted(set(search.stems(label))))
        with connection.cursor() as cur:
            cur.execute(
                "SELECT rowid FROM practices_fts WHERE practices_fts MATCH %s ORDER BY bm25(practices_fts)",
                [match],
            )
            order = [row[0] for row in cur.fetchall()]
        assert order.index(reading.pk) >= 500
    assert [p.pk for p in search.search(sel.practices_published(), label, any_word=True, limit=5)] == [
        reading.pk
    ]
    assert [r["practice"].pk for r in sel.practices_for_deficits(school=world.school)] == [reading.pk]


def test_risk_link_lists_practices_of_the_factor(world) -> None:
    published(world, READING)
    geometry = published(world, GEOMETRY)
    html = _render(
        "{% load practices_tags %}{% practices_for_risk 'teacher_competence' %}", world.users["school"]
    )
    assert f"/practices/{geometry.pk}/" in html
    assert "Клуб" not in html
    empty = _render("{% load practices_tags %}{% practices_for_risk 'equipment' %}", world.users["school"])
    assert "пока нет опубликованных практик" in empty


def test_adoption_shows_shares_of_2_before_and_after_the_year(world) -> None:
    p = published(world, {**READING, "subject": "ma"})
    with pytest.raises(PermissionDenied):
        services.adoption_mark(actor=world.users["region"], practice=p, year=2022)
    with pytest.raises(ValidationError, match="Год начала внедрения"):
        services.adoption_mark(actor=world.users["school"], practice=p, year=1990)
    services.adoption_mark(actor=world.users["school"], practice=p, year=2022, note="5-е классы")
    services.adoption_mark(actor=world.users["school"], practice=p, year=2022, note="5–6-е классы")
    units = [u for u in school_results_by_year(school=world.school)["units"] if u.subject == "ma"]
    share = {u.year: u.share for u in units}
    data = sel.adoptions_for(user=world.users["region"], practice=p)
    assert data["total"] == 1
    row = data["rows"][0]
    assert row["adoption"].note == "5–6-е классы"
    assert row["before_years"] == [y for y in sorted(share) if y < 2022]
    assert row["after_years"] == [2023, 2024]
    assert row["after"] == pytest.approx((share[2023] + share[2024]) / 2)
    assert row["before"] == pytest.approx(share[min(share)])
    assert sel.adoptions_for(user=world.users["observer"], practice=p)["rows"]
    other = user_create(username="u_other", password=PASSWORD, role=Role.SCHOOL, school=world.neighbour)
    assert sel.adoptions_for(user=other, practice=p) == {"total": 1, "rows": []}
    page = client_for(world.users["region"]).get(f"/practices/{p.pk}/").content.decode()
    assert "не оценка эффекта практики" in page
    assert "МБОУ СОШ №1" in page
    with pytest.raises(ValidationError, match="внедряют школы"):
        services.practice_delete(actor=world.users["region"], practice=p)


def test_files_are_validated_like_evidence(world) -> None:
    p = services.practice_save(actor=world.users["school"], data=READING)
    school = world.users["school"]
    with pytest.raises(ValidationError, match="недопустимый тип"):
        services.file_add(actor=school, practice=p, upload=SimpleUploadedFile("x.exe", b"MZ\x90\x00"))
    with pytest.raises(ValidationError, match="не соответствует расширению .pdf"):
        services.file_add(actor=school, practice=p, upload=SimpleUploadedFile("plan.pdf", b"PK\x03\x04zz"))
    with pytest.raises(ValidationError, match="http:// или https://"):
        services.file_add(actor=school, practice=p, url="ftp://example.org/x")
    item = services.file_add(
        actor=school, practice=p, upload=SimpleUploadedFile("план.pdf", PDF), title="План"
    )
    services.file_add(actor=school, practice=p, url="https://example.org/video")
    c = client_for(school)
    resp = c.get(f"/practices/files/{item.pk}/")
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content) == PDF
    other = user_create(username="u_other", password=PASSWORD, role=Role.SCHOOL, school=world.neighbour)
    assert client_for(other).get(f"/practices/files/{item.pk}/").status_code == 404  # a draft's file
    with pytest.raises(PermissionDenied):
        services.file_add(actor=world.users["region"], practice=p, url="https://example.org/")


def test_pages_export_and_moderation_queue(world) -> None:
    p = services.practice_save(actor=world.users["school"], data=READING)
    school = client_for(world.users["school"])
    assert school.get("/practices/moderation/").status_code == 403
    school.post(f"/practices/{p.pk}/submit/")
    region = client_for(world.users["region"])
    queue = region.get("/practices/moderation/").content.decode()
    assert "Клуб смыслового чтения" in queue
    region.post(f"/practices/{p.pk}/moderate/", {"decision": "reject", "comment": ""})
    assert Practice.objects.get(pk=p.pk).status == Status.MODERATION  # a rejection needs a comment
    region.post(f"/practices/{p.pk}/moderate/", {"decision": "publish", "comment": ""})
    assert Practice.objects.get(pk=p.pk).status == Status.PUBLISHED
    page = client_for(world.users["teacher"]).get("/practices/", {"q": "дефициты чтения"}).content.decode()
    assert "Найдено: 1" in page
    assert "Клуб смыслового чтения" in page
    resp = region.get("/practices/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    assert [sheet.cell(3, c).value for c in (1, 2, 3)] == ["Название", "Вид", "Автор"]
    assert sheet.cell(4, 1).value == READING["title"]
    assert sheet.cell(4, 3).value == "МБОУ СОШ №1"
    form = school.get("/practices/new/").content.decode()
    assert "Факторы риска" in form
    assert "Высокая доля обучающихся с рисками учебной неуспешности" in form
    resp = school.post("/practices/new/", {**GEOMETRY, "level": "school", "skills": "площадь; периметр"})
    new = Practice.objects.get(title=GEOMETRY["title"])
    assert resp.status_code == 302
    assert new.skills == ["площадь", "периметр"]
    assert new.grades == [4]


def test_api_router_searches_and_returns_one_scoped(world) -> None:
    reading = published(world, READING)
    draft = services.practice_save(actor=world.users["region"], data=GEOMETRY)
    request = RequestFactory().get("/")
    request.user = world.users["teacher"]
    page = client_for(world.users["teacher"]).get("/api/practices/search", {"q": "дефициты чтения"}).json()
    assert page["count"] == 1
    rows = page["items"]
    assert [r["id"] for r in rows] == [reading.pk]
    assert rows[0]["rank"] > 0
    one = api.practice_one(request, practice_id=reading.pk)
    assert one["author_school_id"] == "sch0001"
    assert one["subject_label"] == "Русский язык"
    assert one["risk_factor_labels"] == ["Высокая доля обучающихся с рисками учебной неуспешности"]
    from django.http import Http404

    with pytest.raises(Http404):
        api.practice_one(request, practice_id=draft.pk)
