"""Storing a methodology run's outcomes: the bulk SQL, and the sink that hands each result to the writer.

``core.pipeline.identify`` hands every method's result to a sink as soon as it is made; ``OutcomeSink``
queues it on an ``OutcomeWriter`` (``writer.py``: a thread of its own), which stores it with
``outcomes_store`` (one outcome per school and method) or ``deficits_store`` (one outcome per school
with its deficit rows) while the next method computes. The rows go in many to a statement, the
methods' evidence JSON spliced in unparsed (``outcome_data``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing
import sqlite3
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np
import orjson
import polars as pl
from django.db import connection, transaction

from shnor.core.evidence.objectivity_shared import share_json, share_part
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.identification.writer import OutcomeWriter
from shnor.web.registry.models import School
from shnor.web.registry.services import schools_ensure

#: When objectivity's first part has at least this many schools, its parts are turned into format 3
#: in a process of its own (``OutcomeSink``); else by the storing thread.
CONVERT_APART = 1000


class OutcomeSink:
    """The ``core.pipeline.Sink`` of a run: each result queued on ``writer`` to be stored in its thread.
    The school pks are read once and shared by the store jobs (they run one after another).

    Objectivity's evidence is stored in format 3 (``outcomes_store``). Turning it is Python work of
    about 0.8 ms a school, half a minute of a core for a country year: done by the storing thread it
    held the interpreter lock against the methods. Parts of ``CONVERT_APART`` schools or more are
    turned in one process of the sink's own instead, while the methods go on — every part of the run
    once the first is (one process, given the parts in order: the run's shared parts grow there as in
    the thread, and the output is the same). ``close`` ends that process."""

    def __init__(self, run: MethodologyRun, writer: OutcomeWriter) -> None:
        self.run, self.writer = run, writer
        self.pks: dict[str, int] = {}  # school id -> pk
        self._turner: ProcessPoolExecutor | None = None
        self._apart: bool | None = None  # (decided by objectivity's first part)

    def __call__(self, method: str, frame: pl.DataFrame, evidence: list[bytes] | None = None) -> None:
        """Queue one method's result (or one part of it) to be stored."""
        if method == SchoolOutcome.DEFICITS:
            self.writer.submit(deficits_store, self.run, frame, self.pks)
        elif evidence is None:
            self.writer.submit(outcomes_store, self.run, {method: frame}, self.pks)
        elif method == SchoolOutcome.OBJECTIVITY and self._turns_apart(len(evidence)):
            assert self._turner is not None
            turned = self._turner.submit(share_part, self.run.pk, evidence)
            self.writer.submit(outcomes_store, self.run, {method: frame}, self.pks, turned=turned)
        else:
            self.writer.submit(
                outcomes_store, self.run, {method: frame}, self.pks, evidence={method: evidence}
            )

    def _turns_apart(self, schools: int) -> bool:
        """Whether objectivity's parts are turned in the sink's process (started here when they are)."""
        if self._apart is None:
            self._apart = schools >= CONVERT_APART and self.writer.threaded
            if self._apart:
                self._turner = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._apart

    def close(self) -> None:
        """End the process that turned objectivity's parts (after the writer has stored them)."""
        if self._turner is not None:
            self._turner.shutdown(wait=True, cancel_futures=True)
            self._turner = None


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
#: JSON (NaN becomes null): it is spliced in without being parsed to check it (a country's objectivity
#: evidence is gigabytes, and checking it is slow).
ORJSON_EVIDENCE = frozenset({"objectivity", "low_results"})


_OWN = object()  # ``outcome_data``: the row's own evidence


