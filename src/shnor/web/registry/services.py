"""Writes for the registry: schools and yearly context from files, and schools first met in result files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
from django.db import transaction

from shnor.core.ingest.registry import read_context, read_schools
from shnor.core.store import schema
from shnor.web.outcome import ImportOutcome, error_report_write, share_text
from shnor.web.registry.models import Municipality, Region, School, SchoolContext


def _name_key(name: str | None) -> str:
    """The code of a unit known only by its name: ``name:<name>``, or its hash when that does not fit the
    64 characters of a code (long municipality names in FIOKO's files)."""
    key = f"name:{name}"
    if len(key) <= 64:
        return key
    return "name#" + hashlib.sha256(str(name).encode()).hexdigest()[:40]


def _region(code: str | None, name: str | None) -> Region | None:
    if not code and not name:
        return None
    key = code or _name_key(name)
    obj, created = Region.objects.get_or_create(code=key, defaults={"name": name or key})
    if not created and name and obj.name != name and obj.name == key:
        obj.name = name
        obj.save(update_fields=["name"])
    return obj


def _municipality(code: str | None, name: str | None, region: Region | None) -> Municipality | None:
    if not code and not name:
        return None
    key = code or _name_key(name)
    obj, _ = Municipality.objects.get_or_create(code=key, defaults={"name": name or key, "region": region})
    if region is not None and obj.region_id is None:
        obj.region = region
        obj.save(update_fields=["region"])
    return obj


def schools_ensure(*, schools: pl.DataFrame, source: str) -> int:
    """Create a result file's schools unknown to the registry, marked «not in registry»; returns how many."""
    ids = [s for s in schools["school_id"].drop_nulls().unique().to_list()]
    known = set(School.objects.filter(school_id__in=ids).values_list("school_id", flat=True))
    frame = schema.conform(
        schools,
        {
            k: schema.SCHOOLS[k]
            for k in ("school_id", "name", "municipality_id", "municipality", "region_id", "region")
        },
    )
    created = 0
    for row in (
        frame.filter(~pl.col("school_id").is_in(list(known)) & pl.col("school_id").is_not_null())
        .unique("school_id")
        .iter_rows(named=True)
    ):
        region = _region(row["region_id"], row["region"])
        mun = _municipality(row["municipality_id"], row["municipality"], region)
        School.objects.create(
            school_id=row["school_id"],
            name=row["name"] or "",
            municipality=mun,
            region=region,
            in_registry=False,
            created_from=source,
        )
        created += 1
    return created


def schools_file_import(*, path: Path, max_rejected: float = 0.05) -> ImportOutcome:
    """Import schools.csv: create or update valid schools (now «in registry»), or none if too many are bad."""
    path = Path(path)
    parsed = read_schools(path)
    bad = len({e.row for e in parsed.errors})
    if parsed.rows_total == 0 or bad / parsed.rows_total >= max_rejected:
        summary = (
            f"{path.name}: реестр школ не загружен — отклонено строк {bad} "
            f"({share_text(bad, parsed.rows_total)}); ничего не сохранено"
        )
        return ImportOutcome(
            path.name,
            "rejected",
            summary,
            parsed.errors,
            parsed.warnings,
            error_report_write(path.name, parsed.errors, summary, parsed.warnings),
        )
    created = updated = 0
    with transaction.atomic():
        for row in parsed.frame.iter_rows(named=True):
            region = _region(row["region_id"], row["region"])
            mun = _municipality(row["municipality_id"], row["municipality"], region)
            if mun is not None and mun.name != row["municipality"] and row["municipality"]:
                mun.name = row["municipality"]
                mun.save(update_fields=["name"])
            if region is not None and row["region"] and region.name != row["region"]:
                region.name = row["region"]
                region.save(update_fields=["name"])
            _, was_created = School.objects.update_or_create(
                school_id=row["school_id"],
                defaults={
                    "name": row["name"],
                    "municipality": mun,
                    "region": region,
                    "kind": row["kind"] or "",
                    "locality": row["locality"] or "",
                    "pupils": row["pupils"],
                    "is_small": row["is_small"],
                    "latitude": row["latitude"],
                    "longitude": row["longitude"],
                    "website": row["website"] or "",
                    "in_registry": True,
                    "created_from": "",
                },
            )
            created += was_created
            updated += not was_created
    summary = f"{path.name}: школ добавлено {created}, обновлено {updated}; отклонено строк {bad}"
    report = error_report_write(path.name, parsed.errors, summary, parsed.warnings)
    return ImportOutcome(
        path.name,
        "stored",
        summary + (f"; отчёт об ошибках: {report}" if report else ""),
        parsed.errors,
        parsed.warnings,
        report,
    )


def context_file_import(*, path: Path, max_rejected: float = 0.05) -> ImportOutcome:
    """Import context.csv: a record per (school, year), replaced if present; unknown schools: row errors."""
    from shnor.core.ingest.errors import RowError

    path = Path(path)
    parsed = read_context(path)
    frame = parsed.frame
    ids = dict(
        School.objects.filter(school_id__in=frame["school_id"].unique().to_list()).values_list(
            "school_id", "pk"
        )
    )
    for row in frame.filter(~pl.col("school_id").is_in(list(ids))).iter_rows(named=True):
        parsed.errors.append(
            RowError(
                path.name,
                "",
                row["source_row"],
                "school_id",
                "школы нет в реестре (сначала загрузите реестр школ)",
                row["school_id"],
            )
        )
    frame = frame.filter(pl.col("school_id").is_in(list(ids)))
    bad = len({e.row for e in parsed.errors})
    if parsed.rows_total == 0 or bad / parsed.rows_total >= max_rejected:
        summary = (
            f"{path.name}: контекст не загружен — отклонено строк {bad} "
            f"({share_text(bad, parsed.rows_total)}); ничего не сохранено"
        )
        return ImportOutcome(
            path.name,
            "rejected",
            summary,
            parsed.errors,
            parsed.warnings,
            error_report_write(path.name, parsed.errors, summary, parsed.warnings),
        )
    fields = list(schema.CONTEXT_SHARES) + list(schema.CONTEXT_FLAGS)
    with transaction.atomic():
        for row in frame.iter_rows(named=True):
            SchoolContext.objects.update_or_create(
                school_id=ids[row["school_id"]], year=row["year"], defaults={f: row[f] for f in fields}
            )
    summary = f"{path.name}: записей контекста загружено {frame.height}; отклонено строк {bad}"
    report = error_report_write(path.name, parsed.errors, summary, parsed.warnings)
    return ImportOutcome(
        path.name,
        "stored",
        summary + (f"; отчёт об ошибках: {report}" if report else ""),
        parsed.errors,
        parsed.warnings,
        report,
    )
