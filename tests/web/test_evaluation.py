"""External evaluation: the region assigns an inspection or a programme review to experts of the school's
scope; experts fill criteria forms; the lead expert concludes; the recommendations become activities of
the school's roadmap; pages, exports, the school-card block and the API, all scoped."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template
from django.test import Client, RequestFactory
from docx import Document
from ninja.testing import TestClient

from shnor.web.accounts.audit import AuditEntry
from shnor.web.accounts.models import Role
from shnor.web.accounts.services import user_create
from shnor.web.evaluation import selectors as sel
from shnor.web.evaluation import services
from shnor.web.evaluation.api import router
from shnor.web.evaluation.models import Evaluation, EvaluationStatus
from shnor.web.support import services as support
from shnor.web.support.models import Activity
from tests.web.world import PASSWORD

ALL_TWO = {c: 2 for c in ("M1", "M2", "M3", "R1", "R2", "K2", "K3", "C1", "V1", "V2", "O2")}
ALL_YES = {c: 1 for c in ("R3", "K1", "C2", "O1")}


def client_for(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.fixture
def ev(world) -> Evaluation:
    """An inspection of sch0001 (2024): experts — the municipality's coordinator (lead) and the curator."""
    u = world.users
    return services.evaluation_create(
        actor=u["region"],
        school=world.school,
        form_code="complex",
        year=2024,
        experts=[u["municipality"], u["curator"]],
        lead_expert=u["municipality"],
    )


def submit(ev: Evaluation, expert, scores: dict, recs: str = "") -> None:
    services.review_save(
        actor=expert,
        evaluation=ev,
        scores=scores,
        comments={"M1": "аналитическая справка от 12.09.2024"},
        conclusion="Школа частично выполняет программу перехода",
        recommendations=recs,
        submit=True,
    )


def test_the_region_assigns_and_the_criteria_are_stored_with_the_evaluation(world, ev) -> None:
    assert ev.status == EvaluationStatus.ASSIGNED
    assert ev.criteria_version == "2026.1"
    assert ev.form.criterion("O1").scale == "yes_no"
    assert set(ev.experts.values_list("username", flat=True)) == {"u_mun", "u_curator"}
    entry = AuditEntry.objects.filter(action="назначение внешней оценки").get()
    assert entry.object_id == str(ev.pk)


def test_who_may_assign_and_whom(world) -> None:
    u = world.users
    with pytest.raises(PermissionDenied):
        services.evaluation_create(
            actor=u["municipality"],
            school=world.school,
            form_code="complex",
            year=2024,
            experts=[u["curator"]],
        )
    with pytest.raises(PermissionDenied):
        services.evaluation_create(
            actor=u["observer"], school=world.school, form_code="complex", year=2024, experts=[u["curator"]]
        )
    # sch0003 is in another municipality: its coordinator is not u_mun
    with pytest.raises(ValidationError, match="нет доступа к её данным"):
        services.evaluation_create(
            actor=u["region"], school=world.far, form_code="complex", year=2024, experts=[u["municipality"]]
        )
    with pytest.raises(ValidationError, match="не назначен ни один эксперт"):
        services.evaluation_create(
            actor=u["region"], school=world.school, form_code="complex", year=2024, experts=[]
        )
    with pytest.raises(ValidationError, match="укажите документ"):
        services.evaluation_create(
            actor=u["region"],
            school=world.school,
            form_code="development_programme",
            year=2024,
            experts=[u["curator"]],
        )
    with pytest.raises(ValidationError, match="ведущий эксперт должен быть среди"):
        services.evaluation_create(
            actor=u["region"],
            school=world.school,
            form_code="complex",
            year=2024,
            experts=[u["curator"]],
            lead_expert=u["municipality"],
        )
    with pytest.raises(ValidationError, match="нет формы оценки «audit»"):
        services.evaluation_create(
            actor=u["region"], school=world.school, form_code="audit", year=2024, experts=[u["curator"]]
        )
    names = set(sel.expert_candidates(school=world.school).values_list("username", flat=True))
    assert names == {"u_region", "u_mun", "u_curator"}  # never the school, its teacher or the observer


