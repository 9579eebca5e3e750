"""The quarterly report's data, gathered within the user's scope, and its files (the job writes them).

Region-wide users report on their region, municipality coordinators on their municipality. List movements
compare the approved list in force at the quarter's start with the one in force at its end
(``identification.membership``; without an approved list, the year's latest run); roadmap execution and
the requests' lateness are counted as of the quarter's end (or today, inside the quarter).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from shnor.core.reports.quarterly import (
    QuarterlyData,
    quarter_bounds,
    render_docx,
    render_pdf,
    report_filename,
)
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.identification import membership
from shnor.web.identification.models import ListVersion, MethodologyRun
from shnor.web.jobs.kinds import Stage
from shnor.web.registry.models import Municipality, Region, School
from shnor.web.submissions.models import Status
from shnor.web.submissions.selectors import board, requests_visible_to

LIST_KINDS = ("low_results", "social_risk", "objectivity")


def report_unit(*, user: User) -> tuple[str, Any]:
    """(level, unit) the user reports on; PermissionDenied for school-level roles."""
    scope = scope_of(user)
    if scope.region_wide:
        region = Region.objects.filter(pk=scope.region_id).first() if scope.region_id else None
        region = region or Region.objects.visible_to(user).order_by("pk").first()
        if region is not None:
            return "region", region
    if scope.role == Role.MUNICIPALITY and scope.municipality_id:
        return "municipality", Municipality.objects.get(pk=scope.municipality_id)
    raise PermissionDenied("Квартальный отчёт формируют регион и муниципалитет.")


def _schools(user: User, level: str, unit: Any) -> Any:
    qs = School.objects.visible_to(user)
    return qs.filter(municipality=unit) if level == "municipality" else qs.filter(region=unit)


def _version_at(kind: str, moment: dt.datetime) -> ListVersion | None:
    return (
        ListVersion.objects.filter(kind=kind, status=ListVersion.APPROVED, approved_at__lte=moment)
        .order_by("-approved_at", "-number")
        .first()
    )


def _list_movements(
    schools: Any, start: dt.date, end: dt.date, run: MethodologyRun | None
) -> list[dict[str, Any]]:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    t0 = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    t1 = dt.datetime.combine(end, dt.time.max, tzinfo=tz)
    names = dict(schools.values_list("pk", "name"))
    out = []
    for kind in LIST_KINDS:
        before, after = _version_at(kind, t0), _version_at(kind, t1)
        b_before = membership.Basis(kind, before, None)
        b_after = membership.Basis(kind, after, None if after else run)
        a = set(membership.members(b_before, schools)) if before else set()
        b = set(membership.members(b_after, schools))
        out.append(
            {
                "title": membership.LISTS[kind].title,
                "short": membership.LISTS[kind].short,
                "basis": b_after.caption,
                "at_start": len(a),
                "at_end": len(b),
                "entered": sorted(names[i] for i in b - a if i in names),
                "left": sorted(names[i] for i in a - b if i in names),
            }
        )
    return out


def _roadmaps(user: User, year: int, on: dt.date) -> list[dict[str, Any]]:
    from shnor.web.support.models import Level, Roadmap
    from shnor.web.support.selectors import roadmap_progress

    out = []
    for level, label in Level.choices:
        maps = list(Roadmap.objects.visible_to(user).filter(year=year, level=level))
        if not maps:
            continue
        row = {"level": label, "roadmaps": len(maps), "total": 0, "done": 0, "overdue": 0}
        for r in maps:
            p = roadmap_progress(roadmap=r, today=on)
            row["total"] += p["total"]
            row["done"] += p["done"]
            row["overdue"] += p["overdue"]
        row["percent"] = round(100 * row["done"] / row["total"]) if row["total"] else 0
        out.append(row)
    return out


def _requests(user: User, start: dt.date, end: dt.date, on: dt.date) -> list[dict[str, Any]]:
    out = []
    qs = (
        requests_visible_to(user=user)
        .filter(deadline__gte=start, deadline__lte=end)
        .select_related("region", "municipality")
    )
    for req in qs.order_by("deadline", "pk"):
        b = board(user=user, request=req, today=on)
        parts = b["parts"]
        out.append(
            {
                "title": req.title,
                "requester": req.requester_name,
                "deadline": req.deadline,
                "total": len(parts),
                "submitted": sum(1 for p in parts if p.submitted_at is not None),
                "accepted": sum(1 for p in parts if p.status == Status.ACCEPTED),
                "returned": sum(1 for p in parts if p.status == Status.RETURNED),
                "late": b["late"],
            }
        )
    return out


def _events(user: User, start: dt.date, end: dt.date) -> dict[str, Any] | None:
    try:
        from shnor.web.events.selectors import events_summary  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return dict(events_summary(user=user, start=start, end=end))


def _effectiveness(user: User, level: str, unit: Any) -> dict[str, Any] | None:
    from shnor.web.monitoring.selectors import analyses_visible_to

    qs = analyses_visible_to(user=user).filter(status="done")
    qs = (
        qs.filter(municipality=unit)
        if level == "municipality"
        else qs.filter(Q(region=unit) & Q(municipality=None))
    )
    a = qs.order_by("-finished_at", "-pk").first()
    return a.summary if a is not None else None


def quarterly_data(*, user: User, year: int, quarter: int, today: dt.date | None = None) -> QuarterlyData:
    """Everything the quarterly report shows, within the user's scope."""
    from shnor.web.monitoring.selectors import indicator_table, runs_by_year

    start, end = quarter_bounds(year, quarter)
    today = today or dt.date.today()
    on = min(end, today)
    level, unit = report_unit(user=user)
    schools = _schools(user, level, unit)
    runs = runs_by_year()
    past = [y for y in runs if y <= year]
    run = runs[max(past)] if past else None
    tracks: dict[str, int] = {}
    if run is not None:
        for _code, label in membership.tracks_of(
            run=run, school_ids=list(schools.values_list("pk", flat=True))
        ).values():
            tracks[label] = tracks.get(label, 0) + 1
    return QuarterlyData(
        unit_name=unit.name,
        year=year,
        quarter=quarter,
        n_schools=schools.count(),
        lists=_list_movements(schools, start, end, run),
        tracks=tracks,
        roadmaps=_roadmaps(user, year, on),
        requests=_requests(user, start, end, on),
        events=_events(user, start, end),
        indicators=indicator_table(user=user, level=level, unit=unit, year=run.year, runs=runs)
        if run
        else [],
        effectiveness=_effectiveness(user, level, unit),
        generated=today,
    )


def quarterly_files(*, user: User, year: int, quarter: int, folder: str, progress: Stage) -> dict[str, Any]:
    """Gather, render DOCX and PDF into ``folder``; the files' names as the job's result."""
    progress("сбор данных за квартал")
    data = quarterly_data(user=user, year=year, quarter=quarter)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    progress("документ DOCX")
    docx_name = report_filename(data, "docx")
    (target / docx_name).write_bytes(render_docx(data))
    progress("документ PDF")
    pdf_name = report_filename(data, "pdf")
    (target / pdf_name).write_bytes(render_pdf(data))
    return {
        "docx": docx_name,
        "pdf": pdf_name,
        "year": year,
        "quarter": quarter,
        "events": data.events is not None,
    }
