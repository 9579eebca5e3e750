"""Versions of an imported file: one file name for one test is one slot with one live version.

A file whose name matches a live batch of the same test but whose content differs is a new version
of that slot. Replacing the live version is never implicit: the importers refuse it (nothing
changed) unless asked with ``replace=True`` (``--replace`` on the command line, the confirmation
button after the preview in the browser). The refusal carries a ``VersionDiff``: participants,
absent pupils and schools before and after, and which schools would leave or join the data.

Earlier versions stay in the warehouse (their rows are read only while they are live, by the
manifest), so any of them can be brought back: by importing that file again with ``replace=True``,
or by ``batch_restore`` (the «Вернуть эту версию» button).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from shnor.core.ingest.errors import IngestError
from shnor.core.labels import PROCEDURE_LABELS
from shnor.core.store.schema import SUBJECTS
from shnor.web.assessments.models import ImportBatch
from shnor.web.registry.models import School

#: Schools named in a difference (the rest are counted).
NAMED_SCHOOLS = 15
#: The PostgreSQL advisory lock held by whoever changes which versions are live (b"shnor" as a number).
VERSIONS_LOCK = 0x73686E6F72


@dataclass
class Side:
    """One version of a slot as a person compares it: when, how many participants, absent, schools."""

    label: str
    participants: int
    absent: int
    schools: int
    test: str
    batch_id: str = ""


@dataclass
class VersionDiff:
    """The difference between the live version of a slot and another version of it."""

    file: str
    before: Side
    after: Side
    schools_gone: int = 0
    schools_new: int = 0
    schools_changed: int = 0
    gone_named: list[str] = field(default_factory=list)
    new_named: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The difference in Russian, a line a fact."""
        b, a = self.before, self.after
        out = [
            f"{b.test}, файл {self.file}",
            f"участников: {b.participants} → {a.participants}",
            f"отсутствовали: {b.absent} → {a.absent}",
            f"школ с результатами: {b.schools} → {a.schools}",
        ]
        if self.schools_gone:
            more = self.schools_gone - len(self.gone_named)
            out.append(
                f"исчезнут из данных школ: {self.schools_gone} ({', '.join(self.gone_named)}"
                f"{f' и ещё {more}' if more > 0 else ''})"
            )
        if self.schools_new:
            more = self.schools_new - len(self.new_named)
            out.append(
                f"появятся школ: {self.schools_new} "
                f"({', '.join(self.new_named)}{f' и ещё {more}' if more > 0 else ''})"
            )
        if self.schools_changed:
            out.append(f"изменится число участников в школах: {self.schools_changed}")
        return out

    def as_dict(self) -> dict[str, Any]:
        """Plain data for a job's JSON result."""
        return asdict(self) | {"lines": self.lines()}


def slot_title(*, procedure: str, year: int, subject: str, grade: int | None) -> str:
    """«ВПР 2021, математика, 4 класс» for a slot."""
    if procedure == "gia":
        return "ГИА (ОГЭ и ЕГЭ)"
    name = SUBJECTS.get(subject, subject)
    parts = [f"{PROCEDURE_LABELS.get(procedure, procedure.upper())} {year}"]
    if name:
        parts.append(name)
    if grade:
        parts.append(f"{grade} класс")
    return ", ".join(parts)


def _per_school(frame: pl.LazyFrame) -> pl.DataFrame:
    return (
        frame.select("school_id", pl.col("absent").fill_null(False))
        .group_by("school_id")
        .agg((~pl.col("absent")).sum().alias("n"))
        .filter(pl.col("n") > 0)
        .collect()
    )


def _names(ids: list[str]) -> list[str]:
    known = dict(School.objects.filter(school_id__in=ids).values_list("school_id", "name"))
    return [known.get(i) or i for i in ids]


def version_diff(
    *, live: ImportBatch, other: pl.LazyFrame, other_label: str, other_batch_id: str = "", scan: Callable
) -> VersionDiff:
    """Compare the live batch of a slot with another version given as a RESULTS frame."""
    before = _per_school(scan([live.path]))
    after = _per_school(other)
    absent_after = other.select(pl.col("absent").fill_null(False).sum()).collect().item()
    joined = before.join(after, on="school_id", how="full", suffix="_new", coalesce=True)
    gone = joined.filter(pl.col("n_new").is_null())["school_id"].sort().to_list()
    new = joined.filter(pl.col("n").is_null())["school_id"].sort().to_list()
    changed = joined.filter(
        pl.col("n").is_not_null() & pl.col("n_new").is_not_null() & (pl.col("n") != pl.col("n_new"))
    )
    test = slot_title(procedure=live.procedure, year=live.year, subject=live.subject, grade=live.grade)
    return VersionDiff(
        file=live.source_name,
        before=Side(
            label=f"действующая версия, загружена {timezone.localtime(live.created_at):%d.%m.%Y %H:%M}",
            participants=int(before["n"].sum() or 0),
            absent=live.rows_absent,
            schools=before.height,
            test=test,
            batch_id=live.batch_id,
        ),
        after=Side(
            label=other_label,
            participants=int(after["n"].sum() or 0),
            absent=int(absent_after or 0),
            schools=after.height,
            test=test,
            batch_id=other_batch_id,
        ),
        schools_gone=len(gone),
        schools_new=len(new),
        schools_changed=changed.height,
        gone_named=_names(gone[:NAMED_SCHOOLS]),
        new_named=_names(new[:NAMED_SCHOOLS]),
    )


