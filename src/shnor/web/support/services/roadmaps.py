"""Roadmaps from templates: creation at each level, links to the higher levels' roadmaps and
activities, and the order header."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from shnor.core.roadmaps.templates import RoadmapTemplate, period_parse, template_get
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User, scope_of
from shnor.web.identification import membership
from shnor.web.identification.models import MethodologyRun, SchoolOutcome, TrackChoice
from shnor.web.regionconf import selectors as regionconf
from shnor.web.registry.models import Municipality, Region, School
from shnor.web.support import selectors as sel
from shnor.web.support.models import (
    Activity,
    Level,
    Roadmap,
)

#: Default templates per level (a region may pick others in the form).
DEFAULT_TEMPLATES = {
    Level.REGION: ["chel_region_2024"],
    Level.MUNICIPALITY: ["chel_municipal_2024"],
    Level.SCHOOL: ["school_tracks"],
}


def default_templates(*, level: str, unit: Any = None, user: User | None = None) -> list[str]:
    """The templates a new roadmap of ``level`` takes when none are picked: the region's own template
    marked «по умолчанию» for that level (the region of ``unit``, else the user's), else the shipped."""
    region = regionconf.region_of_unit(unit) if unit is not None else None
    if region is None and user is not None:
        region = regionconf.region_acting(user)
    return regionconf.default_template_keys(region=region, level=level) or list(
        DEFAULT_TEMPLATES[Level(level)]
    )


def _shift_years(text: str, delta: int) -> str:
    if not delta or not text:
        return text
    return re.sub(r"\b(20\d{2})\b", lambda m: str(int(m.group(1)) + delta), text)


def school_tracks_for(*, school: School, run: MethodologyRun | None) -> list[str]:
    """The tracks a school's roadmap takes for ``run``'s year: the municipality's decided track, else the
    run's tracks outcome (``tracks`` or ``track``); plus «objectivity» when the school is on the
    objectivity list (the approved one, else the run's); «common» always."""
    tracks: list[str] = []
    if run is not None:
        decided = membership.tracks_of(run=run, school_ids=[school.pk]).get(school.pk)
        overridden = TrackChoice.objects.filter(school=school, year=run.year).exclude(track="").exists()
        outcome = SchoolOutcome.objects.filter(run=run, school=school, method=SchoolOutcome.TRACKS).first()
        if outcome is not None and not overridden:
            data = outcome.data if isinstance(outcome.data, dict) else {}
            listed = data.get("tracks") or []
            if isinstance(listed, str):
                listed = [t.strip() for t in listed.split(",")]
            tracks = [str(t) for t in listed if t]
            main = str(data.get("track") or outcome.label or "")
            if main and main not in tracks:
                tracks.append(main)
        if decided is not None and decided[0] not in tracks:
            tracks.append(decided[0])
        objectivity = membership.basis_of(kind="objectivity", run=run)
        if membership.members(objectivity, School.objects.filter(pk=school.pk)).exists():
            tracks.append("objectivity")
    if "common" not in tracks:
        tracks.insert(0, "common")
    order = ["common", "network", "individual", "objectivity"]
    return [t for t in order if t in tracks] + [t for t in tracks if t not in order]


def _parent_roadmap(
    level: str, region: Region, municipality: Municipality | None, year: int
) -> list[Roadmap]:
    """Higher-level roadmaps of the same year, nearest first (school → municipality → region)."""
    out = []
    if level == Level.SCHOOL and municipality is not None:
        out += list(Roadmap.objects.filter(level=Level.MUNICIPALITY, municipality=municipality, year=year))
    if level in (Level.SCHOOL, Level.MUNICIPALITY):
        out += list(Roadmap.objects.filter(level=Level.REGION, region=region, year=year))
    return out


def _link_parent(refs: Sequence[str], parents: list[Roadmap]) -> Activity | None:
    for parent in parents:
        for ref in refs:
            hit = parent.activities.filter(template_ref=ref).order_by("position").first()
            if hit is not None:
                return hit
    return None


def _activities_from(
    tpl: RoadmapTemplate, *, level: str, tracks: Sequence[str] | None, year: int
) -> list[tuple[Any, str]]:
    """(template activity, own reference) pairs a roadmap of ``level`` takes from ``tpl``."""
    acts = tpl.for_level(level)
    if tracks is not None and level == Level.SCHOOL:
        acts = [a for a in acts if set(a.tracks) & set(tracks) or not a.tracks]
    return [(a, a.ref(tpl.key)) for a in acts]


def _default_authority(
    level: str, region: Region, municipality: Municipality | None, school: School | None
) -> str:
    if level == Level.SCHOOL and school is not None:
        return school.name or school.school_id
    if level == Level.MUNICIPALITY and municipality is not None:
        return (
            "органа местного самоуправления, осуществляющего управление в сфере образования "
            f"({municipality.name})"
        )
    return f"органа исполнительной власти субъекта Российской Федерации в сфере образования ({region.name})"


def template_dues(
    *, templates: Sequence[str] | None, level: str, year: int, tracks: Sequence[str] | None = None
) -> list[dt.date | None]:
    """The due dates of the activities ``roadmap_create`` would make for ``year`` (same templates,
    shift of years and parsing)."""
    out: list[dt.date | None] = []
    for key in list(templates or DEFAULT_TEMPLATES[Level(level)]):
        tpl = template_get(key)
        delta = year - tpl.year if tpl.year else 0
        for a, _ in _activities_from(tpl, level=level, tracks=tracks, year=year):
            text = _shift_years(a.period, delta) or "В течение года"
            out.append(period_parse(text, year=year, calendar=tpl.calendar).due)
    return out


def roadmap_overdue_count(
    *,
    templates: Sequence[str] | None,
    level: str,
    year: int,
    today: dt.date,
    tracks: Sequence[str] | None = None,
) -> int:
    """How many activities a roadmap of ``year`` would have overdue on the day it is created."""
    dues = template_dues(templates=templates, level=level, year=year, tracks=tracks)
    return sum(1 for d in dues if d is not None and d < today)


def roadmap_year_default(*, templates: Sequence[str], level: str, today: dt.date) -> int:
    """The smallest year from the current school year (it starts in September) on such that every
    activity the templates give ``level`` is due after ``today`` (activities without a due date do not
    count); the year after the current school year when none of the next ten years fits."""
    current = today.year if today.month >= 9 else today.year - 1
    for year in range(current, current + 10):
        dues = template_dues(templates=templates, level=level, year=year)
        if all(d is None or d > today for d in dues):
            return year
    return current + 1


@transaction.atomic
def roadmap_create(
    *,
    actor: User,
    level: str,
    year: int,
    region: Region | None = None,
    municipality: Municipality | None = None,
    school: School | None = None,
    templates: Sequence[str] | None = None,
    tracks: Sequence[str] | None = None,
    run: MethodologyRun | None = None,
    title: str = "",
    order_authority: str = "",
    order_number: str = "",
    order_date: dt.date | None = None,
    appendix: str = "",
) -> Roadmap:
    """Create a roadmap of ``level`` for ``year`` from templates and link it to the higher levels.

    School roadmaps take the activities of the school's tracks (from ``run``'s tracks outcome, the
    latest done run when omitted). Each activity is linked to the activity it implements in the
    municipality's roadmap, else the region's, of the same year (when they exist). Periods are read
    into start/due dates for the roadmap's year (a template of another year is shifted).
    """
    if level == Level.SCHOOL:
        if school is None:
            raise ValidationError("не указана школа")
        municipality, region = (
            school.municipality,
            school.region or (school.municipality.region if school.municipality else None),
        )
        target: Any = school
    elif level == Level.MUNICIPALITY:
        if municipality is None:
            raise ValidationError("не указан муниципалитет")
        region, school, target = municipality.region, None, municipality
    elif level == Level.REGION:
        if region is None:
            raise ValidationError("не указан регион")
        municipality, school, target = None, None, region
    else:
        raise ValidationError(f"неизвестный уровень «{level}»")
    if region is None:
        raise ValidationError("у школы или муниципалитета не указан регион")
    if not scope_of(actor).can_create_roadmap(level=level, unit=target):
        raise PermissionDenied("нет права создавать эту дорожную карту")
    keys = list(templates or default_templates(level=level, unit=target))
    tpls = [template_get(k) for k in keys]
    if level == Level.SCHOOL and tracks is None:
        if run is None:
            from shnor.web.identification.selectors import run_pick

            run = run_pick()
        tracks = school_tracks_for(school=school, run=run)
    main = tpls[0]
    parents = _parent_roadmap(level, region, municipality, year)
    first_tpl_same = main.level == level and main.year == year
    roadmap = Roadmap(
        level=level,
        region=region,
        municipality=municipality,
        school=school,
        year=year,
        title=title or _shift_years(main.title, year - main.year if main.year else 0),
        parent=parents[0] if parents else None,
        templates=keys,
        track=list(tracks or []),
        order_authority=order_authority
        or (
            main.order.get("authority", "")
            if main.level == level and level == Level.REGION
            else _default_authority(level, region, municipality, school)
        ),
        order_number=order_number
        or (main.order.get("number", "") if first_tpl_same and level == Level.REGION else ""),
        order_date=order_date
        or (_date(main.order.get("date", "")) if first_tpl_same and level == Level.REGION else None),
        appendix=appendix or (main.order.get("appendix", "") if first_tpl_same else ""),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            roadmap.save()
    except IntegrityError:
        raise ValidationError(f"дорожная карта на {year} год для «{target}» уже есть") from None
    rows = []
    position = 0
    for tpl in tpls:
        delta = year - tpl.year if tpl.year else 0
        for a, own_ref in _activities_from(tpl, level=level, tracks=tracks, year=year):
            position += 1
            period_text = _shift_years(a.period, delta)
            per = period_parse(period_text, year=year, calendar=tpl.calendar)
            refs = list(a.implements) + ([own_ref] if tpl.level != level else [])
            rows.append(
                Activity(
                    roadmap=roadmap,
                    position=position,
                    number=a.number,
                    section=a.section,
                    title=_shift_years(a.title, delta),
                    period_text=period_text or "В течение года",
                    start_date=per.start,
                    due_date=per.due,
                    executor=a.executor,
                    co_executors=a.co_executors,
                    expected_result=_shift_years(a.expected_result, delta),
                    target_group=a.target_group,
                    output_document=a.output_document,
                    parent=_link_parent(refs, parents),
                    template_ref=own_ref,
                    track=(a.tracks[0] if a.tracks else ""),
                    note=a.note[:500],
                )
            )
    Activity.objects.bulk_create(rows)
    # Lower roadmaps created earlier now find their parent activities.
    if level != Level.SCHOOL:
        _relink_children(roadmap)
    audit_record(
        action="создание дорожной карты",
        object_type="дорожная карта",
        object_id=str(roadmap.pk),
        object_repr=str(roadmap),
        changes={"templates": keys, "tracks": list(tracks or []), "activities": len(rows)},
    )
    return roadmap


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text.strip(), "%d.%m.%Y").date()
    except (ValueError, AttributeError):
        return None


def _relink_children(roadmap: Roadmap) -> None:
    """Attach lower-level roadmaps of the same year (and their unlinked activities) to ``roadmap``."""
    if roadmap.level == Level.REGION:
        lower = Roadmap.objects.filter(region=roadmap.region, year=roadmap.year).exclude(level=Level.REGION)
    else:
        lower = Roadmap.objects.filter(
            level=Level.SCHOOL, municipality=roadmap.municipality, year=roadmap.year
        )
    from shnor.core.roadmaps.templates import templates_load

    all_tpls = templates_load()
    for child in lower:
        if child.parent_id is None or (
            roadmap.level == Level.MUNICIPALITY and child.parent.level == Level.REGION
        ):
            child.parent = roadmap
            child.save(update_fields=["parent"])
        for act in child.activities.filter(parent=None).exclude(template_ref=""):
            tkey, _, akey = act.template_ref.partition(":")
            tpl = all_tpls.get(tkey)
            ta = tpl.activity(akey) if tpl else None
            refs = list(ta.implements) if ta else []
            if tpl is not None and tpl.level != child.level:
                refs.append(act.template_ref)
            hit = _link_parent(refs, [roadmap])
            if hit is not None:
                act.parent = hit
                act.save(update_fields=["parent"])


def roadmap_header_update(
    *,
    actor: User,
    roadmap: Roadmap,
    title: str,
    order_authority: str,
    order_number: str,
    order_date: dt.date | None,
    appendix: str,
) -> Roadmap:
    """Change the roadmap's title and order header (what the DOCX prints)."""
    if not sel.roadmap_access(user=actor, roadmap=roadmap).edit:
        raise PermissionDenied("нет права изменять дорожную карту")
    roadmap.title = title.strip() or roadmap.title
    roadmap.order_authority = order_authority.strip()
    roadmap.order_number = order_number.strip()
    roadmap.order_date = order_date
    roadmap.appendix = appendix.strip()
    roadmap.save()
    return roadmap
