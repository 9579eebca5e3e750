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

A result's large buffers (NumPy arrays, Polars frames as Arrow IPC) do not go through the pool's
pipe: the worker pickles the result with protocol 5, writes the out-of-band buffers into one file in
shared memory (``/dev/shm``) and sends the small rest; the caller maps the file and unpickles over
it (``Shipped``), the arrays pointing into the mapping. A country year's objectivity bodies and
frames otherwise cost much CPU time in pickling, small pipe reads and copies on two cores.
Without room in shared memory, or when its buffers are small, the result goes through the pipe
already pickled (``Pickled``: not pickled a second time by the pool).
"""

from __future__ import annotations

import contextlib
import io
import mmap
import multiprocessing
import os
import pickle
import tempfile
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from shnor.core.memory import release_memory

#: Thread-count settings of the libraries a worker process loads (Polars, OpenBLAS, OpenMP, MKL).
THREAD_VARS = ("POLARS_MAX_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def wanted() -> int:
    """Worker processes asked for: ``SHNOR_WORKERS``, else the machine's cores."""
    return int(os.environ.get("SHNOR_WORKERS") or (os.cpu_count() or 1))


class Job:
    """A submitted call; ``result()`` waits for it (or, without processes, makes it)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        future: Future[Any] | None,
        pending: set[Future[Any]] | None = None,
    ) -> None:
        self._call: tuple[Any, ...] | None = (fn, args, kwargs)
        self._future = future
        self._pending = pending  # (the pool's results not yet asked for)
        self._value: Any = None

    def done(self) -> bool:
        """Whether the call has finished in a worker (a call made in the caller is done once asked for)."""
        return self._call is None or (self._future is not None and self._future.done())

    def result(self) -> Any:
        """The call's return value (its exception raised here)."""
        if self._future is not None:
            try:
                value = self._future.result()
            except BrokenProcessPool:
                warnings.warn(
                    "процессы-исполнители недоступны: расчёт продолжается в одном процессе", stacklevel=2
                )
            else:
                self._value = value.open() if isinstance(value, Shipped | Pickled) else value
                self._call = None
            if self._pending is not None:
                self._pending.discard(self._future)
            self._future = None
        if self._call is not None:
            fn, args, kwargs = self._call
            self._value, self._call = fn(*args, **kwargs), None
        return self._value


def _discard_unasked(future: Future[Any]) -> None:
    """Remove the shared-memory file of a finished result that was never asked for."""
    if future.done() and not future.cancelled() and future.exception() is None:
        value = future.result()
        if isinstance(value, Shipped):
            value.discard()


#: Where shipped results' buffers are written (a memory file system), and the least a result's
#: buffers must total to be shipped that way rather than through the pipe.
SHM_DIR = "/dev/shm"
SHIP_MIN_BYTES = 1 << 20


def _frame_from_ipc(buf: np.ndarray) -> pl.DataFrame:
    """A Polars frame back from its Arrow IPC bytes (``_Pickler``), its columns pointing into them
    (through Arrow: Polars' own reader copies the bytes first)."""
    with pa.ipc.open_file(pa.py_buffer(buf)) as reader:
        table = reader.read_all()
    frame = pl.from_arrow(table, rechunk=False)
    assert isinstance(frame, pl.DataFrame)
    return frame


