"""Roadmaps for every school of a list at once: the plan (what one action would create, shown before it
runs) and its execution (a background job, ``support/jobs.py``).

The plan takes the schools of the region's list (``identification.membership``: the approved version of
the list year, else that year's run), narrows them to the actor's scope (and a municipality or an
explicit selection), and for each school says whether its roadmap of the year already exists, which
tracks it takes and how many activities it gets; the municipal roadmaps of the year missing for the
municipalities involved are created first, so the school activities link to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.utils import timezone

from shnor.core.roadmaps.templates import TRACK_TITLES, template_get
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import ROADMAP_CREATORS, User, scope_of
from shnor.web.identification import membership
from shnor.web.identification.models import ListVersion, MethodologyRun
from shnor.web.identification.selectors import run_pick, runs_done
from shnor.web.registry.models import Municipality, School
from shnor.web.support.models import Level, Roadmap
from shnor.web.support.services import roadmaps as rm

#: The lists a bulk action may follow (ШНОР first: the usual case).
BULK_KINDS = ("low_results", "objectivity", "social_risk")
_TRACK_ORDER = ["common", "network", "individual", "objectivity"]


@dataclass
class BulkSchool:
    """One school of the plan."""

    pk: int
    school_id: str
    name: str
    municipality: str
    tracks: list[str]
    track_titles: list[str]
    activities: int
    exists: bool
    roadmap_id: int | None = None


@dataclass
class BulkMunicipality:
    """A municipal roadmap of the year the action creates first."""

    pk: int
    name: str
    activities: int


@dataclass
class BulkPlan:
    """What one bulk action would create (plain fields for the preview page)."""

    year: int
    kind: str
    kind_title: str
    list_year: int
    caption: str
    run_id: int | None
    templates: list[str]
    municipality_id: int | None
    municipality_name: str
    school_ids: list[int] | None
    schools: list[BulkSchool] = field(default_factory=list)
    municipalities: list[BulkMunicipality] = field(default_factory=list)
    overdue: int = 0

    @property
    def filtered(self) -> bool:
        """True when the plan covers an explicit selection of schools, not the whole list."""
        return self.school_ids is not None

    @property
    def to_create(self) -> list[BulkSchool]:
        """Schools that get a roadmap (no roadmap of the year yet)."""
        return [s for s in self.schools if not s.exists]

    @property
    def skipped(self) -> int:
        """Schools left as they are: they already have a roadmap of the year."""
        return sum(s.exists for s in self.schools)

    @property
    def activities(self) -> int:
        """Activities the action creates (schools and municipalities)."""
        return sum(s.activities for s in self.to_create) + sum(m.activities for m in self.municipalities)

    def params(self) -> dict[str, Any]:
        """What the job needs to make the same plan again when it runs (JSON)."""
        return {
            "year": self.year,
            "kind": self.kind,
            "list_year": self.list_year,
            "municipality_id": self.municipality_id,
            "school_ids": self.school_ids,
            "templates": self.templates,
        }

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON (the audit entry, the job's result)."""
        return asdict(self)


def year_default(*, templates: Sequence[str] | None, level: str, today: dt.date) -> int:
    """The smallest year from the current school year on whose activities are all due after ``today``."""
    return rm.roadmap_year_default(
        templates=list(templates or rm.DEFAULT_TEMPLATES[Level(level)]), level=level, today=today
    )


def list_year_for(*, kind: str, year: int) -> int:
    """The year whose list the roadmaps of ``year`` follow: ``year`` itself when it has an approved list
    or a done run, else the latest earlier year that has one (the roadmap year usually runs ahead)."""
    approved = ListVersion.objects.filter(kind=kind, status=ListVersion.APPROVED, year__lte=year)
    years = set(approved.values_list("year", flat=True)) | set(
        runs_done().filter(year__lte=year).values_list("year", flat=True)
    )
    return max(years) if years else year