def test_the_experts_form_checks_scores_against_the_scale(world, ev) -> None:
    u = world.users
    with pytest.raises(PermissionDenied):
        services.review_save(actor=u["school"], evaluation=ev, scores={}, comments={})
    with pytest.raises(ValidationError, match="критерий O1: оценка «2» не по шкале да/нет"):
        services.review_save(actor=u["curator"], evaluation=ev, scores={"O1": 2}, comments={})
    with pytest.raises(ValidationError, match="нет критерия Z9"):
        services.review_save(actor=u["curator"], evaluation=ev, scores={"Z9": 1}, comments={})
    with pytest.raises(ValidationError, match="не оценены критерии: M2, M3"):
        services.review_save(
            actor=u["curator"],
            evaluation=ev,
            scores={**ALL_TWO, **ALL_YES, "M2": None, "M3": ""},
            comments={},
            conclusion="вывод",
            submit=True,
        )
    draft = services.review_save(actor=u["curator"], evaluation=ev, scores={"M1": 1}, comments={"M1": "  "})
    assert (draft.submitted, draft.scores, draft.comments) == (False, {"M1": 1}, {})
    ev.refresh_from_db()
    assert ev.status == EvaluationStatus.IN_PROGRESS
    assert sel.evaluation_scores(ev)[0].score == 0  # drafts do not count


def test_conclusion_and_recommendations_into_the_roadmap(world, ev) -> None:
    u = world.users
    with pytest.raises(ValidationError, match="ни один эксперт ещё не заполнил"):
        services.evaluation_conclude(
            actor=u["municipality"], evaluation=ev, conclusion="x", recommendations=[]
        )
    submit(
        ev,
        u["curator"],
        {**ALL_TWO, **ALL_YES, "M1": 0},
        "Провести анализ причин\n- Организовать наставничество",
    )
    submit(ev, u["municipality"], {**ALL_TWO, **ALL_YES}, "Организовать наставничество")
    assert services.recommendations_proposed(ev) == ["Провести анализ причин", "Организовать наставничество"]
    management = sel.evaluation_scores(ev)[0]
    assert (management.title, management.score, management.max_score) == ("Управление", 5.0, 6)
    with pytest.raises(PermissionDenied):
        services.evaluation_conclude(actor=u["curator"], evaluation=ev, conclusion="x", recommendations=[])
    with pytest.raises(PermissionDenied):  # nothing to feed before the conclusion
        services.recommendations_to_roadmap(actor=u["region"], evaluation=ev)
    services.evaluation_conclude(
        actor=u["municipality"],
        evaluation=ev,
        conclusion="Управление требует усиления",
        recommendations=["Провести анализ причин низких результатов", "Организовать наставничество", " "],
    )
    ev.refresh_from_db()
    assert ev.status == EvaluationStatus.DONE
    assert ev.recommendations == ["Провести анализ причин низких результатов", "Организовать наставничество"]
    with pytest.raises(PermissionDenied):  # the experts' forms are closed
        services.review_save(actor=u["curator"], evaluation=ev, scores={}, comments={})
    with pytest.raises(ValidationError, match="нет дорожной карты на 2024 год"):
        services.recommendations_to_roadmap(actor=u["region"], evaluation=ev)
    roadmap = support.roadmap_create(
        actor=u["municipality"], level="school", year=2024, school=world.school, run=world.run
    )
    before = roadmap.activities.count()
    with pytest.raises(PermissionDenied):
        services.recommendations_to_roadmap(actor=u["observer"], evaluation=ev)
    added = services.recommendations_to_roadmap(actor=u["municipality"], evaluation=ev)
    assert [a.title for a in added] == ev.recommendations
    assert {a.section for a in added} == {services.ROADMAP_SECTION}
    assert roadmap.activities.count() == before + 2
    assert services.recommendations_to_roadmap(actor=u["region"], evaluation=ev) == []  # not twice
    assert Activity.objects.filter(roadmap=roadmap, title="Организовать наставничество").count() == 1


