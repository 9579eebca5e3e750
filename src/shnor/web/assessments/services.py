"""Writes for assessments: importing result files into the warehouse and reference data into the database."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.gia import read_gia
from shnor.core.ingest.rdr import read_rdr
from shnor.core.ingest.reference import read_scales, read_tasks
from shnor.core.ingest.vpr import VprFile, read_vpr
from shnor.core.labels import LAYOUT_LABELS
from shnor.core.reference import shipped_scales, shipped_tasks
from shnor.core.store.home import stored_secret
from shnor.core.store.warehouse import Warehouse
from shnor.web.assessments.models import ImportBatch, Scale, TaskSpec
from shnor.web.assessments.selectors import scales_frame, tasks_frame
from shnor.web.assessments.versions import (
    refusal_text,
    slot_key,
    slot_live,
    slot_title,
    version_activate,
    version_diff,
    versions_lock,
)
from shnor.web.outcome import ImportOutcome, error_report_write, share_text
from shnor.web.registry.services import schools_ensure

Progress = Callable[[str], None]


def pseudonym_key() -> bytes:
    """The key of the pupil-code pseudonyms: SHNOR_PSEUDONYM_KEY, else a secret kept in SHNOR_HOME."""
    env = os.environ.get("SHNOR_PSEUDONYM_KEY")
    return (env or stored_secret(settings.HOME, "pseudonym_key")).encode()


def warehouse() -> Warehouse:
    """The warehouse under SHNOR_HOME."""
    return Warehouse(settings.HOME / "warehouse")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def reference_ensure_shipped() -> None:
    """Load the shipped scales and task structures into the database where they are not there yet."""
    with transaction.atomic():
        for row in shipped_scales().iter_rows(named=True):
            Scale.objects.get_or_create(
                procedure=row["procedure"],
                year=row["year"],
                subject=row["subject"],
                grade=row["grade"],
                defaults={k: row[k] for k in ("max_score", "min_3", "min_4", "min_5")}
                | {"source": "поставка"},
            )
        for row in shipped_tasks().iter_rows(named=True):
            TaskSpec.objects.get_or_create(
                procedure=row["procedure"],
                year=row["year"],
                subject=row["subject"],
                grade=row["grade"],
                task_no=row["task_no"],
                defaults={
                    "task_label": row["task_label"] or "",
                    "max_points": row["max_points"],
                    "level": row["level"] or "",
                    "skill": row["skill"] or "",
                    "kes": row["kes"] or "",
                    "kt": row["kt"] or "",
                    "source": "поставка",
                },
            )


def vpr_file_import(
    *,
    path: Path,
    year: int | None = None,
    subject: str | None = None,
    grade: int | None = None,
    max_rejected: float = 0.05,
    replace: bool = False,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import one ВПР file: check every row, store the valid ones as one batch, or store nothing.

    A different content under the name of a live file of the same test is refused with the
    difference unless ``replace``; the version it replaces stays stored and can be brought back."""
    path = Path(path)
    say = progress or (lambda _m: None)
    say("чтение")
    sha = _sha256(path)
    vf = read_vpr(
        path,
        year=year,
        subject=subject,
        grade=grade,
        tasks=tasks_frame(),
        scales=scales_frame(),
        pseudonym_key=pseudonym_key(),
        max_rejected=max_rejected,
    )
    return _pupil_file_store(path=path, procedure="vpr", vf=vf, sha=sha, replace=replace, say=say)


