"""Import of FIOKO's published lists (signs of non-objectivity, low results): one list per kind and year.

Atomic and idempotent as every import: the file is read and checked whole before anything is written; the
same file again changes nothing; a new file for a kind and year becomes the live list and the earlier one
is kept. Schools unknown to the registry are created and marked «нет в реестре», as for ВПР files. An
imported list never changes an approved list: it is one of the sources the region's decision compares.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
from django.db import transaction

from shnor.core.ingest.errors import IngestError
from shnor.core.ingest.fioko_list import FiokoList as FiokoFile
from shnor.core.ingest.fioko_list import FiokoListError, read_fioko_list
from shnor.core.labels import FIOKO_LIST_LABELS
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User
from shnor.web.identification.models import FiokoList, FiokoListEntry
from shnor.web.outcome import ImportOutcome, error_report_write
from shnor.web.registry.models import School
from shnor.web.registry.services import schools_ensure


def _digest(raw: bytes, kind: str, year: int) -> str:
    return hashlib.sha256(raw + f"|{kind}|{year}".encode()).hexdigest()


def fioko_list_import(
    *, path: Path, kind: str | None = None, year: int | None = None, actor: User | None = None
) -> ImportOutcome:
    """Import one FIOKO list file (every year it holds); the outcome says what was stored per year."""
    path = Path(path)
    try:
        parsed = read_fioko_list(path, kind=kind, year=year)
    except FiokoListError as exc:
        summary = f"{path.name}: список не загружен — ошибки в строках ({len(exc.errors)})"
        report = error_report_write(path.name, exc.errors, summary, [])
        return ImportOutcome(path.name, "rejected", summary, errors=exc.errors, report=report)
    except IngestError as exc:
        return ImportOutcome(path.name, "rejected", str(exc))
    raw = path.read_bytes()
    parts = []
    status = "unchanged"
    with transaction.atomic():
        created = _schools_create(parsed)
        for y in parsed.years():
            stored = _year_store(parsed, y, _digest(raw, parsed.kind, y), actor)
            n = sum(1 for r in parsed.rows if r.year == y)
            if stored:
                status = "stored"
                parts.append(f"{y}: {n} школ")
            else:
                parts.append(f"{y}: {n} школ — уже загружен, ничего не изменено")
    title = FIOKO_LIST_LABELS.get(parsed.kind, parsed.kind)
    summary = f"{path.name}: список ФИОКО «{title}» — " + "; ".join(parts)
    if created:
        summary += f"; новых школ (нет в реестре): {created}"
    return ImportOutcome(path.name, status, summary, warnings=list(parsed.warnings))


def _schools_create(parsed: FiokoFile) -> int:
    frame = pl.DataFrame(
        {
            "school_id": [r.school_id for r in parsed.rows],
            "name": [r.name or None for r in parsed.rows],
            "municipality": [r.municipality or None for r in parsed.rows],
        },
        schema={"school_id": pl.String, "name": pl.String, "municipality": pl.String},
    )
    return schools_ensure(schools=frame, source=parsed.file)


def _year_store(parsed: FiokoFile, year: int, digest: str, actor: User | None) -> bool:
    """Store the rows of ``year`` as the live list of its kind; False when this file is already there."""
    same = FiokoList.objects.filter(kind=parsed.kind, year=year, digest=digest).first()
    if same is not None and same.live:
        return False
    FiokoList.objects.filter(kind=parsed.kind, year=year, live=True).update(live=False)
    if same is not None:  # an earlier file brought back
        same.live = True
        same.save(update_fields=["live"])
        audit_record(
            action="список ФИОКО снова действующий",
            object_type="список ФИОКО",
            object_id=str(same.pk),
            object_repr=str(same),
        )
        return True
    rows = [r for r in parsed.rows if r.year == year]
    listed = FiokoList.objects.create(
        kind=parsed.kind,
        year=year,
        file_name=parsed.file,
        digest=digest,
        tests=list(parsed.tests),
        imported_by=actor if getattr(actor, "pk", None) else None,
    )
    ids = dict(
        School.objects.filter(school_id__in=[r.school_id for r in rows]).values_list("school_id", "pk")
    )
    FiokoListEntry.objects.bulk_create(
        FiokoListEntry(
            fioko_list=listed,
            school_id=ids[r.school_id],
            source_row=r.source_row,
            data={"name": r.name, "municipality": r.municipality, "markers": r.markers, "count": r.count},
        )
        for r in rows
    )
    audit_record(
        action="загрузка списка ФИОКО",
        object_type="список ФИОКО",
        object_id=str(listed.pk),
        object_repr=str(listed),
        changes={"schools": len(rows), "file": parsed.file},
    )
    return True


def fioko_list_live(*, kind: str, year: int) -> FiokoList | None:
    """The live FIOKO list of ``kind`` for ``year``, if one was imported."""
    return FiokoList.objects.filter(kind=kind, year=year, live=True).first()
