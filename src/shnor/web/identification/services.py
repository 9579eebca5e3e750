"""Writes for identification: a methodology run over everything imported, stored with its settings."""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from shnor.core.config import config_digest, load_config
from shnor.core.memory import release_memory
from shnor.core.methods import deficits, fioko, low_results, objectivity, social_index, tracks
from shnor.core.methods.base import Inputs
from shnor.core.reports.identify_outputs import write_outputs
from shnor.core.workers import Job, Workers
from shnor.web.assessments.selectors import batches_live, results_scan, scales_frame, tasks_frame
from shnor.web.identification.history import list_history
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.identification.writer import OutcomeWriter
from shnor.web.registry.models import School
from shnor.web.registry.selectors import context_frame, schools_frame
from shnor.web.registry.services import schools_ensure

Progress = Callable[[str], None]


def _evidence(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    ev = out.get("evidence")
    if isinstance(ev, str):
        with contextlib.suppress(json.JSONDecodeError):
            out["evidence"] = json.loads(ev)
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


#: Output frames whose ``evidence`` their method writes with orjson, which cannot write anything but
#: JSON (NaN becomes null): it is spliced in without being parsed to check it (2.3 GB and 9 s for a
#: country's objectivity evidence).
ORJSON_EVIDENCE = frozenset({"objectivity", "low_results"})


_OWN = object()  # ``_outcome_data``: the row's own evidence


def _outcome_data(row: dict[str, Any], *, evidence: Any = _OWN, evidence_is_json: bool = False) -> bytes:
    """The stored ``data`` (UTF-8 JSON) of an outcome row: its columns, with the evidence JSON spliced
    in unparsed — a method's evidence is already JSON, and parsing it into dicts only to encode it
    again took 12 GB and minutes for a country year. ``evidence`` (the row's own when not given;
    text or UTF-8 bytes) is checked to be valid JSON first unless ``evidence_is_json``; evidence that
    is not JSON is stored as a string, the way it always was. Bytes: a country's 2 GB of evidence is
    never decoded into Python text and encoded back for the database. Never NaN or infinity (not
    JSON): NaN is null, infinity an error."""
    whole = dict(row) if evidence is _OWN else {**row, "evidence": evidence}
    ev = whole.get("evidence")
    rest = {k: _clean(v) for k, v in whole.items() if k != "evidence"}
    raw = ev.encode() if isinstance(ev, str) else ev
    if isinstance(raw, bytes):
        try:
            if not evidence_is_json:
                orjson.loads(raw)
        except orjson.JSONDecodeError:
            whole["evidence"] = raw.decode()
        else:
            head = json.dumps(rest, ensure_ascii=False, allow_nan=False)[:-1].encode()
            # one copy of the evidence (``+`` made two: a country year's 1.7 GB twice over)
            return b"".join((head, b", " if rest else b"", b'"evidence": ', raw, b"}"))
    return json.dumps({k: _clean(v) for k, v in _evidence(whole).items()}, ensure_ascii=False,
                      allow_nan=False).encode()


#: An outcome row as written: (school pk, method, flagged, value, label, data as UTF-8 JSON).
OutcomeRow = tuple[int, str, bool, float | None, str, bytes | str]


def _insert_outcomes(run: MethodologyRun, rows: Iterable[OutcomeRow], *, per_statement: int = 250) -> None:
    """INSERT the rows, ``per_statement`` to one statement (``VALUES (…), (…), …``), the JSON passed
    as UTF-8 bytes the database reads as text: the ORM's ``bulk_create`` compiled SQL per object and
    encoded ``data`` again (about half of the 46 s it took to store a country year's objectivity and
    deficit outcomes, ``scripts/bench_store.py``). Call inside the caller's transaction.

    Many rows a statement, not the driver's ``executemany`` (one statement a row): the driver lets go
    of the interpreter lock for every statement and must wait to take it back, up to the 5 ms switch
    interval while the methods compute in the main thread. 39,000 rows of 48 KB took 6 s alone and
    307 s beside a busy thread one row a statement, 8 s with 250 (``docs/benchmarks.md``).

    On SQLite the JSON field's CHECK (``JSON_VALID``) is not run for these rows: every ``data`` here
    is JSON by construction (orjson's, ``json.dumps(allow_nan=False)``'s or Polars' encoder's, spliced
    around JSON checked or made by orjson), and SQLite parsing a country year's 3 GB of it again was
    most of the time it took to store them (objectivity: 7.9 → 3.3 s)."""
    table = connection.ops.quote_name(SchoolOutcome._meta.db_table)
    data = "convert_from(%s, 'UTF8')::jsonb" if connection.vendor == "postgresql" else "CAST(%s AS TEXT)"
    head = f"INSERT INTO {table} (run_id, school_id, method, flagged, value, label, data) VALUES "
    one = f"(%s, %s, %s, %s, %s, %s, {data})"
    per_statement = max(1, min(per_statement, _max_params() // 7))
    full = head + ", ".join([one] * per_statement)
    it = iter(rows)
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cur:
        if sqlite:  # (see below)
            cur.execute("PRAGMA ignore_check_constraints = ON")
        try:
            while chunk := list(itertools.islice(it, per_statement)):
                sql = full if len(chunk) == per_statement else head + ", ".join([one] * len(chunk))  # (the last)
                cur.execute(sql, [v for r in chunk
                                  for v in (run.pk, *r[:5], r[5] if isinstance(r[5], bytes) else r[5].encode())])
        finally:
            if sqlite:
                cur.execute("PRAGMA ignore_check_constraints = OFF")


def _max_params() -> int:
    """How many parameters one statement may bind (SQLite's own limit, not Django's cautious 999)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return int(connection.features.max_query_params or 65_535)


def methodology_run_create(
    *,
    year: int,
    config_path: Path | None = None,
    out_dir: Path | None = None,
    label: str = "",
    progress: Progress | None = None,
    keep_evidence: bool = True,
) -> tuple[MethodologyRun, dict[str, pl.DataFrame]]:
    """Run every method for ``year`` on what has been imported, store the run, and write the output files.

    Each method's outcomes are stored as soon as they are made, by an ``OutcomeWriter`` (in a thread
    of its own while the next method computes; a run's outcomes are seen only once it is done). With
    ``keep_evidence=False`` and no ``out_dir`` objectivity hands its outcomes over in parts, each
    stored while the next is made, and its evidence — 2.9 GB for a country year — is never held at
    once: the returned objectivity frame has no ``evidence`` column."""
    say = progress or (lambda _m: None)
    config = load_config(config_path)
    run = MethodologyRun.objects.create(
        year=year,
        label=label,
        config=config,
        config_digest=config_digest(config),
        config_source=str(config_path or "поставка по умолчанию"),
        batches=[b.batch_id for b in batches_live()],
    )
    try:
        inputs = Inputs(
            year=year,
            results=results_scan(),
            tasks=tasks_frame(),
            scales=scales_frame(),
            schools=schools_frame(),
            context=context_frame(),
        )
        pks: dict[str, int] = {}  # school id -> pk, shared by the store jobs (read once)
        # a large year: worker processes make the deficits and the low results (the longest jobs:
        # first) and test objectivity's procedures, while this process makes the social index and
        # FIOKO's markers and then combines objectivity's signs; the writer's thread stores each
        # method's outcomes as they come (a worker's as soon as it is seen done)
        got: dict[str, Any] = {}
        with OutcomeWriter() as writer:

            def take(name: str, job: Job, store: Callable[[Any], None]) -> Callable[[bool], None]:
                def check(wait: bool) -> None:
                    if name not in got and (wait or job.done()):
                        got[name] = job.result()
                        store(got[name])
                return check

            with Workers(objectivity.workers_for(inputs)) as workers:
                gaps_job = workers.submit(deficits.run, inputs, config["deficits"], evidence=False)
                say("социальный индекс")
                social = social_index.run(inputs, config["social_index"])
                history = list_history(before_year=year)
                low_job = workers.submit(
                    low_results.run,
                    inputs,
                    config["low_results"],
                    value_added_config=config["value_added"],
                    social_index_config=config["social_index"],
                    social=social,
                    history=history if history.height else None,
                )
                started = objectivity.start(inputs, config["objectivity"], workers)
                # the deficits are made without the evidence text: stored without it (DEFICIT_FIELDS)
                checks = [take("deficits", gaps_job, lambda gaps: writer.submit(_store_deficits, run, gaps, pks)),
                          take("low", low_job, lambda low: writer.submit(_store, run, {"low_results": low}, pks))]
                started.results = _checking(started.results, checks)
                writer.submit(_store, run, {"social_index": social}, pks)
                say("маркеры ФИОКО")
                markers = fioko.run(inputs, config["fioko"])
                writer.submit(_store, run, {"fioko_markers": markers}, pks)
                say("признаки необъективности")
                objectivity.collect(inputs, config["objectivity"], started)
                say("дефициты умений")
                checks[0](True)
                gaps = got.pop("deficits")
                with_deficits = gaps.filter(pl.col("unit") == "school")["school_id"].n_unique() if gaps.height else 0
                del gaps  # 1.9 M rows for a country: stored, and not returned
                say("низкие результаты")
                checks[1](True)
                low = got["low"]
            # the workers are gone (and their memory with them) before the signs are combined
            say("объединение признаков необъективности")
            if keep_evidence or out_dir is not None:
                obj = objectivity.run(inputs, config["objectivity"], started=started)
                say("сохранение признаков необъективности")
                writer.submit(_store, run, {"objectivity": obj}, pks)
            else:  # each part stored (in the writer's thread) while the next is made; none kept
                obj = objectivity.run(
                    inputs, config["objectivity"], started=started,
                    sink=lambda part, ev: writer.submit(_store, run, {"objectivity": part}, pks,
                                                        evidence={"objectivity": ev}))
            release_memory()
            say("варианты сопровождения")
            trk = tracks.run(inputs, config["tracks"], low=low, objectivity=obj, social=social)
            writer.submit(_store, run, {"tracks": trk}, pks)
            frames = {
                "fioko_markers": markers,
                "objectivity": obj,
                "low_results": low,
                "social_index": social,
                "tracks": trk,
            }
            say("сохранение")
            index = fioko.objectivity_index(inputs, config["fioko"], markers)
            say("ожидание записи результатов")
        release_memory()
        run.summary = {
            "schools_with_results": obj.height,
            "fioko_marked_schools": markers["school_id"].n_unique() if markers.height else 0,
            "fioko_markers": markers.height,
            "objectivity_flagged": int(obj["flagged"].sum()) if obj.height else 0,
            "low_results": int(low["low_results"].sum()) if low.height else 0,
            "risk_list": int(low["risk_list"].sum()) if low.height and "risk_list" in low.columns else 0,
            "social_risk": int(social["social_risk"].sum()) if social.height else 0,
            "tracks": dict(trk.group_by("track").len().iter_rows()) if trk.height else {},
            "schools_with_deficits": with_deficits,
            "objectivity_index": index.to_dicts(),
        }
        run.status = MethodologyRun.DONE
        run.finished_at = timezone.now()
        run.save()
        if out_dir is not None:
            say("запись файлов")
            write_outputs(Path(out_dir), frames)
    except BaseException as exc:
        with contextlib.suppress(Exception):  # never seen (not done), but not left behind either
            SchoolOutcome.objects.filter(run=run).delete()
        run.status = MethodologyRun.FAILED
        run.error = f"{exc.__class__.__name__}: {exc}"
        run.finished_at = timezone.now()
        run.save()
        raise
    return run, frames


def _checking(results: Iterator[Any], checks: list[Callable[[bool], None]]) -> Iterator[Any]:
    """``results``, with every check run (not waiting) before each is waited for."""
    for r in results:
        for check in checks:
            check(False)
        yield r


def _store(run: MethodologyRun, frames: dict[str, pl.DataFrame], pks: dict[str, int] | None = None, *,
           evidence: dict[str, list[bytes]] | None = None) -> None:
    """The outcomes of the methods whose frames are given (by their output names), in one transaction.
    ``pks`` (school id -> pk), when given, is used and kept up to date instead of reading the registry
    each time (objectivity's outcomes come in 20 parts). ``evidence``: per output name, each row's
    evidence as UTF-8 JSON, when the frame has no ``evidence`` column (objectivity's parts)."""
    ids = set()
    for f in frames.values():
        if f.height:
            ids |= set(f["school_id"].to_list())
    with transaction.atomic():
        _insert_outcomes(run, _outcome_rows(frames, _school_pks(ids, pks), evidence or {}))


def _school_pks(ids: set[str], pks: dict[str, int] | None = None) -> dict[str, int]:
    """``pks`` (or a new map) holding the pk of every school id in ``ids``, the unknown ones added to
    the registry. Call inside the caller's transaction."""
    pk = {} if pks is None else pks
    if not ids <= pk.keys():
        # the whole registry in one query: an IN (…) of 40,000 ids exceeds SQLite's variable limit
        pk.update(School.objects.values_list("school_id", "pk"))
        unknown = sorted(ids - pk.keys())
        if unknown:
            schools_ensure(
                schools=pl.DataFrame({"school_id": unknown}, schema={"school_id": pl.String}), source="расчёт"
            )
            pk.update(School.objects.values_list("school_id", "pk"))
    return pk


def _outcome_rows(frames: dict[str, pl.DataFrame], pk: dict[str, int],
                  evidence: dict[str, list[bytes]] | None = None) -> Iterator[OutcomeRow]:
    """The outcome rows of the frames, made as they are written (a country's evidence is GBs)."""
    markers = frames.get("fioko_markers")
    if markers is not None and markers.height:
        for (sid,), group in markers.group_by(["school_id"], maintain_order=True):
            items = [_evidence(r) for r in group.iter_rows(named=True)]
            label = ", ".join(sorted({i["marker"] for i in items}))
            yield pk[sid], SchoolOutcome.FIOKO, True, float(len(items)), label, json.dumps({"markers": items}, ensure_ascii=False)
    spec = {  # method: frame, flag column, value column, label column
        SchoolOutcome.OBJECTIVITY: ("objectivity", "flagged", "q_value", "signs"),
        SchoolOutcome.LOW_RESULTS: ("low_results", "low_results", "years_in_list", "indicators"),
        SchoolOutcome.SOCIAL_INDEX: ("social_index", "social_risk", "index", "rank"),
        SchoolOutcome.TRACKS: ("tracks", None, None, "track"),
    }
    for method, (stem, flag, value, label) in spec.items():
        if stem not in frames:
            continue
        frame = frames[stem]
        # the evidence as the UTF-8 bytes it was made as or Arrow holds (no Python text made of it)
        if evidence and stem in evidence:
            ev_rows: Iterable[Any] = evidence[stem]
        elif "evidence" in frame.columns:
            ev_rows = frame["evidence"].cast(pl.Binary)
        else:
            ev_rows = itertools.repeat(_OWN, frame.height)
        for r, ev in zip(frame.drop("evidence", strict=False).iter_rows(named=True), ev_rows, strict=True):
            yield (
                pk[r["school_id"]],
                method,
                bool(r[flag]) if flag else bool(r.get("track")),
                None if value is None or r.get(value) is None else float(r[value]),
                "" if r.get(label) is None else str(r[label])[:500],
                _outcome_data(r, evidence=ev, evidence_is_json=stem in ORJSON_EVIDENCE),
            )


#: Columns of a deficit kept on the school's outcome (the full evidence stays reproducible from the warehouse).
DEFICIT_FIELDS = (
    "procedure",
    "subject",
    "grade",
    "unit",
    "class_name",
    "dimension",
    "element",
    "element_label",
    "levels",
    "tasks",
    "n_pupils",
    "success",
    "lower",
    "upper",
    "comparison_kind",
    "comparison_success",
    "gap",
    "absolute_status",
    "topic",
    "recommendation_ids",
    "persists_grade",
    "persists_cohort",
)


def _store_deficits(run: MethodologyRun, gaps: pl.DataFrame, pks: dict[str, int] | None = None, *,
                    chunk_schools: int = 2000) -> None:
    """One outcome per school with deficits: their count, the weakest skills, and the rows for the card.

    The rows' JSON is made by Polars (NaN as null) and spliced in unparsed, ``chunk_schools`` schools
    at a time: a country year has 1.9 million deficit rows, and a dict per row took a minute to
    build and encode and GBs to hold."""
    if gaps.height == 0:
        return
    keys = gaps.select("school_id", "gap").with_row_index("_i").sort("school_id", "gap", maintain_order=True)
    order = keys["_i"].to_numpy()
    sid = keys["school_id"]
    starts = np.flatnonzero((sid != sid.shift(1)).fill_null(True).to_numpy())  # each school's first row
    bounds = [*starts[::chunk_schools].tolist(), gaps.height]
    is_school = pl.col("unit") == "school"
    with transaction.atomic():
        pk = _school_pks(set(sid.unique().to_list()), pks)
        for lo, hi in itertools.pairwise(bounds):
            per_school = (
                gaps[order[lo:hi]]
                .select("school_id", is_school.alias("_school"), "element_label",
                        pl.struct(list(DEFICIT_FIELDS)).struct.json_encode().alias("_json"))
                .group_by("school_id", maintain_order=True)
                .agg(
                    pl.col("_json").str.join(",").alias("items"),
                    pl.col("_school").sum().alias("school_deficits"),
                    pl.len().alias("n"),
                    pl.col("element_label").filter(pl.col("_school")).drop_nulls().unique(maintain_order=True)
                    .head(3).alias("top"),
                )
            )
            _insert_outcomes(
                run,
                (
                    (pk[school_id], SchoolOutcome.DEFICITS, n_school > 0, float(n_school), "; ".join(top)[:500],
                     f'{{"deficits": [{items}], "school_deficits": {n_school}, "class_deficits": {n - n_school}}}')
                    for school_id, items, n_school, n, top in per_school.iter_rows()
                ),
            )
