"""One pool of worker processes for a run's jobs: results in order, the same without processes."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from shnor.core.workers import Workers


def _square_and_where(x: int) -> tuple[int, bool, str | None]:
    return x * x, multiprocessing.parent_process() is not None, os.environ.get("POLARS_MAX_THREADS")


def _fail(message: str) -> None:
    raise ValueError(message)


def _die_in_a_worker(x: int) -> int:
    if multiprocessing.parent_process() is not None:
        os._exit(3)  # the worker process dies: the pool is broken
    return -x


@pytest.mark.parametrize("n", [1, 2])
def test_results_come_in_submission_order_in_workers_or_in_the_caller(n, monkeypatch):
    monkeypatch.setenv("POLARS_MAX_THREADS", "9")
    with Workers(n) as w:
        assert w.parallel == (n > 1)
        results = w.map(_square_and_where, [(i,) for i in range(6)])
        last = w.submit(_square_and_where, 7)
        assert [r[0] for r in results] == [0, 1, 4, 9, 16, 25]
        assert last.result()[0] == 49
    # with processes the jobs ran in them, each with its share of the cores for Polars' threads
    assert last.result()[1] == (n > 1)
    assert last.result()[2] == (str(max(1, (os.cpu_count() or 1) // n)) if n > 1 else "9")
    assert os.environ["POLARS_MAX_THREADS"] == "9"  # the caller's setting is back


def test_a_jobs_exception_is_raised_to_the_caller():
    with Workers(2) as w:
        job = w.submit(_fail, "плохие данные")
        with pytest.raises(ValueError, match="плохие данные"):
            job.result()


def test_a_broken_pool_falls_back_to_the_caller_with_a_warning():
    with Workers(2) as w:
        results = w.map(_die_in_a_worker, [(i,) for i in range(1, 4)])
        with pytest.warns(UserWarning, match="процессы-исполнители недоступны"):
            got = list(results)
    assert got == [-1, -2, -3]
