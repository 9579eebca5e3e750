"""The region's decision on its lists: the sources side by side, a draft it edits, approval by order,
versions with their reasons and differences.

For each list (``selectors.LISTS``) and year the region keeps numbered versions. The first is a draft made
from a basis — FIOKO's list or a methodology run — holding every school any source names, included as the
basis says; the region includes or excludes schools (a reason required) and approves the draft with the
order's number, date and signatory. A change after approval is a new draft copied from the approved
version, with its reason, approved in turn. The newest approved version is the list every page follows
(``membership.py``); a new import or run never changes it. Every step is in the audit journal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from shnor.core.labels import LIST_SOURCE_LABELS
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User, scope_of
from shnor.web.identification import membership
from shnor.web.identification.fioko_lists import fioko_list_live
from shnor.web.identification.models import (
    FiokoList,
    FiokoListEntry,
    ListEntry,
    ListVersion,
    MethodologyRun,
    SchoolOutcome,
)
from shnor.web.identification.selectors import LISTS, runs_done
from shnor.web.registry.models import School

#: The lists FIOKO publishes itself (the others come from runs only).
FIOKO_KINDS = ("objectivity", "low_results")


@dataclass(frozen=True)
class Source:
    """One source of a list: who it names (school pks) and how a page titles it."""

    code: str  # "fioko", "run:<id>", "rule"
    label: str
    schools: frozenset[int]
    run: MethodologyRun | None = None
    fioko_list: FiokoList | None = None


def _kind_check(kind: str) -> None:
    if kind not in LISTS:
        raise ValidationError(f"нет такого списка: «{kind}» (возможны: {', '.join(LISTS)})")


def _flagged(run: MethodologyRun, kind: str) -> frozenset[int]:
    """The run's own computation of the list (``membership``'s rule without an approved version)."""
    return frozenset(membership.members(membership.Basis(kind, None, run)))


def _rule(run: MethodologyRun) -> frozenset[int]:
    return frozenset(
        SchoolOutcome.objects.filter(
            run=run, method=SchoolOutcome.LOW_RESULTS, data__risk_list=True
        ).values_list("school_id", flat=True)
    )


def sources_of(*, kind: str, year: int) -> list[Source]:
    """FIOKO's live list (for the lists FIOKO publishes), every finished run of ``year`` (newest first)
    and, for ШНОР, the Rosobrnadzor rule of the newest run."""
    _kind_check(kind)
    out: list[Source] = []
    fioko = fioko_list_live(kind=kind, year=year) if kind in FIOKO_KINDS else None
    if fioko is not None:
        ids = frozenset(FiokoListEntry.objects.filter(fioko_list=fioko).values_list("school_id", flat=True))
        out.append(Source("fioko", f"Список ФИОКО ({fioko.file_name})", ids, fioko_list=fioko))
    runs = list(runs_done().filter(year=year))
    for run in runs:
        when = timezone.localtime(run.started_at).strftime("%d.%m.%Y %H:%M")
        name = f"Расчёт № {run.pk} от {when}" + (f" «{run.label}»" if run.label else "")
        out.append(Source(f"run:{run.pk}", name, _flagged(run, kind), run=run))
    if kind == "low_results" and runs:
        out.append(Source("rule", "Правило Рособрнадзора (≥ 30 % «2»)", _rule(runs[0]), run=runs[0]))
    return out


def version_approved(*, kind: str, year: int) -> ListVersion | None:
    """The newest approved version of the list: the one every page follows."""
    return (
        ListVersion.objects.filter(kind=kind, year=year, status=ListVersion.APPROVED)
        .order_by("-number")
        .first()
    )


def version_draft(*, kind: str, year: int) -> ListVersion | None:
    """The list's draft being edited, if there is one."""
    return ListVersion.objects.filter(kind=kind, year=year, status=ListVersion.DRAFT).first()


def version_current(*, kind: str, year: int) -> ListVersion | None:
    """The approved version, else the draft (what ``shnor lists export`` gives without ``--version``)."""
    return version_approved(kind=kind, year=year) or version_draft(kind=kind, year=year)


def versions_of(*, kind: str, year: int) -> QuerySet[ListVersion]:
    """Every version of the list, newest first."""
    return ListVersion.objects.filter(kind=kind, year=year).order_by("-number")


