"""Writes for support work: roadmaps from templates and their links across levels, activity status,
comments and evidence, reminders (e-mail + in-app notices), leader-school proposals from
``core.methods.matching``, curators and mentors, risk-profile surveys and anti-risk programmes.

Every service takes the acting user and checks the right through the user's ``accounts.scope.Scope``
(rows through ``Model.objects.visible_to``); a refused action raises ``PermissionDenied``, a bad input
``ValidationError`` (messages in Russian).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from shnor.core.roadmaps import risk as risk_core
from shnor.core.roadmaps.templates import RoadmapTemplate, period_parse, template_get
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.models import Profile, Role
from shnor.web.accounts.scope import User, scope_forget, scope_of
from shnor.web.accounts.selectors import profile_of
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.registry.models import Municipality, Region, School
from shnor.web.support import selectors as sel
from shnor.web.support.models import (
    Activity,
    ActivityComment,
    AntiRiskMeasure,
    AntiRiskProgramme,
    Evidence,
    Level,
    Mentor,
    Notice,
    PartnerAssignment,
    RiskSurvey,
    Roadmap,
    Status,
    SurveyResponse,
)

#: Default templates per level (a region may pick others in the form).
DEFAULT_TEMPLATES = {
    Level.REGION: ["chel_region_2024"],
    Level.MUNICIPALITY: ["chel_municipal_2024"],
    Level.SCHOOL: ["school_tracks"],
}
EVIDENCE_EXTENSIONS = {
    ".pdf": (b"%PDF",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".txt": (),
    ".csv": (),
}


def evidence_max_bytes() -> int:
    """Largest evidence file (``SUPPORT_EVIDENCE_MAX_MB`` setting, default 20 MB)."""
    return int(getattr(settings, "SUPPORT_EVIDENCE_MAX_MB", 20)) * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Roadmaps from templates
# ---------------------------------------------------------------------------------------------


def _shift_years(text: str, delta: int) -> str:
    if not delta or not text:
        return text
    return re.sub(r"\b(20\d{2})\b", lambda m: str(int(m.group(1)) + delta), text)


def school_tracks_for(*, school: School, run: MethodologyRun | None) -> list[str]:
    """The tracks a school's roadmap takes: the run's tracks outcome (``tracks`` or ``track``), plus
    «objectivity» when the run flags the school for non-objective results; «common» when none."""
    tracks: list[str] = []
    if run is not None:
        outcome = SchoolOutcome.objects.filter(run=run, school=school, method=SchoolOutcome.TRACKS).first()
        if outcome is not None:
            data = outcome.data if isinstance(outcome.data, dict) else {}
            listed = data.get("tracks") or []
            if isinstance(listed, str):
                listed = [t.strip() for t in listed.split(",")]
            tracks = [str(t) for t in listed if t]
            main = str(data.get("track") or outcome.label or "")
            if main and main not in tracks:
                tracks.append(main)
        if SchoolOutcome.objects.filter(
            run=run, school=school, method=SchoolOutcome.OBJECTIVITY, flagged=True
        ).exists():
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
    keys = list(templates or DEFAULT_TEMPLATES[Level(level)])
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


# ---------------------------------------------------------------------------------------------
# Activities
# ---------------------------------------------------------------------------------------------


def _check_edit(actor: User, activity: Activity) -> None:
    if not sel.roadmap_access(user=actor, roadmap=activity.roadmap).edit:
        raise PermissionDenied("нет права изменять мероприятия этой дорожной карты")


@transaction.atomic
def activity_add(
    *,
    actor: User,
    roadmap: Roadmap,
    title: str,
    period_text: str = "",
    executor: str = "",
    co_executors: str = "",
    expected_result: str = "",
    target_group: str = "",
    output_document: str = "",
    section: str = "",
    number: str = "",
    due_date: dt.date | None = None,
    parent: Activity | None = None,
    track: str = "",
) -> Activity:
    """Add an activity to a roadmap (period text is read into dates unless ``due_date`` is given)."""
    if not sel.roadmap_access(user=actor, roadmap=roadmap).edit:
        raise PermissionDenied("нет права изменять дорожную карту")
    if not title.strip():
        raise ValidationError("не заполнено наименование мероприятия")
    per = period_parse(period_text, year=roadmap.year)
    last = roadmap.activities.order_by("-position").first()
    if not number:
        same = roadmap.activities.filter(section=section).count() if section else roadmap.activities.count()
        number = str(same + 1)
    if parent is not None and parent.roadmap_id not in {
        p.pk for p in _parent_roadmap(roadmap.level, roadmap.region, roadmap.municipality, roadmap.year)
    }:
        raise ValidationError(
            "мероприятие может реализовывать только мероприятие вышестоящей дорожной карты того же года"
        )
    return Activity.objects.create(
        roadmap=roadmap,
        position=(last.position + 1) if last else 1,
        number=number,
        section=section,
        title=title.strip(),
        period_text=period_text.strip(),
        start_date=per.start,
        due_date=due_date or per.due,
        executor=executor,
        co_executors=co_executors,
        expected_result=expected_result,
        target_group=target_group,
        output_document=output_document,
        parent=parent,
        track=track,
    )


@transaction.atomic
def activity_update(
    *,
    actor: User,
    activity: Activity,
    status: str | None = None,
    comment: str = "",
    due_date: dt.date | None = None,
    period_text: str | None = None,
    executor: str | None = None,
    co_executors: str | None = None,
) -> Activity:
    """Change an activity's status (and optionally its due date, period, executors) with a comment."""
    _check_edit(actor, activity)
    if status is not None:
        if status not in Status.values:
            raise ValidationError(f"недопустимый статус «{status}»")
        if status == Status.DONE and activity.status != Status.DONE:
            activity.done_at = timezone.now()
        elif status != Status.DONE:
            activity.done_at = None
        activity.status = status
    if period_text is not None and period_text != activity.period_text:
        activity.period_text = period_text.strip()
        per = period_parse(activity.period_text, year=activity.roadmap.year)
        activity.start_date, activity.due_date = per.start, per.due
    if due_date is not None:
        activity.due_date = due_date
    if executor is not None:
        activity.executor = executor.strip()
    if co_executors is not None:
        activity.co_executors = co_executors.strip()
    activity.save()
    if comment.strip():
        ActivityComment.objects.create(activity=activity, author=actor, text=comment.strip())
    return activity


