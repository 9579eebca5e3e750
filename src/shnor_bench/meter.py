"""Wall time and peak memory per stage of one process.

Peak memory is the RSS high-water mark of the process (``VmHWM`` in ``/proc/self/status``, the
figure ``getrusage(RUSAGE_SELF).ru_maxrss`` reports). Before each stage the mark is reset to the
current RSS by writing ``5`` to ``/proc/self/clear_refs`` (Linux), so every stage gets its own peak;
where that is not allowed a sampling thread reads the RSS every 20 ms instead (a lower bound).
Child processes (the run's worker processes) are counted too: a thread adds up the RSS of the
process and all its descendants every ``TREE_EVERY`` seconds, and a stage's peak is the larger of
the two figures. (Every 50 ms, walking ``/proc`` cost the measured run 14 CPU-seconds of a country
year, in the measured process and holding its GIL.)

CPU time is user + system time of the process, of its children that ended (``getrusage``) and of
the descendants still running (``/proc/<pid>/stat``), so worker processes that live across stages
are counted in the stages they work in: a stage's CPU seconds over its wall seconds is how many
cores it kept busy.
"""

from __future__ import annotations

import os
import re
import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

_STATUS = Path("/proc/self/status")
#: Seconds between two readings of the process tree's RSS (workers' memory moves over seconds).
TREE_EVERY = 0.25
_CLEAR = Path("/proc/self/clear_refs")


def _status_kb(key: str) -> int | None:
    try:
        m = re.search(rf"^{key}:\s+(\d+) kB", _STATUS.read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def rss_mb() -> float:
    """Current resident set size in MB."""
    kb = _status_kb("VmRSS")
    return (kb or 0) / 1024


def _descendants(pid: str = "self") -> list[str]:
    out: list[str] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for t in tasks:
        try:
            kids = (t / "children").read_text().split()
        except OSError:
            continue
        for k in kids:
            out += [k, *_descendants(k)]
    return out


def tree_rss_mb(descendants: list[str] | None = None) -> float:
    """RSS of this process and all its descendants (found when not given), in MB."""
    total = rss_mb()
    for pid in _descendants() if descendants is None else descendants:
        try:
            m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
        except OSError:
            continue
        total += int(m.group(1)) / 1024 if m else 0.0
    return total


def process_peak_mb() -> float:
    """``getrusage(RUSAGE_SELF).ru_maxrss`` in MB (since the last reset of the high-water mark)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _live_cpu(pid: str) -> float:
    """User + system CPU seconds of a running (or not yet waited-for) process, from ``/proc``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15 of stat)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, of its ended (waited-for) children and of the
    descendants still running (a run's worker processes live across several stages: each stage
    gets the CPU they used in it, not the stage in which they end)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + sum(map(_live_cpu, _descendants()))


def _reset_hwm() -> bool:
    try:
        _CLEAR.write_text("5")
    except OSError:
        return False
    return _status_kb("VmHWM") is not None


@dataclass
class Stage:
    """One measured stage: wall seconds, peak RSS and RSS at its start, in MB, CPU seconds."""

    name: str
    seconds: float
    peak_mb: float
    start_mb: float
    note: str = ""
    level: int = 0
    cpu_s: float = 0.0


@dataclass
class Meter:
    """Collects stages; ``stage(name)`` measures a block, ``mark(name)`` splits a running block into parts."""

    stages: list[Stage] = field(default_factory=list)
    peak_mb: float = 0.0

    def __post_init__(self) -> None:
        self._hwm = _reset_hwm()
        self._sampled = 0.0
        self._stop = threading.Event()
        self._sub: tuple[str, float, float, float] | None = None
        self._tree = 0.0
        if not self._hwm:
            threading.Thread(target=self._sample, daemon=True).start()
        threading.Thread(target=self._sample_tree, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self._sampled = max(self._sampled, rss_mb())

    def _sample_tree(self) -> None:
        while not self._stop.wait(TREE_EVERY):
            kids = _descendants()
            if kids:
                self._tree = max(self._tree, tree_rss_mb(kids))

    def _begin(self) -> tuple[float, float, float]:
        start = rss_mb()
        self._tree = 0.0
        if self._hwm:
            _reset_hwm()
        else:
            self._sampled = start
        return time.perf_counter(), start, cpu_seconds()

    def _peak(self) -> float:
        if self._hwm:
            kb = _status_kb("VmHWM")
            peak = (kb or 0) / 1024
        else:
            peak = max(self._sampled, rss_mb())
        peak = max(peak, self._tree)
        self.peak_mb = max(self.peak_mb, peak)
        return peak

    @contextmanager
    def stage(self, name: str, note: str = "") -> Iterator[Stage]:
        """Measure the block as one stage (parts marked inside it are listed under it)."""
        t0, start, c0 = self._begin()
        st = Stage(name, 0.0, 0.0, start, note)
        self.stages.append(st)
        self._parent_peak = 0.0
        try:
            yield st
        finally:
            self._close_sub()
            st.seconds = time.perf_counter() - t0
            st.cpu_s = cpu_seconds() - c0
            st.peak_mb = max(self._peak(), self._parent_peak)

    def mark(self, name: str) -> None:
        """End the current part (if any) and start part ``name`` of the running stage."""
        self._close_sub()
        t0, start, c0 = self._begin()
        self._sub = (name, t0, start, c0)

    def _close_sub(self) -> None:
        if self._sub is None:
            return
        name, t0, start, c0 = self._sub
        peak = self._peak()
        self._parent_peak = max(getattr(self, "_parent_peak", 0.0), peak)
        self.stages.append(
            Stage(name, time.perf_counter() - t0, peak, start, level=1, cpu_s=cpu_seconds() - c0)
        )
        self._sub = None

    def close(self) -> None:
        """Stop the sampling thread (when one runs)."""
        self._stop.set()