def _may_decide(actor: User | None) -> None:
    """Region analysts and superusers decide lists; ``None`` is the command line (the operator)."""
    if actor is not None and not scope_of(actor).can_import:
        raise PermissionDenied("решение о списках принимает только региональный уровень")


def _basis_pick(sources: list[Source], basis: str | None) -> Source | None:
    if basis:
        hit = next((s for s in sources if s.code == basis), None)
        if hit is None:
            raise ValidationError(f"нет такого источника списка: «{basis}»")
        return hit
    return next((s for s in sources if s.code in ("fioko",) or s.code.startswith("run:")), None)


@transaction.atomic
def draft_create(
    *, actor: User | None, kind: str, year: int, basis: str | None = None, reason: str = ""
) -> ListVersion:
    """A new draft of the list. The first one holds every school any source names, included when the
    basis (FIOKO's list, else the newest run, unless ``basis`` names another) names it. After approval the
    draft is a copy of the approved version (``reason`` required), with the sources refreshed."""
    _kind_check(kind)
    _may_decide(actor)
    if version_draft(kind=kind, year=year) is not None:
        raise ValidationError("проект этого списка уже есть: измените его или утвердите")
    approved = version_approved(kind=kind, year=year)
    if approved is not None and not reason.strip():
        raise ValidationError("список уже утверждён: укажите причину изменения")
    sources = sources_of(kind=kind, year=year)
    chosen = _basis_pick(sources, basis)
    fioko = next((s for s in sources if s.code == "fioko"), None)
    run_src = (
        chosen
        if chosen is not None and chosen.run is not None and chosen.code != "rule"
        else next((s for s in sources if s.code.startswith("run:")), None)
    )
    rule = next((s for s in sources if s.code == "rule"), None)
    last = ListVersion.objects.filter(kind=kind, year=year).order_by("-number").first()
    who = actor if getattr(actor, "pk", None) else None
    try:
        with transaction.atomic():
            version = ListVersion.objects.create(
                kind=kind,
                year=year,
                number=(last.number + 1) if last else 1,
                basis=chosen.label if chosen else "",
                run=run_src.run if run_src else None,
                fioko_list=fioko.fioko_list if fioko else None,
                reason=reason.strip(),
                created_by=who,
            )
    except IntegrityError:
        raise ValidationError("проект этого списка уже есть: измените его или утвердите") from None
    in_fioko = fioko.schools if fioko else frozenset()
    in_run = run_src.schools if run_src else frozenset()
    in_rule = rule.schools if rule else frozenset()
    base = {e.school_id: e for e in approved.entries.all()} if approved else {}
    picked = chosen.schools if chosen else frozenset()
    rows = []
    for pk in sorted(in_fioko | in_run | in_rule | set(base)):
        prior = base.get(pk)
        source = (
            prior.source
            if prior
            else (
                ListEntry.FIOKO
                if pk in in_fioko
                else ListEntry.COMPUTED
                if pk in in_run
                else ListEntry.RULE
                if pk in in_rule
                else ListEntry.MANUAL
            )
        )
        rows.append(
            ListEntry(
                version=version,
                school_id=pk,
                source=source,
                in_fioko=pk in in_fioko,
                in_run=pk in in_run,
                in_rule=pk in in_rule,
                included=prior.included if prior else pk in picked,
                reason=prior.reason if prior else "",
                changed_by=prior.changed_by if prior else None,
                changed_at=prior.changed_at if prior else None,
            )
        )
    ListEntry.objects.bulk_create(rows, batch_size=2000)
    audit_record(
        action="проект списка",
        object_type="список",
        object_id=f"{kind}:{year}:{version.number}",
        object_repr=f"{LISTS[kind].short} {year}, версия {version.number}",
        changes={
            "основа": version.basis,
            "школ в проекте": sum(1 for r in rows if r.included),
            "кандидатов": len(rows),
            "причина": version.reason,
        },
    )
    return version