def activity_comment_add(*, actor: User, activity: Activity, text: str) -> ActivityComment:
    """Comment on an activity (editors and, on school roadmaps, teachers)."""
    if not sel.roadmap_access(user=actor, roadmap=activity.roadmap).comment:
        raise PermissionDenied("нет права комментировать")
    if not text.strip():
        raise ValidationError("пустой комментарий")
    return ActivityComment.objects.create(activity=activity, author=actor, text=text.strip()[:5000])


def activity_delete(*, actor: User, activity: Activity) -> None:
    """Delete an activity (its implementations lose the link)."""
    _check_edit(actor, activity)
    activity.delete()


def evidence_add(
    *, actor: User, activity: Activity, upload: Any = None, url: str = "", title: str = ""
) -> Evidence:
    """Attach evidence: a file (extension whitelist, signature check, size limit) or an http(s) link."""
    _check_edit(actor, activity)
    if upload is None and not url.strip():
        raise ValidationError("приложите файл или укажите ссылку")
    if upload is not None:
        name = PurePath(str(upload.name)).name
        ext = PurePath(name).suffix.lower()
        if ext not in EVIDENCE_EXTENSIONS:
            raise ValidationError(
                f"файл «{name}»: недопустимый тип; разрешены {', '.join(sorted(EVIDENCE_EXTENSIONS))}"
            )
        size = int(getattr(upload, "size", 0) or 0)
        if size > evidence_max_bytes():
            raise ValidationError(
                f"файл «{name}»: {size / 1048576:.1f} МБ, "
                f"больше допустимых {evidence_max_bytes() // 1048576} МБ"
            )
        if size == 0:
            raise ValidationError(f"файл «{name}» пустой")
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        magic = EVIDENCE_EXTENSIONS[ext]
        if magic and not any(head.startswith(m) for m in magic):
            raise ValidationError(f"файл «{name}»: содержимое не соответствует расширению {ext}")
        if not magic and b"\x00" in upload.read(4096):
            raise ValidationError(f"файл «{name}»: ожидается текстовый файл")
        upload.seek(0)
        ev = Evidence(
            activity=activity,
            title=title.strip()[:300],
            original_name=name[:255],
            size=size,
            content_type=str(getattr(upload, "content_type", "") or "")[:120],
            uploaded_by=actor,
        )
        ev.file.save(re.sub(r"[^0-9A-Za-z._-]+", "_", name)[-100:] or "file", upload, save=False)
        ev.save()
        return ev
    link = url.strip()
    if not re.match(r"^https?://", link, re.IGNORECASE):
        raise ValidationError("ссылка должна начинаться с http:// или https://")
    return Evidence.objects.create(
        activity=activity, title=title.strip()[:300], url=link[:1000], uploaded_by=actor
    )


