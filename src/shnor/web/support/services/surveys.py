"""Risk-profile surveys and anti-risk programmes (and their measures in the school's roadmap)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shnor.core.roadmaps import risk as risk_core
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User, scope_of
from shnor.web.regionconf import selectors as regionconf
from shnor.web.registry.models import School
from shnor.web.support import selectors as sel
from shnor.web.support.models import (
    Activity,
    AntiRiskMeasure,
    AntiRiskProgramme,
    Level,
    RiskSurvey,
    Roadmap,
    SurveyResponse,
)
from shnor.web.support.services.activities import activity_add
from shnor.web.support.services.roadmaps import roadmap_create


def questionnaire_of(school: School) -> risk_core.Questionnaire:
    """The questionnaire of the school's region: its active version (settings), else the shipped one."""
    return regionconf.questionnaire_for(region=regionconf.region_of_unit(school))


def _check_survey(actor: User, survey: RiskSurvey) -> None:
    if not scope_of(actor).can_fill_survey(survey.school):
        raise PermissionDenied("нет права заполнять анкеты этой школы")


def risk_survey_open(*, actor: User, school: School, year: int) -> RiskSurvey:
    """The school's survey for ``year`` (created on first use)."""
    if not scope_of(actor).can_fill_survey(school):
        raise PermissionDenied("нет права заполнять анкеты этой школы")
    q = questionnaire_of(school)
    survey, _ = RiskSurvey.objects.get_or_create(
        school=school, year=year, defaults={"questionnaire": q.key, "created_by": actor}
    )
    return survey


def risk_profile_recompute(*, survey: RiskSurvey) -> RiskSurvey:
    """Recompute the profile from all responses; the proposed risks become the chosen ones until a
    person has chosen (``risk_choose``)."""
    q = questionnaire_of(survey.school)
    profile = risk_core.profile_compute(q, ((r.group, r.answers) for r in survey.responses.all()))
    survey.profile = profile
    if not survey.profile.get("chosen_by_user"):
        survey.chosen = list(profile["chosen"])
    survey.save(update_fields=["profile", "chosen"])
    return survey


@transaction.atomic
def survey_response_add(
    *, actor: User, survey: RiskSurvey, group: str, answers: dict[str, Any], source: str = "веб-форма"
) -> SurveyResponse:
    """Store one respondent's answers (validated against the questionnaire) and recompute the profile."""
    _check_survey(actor, survey)
    q = questionnaire_of(survey.school)
    codes = {x.code for x in q.group_questions(group)}
    if not codes:
        raise ValidationError(f"неизвестная группа респондентов «{group}»")
    clean: dict[str, int] = {}
    for code, value in answers.items():
        if code not in codes:
            raise ValidationError(f"вопрос {code} не относится к анкете этой группы")
        try:
            v = q.value_of(value)
        except ValueError:
            raise ValidationError(f"вопрос {code}: недопустимый ответ «{value}»") from None
        if v is not None:
            clean[code] = v
    if not clean:
        raise ValidationError("нет ни одного ответа")
    response = SurveyResponse.objects.create(survey=survey, group=group, answers=clean, source=source[:255])
    risk_profile_recompute(survey=survey)
    return response


@transaction.atomic
def survey_import(
    *, actor: User, survey: RiskSurvey, group: str, content: bytes, filename: str
) -> risk_core.ImportResult:
    """Import a web-form export (CSV/XLSX) of one group: all rows or none (errors list row and column)."""
    _check_survey(actor, survey)
    q = questionnaire_of(survey.school)
    result = risk_core.responses_read(q, group, content, filename)
    if result.errors:
        return result
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                survey=survey, group=group, answers=a, source=f"файл {PurePath(filename).name}"[:255]
            )
            for a in result.answers
        ]
    )
    risk_profile_recompute(survey=survey)
    audit_record(
        action="загрузка анкет",
        object_type="анкетирование (рисковый профиль)",
        object_id=str(survey.pk),
        object_repr=str(survey),
        changes={"group": group, "rows": len(result.answers), "file": PurePath(filename).name},
    )
    return result


def risk_choose(*, actor: User, survey: RiskSurvey, factors: Sequence[str]) -> RiskSurvey:
    """The school (or its curator / coordinator) chooses the risks to work on."""
    _check_survey(actor, survey)
    q = questionnaire_of(survey.school)
    known = {f.code for f in q.factors}
    bad = [f for f in factors if f not in known]
    if bad:
        raise ValidationError(f"неизвестные факторы риска: {', '.join(bad)}")
    survey.chosen = list(dict.fromkeys(factors))
    survey.profile = {**(survey.profile or {}), "chosen_by_user": True}
    survey.save(update_fields=["chosen", "profile"])
    return survey


@transaction.atomic
def antirisk_programme_create(*, actor: User, survey: RiskSurvey, factor: str) -> AntiRiskProgramme:
    """An anti-risk programme for a chosen risk, pre-filled with the template's measures."""
    _check_survey(actor, survey)
    if factor not in survey.chosen:
        raise ValidationError("программа составляется только по выбранному риску")
    q = questionnaire_of(survey.school)
    f = q.factor(factor)
    prog, created = AntiRiskProgramme.objects.get_or_create(
        survey=survey,
        factor=factor,
        defaults={
            "title": f"Антирисковая программа «{f.title}»",
            "goal": f"Снижение риска «{f.title.lower()}»",
        },
    )
    if created:
        AntiRiskMeasure.objects.bulk_create(
            [
                AntiRiskMeasure(
                    programme=prog,
                    position=i,
                    title=m.get("title", ""),
                    period_text=m.get("period", ""),
                    executor=m.get("executor", ""),
                    co_executors=m.get("co_executors", ""),
                    expected_result=m.get("result", ""),
                    output_document=m.get("output", ""),
                )
                for i, m in enumerate(f.measures, start=1)
            ]
        )
    return prog


@transaction.atomic
def antirisk_to_roadmap(*, actor: User, programme: AntiRiskProgramme) -> list[Activity]:
    """Put the programme's measures into the school's roadmap of the survey's year (created when
    missing) as activities of the section «Антирисковая программа …»; measures already there are skipped."""
    survey = programme.survey
    roadmap = Roadmap.objects.filter(level=Level.SCHOOL, school=survey.school, year=survey.year).first()
    if roadmap is None:
        roadmap = roadmap_create(actor=actor, level=Level.SCHOOL, year=survey.year, school=survey.school)
    if not sel.roadmap_access(user=actor, roadmap=roadmap).edit:
        raise PermissionDenied("нет права изменять дорожную карту школы")
    section = f"Антирисковая программа «{questionnaire_of(survey.school).factor(programme.factor).title}»"
    existing_sections = list(dict.fromkeys(roadmap.activities.values_list("section", flat=True)))
    sec_no = (
        existing_sections.index(section) + 1 if section in existing_sections else len(existing_sections) + 1
    )
    created = []
    for m in programme.measures.filter(activity=None).order_by("position", "id"):
        n = roadmap.activities.filter(section=section).count() + 1
        act = activity_add(
            actor=actor,
            roadmap=roadmap,
            title=m.title,
            period_text=m.period_text,
            executor=m.executor,
            co_executors=m.co_executors,
            expected_result=m.expected_result,
            target_group="ОО",
            output_document=m.output_document,
            section=section,
            number=f"{sec_no}.{n}",
            track="antirisk",
        )
        m.activity = act
        m.save(update_fields=["activity"])
        created.append(act)
    return created