@transaction.atomic
def entry_decide(
    *, actor: User | None, version: ListVersion, school: School, included: bool, reason: str
) -> ListEntry:
    """Include or exclude ``school`` in a draft, with the reason (required); a school no source names is
    added as «добавлена вручную»."""
    _may_decide(actor)
    if version.status != ListVersion.DRAFT:
        raise ValidationError("утверждённый список не меняется: создайте новую версию с причиной изменения")
    if not reason.strip():
        raise ValidationError(
            f"укажите основание: почему школа {school.school_id} "
            + ("включается в список" if included else "исключается из списка")
        )
    entry = ListEntry.objects.filter(version=version, school=school).first()
    before = None if entry is None else entry.included
    if entry is None:
        entry = ListEntry(version=version, school=school, source=ListEntry.MANUAL)
    entry.included = included
    entry.reason = reason.strip()
    entry.changed_by = actor if getattr(actor, "pk", None) else None
    entry.changed_at = timezone.now()
    entry.save()
    audit_record(
        action="включение в список" if included else "исключение из списка",
        object_type="список",
        object_id=f"{version.kind}:{version.year}:{version.number}",
        object_repr=f"{school.school_id} {school.name}"[:500],
        changes={"было": before, "стало": included, "основание": entry.reason},
    )
    return entry


@transaction.atomic
def version_approve(
    *,
    actor: User | None,
    version: ListVersion,
    order_number: str,
    order_date: dt.date | None,
    signatory: str,
) -> ListVersion:
    """Approve a draft by the region's order (number, date and signatory required)."""
    _may_decide(actor)
    if version.status != ListVersion.DRAFT:
        raise ValidationError("эта версия списка уже утверждена")
    missing = [
        name
        for name, value in (
            ("номер приказа", order_number),
            ("дата приказа", order_date),
            ("кто подписал", signatory),
        )
        if not value or (isinstance(value, str) and not value.strip())
    ]
    if missing:
        raise ValidationError("для утверждения укажите: " + ", ".join(missing))
    version.status = ListVersion.APPROVED
    version.order_number = order_number.strip()
    version.order_date = order_date
    version.signatory = signatory.strip()
    version.approved_by = actor if getattr(actor, "pk", None) else None
    version.approved_at = timezone.now()
    version.save()
    audit_record(
        action="утверждение списка",
        object_type="список",
        object_id=f"{version.kind}:{version.year}:{version.number}",
        object_repr=f"{LISTS[version.kind].short} {version.year}, версия {version.number}",
        changes={
            "приказ": f"№ {version.order_number} от {order_date:%d.%m.%Y}" if order_date else "",
            "подписал": version.signatory,
            "школ в списке": version.entries.filter(included=True).count(),
        },
    )
    return version


def versions_diff(*, before: ListVersion, after: ListVersion) -> dict[str, list[ListEntry]]:
    """Schools that enter and leave the list from ``before`` to ``after`` (with ``after``'s reasons)."""
    was = set(before.entries.filter(included=True).values_list("school_id", flat=True))
    now = {e.school_id: e for e in after.entries.filter(included=True).select_related("school__municipality")}
    gone = before.entries.filter(included=True).exclude(school_id__in=list(now)).select_related("school")
    reasons = {e.school_id: e for e in after.entries.filter(school_id__in=[e.school_id for e in gone])}
    left = [reasons.get(e.school_id, e) for e in gone]
    entered = [e for pk, e in now.items() if pk not in was]
    return {"entered": entered, "left": left}


def export_rows(*, kind: str, year: int, number: int | None = None) -> list[dict[str, object]]:
    """The rows of ``shnor lists export``: every school of the version (the approved one, else the draft,
    or version ``number``), with its source, inclusion, reason, status and version number."""
    _kind_check(kind)
    if number is not None:
        version = ListVersion.objects.filter(kind=kind, year=year, number=number).first()
        if version is None:
            raise ValidationError(f"нет версии {number} списка «{LISTS[kind].short}» за {year} год")
    else:
        version = version_current(kind=kind, year=year)
        if version is None and sources_of(kind=kind, year=year):
            version = draft_create(actor=None, kind=kind, year=year)  # the draft a page would offer
        if version is None:
            raise ValidationError(
                f"списка «{LISTS[kind].short}» за {year} год ещё нет: загрузите список ФИОКО "
                "(shnor import fioko-list) или выполните расчёт (shnor identify)"
            )
    return [
        {
            "school_id": e.school.school_id,
            "name": e.school.name,
            "municipality": e.school.municipality.name if e.school.municipality else "",
            "source": e.source,
            "included": e.included,
            "reason": e.reason,
            "status": version.status,
            "version": version.number,
        }
        for e in version.entries.select_related("school__municipality").order_by(
            "school__municipality__name", "school__school_id"
        )
    ]


def source_label(code: str) -> str:
    """The Russian name of an entry's source."""
    return LIST_SOURCE_LABELS.get(code, code)