def rdr_file_import(
    *,
    path: Path,
    year: int | None = None,
    subject: str | None = None,
    grade: int | None = None,
    max_rejected: float = 0.05,
    replace: bool = False,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import one РДР file as its own procedure ``rdr`` (ВПР layouts, the mark from the file or an РДР
    scale): every row checked, the valid ones stored as one batch, or nothing; versions as for ВПР."""
    path = Path(path)
    say = progress or (lambda _m: None)
    say("чтение")
    sha = _sha256(path)
    vf = read_rdr(
        path,
        year=year,
        subject=subject,
        grade=grade,
        tasks=tasks_frame(),
        scales=scales_frame(),
        pseudonym_key=pseudonym_key(),
        max_rejected=max_rejected,
    )
    return _pupil_file_store(path=path, procedure="rdr", vf=vf, sha=sha, replace=replace, say=say)


def _pupil_file_store(
    *, path: Path, procedure: str, vf: VprFile, sha: str, replace: bool, say: Progress
) -> ImportOutcome:
    """Store a checked pupil-level file (ВПР or РДР) as one batch of ``procedure``, or nothing."""
    max_rejected = vf.max_rejected
    target = f"{vf.year}:{vf.subject}:{vf.grade}"
    batch_id = hashlib.sha256(f"{sha}|{procedure}|{target}".encode()).hexdigest()[:24]
    slot = slot_title(procedure=procedure, year=vf.year, subject=vf.subject, grade=vf.grade)
    head = f"{path.name}: {slot} ({LAYOUT_LABELS.get(vf.layout, vf.layout)})"
    present = vf.rows_present
    n_schools = vf.frame.filter(~pl.col("absent"))["school_id"].n_unique()
    rejected = f"отклонено строк: {vf.rows_rejected} ({share_text(vf.rows_rejected, vf.rows_total)})"
    slot = slot_key(
        kind=procedure,
        source_name=path.name,
        procedure=procedure,
        year=vf.year,
        subject=vf.subject,
        grade=vf.grade,
    )
    state = _slot_state(batch_id=batch_id, slot=slot, replace=replace)
    if state.verdict == "unchanged":
        return _unchanged(path.name, head, batch_id)
    if not vf.accepted:
        summary = (
            f"{head}: файл отклонён — {rejected}, порог {share_text(int(max_rejected * 1000), 1000)}; "
            "ничего не сохранено"
        )
        return ImportOutcome(
            path.name,
            "rejected",
            summary,
            vf.errors,
            vf.warnings,
            error_report_write(path.name, vf.errors, summary, vf.warnings),
        )
    if state.verdict == "refused":
        return _refused(path.name, head, state, vf.frame.lazy(), batch_id, vf.errors, vf.warnings)

    say("запись")
    store = warehouse()
    earlier = state.earlier
    relpath = (
        earlier.path
        if earlier is not None
        else store.batch_path(
            procedure=procedure, year=vf.year, subject=vf.subject, grade=vf.grade, batch_id=batch_id
        )
    )

    def commit(earlier: ImportBatch | None) -> tuple[int, list[ImportBatch]]:
        created = schools_ensure(schools=vf.schools, source=path.name)
        _batch, old = version_activate(
            earlier=earlier,
            slot=slot,
            fields=slot
            | {
                "batch_id": batch_id,
                "sha256": sha,
                "layout": vf.layout,
                "path": relpath,
                "rows_total": vf.rows_total,
                "rows_absent": vf.rows_absent,
                "rows_stored": present,
                "rows_rejected": vf.rows_rejected,
                "schools": n_schools,
                "warnings": vf.warnings,
            },
        )
        return created, old

    state = _commit_serialised(
        batch_id=batch_id,
        slot=slot,
        replace=replace,
        store=store,
        relpath=relpath,
        write=lambda: store.write_batch(vf.frame.with_columns(pl.lit(batch_id).alias("batch_id")), relpath),
        commit=commit,
    )
    if state.verdict == "unchanged":
        return _unchanged(path.name, head, batch_id)
    if state.verdict == "refused":
        return _refused(path.name, head, state, vf.frame.lazy(), batch_id, vf.errors, vf.warnings)
    created, old, earlier = state.created, state.old, state.earlier
    status = "replaced" if old else "stored"
    summary = (
        f"{head}: сохранено участников {present} и отсутствовавших {vf.rows_absent} из {n_schools} школ"
        f"{'; новых школ вне реестра: ' + str(created) if created else ''}; {rejected}"
        f"{_replaced_note(old, earlier)}"
    )
    report = error_report_write(path.name, vf.errors, summary, vf.warnings)
    if report:
        summary += f"; отчёт об ошибках: {report}"
    return ImportOutcome(path.name, status, summary, vf.errors, vf.warnings, report, batch_id)


def _write_missing(store: Warehouse, relpath: str, write: Callable[[], object]) -> bool:
    """Write a batch file unless an earlier version's identical file is already there; True when written."""
    if (store.root / relpath).exists():
        return False
    write()
    return True


@dataclass
class _SlotState:
    """Where a checked file stands against its slot: ``unchanged`` (this very batch is live), ``refused``
    (another version is live and replacement was not asked for) or ``go``; after a commit, ``stored``."""

    verdict: str
    earlier: ImportBatch | None
    live: list[ImportBatch]
    created: int = 0
    old: list[ImportBatch] = field(default_factory=list)


def _slot_state(*, batch_id: str, slot: dict, replace: bool) -> _SlotState:
    live = slot_live(slot)  # read first: a batch committed meanwhile is then found by its id below
    earlier = ImportBatch.objects.filter(batch_id=batch_id).first()
    if (earlier is not None and earlier.status == ImportBatch.ACTIVE) or any(
        b.batch_id == batch_id for b in live
    ):
        return _SlotState("unchanged", earlier, live)
    return _SlotState("refused" if live and not replace else "go", earlier, live)


def _commit_serialised(
    *,
    batch_id: str,
    slot: dict,
    replace: bool,
    store: Warehouse,
    relpath: str,
    write: Callable[[], object],
    commit: Callable[[ImportBatch | None], tuple[int, list[ImportBatch]]],
) -> _SlotState:
    """Write the batch file, then under the versions lock look at the slot again and ``commit`` (schools
    and the batch row). Of two workers importing at once, the one that comes second finds the first's
    batch («уже загружен») or its live version (refused) and changes nothing."""
    wrote = _write_missing(store, relpath, write)
    try:
        with transaction.atomic():
            versions_lock()
            state = _slot_state(batch_id=batch_id, slot=slot, replace=replace)
            if state.verdict == "go":
                _write_missing(store, relpath, write)  # an identical import that failed meanwhile removed it
                state.created, state.old = commit(state.earlier)
                state.verdict = "stored"
    except BaseException:
        _remove_unused(store, relpath, wrote)
        raise
    if state.verdict != "stored":
        _remove_unused(store, relpath, wrote)
    return state


def _remove_unused(store: Warehouse, relpath: str, wrote: bool) -> None:
    """Remove a batch file this import wrote unless a batch (another worker's identical one) uses it."""
    if not wrote:
        return
    try:
        with transaction.atomic():
            versions_lock()
            if not ImportBatch.objects.filter(path=relpath).exists():
                store.remove(relpath)
    except DatabaseError:  # the database is gone: an orphan file is harmless
        return


def _unchanged(name: str, head: str, batch_id: str) -> ImportOutcome:
    return ImportOutcome(
        name, "unchanged", f"{head}: файл уже загружен, ничего не изменено", batch_id=batch_id
    )


def _replaced_note(old: list[ImportBatch], earlier: ImportBatch | None) -> str:
    if not old:
        return ""
    when = ", ".join(f"{timezone.localtime(b.created_at):%d.%m.%Y %H:%M}" for b in old)
    if earlier is not None:
        return f"; возвращена прежняя версия файла, версия от {when} сохранена и может быть возвращена"
    return f"; заменена версия от {when} (она сохранена и может быть возвращена)"


def _refused(
    name: str,
    head: str,
    state: _SlotState,
    frame: pl.LazyFrame,
    batch_id: str,
    errors: list[RowError],
    warnings: list[str],
) -> ImportOutcome:
    live, earlier = state.live[0], state.earlier
    diff = version_diff(
        live=live,
        other=frame,
        other_label="новая версия из этого файла" if earlier is None else "прежняя версия из этого файла",
        other_batch_id=batch_id,
        scan=warehouse().scan,
    )
    return ImportOutcome(
        name,
        "refused",
        refusal_text(head=head, live=live, earlier=earlier),
        errors,
        warnings,
        None,
        batch_id,
        diff,
    )


def gia_file_import(
    *, path: Path, max_rejected: float = 0.05, replace: bool = False, progress: Progress | None = None
) -> ImportOutcome:
    """Import one gia.csv (ОГЭ/ЕГЭ per pupil) as one batch, or nothing; a new version of a live file
    of the same name only with ``replace`` (see ``vpr_file_import``)."""
    path = Path(path)
    (progress or (lambda _m: None))("чтение")
    sha = _sha256(path)
    parsed = read_gia(path, pseudonym_key=pseudonym_key())
    batch_id = hashlib.sha256(f"{sha}|gia".encode()).hexdigest()[:24]
    head = f"{path.name}: ГИА"
    bad = len({e.row for e in parsed.errors})
    rejected = f"отклонено строк: {bad} ({share_text(bad, parsed.rows_total)})"
    slot = slot_key(kind="gia", source_name=path.name)
    state = _slot_state(batch_id=batch_id, slot=slot, replace=replace)
    if state.verdict == "unchanged":
        return _unchanged(path.name, head, batch_id)
    frame = parsed.frame
    if parsed.rows_total == 0 or bad / parsed.rows_total >= max_rejected or frame.height == 0:
        summary = f"{head}: файл отклонён — {rejected}; ничего не сохранено"
        return ImportOutcome(
            path.name,
            "rejected",
            summary,
            parsed.errors,
            parsed.warnings,
            error_report_write(path.name, parsed.errors, summary, parsed.warnings),
        )
    if state.verdict == "refused":
        return _refused(path.name, head, state, frame.lazy(), batch_id, parsed.errors, parsed.warnings)
    store = warehouse()
    earlier = state.earlier
    relpath = earlier.path if earlier is not None else f"results/procedure=gia/{batch_id}.parquet"

    def commit(earlier: ImportBatch | None) -> tuple[int, list[ImportBatch]]:
        created = schools_ensure(schools=frame.select("school_id").unique(), source=path.name)
        _batch, old = version_activate(
            earlier=earlier,
            slot=slot,
            fields=slot
            | {
                "batch_id": batch_id,
                "procedure": "gia",
                "year": int(frame["year"].min()),
                "subject": "",
                "grade": None,
                "sha256": sha,
                "layout": "gia.csv",
                "path": relpath,
                "rows_total": parsed.rows_total,
                "rows_stored": frame.height,
                "rows_rejected": bad,
                "schools": frame["school_id"].n_unique(),
                "warnings": parsed.warnings,
            },
        )
        return created, old

    state = _commit_serialised(
        batch_id=batch_id,
        slot=slot,
        replace=replace,
        store=store,
        relpath=relpath,
        write=lambda: store.write_batch(frame.with_columns(pl.lit(batch_id).alias("batch_id")), relpath),
        commit=commit,
    )
    if state.verdict == "unchanged":
        return _unchanged(path.name, head, batch_id)
    if state.verdict == "refused":
        return _refused(path.name, head, state, frame.lazy(), batch_id, parsed.errors, parsed.warnings)
    created, old, earlier = state.created, state.old, state.earlier
    summary = (
        f"{head}: сохранено результатов {frame.height} из {frame['school_id'].n_unique()} школ"
        f"{'; новых школ вне реестра: ' + str(created) if created else ''}; "
        f"{rejected}{_replaced_note(old, earlier)}"
    )
    report = error_report_write(path.name, parsed.errors, summary, parsed.warnings)
    if report:
        summary += f"; отчёт об ошибках: {report}"
    return ImportOutcome(
        path.name, "replaced" if old else "stored", summary, parsed.errors, parsed.warnings, report, batch_id
    )


def _reference_outcome(
    path: Path, what: str, parsed_errors: list[RowError], warnings: list[str]
) -> ImportOutcome | None:
    if parsed_errors:
        summary = f"{path.name}: {what} не загружены — ошибок: {len(parsed_errors)}; ничего не сохранено"
        return ImportOutcome(
            path.name,
            "rejected",
            summary,
            parsed_errors,
            warnings,
            error_report_write(path.name, parsed_errors, summary, warnings),
        )
    return None


def scales_file_import(*, path: Path) -> ImportOutcome:
    """Import scales.csv: all rows or none; a scale for the same key is replaced."""
    path = Path(path)
    parsed = read_scales(path)
    bad = _reference_outcome(path, "шкалы", parsed.errors, parsed.warnings)
    if bad:
        return bad
    with transaction.atomic():
        for row in parsed.frame.iter_rows(named=True):
            Scale.objects.update_or_create(
                procedure=row["procedure"],
                year=row["year"],
                subject=row["subject"],
                grade=row["grade"],
                defaults={k: row[k] for k in ("max_score", "min_3", "min_4", "min_5")}
                | {"source": path.name},
            )
    return ImportOutcome(
        path.name, "stored", f"{path.name}: загружено шкал: {parsed.frame.height}", warnings=parsed.warnings
    )


def tasks_file_import(
    *, path: Path, year: int | None = None, subject: str | None = None, grade: int | None = None
) -> ImportOutcome:
    """Import tasks.csv or a ФИС ОКО spec; each (procedure, year, subject, grade) in it is replaced whole."""
    path = Path(path)
    parsed = read_tasks(path, year=year, subject=subject, grade=grade)
    bad = _reference_outcome(path, "спецификации заданий", parsed.errors, parsed.warnings)
    if bad:
        return bad
    frame = parsed.frame
    keys = frame.select("procedure", "year", "subject", "grade").unique().iter_rows(named=True)
    with transaction.atomic():
        for key in keys:
            TaskSpec.objects.filter(**key).delete()
        TaskSpec.objects.bulk_create(
            [
                TaskSpec(
                    procedure=r["procedure"],
                    year=r["year"],
                    subject=r["subject"],
                    grade=r["grade"],
                    task_no=r["task_no"],
                    task_label=r["task_label"] or "",
                    max_points=r["max_points"],
                    level=r["level"] or "",
                    skill=r["skill"] or "",
                    kes=r["kes"] or "",
                    kt=r["kt"] or "",
                    source=path.name,
                )
                for r in frame.iter_rows(named=True)
            ]
        )
    groups = frame.group_by("procedure", "year", "subject", "grade").agg(
        pl.len(), pl.col("max_points").cast(pl.Int32).sum()
    )
    desc = ", ".join(
        f"{r['procedure']} {r['year']} {r['subject']}{r['grade']}: "
        f"{r['len']} заданий, максимум {r['max_points']}"
        for r in groups.sort("year").iter_rows(named=True)
    )
    return ImportOutcome(
        path.name, "stored", f"{path.name}: загружена спецификация — {desc}", warnings=parsed.warnings
    )


__all__ = [
    "IngestError",
    "ImportOutcome",
    "gia_file_import",
    "rdr_file_import",
    "reference_ensure_shipped",
    "scales_file_import",
    "tasks_file_import",
    "vpr_file_import",
    "warehouse",
]
