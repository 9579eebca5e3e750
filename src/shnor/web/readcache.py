"""Reading through the cache without reading back what was just stored.

Django's ``cache.get_or_set`` adds a missing value and then gets it again, so every miss pays the
pickling and the unpickling of the value on top of making it (a school card's flags with their charts,
a country-wide list's rows: docs/benchmarks.md, «The school card's cost cut»). Here a miss returns the
value it made (the cache keeps its own pickled copy, so the caller may change it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")

_MISSING = object()


def cached(key: str, make: Callable[[], T], seconds: int) -> T:
    """The value under ``key``, or ``make()`` stored for ``seconds`` (kept if another request stored it
    first, as ``get_or_set`` does)."""
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value  # type: ignore[return-value]
    made = make()
    cache.add(key, made, seconds)
    return made