def done(world, ev) -> Evaluation:
    u = world.users
    submit(ev, u["curator"], {**ALL_TWO, **ALL_YES}, "Организовать наставничество")
    return services.evaluation_conclude(
        actor=u["region"],
        evaluation=ev,
        conclusion="Условия соответствуют",
        recommendations=["Организовать наставничество"],
    )


def test_scoping_of_pages_reviews_and_the_api(world, ev) -> None:
    done(world, ev)
    stranger = user_create(
        username="u_far", password=PASSWORD, role=Role.MUNICIPALITY, municipality=world.mun2
    )
    assert not sel.evaluations_visible(user=stranger).exists()
    assert client_for(stranger).get(f"/evaluation/{ev.pk}/").status_code == 404
    school_page = client_for(world.users["school"]).get(f"/evaluation/{ev.pk}/").content.decode()
    assert "Условия соответствуют" in school_page
    assert 'id="reviews"' not in school_page  # the school reads the conclusion, not the experts' forms
    mun_page = client_for(world.users["municipality"]).get(f"/evaluation/{ev.pk}/").content.decode()
    assert 'id="reviews"' in mun_page
    assert "аналитическая справка от 12.09.2024" in mun_page
    api = TestClient(router)
    rows = api.get("/schools/sch0001/evaluations", user=world.users["teacher"]).json()
    assert [(r["form_title"], r["status_label"], r["recommendations"]) for r in rows] == [
        ("Комплексная оценка школы", "завершена", ["Организовать наставничество"])
    ]
    assert rows[0]["scores"][0]["title"] == "Управление"
    assert rows[0]["concluded_at"].count(".") == 2
    assert api.get("/schools/sch0001/evaluations", user=stranger).status_code == 404


