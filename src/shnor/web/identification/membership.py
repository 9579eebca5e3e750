"""Who is on a list: the region's approved list when there is one, else the shown run's computation.

Every page, export, report and API call that counts or lists schools of a list asks here, so that they
agree, and so that a new import or run never changes a list the region approved: the newest approved
version (``decisions.py``) of the list for the run's year wins; without one the run's flagged outcomes
are shown and the page says which run it is. Tracks follow the municipality's decision
(``TrackChoice``) over the computed track.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from shnor.core.evidence import TracksEvidence
from shnor.core.labels import LIST_SOURCE_LABELS, TRACK_LABELS
from shnor.web.identification.models import ListEntry, ListVersion, MethodologyRun, SchoolOutcome, TrackChoice
from shnor.web.registry.models import School


@dataclass(frozen=True)
class ListKind:
    """One list the product publishes: which method's flagged outcomes make it when none is approved."""

    code: str
    method: str
    title: str
    short: str


LISTS: dict[str, ListKind] = {
    k.code: k
    for k in (
        ListKind(
            "low_results",
            SchoolOutcome.LOW_RESULTS,
            "Школы с низкими образовательными результатами (ШНОР)",
            "ШНОР",
        ),
        ListKind(
            "social_risk",
            SchoolOutcome.SOCIAL_INDEX,
            "Школы, функционирующие в неблагоприятных социальных условиях (ШНСУ)",
            "ШНСУ",
        ),
        ListKind(
            "objectivity",
            SchoolOutcome.OBJECTIVITY,
            "Школы с признаками необъективности результатов",
            "Необъективность",
        ),
        ListKind("fioko", SchoolOutcome.FIOKO, "Маркеры необъективности ФИОКО", "ФИОКО"),
    )
}


#: Where a school of a list came from, in Russian.
SOURCE_LABELS = LIST_SOURCE_LABELS


@dataclass(frozen=True)
class Basis:
    """What a list shows for a year: an approved version, or (none approved) a run's computation."""

    kind: str
    version: ListVersion | None
    run: MethodologyRun | None

    @property
    def approved(self) -> bool:
        """True when the region's approved list is shown."""
        return self.version is not None

    @property
    def caption(self) -> str:
        """What the page says it shows."""
        v = self.version
        if v is not None:
            order = f"приказ № {v.order_number}" + (f" от {v.order_date:%d.%m.%Y}" if v.order_date else "")
            return f"Утверждённый список {v.year} г. ({order}, версия {v.number})"
        if self.run is not None:
            when = timezone.localtime(self.run.started_at).strftime("%d.%m.%Y")
            return f"Список не утверждён: показан расчёт № {self.run.pk} от {when}"
        return "Нет ни утверждённого списка, ни расчёта"


def basis_of(*, kind: str, run: MethodologyRun | None, year: int | None = None) -> Basis:
    """The basis of list ``kind`` for ``run``'s year (or ``year``)."""
    y = run.year if run is not None else year
    version = None
    if y is not None:
        version = (
            ListVersion.objects.filter(kind=kind, year=y, status=ListVersion.APPROVED)
            .order_by("-number")
            .first()
        )
    return Basis(kind, version, run)


def members(basis: Basis, schools: QuerySet[School] | None = None) -> QuerySet[Any]:
    """The school pks on the list (a values queryset, to count or to filter by), within ``schools``."""
    if basis.version is not None:
        qs: QuerySet[Any] = ListEntry.objects.filter(version=basis.version, included=True)
    elif basis.run is not None:
        qs = SchoolOutcome.objects.filter(run=basis.run, method=LISTS[basis.kind].method, flagged=True)
    else:
        return ListEntry.objects.none().values_list("school_id", flat=True)
    if schools is not None:
        qs = qs.filter(school__in=schools)
    return qs.values_list("school_id", flat=True)


def entries(basis: Basis, school_ids: list[int]) -> dict[int, ListEntry]:
    """The approved version's entries of ``school_ids`` (source, reason); empty without an approved list."""
    if basis.version is None:
        return {}
    return {e.school_id: e for e in ListEntry.objects.filter(version=basis.version, school_id__in=school_ids)}


def stamp() -> str:
    """Changes whenever a list is approved or a track decided: part of the cache keys of lists and
    dashboards."""
    v = ListVersion.objects.filter(status=ListVersion.APPROVED).aggregate(m=Max("approved_at"))["m"]
    t = TrackChoice.objects.aggregate(m=Max("changed_at"))["m"]
    return f"{v}|{t}"


def tracks_of(*, run: MethodologyRun, school_ids: list[int] | None = None) -> dict[int, tuple[str, str]]:
    """``{school pk: (track code, label)}`` for ``run``'s year over the schools on the ШНОР or the
    objectivity list (approved, else the run's): the municipality's decision where there is one, else the
    computed track, else — a school the region added to a list by hand — the common regional track."""
    wanted = set(school_ids) if school_ids is not None else None
    listed: set[int] = set()
    for kind in ("low_results", "objectivity"):
        listed |= set(members(basis_of(kind=kind, run=run)))
    if wanted is not None:
        listed &= wanted
    out: dict[int, tuple[str, str]] = {}
    qs = SchoolOutcome.objects.filter(run=run, method=SchoolOutcome.TRACKS, school_id__in=listed)
    for r in qs.values("school_id", "data__track", "data__track_label"):
        t = TracksEvidence.parse({"track": r["data__track"], "track_label": r["data__track_label"]})
        if t.track:
            out[r["school_id"]] = (t.track, t.label)
    for sid in listed - set(out):
        out[sid] = ("common", TRACK_LABELS["common"])
    chosen = TrackChoice.objects.filter(year=run.year).exclude(track="")
    if wanted is not None:
        chosen = chosen.filter(school_id__in=wanted)
    for sid, track in chosen.values_list("school_id", "track"):
        out[sid] = (track, TRACK_LABELS.get(track, track))
    return out
