"""Support pages: roadmaps, activities, deadlines and notices, partner schools, risk profiles.

Thin: every object is fetched through a scoped selector (404 outside the user's scope), rights come
from ``selectors``, changes go through ``services``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from shnor.core.reports.roadmap_export import EXPORTERS
from shnor.web import params
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import scope_of
from shnor.web.accounts.selectors import municipalities_visible_to, regions_visible_to, schools_visible_to
from shnor.web.identification.selectors import run_pick, runs_done
from shnor.web.support import forms as f
from shnor.web.support import selectors as sel
from shnor.web.support import services
from shnor.web.support.models import Activity, Evidence, Level, PartnerAssignment, RiskSurvey, Roadmap
from shnor.web.support.services.roadmaps import default_templates
from shnor.web.support.services.surveys import questionnaire_of


def _today() -> dt.date:
    return timezone.localdate()


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The user's roadmaps, deadlines (upcoming and overdue) and unread notices."""
    days = params.integer(request.GET, "days", default=14, minimum=1, maximum=366, label="срок, дней")
    today = _today()
    roadmaps = list(
        Roadmap.objects.visible_to(request.user)
        .select_related("region", "municipality", "school")
        .order_by("-year", "level", "municipality__name", "school__school_id")[:300]
    )
    for r in roadmaps:
        r.progress = sel.roadmap_progress(roadmap=r, today=today)
    deadlines = sel.activities_deadlines(user=request.user, today=today, days=days)
    creatable = {
        "regions": [
            r
            for r in regions_visible_to(user=request.user)
            if scope_of(request.user).can_create_roadmap(level=Level.REGION, unit=r)
        ],
        "municipalities": [
            m
            for m in municipalities_visible_to(user=request.user)
            if scope_of(request.user).can_create_roadmap(level=Level.MUNICIPALITY, unit=m)
        ],
    }
    return render(
        request,
        "support/index.html",
        {
            "roadmaps": roadmaps,
            "deadlines": deadlines,
            "today": today,
            "creatable": creatable,
            "notices": sel.notices_for(user=request.user, unread_only=True)[:20],
        },
    )


def _target(request: HttpRequest, level: str) -> Any:
    source = request.GET if "target" in request.GET else request.POST
    if level == Level.REGION:
        return get_object_or_404(
            regions_visible_to(user=request.user),
            pk=params.identifier(source, "target", label="регион", required=True),
        )
    if level == Level.MUNICIPALITY:
        pk = params.identifier(source, "target", label="муниципалитет", required=True)
        return get_object_or_404(municipalities_visible_to(user=request.user), pk=pk)
    school_id = params.text(source, "target", max_length=50, label="школа (логин)", required=True)
    return get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)


