"""The demo: a synthetic region generated, imported through the ordinary importers and identified."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from shnor.core.demo import DemoConfig, generate, write_files
from shnor.core.ingest.errors import IngestError
from shnor.web.assessments.services import (
    ImportOutcome,
    gia_file_import,
    scales_file_import,
    tasks_file_import,
    vpr_file_import,
)
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.identification.services import methodology_run_create
from shnor.web.registry.models import School
from shnor.web.registry.services import context_file_import, schools_file_import

Progress = Callable[[str], None]


@dataclass
class DemoReport:
    """What the demo built: its folder, the import outcomes, the runs and the demo accounts."""

    folder: Path
    outcomes: list[ImportOutcome] = field(default_factory=list)
    runs: list[MethodologyRun] = field(default_factory=list)
    users: list[tuple[str, str, str]] = field(default_factory=list)
    content: dict[str, int] = field(default_factory=dict)


def demo_region_load(*, seed: int = 1, size: str = "region", progress: Progress | None = None) -> DemoReport:
    """Generate the region for ``seed``, import every file, run the methods year by year, add demo users."""
    say = progress or (lambda _m: None)
    config = DemoConfig(seed=seed, size=size)
    folder = settings.HOME / "demo" / f"seed-{seed}"
    say("генерация региона")
    data = generate(config)
    files = write_files(data, folder)
    by_name = {p.name: p for p in files}
    report = DemoReport(folder=folder)
    say("загрузка реестра и справочников")
    for outcome in (
        scales_file_import(path=by_name["scales.csv"]),
        tasks_file_import(path=by_name["tasks.csv"]),
        schools_file_import(path=by_name["schools.csv"]),
        context_file_import(path=by_name["context.csv"]),
    ):
        if not outcome.ok:  # the generator and the importers disagree: a bug, not bad user input
            raise IngestError(
                f"демо-файл не загрузился: {outcome.summary}; {'; '.join(map(str, outcome.errors[:3]))}"
            )
        report.outcomes.append(outcome)
    for path in sorted(p for p in files if p.name.startswith("vpr_")):
        say(f"загрузка {path.name}")
        report.outcomes.append(vpr_file_import(path=path, replace=True))
    if "gia.csv" in by_name:
        say("загрузка ГИА")
        report.outcomes.append(gia_file_import(path=by_name["gia.csv"], replace=True))
    for year in sorted(config.years):
        say(f"расчёт {year}")
        out = folder / "identify" / str(year)
        run, _ = methodology_run_create(
            year=year,
            out_dir=out,
            label=f"демо, зерно {seed}",
            progress=lambda m, y=year: say(f"расчёт {y}: {m}"),
            keep_evidence=False,
        )
        report.runs.append(run)
    say("демо-пользователи")
    from django.contrib.auth import get_user_model

    from shnor.web.accounts.users import user_admin_grant

    report.users = demo_users_create()
    # the region's demo analyst also administers users (/accounts/users/)
    user_admin_grant(user=get_user_model().objects.get(username="demo_region"))
    report.users = [
        (u, pw, desc + " · администратор пользователей" if u == "demo_region" else desc)
        for u, pw, desc in report.users
    ]
    report.content = demo_content_fill(seed=seed, folder=folder, progress=say)
    return report


#: Competence areas of the demo's teacher diagnostics and the courses that cover them.
DEMO_AREAS = (
    "Предметные знания",
    "Методика преподавания",
    "Оценивание образовательных результатов",
    "Работа с обучающимися с трудностями в обучении",
)
DEMO_COURSES = (
    ("Трудные темы школьного курса математики", "Институт развития образования", 36, (0, 1), "Математика"),
    ("Формирующее оценивание на уроке", "Институт развития образования", 24, (2,), ""),
    (
        "Методика обучения русскому языку в основной школе",
        "Педагогический университет",
        36,
        (0, 1),
        "Русский язык",
    ),
    ("Индивидуальный подход к обучающимся с трудностями", "Центр непрерывного образования", 18, (3,), ""),
    ("Критериальное оценивание ВПР и ОГЭ", "Центр оценки качества образования", 16, (2,), ""),
)


def demo_content_fill(*, seed: int, folder: Path, progress: Progress | None = None) -> dict[str, int]:
    """What the pages beyond the lists are for, filled through the ordinary services: the course catalogue,
    teachers of the ШНОР schools with diagnostics (a CSV through the diagnostics import) and development
    routes, school roadmaps for the ШНОР list (the bulk service, as the list page's button does), the
    municipal ones they implement, and an effectiveness analysis (its job carried out at once)."""
    import datetime as dt
    import random

    from django.contrib.auth import get_user_model

    from shnor.web.diagnostics import services as diag
    from shnor.web.diagnostics.models import Course, Teacher
    from shnor.web.identification import membership
    from shnor.web.identification.selectors import run_latest_per_year
    from shnor.web.jobs.services import job_execute
    from shnor.web.monitoring.services import MonitoringError, effectiveness_analysis_start
    from shnor.web.support.services.bulk import bulk_create, bulk_plan

    say = progress or (lambda _m: None)
    actor = get_user_model().objects.get(username="demo_region")
    runs = run_latest_per_year()
    out = {"courses": 0, "teachers": 0, "routes": 0, "roadmaps": 0, "analyses": 0}
    if not runs:
        return out
    last = runs[-1]
    say("каталог курсов")
    for title, provider, hours, areas, subject in DEMO_COURSES:
        if not Course.objects.filter(title=title).exists():
            diag.course_create(
                title=title,
                provider=provider,
                hours=hours,
                areas=[DEMO_AREAS[i] for i in areas],
                subject=subject,
                at_risk_pupils=3 in areas,
                user=actor,
            )
            out["courses"] += 1
    say("учителя и диагностика компетенций")
    listed = list(
        School.objects.filter(pk__in=membership.members(membership.basis_of(kind="low_results", run=last)))
        .order_by("school_id")
        .values_list("school_id", flat=True)[:40]
    )
    rng = random.Random(seed)
    rows = ["Логин ОО;Код учителя;ФИО;Предмет;Область компетенций;Балл;Максимум;Дата"]
    surnames = ("Иванова", "Петров", "Сидорова", "Кузнецов", "Смирнова", "Попов", "Волкова", "Морозов")
    names = ("Анна Сергеевна", "Игорь Петрович", "Мария Ивановна", "Олег Викторович")
    for sid in listed:
        for k in range(4):
            subject = "Математика" if k % 2 == 0 else "Русский язык"
            full = f"{surnames[rng.randrange(len(surnames))]} {names[k]}"
            for area in DEMO_AREAS:
                score = rng.randint(8, 20)  # of 20: below 12 (60 %) is a deficit
                rows.append(f"{sid};{sid}-у{k + 1};{full};{subject};{area};{score};20;15.10.{last.year}")
    path = folder / "teachers_competence.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    outcome = diag.competence_file_import(path=path, user=actor)
    out["teachers"] = outcome.teachers_created
    say("маршруты профессионального развития")
    for i, teacher in enumerate(Teacher.objects.filter(school__school_id__in=listed).order_by("pk")):
        route = diag.route_create(teacher=teacher, year=last.year, user=actor)
        out["routes"] += 1
        if i % 3 == 0:  # a third of the teachers have finished their first course
            first = route.enrolments.order_by("pk").first()
            if first is not None:
                diag.enrolment_set_status(
                    enrolment=first,
                    status=first.COMPLETED,
                    user=actor,
                    completed_on=dt.date(last.year, 12, 1),
                )
    say("дорожные карты школ ШНОР")
    today = timezone.localdate()
    plan = bulk_plan(actor=actor, year=last.year + 1, kind="low_results", today=today, list_year=last.year)
    if plan.to_create:
        done = bulk_create(
            actor=actor, plan_params={**plan.params(), "today": today.isoformat()}, progress=say
        )
        out["roadmaps"] = int(done["created"]) + int(done["municipal_created"])
    say("анализ эффективности мер")
    try:
        analysis = effectiveness_analysis_start(user=actor, start_year=runs[0].year)
    except MonitoringError:
        analysis = None
    if analysis is not None and analysis.job_id:
        job_execute(job_id=analysis.job_id)
        out["analyses"] = 1
    return out


def demo_school() -> School | None:
    """The school the demo director sees: one with a support track in the latest run (so there is
    something to explain), else the first school with a municipality, else any school."""
    base = School.objects.exclude(municipality=None).select_related("municipality__region", "region")
    run = (
        MethodologyRun.objects.filter(status=MethodologyRun.DONE)
        .order_by("-year", "-finished_at", "-pk")
        .first()
    )
    if run is not None:
        for method in (SchoolOutcome.LOW_RESULTS, SchoolOutcome.TRACKS):
            tracked = base.filter(
                outcomes__run=run, outcomes__method=method, outcomes__flagged=True
            ).order_by("school_id")
            if tracked.exists():
                return tracked.first()
    return base.order_by("school_id").first() or School.objects.order_by("school_id").first()


def demo_users_create(*, password: str | None = None) -> list[tuple[str, str, str]]:
    """One demo user per role, scoped to the demo school (``demo_school``); see
    ``shnor.web.accounts.services.demo_users_create``."""
    from shnor.web.accounts.services import demo_users_create as users_create

    return users_create(school=demo_school(), password=password)