def test_pages_assign_review_conclude_and_export(world) -> None:
    u = world.users
    region = client_for(u["region"])
    assert 'id="assign"' in region.get("/evaluation/").content.decode()
    assert 'id="assign"' not in client_for(u["municipality"]).get("/evaluation/").content.decode()
    assert client_for(u["municipality"]).get("/evaluation/new/?school=sch0001").status_code == 403
    assert region.get("/evaluation/new/?school=sch0009").status_code == 404
    page = region.get("/evaluation/new/?school=sch0001").content.decode()
    assert "u_curator" in page
    assert "u_teacher" not in page
    r = region.post(
        "/evaluation/new/?school=sch0001",
        {
            "form_code": "antirisk_programme",
            "year": 2024,
            "subject": "Антирисковая программа МБОУ СОШ №1 на 2024–2025 гг.",
            "experts": [u["curator"].pk],
            "lead_expert": u["curator"].pk,
            "start_date": "2024-10-01",
            "due_date": "2024-09-01",
        },
    )
    assert "раньше начала 01.10.2024" in r.content.decode()
    r = region.post(
        "/evaluation/new/?school=sch0001",
        {
            "form_code": "antirisk_programme",
            "year": 2024,
            "subject": "Антирисковая программа МБОУ СОШ №1 на 2024–2025 гг.",
            "experts": [u["curator"].pk],
            "lead_expert": u["curator"].pk,
        },
    )
    ev = Evaluation.objects.get()
    assert r.status_code == 302
    curator = client_for(u["curator"])
    page = curator.get(f"/evaluation/{ev.pk}/").content.decode()
    assert 'id="review-form"' in page
    assert "Выбранные направления (факторы риска) подтверждены" in page
    form = {
        "score_A1": "2",
        "score_A2": "1",
        "score_A3": "2",
        "score_A4": "0",
        "comment_A4": "нет целевых значений",
    }
    r = curator.post(f"/evaluation/{ev.pk}/review/", {**form, "submit": "1"})
    assert "не оценены критерии: A5" in r.content.decode()
    r = curator.post(
        f"/evaluation/{ev.pk}/review/",
        {
            **form,
            "score_A5": "1",
            "conclusion": "Программа требует доработки",
            "recommendations": "Указать целевые значения показателей",
            "submit": "1",
        },
    )
    assert r.status_code == 302
    page = curator.get(f"/evaluation/{ev.pk}/").content.decode()
    assert "Указать целевые значения показателей</textarea>" in page  # proposed for the conclusion
    curator.post(
        f"/evaluation/{ev.pk}/conclude/",
        {
            "conclusion": "Доработать программу",
            "recommendations": "Указать целевые значения показателей\n"
            "Согласовать программу с дорожной картой",
        },
    )
    ev.refresh_from_db()
    assert ev.status == EvaluationStatus.DONE
    xlsx = openpyxl.load_workbook(io.BytesIO(region.get(f"/evaluation/{ev.pk}/conclusion.xlsx").content))
    rows = list(xlsx["Заключение"].iter_rows(values_only=True))
    assert ("Раздел", "Баллы", "Максимум", "Доля, %") in rows
    assert ("Риски и их обоснование", 3, 4, 75) in rows
    assert ("Рекомендация 2", "Согласовать программу с дорожной картой", None, None) in rows
    crit = list(xlsx["Критерии"].iter_rows(values_only=True))
    assert crit[0][4] == "Оценка: u_curator"
    assert crit[4][:2] == ("Меры и показатели", "A4")
    assert crit[4][4:6] == ("0 — не соответствует", "нет целевых значений")
    doc = Document(io.BytesIO(region.get(f"/evaluation/{ev.pk}/conclusion.docx").content))
    text = [p.text for p in doc.paragraphs]
    assert "Доработать программу" in text
    assert "Согласовать программу с дорожной картой" in text
    assert region.get(f"/evaluation/{ev.pk}/conclusion.pdf").status_code == 404


def test_the_school_card_block_shows_the_latest_conclusion(world, ev) -> None:
    request = RequestFactory().get("/")
    request.user = world.users["teacher"]
    tpl = Template("{% load evaluation_tags %}{% school_evaluation_block school %}")
    assert "Внешняя оценка" in tpl.render(Context({"request": request, "school": world.school}))
    assert "Оценок в работе: 1" in tpl.render(Context({"request": request, "school": world.school}))
    done(world, ev)
    html = tpl.render(Context({"request": request, "school": world.school}))
    assert "Условия соответствуют" in html
    assert "<li>Организовать наставничество</li>" in html
    assert "Управление" in html
    request.user = world.users["school"]
    assert tpl.render(Context({"request": request, "school": world.neighbour})).strip() == ""


def test_a_region_criteria_file_is_used_for_new_evaluations_only(world, ev, settings, tmp_path) -> None:
    path = tmp_path / "region.toml"
    path.write_text(
        'version = "r-2"\n[[forms]]\ncode = "complex"\ntitle = "Комплексная оценка (регион)"\n'
        '[[forms.sections]]\ncode = "m"\ntitle = "Управление"\n[[forms.sections.criteria]]\n'
        'code = "X1"\ntext = "Есть программа развития"\nscale = "yes_no"\n',
        encoding="utf-8",
    )
    settings.SHNOR_EVALUATION_CRITERIA = str(path)
    new = services.evaluation_create(
        actor=world.users["region"],
        school=world.school,
        form_code="complex",
        year=2025,
        experts=[world.users["curator"]],
    )
    assert (new.form_title, new.criteria_version, [c.code for c in new.form.criteria]) == (
        "Комплексная оценка (регион)",
        "r-2",
        ["X1"],
    )
    ev.refresh_from_db()
    assert ev.criteria_version == "2026.1"
    assert len(ev.form.criteria) == 15