@login_required
def roadmap_new(request: HttpRequest) -> HttpResponse:
    """Create a roadmap for a region / municipality / school (``?level=…&target=…``) from templates."""
    level = params.choice(
        request.GET if "level" in request.GET else request.POST,
        "level",
        dict(Level.choices),
        label="уровень дорожной карты",
        required=True,
    )
    target = _target(request, level)
    if not scope_of(request.user).can_create_roadmap(level=level, unit=target):
        raise PermissionDenied("нет права создавать эту дорожную карту")
    run = run_pick()
    today = _today()
    tracks = services.school_tracks_for(school=target, run=run) if level == Level.SCHOOL else None
    defaults = default_templates(level=level, unit=target)
    year_default = services.roadmap_year_default(templates=defaults, level=level, today=today)
    initial = {"year": year_default, "templates": defaults}
    form = f.RoadmapCreateForm(request.POST or None, level=level, initial=initial, user=request.user)
    overdue = 0
    if request.method == "POST" and form.is_valid():
        overdue = services.roadmap_overdue_count(
            templates=form.cleaned_data["templates"],
            level=level,
            year=form.cleaned_data["year"],
            today=today,
            tracks=tracks,
        )
        kw = (
            {"region": target}
            if level == Level.REGION
            else {"municipality": target}
            if level == Level.MUNICIPALITY
            else {"school": target}
        )
        try:
            roadmap = services.roadmap_create(
                actor=request.user,
                level=level,
                year=form.cleaned_data["year"],
                templates=form.cleaned_data["templates"],
                run=run,
                **kw,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Дорожная карта создана: {roadmap.activities.count()} мероприятий")
            late = roadmap.activities.filter(due_date__lt=today).count()
            if late:
                messages.warning(request, _overdue_warning(late, roadmap.year, today))
            return redirect("support:roadmap", pk=roadmap.pk)
    return render(
        request,
        "support/roadmap_new.html",
        {
            "form": form,
            "level": level,
            "level_label": Level(level).label,
            "target": target,
            "tracks": tracks,
            "run": run,
            "target_key": getattr(target, "school_id", None) or target.pk,
            "year_default": year_default,
            "year_note": (
                f"Учебный год {year_default}/{year_default + 1}: все сроки мероприятий позже сегодняшней даты"
            ),
            "overdue_warning": _overdue_warning(overdue, form.cleaned_data["year"], today) if overdue else "",
        },
    )


def _overdue_warning(count: int, year: int, today: dt.date) -> str:
    return (
        f"На {year} год мероприятий с прошедшим сроком: {count} — они будут просрочены сразу после "
        f"создания (сегодня {today:%d.%m.%Y}). Выберите год позже или поправьте их сроки."
    )


def _roadmap(request: HttpRequest, pk: int) -> Roadmap:
    return get_object_or_404(Roadmap.objects.visible_to(request.user), pk=pk)


@login_required
def roadmap_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A roadmap: header, execution share, activities by section with state, links up and down."""
    roadmap = _roadmap(request, pk)
    access = sel.roadmap_access(user=request.user, roadmap=roadmap)
    today = _today()
    header = f.HeaderForm(
        request.POST or None,
        prefix="header",  # the add-activity form on the same page has a «title» too
        initial={
            "title": roadmap.title,
            "order_authority": roadmap.order_authority,
            "order_number": roadmap.order_number,
            "order_date": roadmap.order_date,
            "appendix": roadmap.appendix,
        },
    )
    if request.method == "POST":
        if not access.edit:
            raise PermissionDenied("только чтение")
        if header.is_valid():
            services.roadmap_header_update(actor=request.user, roadmap=roadmap, **header.cleaned_data)
            messages.success(request, "Заголовок сохранён")
            return redirect("support:roadmap", pk=roadmap.pk)
    sections = sel.roadmap_sections(roadmap=roadmap)
    visible_ids = set(Roadmap.objects.visible_to(request.user).values_list("pk", flat=True))
    for _, acts in sections:
        for a in acts:
            a.st = a.state(today)
            a.st_label = a.state_label(today)
            a.parent_visible = a.parent_id is not None and a.parent.roadmap_id in visible_ids
    children = (
        Roadmap.objects.visible_to(request.user)
        .select_related("region", "municipality", "school")
        .filter(parent=roadmap)
        .order_by("level", "school__school_id")
    )
    return render(
        request,
        "support/roadmap.html",
        {
            "roadmap": roadmap,
            "access": access,
            "sections": sections,
            "progress": sel.roadmap_progress(roadmap=roadmap, today=today),
            "header": header,
            "add_form": f.ActivityAddForm(),
            "children": children,
            "parent_visible": roadmap.parent_id in visible_ids,
            "today": today,
        },
    )


@login_required
def roadmap_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """DOCX / XLSX in the official table layout (``?status=1`` adds the execution column)."""
    roadmap = _roadmap(request, pk)
    exporter = EXPORTERS.get(f"roadmap_{fmt}")
    if exporter is None:
        raise Http404("неизвестный формат")
    with_status = params.flag(request.GET, "status")
    doc = sel.roadmap_document(roadmap=roadmap, with_status=with_status, today=_today())
    filename, mimetype, content = exporter.render({"document": doc})
    if with_status:  # the execution report is another document than the order's appendix
        filename = "Отчёт_о_выполнении_" + filename.removeprefix("Дорожная_карта_")
    audit_record(
        action="выгрузка",
        object_type="дорожная карта",
        object_id=str(roadmap.pk),
        object_repr=str(roadmap),
        changes={"format": fmt, "file": filename},
    )
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _due_note(request: HttpRequest, activity: Activity, *, typed: bool) -> None:
    level, text = services.activity_due_note(activity=activity, typed=typed)
    (messages.warning if level == "warning" else messages.info)(request, text)


@login_required
@require_POST
def activity_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an activity to a roadmap."""
    roadmap = _roadmap(request, pk)
    form = f.ActivityAddForm(request.POST)
    if form.is_valid():
        try:
            activity = services.activity_add(actor=request.user, roadmap=roadmap, **form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Мероприятие добавлено")
            _due_note(request, activity, typed=form.cleaned_data["due_date"] is not None)
    else:
        messages.error(request, "Заполните наименование мероприятия")
    return redirect("support:roadmap", pk=roadmap.pk)


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An activity: status, dates, comments, evidence (files and links), implementations below."""
    activity = get_object_or_404(Activity.objects.visible_to(request.user), pk=pk)
    access = sel.roadmap_access(user=request.user, roadmap=activity.roadmap)
    today = _today()
    update = f.ActivityUpdateForm(
        initial={
            "status": activity.status,
            "period_text": activity.period_text,
            "due_date": activity.due_date,
        }
    )
    evidence_form = f.EvidenceForm()
    comment_form = f.CommentForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "update":
                update = f.ActivityUpdateForm(request.POST)
                if update.is_valid():
                    d = update.cleaned_data
                    typed = d["due_date"] is not None and d["due_date"] != activity.due_date
                    before = (activity.period_text, activity.due_date)
                    services.activity_update(
                        actor=request.user,
                        activity=activity,
                        status=d["status"],
                        comment=d["comment"],
                        period_text=d["period_text"],
                        due_date=d["due_date"] if typed else None,
                    )
                    messages.success(request, "Сохранено")
                    if before != (activity.period_text, activity.due_date):
                        _due_note(request, activity, typed=typed)
                    return redirect("support:activity", pk=activity.pk)
            elif action == "evidence":
                evidence_form = f.EvidenceForm(request.POST, request.FILES)
                if evidence_form.is_valid():
                    d = evidence_form.cleaned_data
                    services.evidence_add(
                        actor=request.user,
                        activity=activity,
                        upload=d["file"],
                        url=d["url"],
                        title=d["title"],
                    )
                    messages.success(request, "Подтверждение добавлено")
                    return redirect("support:activity", pk=activity.pk)
            elif action == "comment":
                comment_form = f.CommentForm(request.POST)
                if comment_form.is_valid():
                    services.activity_comment_add(
                        actor=request.user, activity=activity, text=comment_form.cleaned_data["text"]
                    )
                    return redirect("support:activity", pk=activity.pk)
            elif action == "delete_evidence":
                ev = get_object_or_404(
                    Evidence.objects.visible_to(request.user),
                    pk=params.identifier(request.POST, "evidence", required=True),
                    activity=activity,
                )
                if not params.flag(request.POST, "confirm", label="подтверждение"):
                    return _confirm(request, activity, "delete_evidence", evidence=ev)
                services.evidence_delete(actor=request.user, evidence=ev)
                messages.success(request, "Подтверждение удалено")
                return redirect("support:activity", pk=activity.pk)
            elif action == "delete_activity":
                if not access.edit:
                    raise PermissionDenied("нет права изменять мероприятия этой дорожной карты")
                if not params.flag(request.POST, "confirm", label="подтверждение"):
                    return _confirm(request, activity, "delete_activity")
                roadmap_pk = activity.roadmap_id
                services.activity_delete(actor=request.user, activity=activity)
                messages.success(request, f"Мероприятие «{activity.title[:80]}» удалено")
                return redirect("support:roadmap", pk=roadmap_pk)
            else:
                raise Http404("неизвестное действие")
        except ValidationError as exc:
            _errors(request, exc)
    implementations = (
        Activity.objects.visible_to(request.user)
        .select_related("roadmap__school", "roadmap__municipality", "roadmap__region")
        .filter(parent=activity)
        .order_by("roadmap__level", "roadmap__school__school_id")
    )
    parent = None
    if (
        activity.parent_id
        and Activity.objects.visible_to(request.user).filter(pk=activity.parent_id).exists()
    ):
        parent = activity.parent
    return render(
        request,
        "support/activity.html",
        {
            "activity": activity,
            "access": access,
            "state": activity.state(today),
            "state_label": activity.state_label(today),
            "update": update,
            "evidence_form": evidence_form,
            "comment_form": comment_form,
            "comments": activity.comments.select_related("author"),
            "evidence": activity.evidence.all(),
            "implementations": implementations,
            "parent": parent,
            "max_mb": services.evidence_max_bytes() // 1048576,
        },
    )


def _confirm(
    request: HttpRequest, activity: Activity, action: str, evidence: Evidence | None = None
) -> HttpResponse:
    """The confirmation step of a deletion: what goes, and a form that posts it again with ``confirm=1``."""
    if action == "delete_evidence" and evidence is not None:
        what = f"подтверждение выполнения «{evidence.title or evidence.original_name or evidence.url}»"
    else:
        what = f"мероприятие {activity.number} «{activity.title}» с его комментариями и подтверждениями"
    return render(
        request,
        "support/confirm_delete.html",
        {"activity": activity, "action": action, "evidence": evidence, "what": what},
    )


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """An evidence file, only for users who see its activity."""
    ev = get_object_or_404(Evidence.objects.visible_to(request.user), pk=pk)
    if not ev.file:
        raise Http404("это ссылка, а не файл")
    return FileResponse(ev.file.open("rb"), as_attachment=True, filename=ev.original_name or "file")


@login_required
def school_support(request: HttpRequest, school_id: str) -> HttpResponse:
    """A school's support: roadmaps, tracks, leader school, curators, mentors, risk profile."""
    school = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    today = _today()
    summary = sel.school_support_summary(user=request.user, school=school, today=today)
    manage = scope_of(request.user).can_manage_school(school)
    run = run_pick()
    year = run.year if run else today.year
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("нет права")
        action = request.POST.get("action")
        try:
            if action == "mentor":
                form = f.MentorForm(request.POST)
                if form.is_valid():
                    services.mentor_add(actor=request.user, school=school, year=year, **form.cleaned_data)
            elif action in ("curator_add", "curator_remove"):
                candidates = {
                    str(u.pk): u for u in services.curators_available(actor=request.user, school=school)
                }
                curator = candidates.get(request.POST.get("curator", ""))
                if curator is None:
                    raise ValidationError("куратор не найден")
                services.curator_assign(
                    actor=request.user, school=school, curator=curator, remove=action == "curator_remove"
                )
            else:
                raise Http404("неизвестное действие")
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("support:school", school_id=school.school_id)
    surveys = RiskSurvey.objects.visible_to(request.user).select_related("school").filter(school=school)
    return render(
        request,
        "support/school.html",
        {
            "school": school,
            "summary": summary,
            "manage": manage,
            "run": run,
            "year": year,
            "tracks": services.school_tracks_for(school=school, run=run),
            "can_create": scope_of(request.user).can_create_roadmap(level=Level.SCHOOL, unit=school),
            "can_survey": scope_of(request.user).can_fill_survey(school),
            "surveys": surveys,
            "mentor_form": f.MentorForm(),
            "curators_available": services.curators_available(actor=request.user, school=school)
            if manage
            else [],
        },
    )


@login_required
def partners(request: HttpRequest, pk: int) -> HttpResponse:
    """Leader-school proposals for a municipality's ШНОР; POST asks the matching method for proposals."""
    mun = get_object_or_404(municipalities_visible_to(user=request.user), pk=pk)
    run = run_pick(run_id=params.identifier(request.POST, "run") or params.identifier(request.GET, "run"))
    can = scope_of(request.user).can_create_roadmap(level=Level.MUNICIPALITY, unit=mun)
    if request.method == "POST":
        if not can:
            raise PermissionDenied("нет права")
        if run is None:
            messages.error(request, "Нет завершённого расчёта по методике")
        else:
            made = services.partner_proposals_create(actor=request.user, municipality=mun, run=run)
            messages.success(request, f"Предложения подготовлены: {len(made)}")
        return redirect("support:partners", pk=mun.pk)
    rows = (
        PartnerAssignment.objects.visible_to(request.user)
        .select_related("school", "leader", "proposed_leader")
        .filter(school__municipality=mun)
        .order_by("-year", "school__school_id")
    )
    return render(
        request,
        "support/partners.html",
        {"municipality": mun, "rows": rows, "run": run, "runs": runs_done(), "can": can},
    )


@login_required
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One proposal with its evidence; the municipality confirms, changes the leader or rejects."""
    a = get_object_or_404(PartnerAssignment.objects.visible_to(request.user), pk=pk)
    manage = scope_of(request.user).can_manage_school(a.school)
    leaders = (
        [
            (str(s.pk), str(s))
            for s in schools_visible_to(user=request.user).exclude(pk=a.school_id).order_by("school_id")
        ]
        if manage
        else []
    )
    form = f.PartnerDecisionForm(request.POST or None, leaders=leaders)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("нет права")
        if form.is_valid():
            d = form.cleaned_data
            leader = (
                schools_visible_to(user=request.user).filter(pk=d["leader"]).first() if d["leader"] else None
            )
            try:
                services.partner_decide(
                    actor=request.user,
                    assignment=a,
                    confirm=d["decision"] == PartnerAssignment.CONFIRMED,
                    leader=leader,
                    note=d["note"],
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, "Решение сохранено")
                return redirect("support:partners", pk=a.school.municipality_id)
    return render(request, "support/partner.html", {"a": a, "form": form, "manage": manage})


@login_required
def survey_open(request: HttpRequest, school_id: str) -> HttpResponse:
    """Open (create) the school's risk survey for the current year and go to it."""
    school = get_object_or_404(schools_visible_to(user=request.user), school_id=school_id)
    if request.method != "POST":
        return redirect("support:school", school_id=school.school_id)
    run = run_pick()
    survey_year = params.year(request.POST, "year", default=run.year if run else _today().year)
    survey = services.risk_survey_open(actor=request.user, school=school, year=survey_year)
    return redirect("support:survey", pk=survey.pk)


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The risk profile: scores per factor, respondents, web-form export import, chosen risks, programmes."""
    survey = get_object_or_404(RiskSurvey.objects.visible_to(request.user), pk=pk)
    q = questionnaire_of(survey.school)
    can = scope_of(request.user).can_fill_survey(survey.school)
    groups = [(k, v.get("title", k)) for k, v in q.groups.items()]
    import_form = f.SurveyImportForm(groups=groups)
    import_result = None
    if request.method == "POST":
        if not can:
            raise PermissionDenied("только чтение")
        action = request.POST.get("action")
        try:
            if action == "import":
                import_form = f.SurveyImportForm(request.POST, request.FILES, groups=groups)
                if import_form.is_valid():
                    up = import_form.cleaned_data["file"]
                    if up.size > 5 * 1024 * 1024:
                        raise ValidationError("файл больше 5 МБ")
                    import_result = services.survey_import(
                        actor=request.user,
                        survey=survey,
                        group=import_form.cleaned_data["group"],
                        content=up.read(),
                        filename=up.name,
                    )
                    if not import_result.errors:
                        messages.success(request, f"Загружено анкет: {len(import_result.answers)}")
                        return redirect("support:survey", pk=survey.pk)
            elif action == "choose":
                services.risk_choose(
                    actor=request.user, survey=survey, factors=request.POST.getlist("factor")
                )
                return redirect("support:survey", pk=survey.pk)
            elif action == "programme":
                prog = services.antirisk_programme_create(
                    actor=request.user, survey=survey, factor=request.POST.get("factor", "")
                )
                return redirect("support:programme", pk=prog.pk)
            else:
                raise Http404("неизвестное действие")
        except ValidationError as exc:
            _errors(request, exc)
    factors = survey.profile.get("factors", {}) if survey.profile else {}
    titles = dict(groups)
    rows = []
    for fc in q.factors:
        got = factors.get(fc.code, {"score": None, "n_answers": 0, "by_group": {}})
        rows.append(
            {
                "code": fc.code,
                "title": fc.title,
                "score": got["score"],
                "n_answers": got["n_answers"],
                "by_group": [(titles.get(g, g), v) for g, v in got["by_group"].items()],
                "chosen": fc.code in survey.chosen,
            }
        )
    return render(
        request,
        "support/survey.html",
        {
            "survey": survey,
            "q": q,
            "rows": rows,
            "groups": groups,
            "can": can,
            "import_form": import_form,
            "import_result": import_result,
            "group_counts": [
                (code, title, (survey.profile or {}).get("respondents", {}).get(code, 0))
                for code, title in groups
            ],
            "programmes": survey.programmes.all(),
        },
    )


@login_required
def survey_fill(request: HttpRequest, pk: int, group: str) -> HttpResponse:
    """Fill one questionnaire in the browser (one respondent per submission)."""
    survey = get_object_or_404(RiskSurvey.objects.visible_to(request.user), pk=pk)
    if not scope_of(request.user).can_fill_survey(survey.school):
        raise PermissionDenied("только чтение")
    q = questionnaire_of(survey.school)
    if group not in q.groups:
        raise Http404("нет такой анкеты")
    questions = q.group_questions(group)
    scale = list(zip(q.values, q.labels, strict=True))
    form = f.questionnaire_form(questions, scale, request.POST or None)
    if request.method == "POST" and form.is_valid():
        answers = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            services.survey_response_add(actor=request.user, survey=survey, group=group, answers=answers)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Анкета сохранена")
            return redirect("support:survey", pk=survey.pk)
    return render(
        request,
        "support/survey_fill.html",
        {"survey": survey, "form": form, "group_title": q.groups[group].get("title", group)},
    )


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An anti-risk programme and its measures; POST puts them into the school's roadmap."""
    from shnor.web.support.models import AntiRiskProgramme

    prog = get_object_or_404(
        AntiRiskProgramme.objects.filter(survey__in=RiskSurvey.objects.visible_to(request.user)), pk=pk
    )
    can = scope_of(request.user).can_fill_survey(prog.survey.school)
    if request.method == "POST":
        if not can:
            raise PermissionDenied("только чтение")
        try:
            made = services.antirisk_to_roadmap(actor=request.user, programme=prog)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"В дорожную карту школы добавлено мероприятий: {len(made)}")
            if made:
                return redirect("support:roadmap", pk=made[0].roadmap_id)
        return redirect("support:programme", pk=prog.pk)
    return render(
        request,
        "support/programme.html",
        {"prog": prog, "measures": prog.measures.select_related("activity"), "can": can},
    )


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """The user's in-app notices; POST marks them read."""
    if request.method == "POST":
        services.notice_mark_read(actor=request.user)
        return redirect("support:notices")
    return render(request, "support/notices.html", {"notices": sel.notices_for(user=request.user)[:200]})
