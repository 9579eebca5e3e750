"""The demo: a synthetic region generated, imported through the ordinary importers and identified."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

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
    return report


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
