"""``readcache.cached``: a miss returns what it made without reading it back; a hit returns the stored
copy; the first stored value wins, as with ``get_or_set``."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from shnor.web.readcache import cached


class _CountsUnpickling:
    """A value that counts how often it is unpickled."""

    loads = 0

    def __init__(self, n: int) -> None:
        self.n = n

    def __reduce__(self):
        return (_revive, (self.n,))


def _revive(n: int) -> _CountsUnpickling:
    _CountsUnpickling.loads += 1
    return _CountsUnpickling(n)


@pytest.fixture(autouse=True)
def _clear():
    cache.clear()
    _CountsUnpickling.loads = 0
    yield
    cache.clear()


def test_a_miss_returns_what_it_made_without_unpickling_it():
    made = []

    def make():
        made.append(1)
        return _CountsUnpickling(7)

    first = cached("shnor:test:readcache", make, 60)
    assert first.n == 7
    assert made == [1]
    assert _CountsUnpickling.loads == 0  # get_or_set would have read the value back: 1
    again = cached("shnor:test:readcache", make, 60)
    assert again.n == 7
    assert again is not first
    assert made == [1]  # not made again
    assert _CountsUnpickling.loads == 1


def test_changing_the_returned_value_leaves_the_cache_alone():
    value = cached("shnor:test:readcache-list", lambda: [1, 2], 60)
    value.append(3)
    assert cached("shnor:test:readcache-list", lambda: [9], 60) == [1, 2]


def test_the_first_stored_value_wins_and_none_is_a_value():
    cache.set("shnor:test:readcache-first", "stored", 60)
    assert cached("shnor:test:readcache-first", lambda: "made", 60) == "stored"
    assert cached("shnor:test:readcache-none", lambda: None, 60) is None
    assert cached("shnor:test:readcache-none", lambda: "later", 60) is None