def _tracks(computed: tuple[str, str] | None, objectivity: bool) -> list[str]:
    tracks = ["common"]
    if computed and computed[0] and computed[0] not in tracks:
        tracks.append(computed[0])
    if objectivity:
        tracks.append("objectivity")
    return [t for t in _TRACK_ORDER if t in tracks] + [t for t in tracks if t not in _TRACK_ORDER]


def _schools(
    *, actor: User, basis: membership.Basis, municipality: Municipality | None, school_ids: Any
) -> list[School]:
    scope = scope_of(actor)
    if not (scope.superuser or scope.role in ROADMAP_CREATORS[Level.SCHOOL]):
        return []
    qs = School.objects.visible_to(actor)
    if municipality is not None:
        qs = qs.filter(municipality=municipality)
    if school_ids is not None:
        qs = qs.filter(pk__in=list(school_ids))
    ids = list(membership.members(basis, qs))
    return list(
        School.objects.filter(pk__in=ids)
        .select_related("municipality", "region")
        .order_by("municipality__name", "school_id")
    )


def bulk_plan(
    *,
    actor: User,
    year: int,
    kind: str = "low_results",
    municipality: Municipality | None = None,
    school_ids: Sequence[int] | None = None,
    templates: Sequence[str] | None = None,
    today: dt.date,
    list_year: int | None = None,
) -> BulkPlan:
    """What one action would create for the schools of list ``kind`` in the actor's scope (and
    ``municipality``, or exactly ``school_ids``): school roadmaps of ``year`` (existing ones skipped) and
    the missing municipal roadmaps of the municipalities involved. ``list_year`` is the year of the list
    (default: ``list_year_for``); ``overdue`` counts the activities to create due before ``today``."""
    if kind not in BULK_KINDS:
        raise ValidationError(f"неизвестный список «{kind}»")
    keys = list(templates or rm.default_templates(level=Level.SCHOOL, unit=municipality, user=actor))
    for k in keys:
        template_get(k)  # an unknown template stops here, with its name
    ly = list_year if list_year is not None else list_year_for(kind=kind, year=year)
    run = run_pick(year=ly)
    basis = membership.basis_of(kind=kind, run=run, year=ly)
    schools = _schools(actor=actor, basis=basis, municipality=municipality, school_ids=school_ids)
    ids = [s.pk for s in schools]
    computed = membership.tracks_of(run=run, school_ids=ids) if run is not None else {}
    objectivity = set(membership.members(membership.basis_of(kind="objectivity", run=run, year=ly)))
    existing = dict(
        Roadmap.objects.filter(level=Level.SCHOOL, year=year, school_id__in=ids).values_list(
            "school_id", "pk"
        )
    )
    plan = BulkPlan(
        year=year,
        kind=kind,
        kind_title=membership.LISTS[kind].title,
        list_year=ly,
        caption=basis.caption,
        run_id=run.pk if run is not None else None,
        templates=keys,
        municipality_id=municipality.pk if municipality is not None else None,
        municipality_name=municipality.name if municipality is not None else "",
        school_ids=sorted(int(i) for i in school_ids) if school_ids is not None else None,
    )
    for s in schools:
        tracks = _tracks(computed.get(s.pk), s.pk in objectivity)
        dues = rm.template_dues(templates=keys, level=Level.SCHOOL, tracks=tracks, year=year)
        exists = s.pk in existing
        if not exists:
            plan.overdue += sum(d is not None and d < today for d in dues)
        plan.schools.append(
            BulkSchool(
                pk=s.pk,
                school_id=s.school_id,
                name=s.name or s.school_id,
                municipality=s.municipality.name if s.municipality else "",
                tracks=tracks,
                track_titles=[TRACK_TITLES.get(t, t) for t in tracks],
                activities=len(dues),
                exists=exists,
                roadmap_id=existing.get(s.pk),
            )
        )
    _plan_municipalities(plan, actor=actor, schools=schools, today=today)
    return plan


