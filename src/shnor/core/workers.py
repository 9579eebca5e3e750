"""Worker processes shared by the methods of one run: jobs run in the order they are submitted.

A country year keeps two cores busy only when independent work overlaps: objectivity's procedures,
then the learning deficits while objectivity combines its signs in the calling process. ``Workers``
is one pool of spawned processes (Polars' thread pool does not survive fork) for all of them, or —
with one worker — no processes at all: a job then runs in the caller when its result is asked for,
so the caller's code is the same either way.

Each worker gets its share of the cores for Polars', OpenBLAS's and OpenMP's own threads (read
when the libraries load): two workers each running BLAS on every core made the same tests take
25 % more CPU time. If the pool breaks (a script without an ``if __name__ == "__main__":`` guard:
spawned workers import the main module), the jobs not yet done run in the caller, with a warning.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

from shnor.core.memory import release_memory

#: Thread-count settings of the libraries a worker process loads (Polars, OpenBLAS, OpenMP, MKL).
THREAD_VARS = ("POLARS_MAX_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def wanted() -> int:
    """Worker processes asked for: ``SHNOR_WORKERS``, else the machine's cores."""
    return int(os.environ.get("SHNOR_WORKERS") or (os.cpu_count() or 1))


class Job:
    """A submitted call; ``result()`` waits for it (or, without processes, makes it)."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, future: Future | None) -> None:
        self._call: tuple | None = (fn, args, kwargs)
        self._future = future
        self._value: Any = None

    def done(self) -> bool:
        """Whether the call has finished in a worker (a call made in the caller is done once asked for)."""
        return self._call is None or (self._future is not None and self._future.done())

    def result(self) -> Any:
        """The call's return value (its exception raised here)."""
        if self._future is not None:
            try:
                return self._future.result()
            except BrokenProcessPool:
                warnings.warn("процессы-исполнители недоступны: расчёт продолжается в одном процессе", stacklevel=2)
                self._future = None
        if self._call is not None:
            fn, args, kwargs = self._call
            self._value, self._call = fn(*args, **kwargs), None
        return self._value


def _in_worker(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Run a job in a worker, then hand the memory it freed back to the system (an idle worker
    holding a finished job's heap would count against the run's peak)."""
    try:
        return fn(*args, **kwargs)
    finally:
        release_memory()


class Workers:
    """``n`` spawned worker processes while the context is open (none when ``n`` ≤ 1)."""

    def __init__(self, n: int) -> None:
        self.n = max(1, int(n))
        self._pool: ProcessPoolExecutor | None = None
        self._saved: dict[str, str | None] = {}

    @property
    def parallel(self) -> bool:
        """Whether jobs run in worker processes."""
        return self._pool is not None

    def __enter__(self) -> Workers:
        if self.n > 1:
            # the workers read these when they start (the pool starts them on the first submit, so
            # they stay set while the context is open); the caller's own settings come back on exit
            threads = str(max(1, (os.cpu_count() or 1) // self.n))
            self._saved = {k: os.environ.get(k) for k in THREAD_VARS}
            os.environ.update(dict.fromkeys(THREAD_VARS, threads))
            self._pool = ProcessPoolExecutor(max_workers=self.n, mp_context=multiprocessing.get_context("spawn"))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc is not None)
            self._pool = None
        for k, v in self._saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        self._saved = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Job:
        """Start ``fn(*args, **kwargs)`` in a worker after the jobs already submitted."""
        future = None
        if self._pool is not None:
            try:
                future = self._pool.submit(_in_worker, fn, args, kwargs)
            except BrokenProcessPool:
                future = None
        return Job(fn, args, kwargs, future)

    def map(self, fn: Callable[..., Any], calls: Iterable[tuple]) -> Iterator[Any]:
        """Submit ``fn(*call)`` for every call now; the results, in order, as they are asked for (a
        result handed over is no longer held here)."""
        jobs = deque(self.submit(fn, *call) for call in calls)

        def results() -> Iterator[Any]:
            while jobs:
                yield jobs.popleft().result()

        return results()
