"""Storing a run's outcomes in a thread of its own while the next method computes.

A country year's outcomes are gigabytes of JSON: written in the computing thread, they kept one core
busy for long stretches while the other waited (``shnor bench``, ``docs/benchmarks.md``). The
database driver lets go of the interpreter lock while the database works, so a writer
thread and the methods run side by side — provided each statement does much work: the driver takes
the lock back after every statement, waiting up to the 5 ms switch interval while the methods hold
it, so outcomes go 250 rows a statement (``store.outcomes_insert``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from django.db import connection, connections

_STOP = object()


class OutcomeWriter:
    """Runs the jobs given to ``submit`` one after another, in order, in a thread of its own (with
    its own database connection: each job opens its own transaction). ``close`` waits for them and
    raises the first job's error, if any; after an error the jobs still queued are dropped.

    The jobs run at once in the caller's thread instead when the caller is inside a transaction
    (another connection could neither see nor join it: a test, an outer ``atomic``) or the database
    is SQLite in memory (another connection would meet its table locks). At most ``pending`` jobs
    wait at a time: ``submit`` blocks beyond that, so queued evidence does not pile up in memory.

    Use as a context manager: leaving the block waits for the jobs (and raises their error); leaving
    it with an exception drops what is still queued and waits only for the job under way."""

    def __init__(self, *, pending: int = 2, threaded: bool | None = None) -> None:
        if threaded is None:
            threaded = not connection.in_atomic_block and not (
                connection.vendor == "sqlite" and connection.is_in_memory_db()
            )
        self.threaded = threaded
        self._jobs: queue.Queue[Any] = queue.Queue(maxsize=pending)
        self._error: BaseException | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        if self.threaded:
            self._thread = threading.Thread(target=self._work, name="shnor-outcome-writer", daemon=True)
            self._thread.start()

    def submit(self, job: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``job(*args, **kwargs)`` after the jobs submitted before it."""
        self._raise()
        if not self.threaded:
            job(*args, **kwargs)
            return
        self._jobs.put((job, args, kwargs))

    def close(self) -> None:
        """Wait for every submitted job; raise the first error one of them met."""
        self._finish()
        self._raise()

    def _finish(self) -> None:
        if self._thread is not None:
            self._jobs.put(_STOP)
            self._thread.join()
            self._thread = None

    def _raise(self) -> None:
        if self._error is not None:  # kept: the thread drops every job after it
            raise self._error

    def _work(self) -> None:
        try:
            while (item := self._jobs.get()) is not _STOP:
                if self._error is not None or self._cancel.is_set():
                    continue  # drop: drain the queue so that ``submit`` never blocks for ever
                job, args, kwargs = item
                try:
                    job(*args, **kwargs)
                except BaseException as exc:  # handed to the caller by ``submit``/``close``
                    self._error = exc
        finally:
            connections.close_all()  # this thread's connections

    def __enter__(self) -> OutcomeWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
            return
        self._cancel.set()
        self._finish()  # the caller's exception wins; a job's error is dropped with the run
