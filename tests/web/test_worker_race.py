"""Two workers on one PostgreSQL: a job given to both runs once, one file imported by both is stored once.

Each worker is a thread with its own database connection (Django's connections are per thread), and the
two start together on a barrier; every race is repeated ``ROUNDS`` times so that it bites. SQLite takes
one writer at a time, so these tests run on PostgreSQL only (CI runs the suite there too).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.db import connection, connections

from shnor.web.assessments.bulk import results_parquet_import
from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.selectors import results_scan
from shnor.web.assessments.services import reference_ensure_shipped, vpr_file_import
from shnor.web.jobs import kinds
from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute
from shnor.web.registry.models import School
from tests.builders import school_rows, write_xlsx

pytestmark = pytest.mark.django_db(transaction=True)

#: how many times each race is run
ROUNDS = 8
#: a job kind of these tests only: its body counts how often it ran
PROBE = "race_probe"
SKIPPED = "уже выполняется другим обработчиком"


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "гонка двух обработчиков проверяется только на PostgreSQL: SQLite допускает одного писателя"
        )


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once, each in its own thread with its own connection; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


@dataclass
class Probe:
    """The ``PROBE`` job kind's record: the ``n`` of every body that ran; a body waits for ``release``."""

    ran: list[int] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


#: how long a probe body waits for ``release`` at most (the old code, running both bodies, waits it out)
HOLD_SECONDS = 5.0


@pytest.fixture
def probe(monkeypatch) -> Probe:
    """The ``PROBE`` job kind (released: its bodies do not wait)."""
    record = Probe()
    record.release.set()

    def body(params: dict[str, Any], stage: kinds.Stage) -> dict[str, Any]:
        record.ran.append(params["n"])
        stage("работа")
        record.release.wait(HOLD_SECONDS)
        return {"n": params["n"]}

    monkeypatch.setitem(kinds._HANDLERS, PROBE, body)
    return record


def probe_job(n: int) -> Job:
    return Job.objects.create(kind=PROBE, label=f"проба {n}", params={"n": n})


def test_one_job_given_to_two_workers_runs_once(probe, caplog) -> None:
    """The body holds the job running until a worker has come back, so the other finds it running."""
    caplog.set_level(logging.WARNING, logger="shnor.jobs")

    def execute(job_id: int) -> Job:
        try:
            return job_execute(job_id=job_id)
        finally:
            probe.release.set()

    for n in range(ROUNDS):
        job = probe_job(n)
        probe.release.clear()
        race(*[(lambda j=job: execute(j.pk))] * 2)
        job.refresh_from_db()
        assert job.status == Job.DONE, job.error
        assert job.result == {"n": n}
    ran = probe.ran
    assert sorted(ran) == list(range(ROUNDS)), f"за {ROUNDS} гонок тело задачи выполнено {len(ran)} раз"
    skipped = [r for r in caplog.records if SKIPPED in r.getMessage()]
    assert len(skipped) == ROUNDS


