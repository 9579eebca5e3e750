"""Handing freed memory back to the operating system between the large stages of a run."""

from __future__ import annotations

import contextlib
import ctypes
import gc


def release_memory() -> None:
    """Collect garbage and return freed heap memory to the OS (glibc's ``malloc_trim``), so that the
    next stage's peak does not sit on top of what the previous stage freed but the heap kept."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
