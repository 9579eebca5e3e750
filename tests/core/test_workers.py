"""One pool of worker processes for a run's jobs: results in order, the same without processes."""

from __future__ import annotations

import multiprocessing
import os
import pickle

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


def _big_result(n: int) -> dict:
    import numpy as np
    import polars as pl

    return {
        "array": np.arange(n, dtype=np.int64),
        "frame": pl.DataFrame({"x": np.arange(n) * 0.5, "s": [f"ш{i % 7}" for i in range(n)]}),
        "small": [1, "два"],
        "where": multiprocessing.parent_process() is not None,
    }


def test_large_results_come_through_shared_memory_and_leave_no_file(monkeypatch, tmp_path):
    """A worker's large arrays and frames travel in a shared-memory file, not the pipe: the caller
    gets them equal (and writable), and the file is gone once they are taken."""
    import numpy as np
    import polars as pl

    from shnor.core import workers

    before = set(os.listdir(workers.SHM_DIR))
    with Workers(2) as w:
        job = w.submit(_big_result, 200_000)
        got = job.result()
    assert got["where"] is True
    assert np.array_equal(got["array"], np.arange(200_000))
    got["array"][0] = 7  # (a private mapping: writable, the file untouched)
    assert got["frame"].equals(
        pl.DataFrame({"x": np.arange(200_000) * 0.5, "s": [f"ш{i % 7}" for i in range(200_000)]})
    )
    assert got["small"] == [1, "два"]
    assert not {f for f in set(os.listdir(workers.SHM_DIR)) - before if f.startswith("shnor-")}


def test_ship_unpacks_to_the_same_value_and_falls_back_without_room(tmp_path):
    import numpy as np

    from shnor.core.workers import Pickled, Shipped, ship

    value = {"a": np.arange(300_000, dtype=np.float64), "b": b"x" * 10}
    shipped = ship(value, shm_dir=str(tmp_path))
    assert isinstance(shipped, Shipped)
    assert os.path.exists(shipped.path)
    back = shipped.open()
    assert not os.path.exists(shipped.path)
    assert np.array_equal(back["a"], value["a"])
    assert back["b"] == value["b"]
    # small results, or no such directory: pickled once, buffers in band, for the pipe
    small = ship({"a": np.arange(10)}, shm_dir=str(tmp_path))
    assert isinstance(small, Pickled)
    assert np.array_equal(pickle.loads(pickle.dumps(small)).open()["a"], np.arange(10))
    roomless = ship(value, shm_dir=str(tmp_path / "нет"))
    assert isinstance(roomless, Pickled)
    assert not os.listdir(tmp_path)
    back = pickle.loads(pickle.dumps(roomless)).open()  # (as the pool's pipe carries it)
    assert np.array_equal(back["a"], value["a"])
    assert back["b"] == value["b"]


def test_results_never_asked_for_leave_no_shared_memory_file():
    from shnor.core import workers

    before = set(os.listdir(workers.SHM_DIR))
    with Workers(2) as w:
        w.submit(_big_result, 200_000)
    assert not {f for f in set(os.listdir(workers.SHM_DIR)) - before if f.startswith("shnor-")}