def outcome_data(row: dict[str, Any], *, evidence: Any = _OWN, evidence_is_json: bool = False) -> bytes:
    """The stored ``data`` (UTF-8 JSON) of an outcome row: its columns, with the evidence JSON spliced
    in unparsed — a method's evidence is already JSON, and parsing it into dicts only to encode it
    again took gigabytes and a long time for a country year. ``evidence`` (the row's own when not given;
    text or UTF-8 bytes) is checked to be valid JSON first unless ``evidence_is_json``; evidence that
    is not JSON is stored as a string, the way it always was. Bytes: a country's gigabytes of evidence
    are never decoded into Python text and encoded back for the database. Never NaN or infinity (not
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
            # one copy of the evidence (``+`` made two: a country year's gigabytes twice over)
            return b"".join((head, b", " if rest else b"", b'"evidence": ', raw, b"}"))
    return json.dumps(
        {k: _clean(v) for k, v in _evidence(whole).items()}, ensure_ascii=False, allow_nan=False
    ).encode()


#: An outcome row as written: (school pk, method, flagged, value, label, data as UTF-8 JSON).
OutcomeRow = tuple[int, str, bool, float | None, str, bytes | str]


def outcomes_insert(run: MethodologyRun, rows: Iterable[OutcomeRow], *, per_statement: int = 250) -> None:
    """INSERT the rows, ``per_statement`` to one statement (``VALUES (…), (…), …``), the JSON passed
    as UTF-8 bytes the database reads as text: the ORM's ``bulk_create`` compiled SQL per object and
    encoded ``data`` again (about half the time it took to store a country year's objectivity and
    deficit outcomes, ``scripts/bench_store.py``). Call inside the caller's transaction.

    Many rows a statement, not the driver's ``executemany`` (one statement a row): the driver lets go
    of the interpreter lock for every statement and must wait to take it back, up to the 5 ms switch
    interval while the methods compute in the main thread: one row a statement beside a busy thread
    was many times slower than alone, 250 a statement nearly as fast (``docs/benchmarks.md``).

    On SQLite the JSON field's CHECK (``JSON_VALID``) is not run for these rows: every ``data`` here
    is JSON by construction (orjson's, ``json.dumps(allow_nan=False)``'s or Polars' encoder's, spliced
    around JSON checked or made by orjson), and SQLite parsing a country year's gigabytes of it again
    was most of the time it took to store them."""
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
                # (the last statement may be short)
                sql = full if len(chunk) == per_statement else head + ", ".join([one] * len(chunk))
                cur.execute(
                    sql,
                    [
                        v
                        for r in chunk
                        for v in (run.pk, *r[:5], r[5] if isinstance(r[5], bytes) else r[5].encode())
                    ],
                )
        finally:
            if sqlite:
                cur.execute("PRAGMA ignore_check_constraints = OFF")


def _max_params() -> int:
    """How many parameters one statement may bind (SQLite's own limit, not Django's cautious 999)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return int(connection.features.max_query_params or 65_535)


def outcomes_store(
    run: MethodologyRun,
    frames: dict[str, pl.DataFrame],
    pks: dict[str, int] | None = None,
    *,
    evidence: dict[str, list[bytes]] | None = None,
    turned: Future[tuple[list[Any], dict[str, Any]]] | None = None,
) -> None:
    """The outcomes of the methods whose frames are given (by method name), in one transaction.
    ``pks`` (school id -> pk), when given, is used and kept up to date instead of reading the registry
    each time (objectivity's outcomes come in 20 parts). ``evidence``: per output name, each row's
    evidence as UTF-8 JSON, when the frame has no ``evidence`` column (objectivity's parts).
    Objectivity's evidence is stored in format 3: what every school of a procedure shares goes once
    into ``run.evidence_shared`` (``core.evidence.objectivity_shared``), saved with the outcomes.
    ``turned``: objectivity's part already in format 3 (``OutcomeSink``), with the run's shared parts
    so far. Call from one thread at a time when ``pks`` is shared (the writer's)."""
    ids = set()
    for f in frames.values():
        if f.height:
            ids |= set(f["school_id"].to_list())
    shared = None
    if turned is not None:
        part, run.evidence_shared[SchoolOutcome.OBJECTIVITY] = turned.result()
        evidence = {**(evidence or {}), SchoolOutcome.OBJECTIVITY: part}
    elif SchoolOutcome.OBJECTIVITY in frames:
        shared = run.evidence_shared.setdefault(SchoolOutcome.OBJECTIVITY, {})
    with transaction.atomic():
        outcomes_insert(run, _outcome_rows(frames, school_pks(ids, pks), evidence or {}, shared))
        if shared is not None or turned is not None:  # (with the outcomes that point to it)
            MethodologyRun.objects.filter(pk=run.pk).update(evidence_shared=run.evidence_shared)


def school_pks(ids: set[str], pks: dict[str, int] | None = None) -> dict[str, int]:
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


#: Per method stored one outcome a row: its flag column, value column and label column.
_COLUMNS: dict[str, tuple[str | None, str | None, str]] = {
    SchoolOutcome.OBJECTIVITY: ("flagged", "q_value", "signs"),
    SchoolOutcome.LOW_RESULTS: ("low_results", "years_in_list", "indicators"),
    SchoolOutcome.SOCIAL_INDEX: ("social_risk", "index", "rank"),
    SchoolOutcome.TRACKS: (None, None, "track"),
}