def evidence_delete(*, actor: User, evidence: Evidence) -> None:
    """Remove evidence (and its file)."""
    _check_edit(actor, evidence.activity)
    if evidence.file:
        evidence.file.delete(save=False)
    evidence.delete()


# ---------------------------------------------------------------------------------------------
# Reminders
# ---------------------------------------------------------------------------------------------


def _recipients(roadmap: Roadmap, kind: str) -> list[Any]:
    """Who is reminded about a roadmap's activity: the owners (school users and curators; the
    municipality's coordinators; the region's analysts); coordinators also hear of schools' overdue items."""
    profiles = Profile.objects.none()
    if roadmap.level == Level.SCHOOL:
        profiles = Profile.objects.filter(role=Role.SCHOOL, school=roadmap.school) | Profile.objects.filter(
            role=Role.CURATOR, curated_schools=roadmap.school
        )
        if kind == Notice.OVERDUE_KIND and roadmap.municipality_id:
            profiles = profiles | Profile.objects.filter(
                role=Role.MUNICIPALITY, municipality=roadmap.municipality
            )
    elif roadmap.level == Level.MUNICIPALITY:
        profiles = Profile.objects.filter(role=Role.MUNICIPALITY, municipality=roadmap.municipality)
    else:
        profiles = Profile.objects.filter(role=Role.REGION, region=roadmap.region)
    users = get_user_model().objects.filter(pk__in=profiles.values("user_id"), is_active=True).distinct()
    return list(users)


def support_reminders_send(*, today: dt.date, days_ahead: int = 7, email: bool = True) -> dict[str, int]:
    """Remind owners of activities due within ``days_ahead`` days or overdue: one in-app notice per
    user, activity, kind and day, and one e-mail digest per user (Django's mail framework).

    Idempotent for a day: a second call the same day creates no notices and sends no mail.
    Callable from the CLI or cron (``python -m shnor.web.support.remind``).
    """
    qs = (
        Activity.objects.exclude(status__in=[Status.DONE, Status.CANCELLED])
        .exclude(due_date=None)
        .filter(due_date__lte=today + dt.timedelta(days=days_ahead))
        .select_related("roadmap__school", "roadmap__municipality", "roadmap__region")
        .order_by("due_date", "id")
    )
    digest: dict[int, list[str]] = defaultdict(list)
    users: dict[int, Any] = {}
    created = 0
    for a in qs:
        kind = Notice.OVERDUE_KIND if a.due_date < today else Notice.DUE_SOON
        when = (
            f"просрочено с {a.due_date:%d.%m.%Y}"
            if kind == Notice.OVERDUE_KIND
            else f"срок до {a.due_date:%d.%m.%Y}"
        )
        text = f"{a.roadmap.owner_name}: «{a.number} {a.title[:200]}» — {when}"
        for user in _recipients(a.roadmap, kind):
            _, new = Notice.objects.get_or_create(
                user=user, activity=a, kind=kind, day=today, defaults={"text": text[:1000]}
            )
            if new:
                created += 1
                digest[user.pk].append(text)
                users[user.pk] = user
    sent = 0
    if email:
        for pk, lines in digest.items():
            user = users[pk]
            if not user.email:
                continue
            body = (
                "Здравствуйте!\n\nМероприятия дорожных карт, требующие внимания:\n\n"
                + "\n".join(f"• {line}" for line in lines)
                + "\n\nОтметьте выполнение и приложите подтверждения в разделе «Сопровождение».\n"
            )
            send_mail(
                subject=f"Сроки мероприятий дорожных карт на {today:%d.%m.%Y}",
                message=body,
                from_email=None,
                recipient_list=[user.email],
                fail_silently=False,
            )
            Notice.objects.filter(user=user, day=today, emailed=False).update(emailed=True)
            sent += 1
    return {"activities": qs.count(), "notices": created, "emails": sent}


