"""A configurable library of methodological recommendations attached to learning deficits.

The shipped ``library.toml`` is a *starter set* written for this product (ВПР maths and Russian,
grades 4–8); the region's institute replaces or extends it with its own file. Entries are keyed by
subject, grades, КЭС codes ("grade:code"), keywords of the skill wording and task level; the
matcher scores every entry against a deficit and attaches the best ones. Pure Python, no I/O
beyond reading the shipped resource when no text is given.
"""

from shnor.core.recommendations.library import (
    Entry,
    Library,
    LibraryError,
    load_library,
    shipped_library,
)
from shnor.core.recommendations.matcher import attach, match, school_entries

__all__ = [
    "Entry",
    "Library",
    "LibraryError",
    "attach",
    "load_library",
    "match",
    "school_entries",
    "shipped_library",
]