def _outcome_rows(
    frames: dict[str, pl.DataFrame],
    pk: dict[str, int],
    evidence: dict[str, list[bytes]] | None = None,
    shared: dict[str, Any] | None = None,
) -> Iterator[OutcomeRow]:
    """The outcome rows of the frames, made as they are written (a country's evidence is GBs)."""
    markers = frames.get(SchoolOutcome.FIOKO)
    if markers is not None and markers.height:
        for (sid,), group in markers.group_by(["school_id"], maintain_order=True):
            items = [_evidence(r) for r in group.iter_rows(named=True)]
            label = ", ".join(sorted({i["marker"] for i in items}))
            data = json.dumps({"markers": items}, ensure_ascii=False)
            yield pk[sid], SchoolOutcome.FIOKO, True, float(len(items)), label, data
    for method, (flag, value, label) in _COLUMNS.items():
        if method not in frames:
            continue
        frame = frames[method]
        # the evidence as the UTF-8 bytes it was made as or Arrow holds (no Python text made of it)
        if evidence and method in evidence:
            ev_rows: Iterable[Any] = evidence[method]
        elif "evidence" in frame.columns:
            ev_rows = frame["evidence"].cast(pl.Binary)
        else:
            ev_rows = itertools.repeat(_OWN, frame.height)
        for r, ev in zip(frame.drop("evidence", strict=False).iter_rows(named=True), ev_rows, strict=True):
            if shared is not None and method == SchoolOutcome.OBJECTIVITY:
                ev = share_json(ev, shared)
            yield (
                pk[r["school_id"]],
                method,
                bool(r[flag]) if flag else bool(r.get("track")),
                None if value is None or r.get(value) is None else float(r[value]),
                "" if r.get(label) is None else str(r[label])[:500],
                outcome_data(r, evidence=ev, evidence_is_json=method in ORJSON_EVIDENCE),
            )


#: Columns of a deficit kept on the school's outcome (the full evidence stays reproducible from the
#: warehouse).
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


def deficits_store(
    run: MethodologyRun, gaps: pl.DataFrame, pks: dict[str, int] | None = None, *, chunk_schools: int = 2000
) -> None:
    """One outcome per school with deficits: their count, the weakest skills, and the rows for the card.

    The rows' JSON is made by Polars (NaN as null) and spliced in unparsed, ``chunk_schools`` schools
    at a time: a country year has millions of deficit rows, and a dict per row was slow to build and
    encode and took gigabytes to hold."""
    if gaps.height == 0:
        return
    keys = gaps.select("school_id", "gap").with_row_index("_i").sort("school_id", "gap", maintain_order=True)
    order = keys["_i"].to_numpy()
    sid = keys["school_id"]
    starts = np.flatnonzero((sid != sid.shift(1)).fill_null(True).to_numpy())  # each school's first row
    bounds = [*starts[::chunk_schools].tolist(), gaps.height]
    is_school = pl.col("unit") == "school"
    with transaction.atomic():
        pk = school_pks(set(sid.unique().to_list()), pks)
        for lo, hi in itertools.pairwise(bounds):
            per_school = (
                gaps[order[lo:hi]]
                .select(
                    "school_id",
                    is_school.alias("_school"),
                    "element_label",
                    pl.struct(list(DEFICIT_FIELDS)).struct.json_encode().alias("_json"),
                )
                .group_by("school_id", maintain_order=True)
                .agg(
                    pl.col("_json").str.join(",").alias("items"),
                    pl.col("_school").sum().alias("school_deficits"),
                    pl.len().alias("n"),
                    pl.col("element_label")
                    .filter(pl.col("_school"))
                    .drop_nulls()
                    .unique(maintain_order=True)
                    .head(3)
                    .alias("top"),
                )
            )
            outcomes_insert(
                run,
                (
                    (
                        pk[school_id],
                        SchoolOutcome.DEFICITS,
                        n_school > 0,
                        float(n_school),
                        "; ".join(top)[:500],
                        f'{{"deficits": [{items}], "school_deficits": {n_school}, '
                        f'"class_deficits": {n - n_school}}}',
                    )
                    for school_id, items, n_school, n, top in per_school.iter_rows()
                ),
            )
