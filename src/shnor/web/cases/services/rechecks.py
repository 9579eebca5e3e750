"""Re-checked works: the import of an expert re-check file (atomic, idempotent by the file's hash) and
the evidence of one school — how many of its works changed on re-checking, against the re-checked schools
of the year without signs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import polars as pl
from django.core.exceptions import PermissionDenied
from django.db import transaction

from shnor.core.ingest.common import pseudonym
from shnor.core.ingest.errors import IngestError, RowError
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User, scope_of
from shnor.web.assessments.selectors import scales_frame
from shnor.web.assessments.services import pseudonym_key
from shnor.web.cases.models import ObjectivityCase, RecheckBatch, RecheckWork
from shnor.web.identification.membership import basis_of, members
from shnor.web.identification.selectors import run_pick
from shnor.web.outcome import ImportOutcome, error_report_write
from shnor.web.registry.models import School

#: The columns of the re-check frame the page and the dossier show, in Russian.
SUMMARY_LABELS = {
    "subject": "предмет",
    "grade": "класс",
    "works": "работ перепроверено",
    "works_changed": "работ с изменённым баллом",
    "share_changed": "доля работ с изменённым баллом",
    "mean_change": "среднее изменение балла",
    "lowered": "балл понижен",
    "raised": "балл повышен",
    "marks_changed": "отметка изменилась",
    "marks_lowered": "отметка понижена",
}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _rejected(name: str, errors: list[RowError], summary: str, warnings: list[str]) -> ImportOutcome:
    report = error_report_write(name, errors, summary, warnings)
    return ImportOutcome(name, "rejected", summary, errors=errors, warnings=warnings, report=report)


def rechecks_import(*, path: Path | str, actor: User, name: str = "") -> ImportOutcome:
    """Import one re-check file: every row checked first, nothing stored when any row is wrong (unknown
    school logins included: they never become new schools); the same file again changes nothing."""
    from shnor.core.ingest.rechecks import RecheckError, read_rechecks

    if not scope_of(actor).can_import:
        raise PermissionDenied("загружать результаты перепроверки может только региональный аналитик")
    path = Path(path)
    name = name or path.name
    digest = _sha256(path)
    if RecheckBatch.objects.filter(sha256=digest).exists():
        return ImportOutcome(name, "unchanged", f"{name}: файл уже загружен, ничего не изменено")
    try:
        parsed = read_rechecks(path)
    except RecheckError as exc:
        return _rejected(name, list(exc.errors), f"{name}: файл не загружен — ошибки в строках", [])
    except IngestError as exc:
        return ImportOutcome(name, "rejected", f"{name}: {exc}")
    rows: pl.DataFrame = parsed.rows
    warnings = list(parsed.warnings)
    if rows.is_empty():
        return ImportOutcome(name, "rejected", f"{name}: в файле нет ни одной перепроверенной работы")
    known = dict(
        School.objects.visible_to(actor)
        .filter(school_id__in=rows["school_id"].unique().to_list())
        .values_list("school_id", "pk")
    )
    errors = [
        RowError(
            name,
            "",
            int(r["source_row"]),
            "логин школы",
            f"школа «{r['school_id']}» не найдена в реестре региона "
            "(новые школы из файла перепроверки не создаются)",
            str(r["school_id"]),
        )
        for r in rows.filter(~pl.col("school_id").is_in(list(known))).iter_rows(named=True)
    ]
    if errors:
        return _rejected(name, errors, f"{name}: файл не загружен — неизвестные школы", warnings)
    years = sorted({int(y) for y in rows["year"].to_list()})
    key = pseudonym_key()
    with transaction.atomic():
        batch = RecheckBatch.objects.create(
            file_name=name[:255], sha256=digest, year=years[-1], rows=rows.height, imported_by=actor
        )
        RecheckWork.objects.bulk_create(
            RecheckWork(
                batch=batch,
                school_id=known[r["school_id"]],
                year=int(r["year"]),
                subject=str(r["subject"]),
                grade=int(r["grade"]),
                work=pseudonym(key, r["school_id"], str(r["work"])),
                task=str(r["task"]),
                school_score=float(r["school_score"]),
                expert_score=float(r["expert_score"]),
            )
            for r in rows.iter_rows(named=True)
        )
        audit_record(
            action="загрузка результатов перепроверки",
            object_type="файл перепроверки",
            object_id=str(batch.pk),
            object_repr=name,
            changes={"rows": rows.height, "schools": len(known), "years": years},
            user=actor,
        )
    n_works = rows.select(["school_id", "subject", "grade", "work"]).unique().height
    summary = f"{name}: загружено {n_works} работ ({rows.height} заданий) из {len(known)} школ"
    return ImportOutcome(name, "stored", summary, warnings=warnings, batch_id=digest)


def _works_frame(year: int) -> pl.DataFrame:
    values = RecheckWork.objects.filter(year=year).values_list(
        "year", "school__school_id", "subject", "grade", "work", "task", "school_score", "expert_score", "pk"
    )
    cols = ["year", "school_id", "subject", "grade", "work", "task", "school_score", "expert_score"]
    schema = {
        "year": pl.Int16,
        "school_id": pl.String,
        "subject": pl.String,
        "grade": pl.Int8,
        "work": pl.String,
        "task": pl.String,
        "school_score": pl.Float64,
        "expert_score": pl.Float64,
        "source_row": pl.Int32,
    }
    return pl.DataFrame([list(v) for v in values], schema=schema, orient="row").select([*cols, "source_row"])


def flagged_ids(year: int) -> set[str]:
    """The school logins with signs in ``year``: the objectivity list (approved, else the latest run) and
    every school with a case of the year."""
    basis = basis_of(kind="objectivity", run=run_pick(year=year), year=year)
    pks = set(members(basis)) | set(
        ObjectivityCase.objects.filter(year=year).values_list("school_id", flat=True)
    )
    return set(School.objects.filter(pk__in=pks).values_list("school_id", flat=True))


def _plain(df: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items()} for r in df.iter_rows(named=True)]


def _of(df: pl.DataFrame, sid: str) -> pl.DataFrame:
    return df.filter(pl.col("school_id") == sid) if "school_id" in df.columns else df


def recheck_evidence(*, school: School, year: int) -> dict[str, Any]:
    """The school's re-check: per test (works, changed, mean change, marks), per task, and the comparison
    with the re-checked schools of the year without signs, with its Russian conclusion. Plain dicts."""
    from shnor.core.methods.rechecks import recheck_compare, recheck_summary

    rows = _works_frame(year)
    sid = school.school_id
    mine = rows.filter(pl.col("school_id") == sid)
    if mine.is_empty():
        return {"works": 0, "by_school": [], "by_task": [], "compare": [], "conclusion": ""}
    summary = recheck_summary(rows, scales_frame())
    flagged = flagged_ids(year) | {sid}
    compare = _of(recheck_compare(summary.by_school, flagged), sid).filter(pl.col("level") == "школа")
    conclusions = [str(c) for c in compare["conclusion"].to_list()] if "conclusion" in compare.columns else []
    controls = rows.filter(~pl.col("school_id").is_in(list(flagged)))["school_id"].n_unique()
    return {
        "works": mine.select(["subject", "grade", "work"]).unique().height,
        "tasks": mine.height,
        "control_schools": controls,
        "by_school": _plain(_of(summary.by_school, sid)),
        "by_task": _plain(_of(summary.by_task, sid)),
        "compare": _plain(compare),
        "conclusion": " ".join(c for c in conclusions if c),
    }