def test_two_jobs_on_two_workers_run_once_each(probe) -> None:
    for n in range(ROUNDS):
        a, b = probe_job(2 * n), probe_job(2 * n + 1)
        race(*[(lambda j=j: job_execute(job_id=j.pk)) for j in (a, b)])
        assert set(Job.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {Job.DONE}
    assert sorted(probe.ran) == list(range(2 * ROUNDS))


@pytest.fixture
def importing(home) -> Path:
    """The shipped scales and tasks; the folder for uploads."""
    reference_ensure_shipped()
    return home / "uploads"


def upload(folder: Path, name: str, rows: list[list[object]], tag: str) -> Path:
    """A ВПР file as the browser stores an upload: its own folder, the user's file name."""
    (folder / tag).mkdir(parents=True, exist_ok=True)
    return write_xlsx(folder / tag / name, rows)


def import_job(path: Path, year: int = 2024) -> Job:
    params = {"input": "vpr", "path": str(path), "year": year, "subject": "ma", "grade": 4}
    return Job.objects.create(kind=Job.IMPORT_VPR, label=path.name, params=params)


def run_jobs(*jobs: Job) -> list[dict[str, Any]]:
    """Both jobs executed at once by two workers; their results (a failed job: its error as the status)."""
    race(*[(lambda j=j: job_execute(job_id=j.pk)) for j in jobs])
    out = []
    for j in jobs:
        j.refresh_from_db()
        out.append(j.result if j.status == Job.DONE else {"status": j.error[:60], "summary": j.error})
    return out


def stored_rows() -> int:
    return results_scan().select(pl.len()).collect().item()


def start_over(home: Path) -> None:
    """No batches and an empty warehouse before the next round (the schools stay)."""
    ImportBatch.objects.all().delete()
    shutil.rmtree(home / "warehouse", ignore_errors=True)


def tally(rounds: list[tuple]) -> str:
    """The outcomes of the rounds, counted, for a failure message."""
    return "; ".join(f"{k}: {v}" for k, v in Counter(rounds).most_common())


def test_one_file_imported_by_two_workers_is_stored_once(importing, home) -> None:
    name = "vpr_2024_ma4_race.xlsx"
    rounds = []
    for n in range(ROUNDS):
        rows = school_rows(f"sch{n:04d}", [5, 10, 15] * 10)
        first = upload(importing, name, rows, f"{n}-a")
        (importing / f"{n}-b").mkdir()
        second = Path(shutil.copy(first, importing / f"{n}-b" / name))  # the same file uploaded twice
        results = run_jobs(import_job(first), import_job(second))
        batches = list(ImportBatch.objects.filter(status=ImportBatch.ACTIVE))
        on_disk = [b for b in batches if (home / "warehouse" / b.path).exists()]
        rounds.append(
            (
                tuple(sorted(r["status"] for r in results)),
                any("файл уже загружен" in r["summary"] for r in results),
                len(batches),
                len(on_disk),
                stored_rows() if len(on_disk) == len(batches) else None,
            )
        )
        start_over(home)
    assert rounds == [(("stored", "unchanged"), True, 1, 1, 30)] * ROUNDS, tally(rounds)


def test_two_versions_of_one_file_at_once_leave_one_live(importing, home) -> None:
    name = "vpr_2024_ma4_race.xlsx"
    rounds = []
    for n in range(ROUNDS):
        school = f"sch{n:04d}"
        first = upload(importing, name, school_rows(school, [5, 10, 15] * 10), f"{n}-a")
        second = upload(importing, name, school_rows(school, [6, 12] * 10), f"{n}-b")  # other content
        results = run_jobs(import_job(first), import_job(second))
        stored = {r["batch_id"] for r in results if r["status"] == "stored"}
        live = list(ImportBatch.objects.filter(status=ImportBatch.ACTIVE))
        rounds.append(
            (
                tuple(sorted(r["status"] for r in results)),
                len(live),
                {b.batch_id for b in live} == stored,
                stored_rows() == sum(b.rows_stored for b in live[:1]),
            )
        )
        start_over(home)
    assert rounds == [(("refused", "stored"), 1, True, True)] * ROUNDS, tally(rounds)


def test_two_tests_of_new_schools_at_once_are_both_stored(importing, home) -> None:
    """Two different files (one test in two years) naming the same schools unknown to the registry."""
    rounds = []
    for n in range(ROUNDS):
        rows = school_rows(f"new{n:04d}", [5, 10, 15] * 10)
        a = upload(importing, "vpr_2023_ma4_race.xlsx", rows, f"{n}-a")
        b = upload(importing, "vpr_2024_ma4_race.xlsx", rows, f"{n}-b")
        results = run_jobs(import_job(a, year=2023), import_job(b, year=2024))
        rounds.append(
            (
                tuple(r["status"] for r in results),
                ImportBatch.objects.filter(status=ImportBatch.ACTIVE).count(),
                School.objects.filter(school_id=f"new{n:04d}").count(),
                stored_rows(),
            )
        )
        start_over(home)
    assert rounds == [(("stored", "stored"), 2, 1, 60)] * ROUNDS, tally(rounds)


def test_one_results_parquet_imported_by_two_workers_is_stored_once(importing, home, tmp_path) -> None:
    """The national bulk load (``results_parquet_import``): the same RESULTS file by two workers at once."""
    source = upload(importing, "vpr_2024_ma4_race.xlsx", school_rows("blk0001", [5, 10, 15] * 10), "src")
    assert vpr_file_import(path=source, year=2024, subject="ma", grade=4).status == "stored"
    parquet = tmp_path / "vpr_2024_ma4_results.parquet"
    shutil.copy(home / "warehouse" / ImportBatch.objects.get().path, parquet)
    start_over(home)

    def load() -> str:
        try:
            return results_parquet_import(path=parquet).status
        except Exception as exc:  # counted in the tally
            return f"ошибка: {exc.__class__.__name__}"

    rounds = []
    for _ in range(ROUNDS):
        results = race(load, load)
        batches = list(ImportBatch.objects.filter(status=ImportBatch.ACTIVE))
        on_disk = [b for b in batches if (home / "warehouse" / b.path).exists()]
        rounds.append(
            (
                tuple(sorted(results)),
                len(batches),
                len(on_disk),
                stored_rows() if len(on_disk) == len(batches) else None,
            )
        )
        start_over(home)
    assert rounds == [(("stored", "unchanged"), 1, 1, 30)] * ROUNDS, tally(rounds)
