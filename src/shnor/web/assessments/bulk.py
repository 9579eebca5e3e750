"""Bulk import of results that are already in the RESULTS schema (Parquet), for national-scale loads.

The ordinary importer (``services.vpr_file_import``) reads a ФИС ОКО file, checks every row and writes
one batch. A national load (millions of rows a year, e.g. the demo generator's country size) comes
as RESULTS-schema Parquet files that another system has already validated; reading them through the
ФИС ОКО readers would only cost time. ``results_parquet_import`` keeps everything else the same:
one batch per file, the batch id from the file's bytes and its key, the rows streamed into
``warehouse/results/procedure=…/year=…/subject=…/grade=…/<batch>.parquet`` by temporary file and
atomic rename, then one transaction (under the versions lock, see ``services._commit_serialised``)
for the unknown schools and the ``ImportBatch`` row. A new
version of a live file of the same name is refused unless ``replace`` (see ``versions``); the version
it replaces is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import polars as pl

from shnor.core.ingest.errors import IngestError
from shnor.core.store import schema
from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.services import (
    ImportOutcome,
    _commit_serialised,
    _refused,
    _replaced_note,
    _sha256,
    _slot_state,
    _unchanged,
    warehouse,
)
from shnor.web.assessments.versions import slot_key, version_activate
from shnor.web.registry.models import School
from shnor.web.registry.services import schools_ensure

Progress = Callable[[str], None]


def results_parquet_import(
    *, path: Path, replace: bool = False, progress: Progress | None = None
) -> ImportOutcome:
    """Import one RESULTS-schema Parquet file of a single (procedure, year, subject, grade) as one batch."""
    path = Path(path)
    say = progress or (lambda _m: None)
    say("чтение")
    lf = pl.scan_parquet(path)
    missing = [
        c
        for c in ("procedure", "year", "subject", "grade", "school_id", "absent")
        if c not in lf.collect_schema()
    ]
    if missing:
        raise IngestError(f"{path.name}: нет столбцов {', '.join(missing)} (ожидается схема RESULTS)")
    stats = (
        lf.select(
            pl.col("procedure").n_unique().alias("n_procedure"),
            pl.col("year").n_unique().alias("n_year"),
            pl.col("subject").n_unique().alias("n_subject"),
            pl.col("grade").n_unique().alias("n_grade"),
            pl.col("procedure").first(),
            pl.col("year").first().cast(pl.Int32),
            pl.col("subject").first(),
            pl.col("grade").first().cast(pl.Int32),
            pl.len().alias("rows"),
            pl.col("absent").fill_null(False).sum().alias("absent_rows"),
            pl.col("school_id").filter(~pl.col("absent").fill_null(False)).n_unique().alias("schools"),
        )
        .collect()
        .row(0, named=True)
    )
    if stats["rows"] == 0:
        raise IngestError(f"{path.name}: в файле нет строк")
    if any(stats[k] != 1 for k in ("n_procedure", "n_year", "n_subject", "n_grade")):
        raise IngestError(f"{path.name}: в одном файле должна быть одна процедура, год, предмет и класс")
    procedure, year, subject, grade = stats["procedure"], stats["year"], stats["subject"], stats["grade"]
    sha = _sha256(path)
    batch_id = hashlib.sha256(f"{sha}|{procedure}|{year}:{subject}:{grade}".encode()).hexdigest()[:24]
    head = f"{path.name}: {procedure.upper()} {year} {subject}{grade} (Parquet RESULTS)"
    slot = slot_key(
        kind=procedure, source_name=path.name, procedure=procedure, year=year, subject=subject, grade=grade
    )
    state = _slot_state(batch_id=batch_id, slot=slot, replace=replace)
    if state.verdict == "unchanged":
        return _unchanged(path.name, head, batch_id)
    if state.verdict == "refused":
        return _refused(path.name, head, state, lf, batch_id, [], [])
    say("запись")
    store = warehouse()
    earlier = state.earlier
    relpath = (
        earlier.path
        if earlier is not None
        else store.batch_path(procedure=procedure, year=year, subject=subject, grade=grade, batch_id=batch_id)
    )
    present = stats["rows"] - stats["absent_rows"]

    def commit(earlier: ImportBatch | None) -> tuple[int, list[ImportBatch]]:
        ids = lf.select(pl.col("school_id").drop_nulls().unique()).collect()
        # compare with the whole registry in Python: an IN (…) of 40,000 ids exceeds SQLite's variable limit
        known = set(School.objects.values_list("school_id", flat=True))
        unknown = ids.filter(~pl.col("school_id").is_in(list(known)))
        created = (
            schools_ensure(schools=schema.conform(unknown, {"school_id": pl.String()}), source=path.name)
            if unknown.height
            else 0
        )
        _batch, old = version_activate(
            earlier=earlier,
            slot=slot,
            fields=slot
            | {
                "batch_id": batch_id,
                "sha256": sha,
                "layout": "parquet:RESULTS",
                "path": relpath,
                "rows_total": stats["rows"],
                "rows_absent": stats["absent_rows"],
                "rows_stored": present,
                "rows_rejected": 0,
                "schools": stats["schools"],
                "warnings": [],
            },
        )
        return created, old

    state = _commit_serialised(
        batch_id=batch_id,
        slot=slot,
        replace=replace,
        store=store,
        relpath=relpath,
        write=lambda: store.write_batch_lazy(lf.with_columns(pl.lit(batch_id).alias("batch_id")), relpath),
        commit=commit,
    )
    if state.verdict == "unchanged":
        return _unchanged(path.name, head, batch_id)
    if state.verdict == "refused":
        return _refused(path.name, head, state, lf, batch_id, [], [])
    created, old, earlier = state.created, state.old, state.earlier
    summary = (
        f"{head}: сохранено участников {present} и отсутствовавших {stats['absent_rows']} "
        f"из {stats['schools']} школ"
        f"{'; новых школ вне реестра: ' + str(created) if created else ''}"
        f"{_replaced_note(old, earlier)}"
    )
    return ImportOutcome(path.name, "replaced" if old else "stored", summary, batch_id=batch_id)


__all__ = ["results_parquet_import"]
