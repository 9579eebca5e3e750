"""Partner (leader) schools from ``core.methods.matching``, curators and mentors."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shnor.web.accounts.models import Profile, Role
from shnor.web.accounts.scope import User, scope_forget, scope_of
from shnor.web.accounts.selectors import profile_of
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.registry.models import Municipality, School
from shnor.web.support.models import (
    Level,
    Mentor,
    PartnerAssignment,
)


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