def notice_mark_read(*, actor: User, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notices read (all when ``notice_ids`` is None)."""
    qs = Notice.objects.filter(user=actor, read_at=None)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Partner (leader) schools, curators, mentors
# ---------------------------------------------------------------------------------------------


def _outcome_lower(data: Any) -> tuple[float | None, float | None]:
    if not isinstance(data, dict):
        return None, None
    ev = data.get("evidence") if isinstance(data.get("evidence"), dict) else {}
    va = ev.get("value_added") if isinstance(ev.get("value_added"), dict) else {}
    interval = va.get("interval") or ev.get("interval")
    effect = va.get("effect", ev.get("mean_z"))
    lower = None
    if isinstance(interval, list | tuple) and interval:
        try:
            lower = float(interval[0])
        except (TypeError, ValueError):
            lower = None
    try:
        eff = float(effect) if effect is not None else None
    except (TypeError, ValueError):
        eff = None
    return lower, eff


@transaction.atomic
def partner_proposals_create(
    *, actor: User, municipality: Municipality, run: MethodologyRun, config: dict | None = None
) -> list[PartnerAssignment]:
    """Propose a leader school for every ШНОР of ``municipality`` in ``run`` with
    ``core.methods.matching`` (minimal distance and context difference under a capacity per leader).

    Leaders are chosen among the region's schools by the context-adjusted value-added interval of the
    run's low-results outcomes (``matching.select_leaders``); ШНОР and schools with objectivity signs
    never lead. Existing confirmed assignments are kept; proposed ones are replaced.
    """
    import polars as pl

    from shnor.core.config import default_config
    from shnor.core.methods import matching

    if not scope_of(actor).can_create_roadmap(level=Level.MUNICIPALITY, unit=municipality):
        raise PermissionDenied("нет права подбирать школы-лидеры для этого муниципалитета")
    cfg = config or default_config()["matching"]
    region_id = municipality.region_id
    schools = list(School.objects.filter(municipality__region_id=region_id).select_related("municipality"))
    by_sid = {s.school_id: s for s in schools}
    supported = list(
        SchoolOutcome.objects.filter(
            run=run, method=SchoolOutcome.LOW_RESULTS, flagged=True, school__municipality=municipality
        ).values_list("school__school_id", flat=True)
    )
    if not supported:
        return []
    frame = pl.DataFrame(
        {
            "school_id": [s.school_id for s in schools],
            "municipality_id": [str(s.municipality_id or "") for s in schools],
            "latitude": [s.latitude for s in schools],
            "longitude": [s.longitude for s in schools],
            "locality": [s.locality or None for s in schools],
            "pupils": [s.pupils for s in schools],
            "kind": [s.kind or None for s in schools],
        },
        schema={
            "school_id": pl.String,
            "municipality_id": pl.String,
            "latitude": pl.Float64,
            "longitude": pl.Float64,
            "locality": pl.String,
            "pupils": pl.Float64,
            "kind": pl.String,
        },
    )
    perf_rows = []
    for sid, data in SchoolOutcome.objects.filter(
        run=run, method=SchoolOutcome.LOW_RESULTS, school__in=schools
    ).values_list("school__school_id", "data"):
        lower, effect = _outcome_lower(data)
        perf_rows.append({"school_id": sid, "lower": lower, "effect": effect, "mean_z": effect})
    perf = pl.DataFrame(
        perf_rows,
        schema={"school_id": pl.String, "lower": pl.Float64, "effect": pl.Float64, "mean_z": pl.Float64},
    )
    excluded = set(
        SchoolOutcome.objects.filter(
            run=run,
            flagged=True,
            method__in=[SchoolOutcome.LOW_RESULTS, SchoolOutcome.OBJECTIVITY, SchoolOutcome.FIOKO],
            school__in=schools,
        ).values_list("school__school_id", flat=True)
    )
    social_rows = [
        {"school_id": sid, "index": float(v)}
        for sid, v in SchoolOutcome.objects.filter(
            run=run, method=SchoolOutcome.SOCIAL_INDEX, school__in=schools
        )
        .exclude(value=None)
        .values_list("school__school_id", "value")
    ]
    social = pl.DataFrame(social_rows, schema={"school_id": pl.String, "index": pl.Float64})
    leaders = matching.select_leaders(perf, frame, cfg, exclude=sorted(excluded))
    leader_ids = leaders.filter(pl.col("is_leader"))["school_id"].to_list()
    proposals = matching.propose_pairs(supported, leader_ids, frame, cfg, social=social)
    out = []
    for row in proposals.iter_rows(named=True):
        school = by_sid[row["school_id"]]
        leader = by_sid.get(row["leader_id"]) if row["leader_id"] else None
        existing = PartnerAssignment.objects.filter(school=school, year=run.year).first()
        if existing is not None and existing.status == PartnerAssignment.CONFIRMED:
            out.append(existing)
            continue
        evidence = json.loads(row["evidence"]) if row["evidence"] else {}
        evidence["run"] = run.pk
        obj, _ = PartnerAssignment.objects.update_or_create(
            school=school,
            year=run.year,
            defaults={
                "leader": leader,
                "proposed_leader": leader,
                "status": PartnerAssignment.PROPOSED,
                "method_status": row["status"],
                "note": row["note"][:500],
                "distance_km": row["distance_km"],
                "context_difference": row["context_difference"],
                "cost": row["cost"],
                "evidence": evidence,
                "decided_by": None,
                "decided_at": None,
            },
        )
        out.append(obj)
    return out


def partner_decide(
    *,
    actor: User,
    assignment: PartnerAssignment,
    confirm: bool = True,
    leader: School | None = None,
    note: str = "",
) -> PartnerAssignment:
    """The municipality confirms the proposal, changes the leader (a school it can see) or rejects it."""
    if not scope_of(actor).can_manage_school(assignment.school):
        raise PermissionDenied("нет права закреплять школы-лидеры за этой школой")
    if leader is not None:
        if leader.pk == assignment.school_id or not scope_of(actor).sees(leader):
            raise ValidationError("школу-лидера можно выбрать только из доступных вам школ (и не саму школу)")
        assignment.leader = leader
    assignment.status = PartnerAssignment.CONFIRMED if confirm else PartnerAssignment.REJECTED
    if confirm and assignment.leader is None:
        raise ValidationError("школа-лидер не выбрана")
    if note:
        assignment.note = note[:500]
    assignment.decided_by = actor
    assignment.decided_at = timezone.now()
    assignment.save()
    return assignment


def curator_assign(*, actor: User, school: School, curator: User, remove: bool = False) -> None:
    """Assign (or remove) a curator to a school: the curator's ``Profile.curated_schools`` (their scope)."""
    if not scope_of(actor).can_manage_school(school):
        raise PermissionDenied("нет права назначать кураторов этой школе")
    profile = profile_of(user=curator)
    if profile is None or profile.role != Role.CURATOR:
        raise ValidationError("выбранный пользователь не куратор")
    if profile.region_id and school.region_id and profile.region_id != school.region_id:
        raise ValidationError("куратор из другого региона")
    if remove:
        profile.curated_schools.remove(school)
    else:
        profile.curated_schools.add(school)
    scope_forget(curator)


def curators_available(*, actor: User, school: School) -> list[Any]:
    """Curator accounts of the school's region that ``actor`` may assign."""
    if not scope_of(actor).can_manage_school(school):
        return []
    region_id = school.region_id or (school.municipality.region_id if school.municipality else None)
    profiles = Profile.objects.filter(role=Role.CURATOR, user__is_active=True)
    if region_id:
        profiles = profiles.filter(region_id=region_id)
    return [p.user for p in profiles.select_related("user").order_by("user__username")]


def mentor_add(
    *, actor: User, school: School, full_name: str, year: int, organisation: str = "", subject: str = ""
) -> Mentor:
    """Record a mentor (наставник, ментор) for a school."""
    if not scope_of(actor).can_manage_school(school):
        raise PermissionDenied("нет права назначать менторов этой школе")
    if not full_name.strip():
        raise ValidationError("не указано ФИО ментора")
    return Mentor.objects.create(
        school=school,
        full_name=full_name.strip()[:300],
        organisation=organisation.strip()[:500],
        subject=subject.strip()[:300],
        year=year,
    )


# ---------------------------------------------------------------------------------------------
# Risk profiles and anti-risk programmes
# ---------------------------------------------------------------------------------------------


def _check_survey(actor: User, survey: RiskSurvey) -> None:
    if not scope_of(actor).can_fill_survey(survey.school):
        raise PermissionDenied("нет права заполнять анкеты этой школы")


def risk_survey_open(*, actor: User, school: School, year: int) -> RiskSurvey:
    """The school's survey for ``year`` (created on first use)."""
    if not scope_of(actor).can_fill_survey(school):
        raise PermissionDenied("нет права заполнять анкеты этой школы")
    q = risk_core.questionnaire_default()
    survey, _ = RiskSurvey.objects.get_or_create(
        school=school, year=year, defaults={"questionnaire": q.key, "created_by": actor}
    )
    return survey


def risk_profile_recompute(*, survey: RiskSurvey) -> RiskSurvey:
    """Recompute the profile from all responses; the proposed risks become the chosen ones until a
    person has chosen (``risk_choose``)."""
    q = risk_core.questionnaire_default()
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
    q = risk_core.questionnaire_default()
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
    q = risk_core.questionnaire_default()
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
    q = risk_core.questionnaire_default()
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
    q = risk_core.questionnaire_default()
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
    section = f"Антирисковая программа «{risk_core.questionnaire_default().factor(programme.factor).title}»"
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