class _Pickler(pickle.Pickler):
    """Protocol 5 with Polars frames as Arrow IPC in a NumPy array, so that they too travel out of
    band (a frame pickles as one in-band ``bytes`` of its own serialisation)."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is pl.DataFrame and obj.width:
            sink = io.BytesIO()
            try:
                obj.write_ipc(sink, compression="uncompressed")
            except Exception:  # (a column IPC cannot hold, e.g. Python objects: pickled as usual)
                return NotImplemented
            return _frame_from_ipc, (np.frombuffer(sink.getbuffer(), dtype=np.uint8),)
        return NotImplemented


class Shipped:
    """A worker's result whose large buffers wait in a shared-memory file: ``open`` unpickles it
    (once) over a private mapping of the file, which is removed from the file system at once."""

    def __init__(self, path: str, data: bytes, sizes: list[int]) -> None:
        self.path, self.data, self.sizes = path, data, sizes

    def open(self) -> Any:
        try:
            with open(self.path, "rb") as f:
                total = sum(self.sizes)
                mapped = mmap.mmap(f.fileno(), total, access=mmap.ACCESS_COPY) if total else b""
        finally:
            self.discard()
        view = memoryview(mapped)
        buffers, at = [], 0
        for n in self.sizes:
            buffers.append(view[at : at + n])
            at += n
        data, self.data = self.data, b""
        return pickle.loads(data, buffers=buffers)

    def discard(self) -> None:
        """Remove the file (its memory is freed once no mapping of it is left)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class Pickled:
    """A worker's result already pickled (``ship``), its out-of-band buffers carried in band: what
    goes through the pool's pipe when the buffers are small or shared memory has no room, so the
    result is not pickled a second time by the pool. ``open`` unpickles it (once)."""

    def __init__(self, data: bytes, buffers: list[bytes]) -> None:
        self.data, self.buffers = data, buffers

    def open(self) -> Any:
        data, buffers = self.data, self.buffers
        self.data, self.buffers = b"", []
        return pickle.loads(data, buffers=buffers)


def ship(value: Any, shm_dir: str = SHM_DIR, min_bytes: int = SHIP_MIN_BYTES) -> Shipped | Pickled:
    """``value`` pickled: a ``Shipped`` when its out-of-band buffers total at least ``min_bytes`` and
    fit in ``shm_dir``, else a ``Pickled`` (through the pipe, buffers and all)."""
    buffers: list[pickle.PickleBuffer] = []
    sink = io.BytesIO()
    _Pickler(sink, protocol=5, buffer_callback=buffers.append).dump(value)
    raws = [b.raw() for b in buffers]
    total = sum(r.nbytes for r in raws)

    def inline() -> Pickled:
        return Pickled(sink.getvalue(), [r.tobytes() for r in raws])

    if total < min_bytes:
        return inline()
    try:
        st = os.statvfs(shm_dir)
        if st.f_bavail * st.f_frsize < 2 * total:  # (leave room for the rest of the system)
            return inline()
        fd, path = tempfile.mkstemp(prefix="shnor-", dir=shm_dir)
    except OSError:
        return inline()
    try:
        with os.fdopen(fd, "wb") as f:
            for r in raws:
                f.write(r)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return inline()
    return Shipped(path, sink.getvalue(), [r.nbytes for r in raws])


def _in_worker(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run a job in a worker and ship its result (``ship``), then hand the memory it freed back to
    the system (an idle worker holding a finished job's heap would count against the run's peak)."""
    try:
        return ship(fn(*args, **kwargs))
    finally:
        release_memory()


class Workers:
    """``n`` spawned worker processes while the context is open (none when ``n`` ≤ 1)."""

    def __init__(self, n: int) -> None:
        self.n = max(1, int(n))
        self._pool: ProcessPoolExecutor | None = None
        self._saved: dict[str, str | None] = {}
        self._pending: set[Future[Any]] = (
            set()
        )  # (to remove the shared-memory files of results never asked for)

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
            self._pool = ProcessPoolExecutor(
                max_workers=self.n, mp_context=multiprocessing.get_context("spawn")
            )
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc is not None)
            self._pool = None
            for future in self._pending:
                _discard_unasked(future)
            self._pending = set()
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
        if future is not None:
            self._pending.add(future)
        return Job(fn, args, kwargs, future, self._pending)

    def map(self, fn: Callable[..., Any], calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """Submit ``fn(*call)`` for every call now; the results, in order, as they are asked for (a
        result handed over is no longer held here)."""
        jobs = deque(self.submit(fn, *call) for call in calls)

        def results() -> Iterator[Any]:
            while jobs:
                yield jobs.popleft().result()

        return results()