def _plan_municipalities(plan: BulkPlan, *, actor: User, schools: list[School], today: dt.date) -> None:
    creating = {s.pk for s in plan.to_create}
    needed = {s.municipality_id for s in schools if s.municipality_id and s.pk in creating}
    have = set(
        Roadmap.objects.filter(
            level=Level.MUNICIPALITY, year=plan.year, municipality_id__in=needed
        ).values_list("municipality_id", flat=True)
    )
    scope = scope_of(actor)
    for m in Municipality.objects.filter(pk__in=needed - have).select_related("region").order_by("name"):
        if m.region_id is None or not scope.can_create_roadmap(level=Level.MUNICIPALITY, unit=m):
            continue
        dues = rm.template_dues(templates=None, level=Level.MUNICIPALITY, year=plan.year)
        plan.overdue += sum(d is not None and d < today for d in dues)
        plan.municipalities.append(BulkMunicipality(pk=m.pk, name=m.name, activities=len(dues)))


def bulk_create(
    *, actor: User, plan_params: dict[str, Any], progress: Callable[[str], None]
) -> dict[str, Any]:
    """Carry out the plan of ``plan_params`` (``BulkPlan.params()``; ``today`` optional, ISO): municipal
    roadmaps first, then each school in its own transaction, so that one failure keeps the rest. Reports
    «Создано N из M» through ``progress``; returns counts, the created roadmap ids and the errors."""
    p = plan_params
    today = dt.date.fromisoformat(p["today"]) if p.get("today") else timezone.localdate()
    mun = Municipality.objects.filter(pk=p["municipality_id"]).first() if p.get("municipality_id") else None
    plan = bulk_plan(
        actor=actor,
        year=int(p["year"]),
        kind=str(p.get("kind") or "low_results"),
        municipality=mun,
        school_ids=p.get("school_ids"),
        templates=p.get("templates") or None,
        today=today,
        list_year=int(p["list_year"]) if p.get("list_year") else None,
    )
    run = MethodologyRun.objects.filter(pk=plan.run_id).first() if plan.run_id else None
    total = len(plan.municipalities) + len(plan.to_create)
    created: list[int] = []
    municipal: list[int] = []
    errors: list[dict[str, str]] = []
    progress(f"Создано 0 из {total}")
    for m in plan.municipalities:
        try:
            unit = Municipality.objects.select_related("region").get(pk=m.pk)
            r = rm.roadmap_create(actor=actor, level=Level.MUNICIPALITY, year=plan.year, municipality=unit)
        except (ValidationError, PermissionDenied, DatabaseError) as exc:
            errors.append({"where": f"муниципалитет «{m.name}»", "error": _message(exc)})
        else:
            municipal.append(r.pk)
        progress(f"Создано {len(municipal) + len(created)} из {total}")
    for s in plan.to_create:
        try:
            r = rm.roadmap_create(
                actor=actor,
                level=Level.SCHOOL,
                year=plan.year,
                school=School.objects.select_related("municipality", "region").get(pk=s.pk),
                templates=plan.templates,
                tracks=s.tracks,
                run=run,
            )
        except (ValidationError, PermissionDenied, DatabaseError) as exc:
            errors.append({"where": f"школа «{s.name}» ({s.school_id})", "error": _message(exc)})
        else:
            created.append(r.pk)
        progress(f"Создано {len(municipal) + len(created)} из {total}")
    result = {
        "year": plan.year,
        "kind": plan.kind,
        "kind_title": plan.kind_title,
        "caption": plan.caption,
        "schools": len(plan.schools),
        "created": len(created),
        "skipped": plan.skipped,
        "municipal_created": len(municipal),
        "roadmap_ids": created,
        "municipal_ids": municipal,
        "errors": errors,
    }
    audit_record(
        action="создание дорожных карт для школ списка",
        object_type="дорожная карта",
        object_repr=f"{plan.kind_title}, {plan.year} г.",
        changes={k: v for k, v in result.items() if k not in ("caption", "kind_title")},
        user=actor,
    )
    return result


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return str(exc) or "нет права создавать эту дорожную карту"
    return f"ошибка базы данных: {exc}"
