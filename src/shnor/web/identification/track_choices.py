"""The municipality's decisions on a school's support: its track for the year (overriding the computed one,
with a reason), its municipal coordinator and its curator. Every change is audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from shnor.core.labels import TRACK_LABELS
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.identification.models import MethodologyRun, SchoolOutcome, TrackChoice
from shnor.web.registry.models import School


def can_choose_track(actor: User, school: School) -> bool:
    """Region analysts and the school's municipality coordinators decide (superusers too)."""
    scope = scope_of(actor)
    if scope.superuser:
        return True
    if not scope.sees(school):
        return False
    if scope.role == Role.REGION:
        return scope.can_import
    return scope.role == Role.MUNICIPALITY and school.municipality_id == scope.municipality_id


def people_for(school: School) -> dict[str, QuerySet]:
    """Who can be named: coordinators of the school's municipality, curators of its region (active users)."""
    users = get_user_model().objects.filter(is_active=True, profile__isnull=False)
    region_id = school.region_id or (school.municipality.region_id if school.municipality else None)
    return {
        "coordinators": users.filter(
            profile__role=Role.MUNICIPALITY, profile__municipality_id=school.municipality_id
        ).order_by("last_name", "username"),
        "curators": users.filter(profile__role=Role.CURATOR)
        .filter(Q(profile__region_id=region_id) | Q(profile__region_id__isnull=True))
        .order_by("last_name", "username"),
    }


def computed_track(*, school: School, run: MethodologyRun | None) -> str:
    """The track the run computed for the school ("" without one)."""
    if run is None:
        return ""
    data = (
        SchoolOutcome.objects.filter(run=run, school=school, method=SchoolOutcome.TRACKS)
        .values_list("data__track", flat=True)
        .first()
    )
    return str(data or "")


@transaction.atomic
def track_choose(
    *,
    actor: User,
    school: School,
    year: int,
    run: MethodologyRun | None,
    track: str,
    reason: str,
    coordinator_id: int | None = None,
    curator_id: int | None = None,
) -> TrackChoice:
    """Record the municipality's decision for ``school`` in ``year``: a track other than the computed one
    needs a reason; ``track`` "" keeps the computed track. The curator gets the school in their scope."""
    if not can_choose_track(actor, school):
        raise PermissionDenied("вариант сопровождения школы определяет муниципалитет или регион")
    if track and track not in TRACK_LABELS:
        raise ValidationError(f"нет такого варианта сопровождения: «{track}»")
    computed = computed_track(school=school, run=run)
    if track and track != computed and not reason.strip():
        raise ValidationError(
            f"укажите основание: рассчитанный вариант — «{TRACK_LABELS.get(computed, 'нет')}», "
            f"выбран «{TRACK_LABELS[track]}»"
        )
    people = people_for(school)
    coordinator = people["coordinators"].filter(pk=coordinator_id).first() if coordinator_id else None
    if coordinator_id and coordinator is None:
        raise ValidationError("координатор должен быть пользователем муниципалитета этой школы")
    curator = people["curators"].filter(pk=curator_id).first() if curator_id else None
    if curator_id and curator is None:
        raise ValidationError("куратор должен быть пользователем с ролью «Куратор» этого региона")
    choice, _ = TrackChoice.objects.get_or_create(school=school, year=year)
    before = {
        "вариант": choice.track,
        "координатор": str(choice.coordinator or ""),
        "куратор": str(choice.curator or ""),
    }
    choice.track = track
    choice.computed_track = computed
    choice.reason = reason.strip()
    choice.coordinator = coordinator
    choice.curator = curator
    choice.changed_by = actor if getattr(actor, "pk", None) else None
    choice.save()
    if curator is not None:
        curator.profile.curated_schools.add(school)
    audit_record(
        action="решение о сопровождении школы",
        object_type="школа",
        object_id=school.school_id,
        object_repr=f"{school.school_id} {school.name}"[:500],
        changes={
            "было": before,
            "вариант": TRACK_LABELS.get(track, "рассчитанный") if track else "рассчитанный",
            "рассчитанный": TRACK_LABELS.get(computed, computed),
            "основание": choice.reason,
            "координатор": str(coordinator or ""),
            "куратор": str(curator or ""),
        },
    )
    return choice