def slot_key(
    *,
    kind: str,
    source_name: str,
    procedure: str = "",
    year: int = 0,
    subject: str = "",
    grade: int | None = None,
) -> dict[str, Any]:
    """The slot of a file: its test and file name; for ГИА, which spans years, the file name alone."""
    if kind == "gia":
        return {"kind": kind, "source_name": source_name}
    return {
        "kind": kind,
        "procedure": procedure,
        "year": year,
        "subject": subject,
        "grade": grade,
        "source_name": source_name,
    }


def slot_of(batch: ImportBatch) -> dict[str, Any]:
    """The slot a batch belongs to."""
    return slot_key(
        kind=batch.kind,
        source_name=batch.source_name,
        procedure=batch.procedure,
        year=batch.year,
        subject=batch.subject,
        grade=batch.grade,
    )


def slot_live(slot: dict[str, Any]) -> list[ImportBatch]:
    """The live batches of a slot (see ``slot_key``), newest first."""
    return list(ImportBatch.objects.filter(status=ImportBatch.ACTIVE, **slot).order_by("-created_at"))


def refusal_text(*, head: str, live: ImportBatch, earlier: ImportBatch | None) -> str:
    """Why a new version was not stored, and how to store it."""
    when = f"{timezone.localtime(live.created_at):%d.%m.%Y %H:%M}"
    if earlier is not None:
        what = (
            f"это прежняя версия файла (загружена {timezone.localtime(earlier.created_at):%d.%m.%Y %H:%M}), "
            f"сейчас действует версия от {when}"
        )
    else:
        what = f"файл с таким именем уже загружен {when} ({live.rows_stored} участников), а содержимое другое"
    return (
        f"{head}: {what}; ничего не изменено. Чтобы заменить действующую версию, подтвердите замену "
        "(в командной строке — ключ --replace); прежняя версия сохранится, её можно будет вернуть"
    )


def versions_lock() -> None:
    """Inside a transaction: wait until no other worker is changing which versions are live (a PostgreSQL
    advisory lock, released with the transaction), so that a check made after it sees the other's commit.
    SQLite lets one writer in at a time already: nothing to do there."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [VERSIONS_LOCK])


def version_activate(
    *, earlier: ImportBatch | None, fields: dict[str, Any], slot: dict[str, Any]
) -> tuple[ImportBatch, list[ImportBatch]]:
    """Inside a transaction: make a version live (create it from ``fields``, or reactivate ``earlier``
    with them) and mark the slot's other live versions replaced by it. Returns the live batch and the
    versions it replaced."""
    versions_lock()
    old = list(ImportBatch.objects.select_for_update().filter(status=ImportBatch.ACTIVE, **slot))
    if earlier is not None:
        old = [b for b in old if b.pk != earlier.pk]
        for name, value in fields.items():
            setattr(earlier, name, value)
        earlier.status = ImportBatch.ACTIVE
        earlier.replaced_by = None
        earlier.save()
        batch = earlier
    else:
        batch = ImportBatch.objects.create(**fields)
    ImportBatch.objects.filter(pk__in=[b.pk for b in old]).update(
        status=ImportBatch.REPLACED, replaced_by=batch
    )
    return batch, old


def batch_restore(*, batch_id: str, root: Any) -> tuple[ImportBatch, list[ImportBatch]]:
    """Bring an earlier version of a file back: it becomes live, the slot's live one is kept as replaced."""
    batch = ImportBatch.objects.filter(batch_id=batch_id).first()
    if batch is None:
        raise IngestError("такой версии файла нет")
    if batch.status == ImportBatch.ACTIVE:
        raise IngestError(f"{batch.source_name}: эта версия уже действует, ничего не изменено")
    if not (root / batch.path).exists():
        raise IngestError(
            f"{batch.source_name}: строк этой версии нет в хранилище (она заменена до того, как shnor начал "
            "хранить прежние версии); загрузите этот файл снова с подтверждением замены"
        )
    with transaction.atomic():
        return version_activate(earlier=batch, fields={}, slot=slot_of(batch))


def slot_versions(*, batches: list[ImportBatch]) -> dict[int, list[ImportBatch]]:
    """For each live batch, its slot's earlier versions, newest first."""
    if not batches:
        return {}
    names = {b.source_name for b in batches}
    earlier = ImportBatch.objects.filter(status=ImportBatch.REPLACED, source_name__in=names).order_by(
        "-created_at"
    )
    by_slot: dict[tuple, list[ImportBatch]] = {}
    for b in earlier:
        by_slot.setdefault(tuple(slot_of(b).values()), []).append(b)
    return {b.pk: by_slot.get(tuple(slot_of(b).values()), []) for b in batches}


__all__ = [
    "Side",
    "VersionDiff",
    "batch_restore",
    "refusal_text",
    "slot_key",
    "slot_live",
    "slot_of",
    "slot_versions",
    "slot_title",
    "version_activate",
    "version_diff",
    "versions_lock",
]
