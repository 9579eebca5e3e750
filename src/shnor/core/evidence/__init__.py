"""Typed evidence: what each method stored about a school, read into frozen dataclasses.

The methods write their evidence as JSON (``SchoolOutcome.data``: the result row with its ``evidence``);
this package is the reading side. Each method has one class with ``parse(data)`` — tolerant of older
stored runs (missing keys give defaults) — a ``version`` (the stored layout it found) and ``to_dict()``
(the stored layout back). The web presenters turn these into words and charts; nothing reads the raw
JSON by guessed keys.
"""

from __future__ import annotations

from typing import Any

from shnor.core.evidence._read import as_dict
from shnor.core.evidence.base import Charts, Headline, Histogram, Interval, JournalTable, TaskProfile
from shnor.core.evidence.deficits import Deficit, DeficitsEvidence
from shnor.core.evidence.fioko import FiokoEvidence, FiokoMarker
from shnor.core.evidence.low_results import LowResultsEvidence, MethodVerdict, RiskUnit
from shnor.core.evidence.objectivity import ObjectivityEvidence, SignRecord
from shnor.core.evidence.social_index import Criterion, SocialIndexEvidence
from shnor.core.evidence.tracks import TracksEvidence

Evidence = (
    FiokoEvidence
    | ObjectivityEvidence
    | LowResultsEvidence
    | SocialIndexEvidence
    | TracksEvidence
    | DeficitsEvidence
)

#: The evidence class of each method whose outcomes a run stores (``SchoolOutcome.method``).
KINDS: dict[str, type[Evidence]] = {
    "fioko": FiokoEvidence,
    "objectivity": ObjectivityEvidence,
    "low_results": LowResultsEvidence,
    "social_index": SocialIndexEvidence,
    "tracks": TracksEvidence,
    "deficits": DeficitsEvidence,
}


def parse_evidence(method: str, data: Any) -> Evidence | None:
    """The typed evidence of one outcome's ``data`` (a dict or JSON text); None without a class."""
    kind = KINDS.get(method)
    return kind.parse(data) if kind is not None else None


__all__ = [
    "KINDS",
    "Charts",
    "Criterion",
    "Deficit",
    "DeficitsEvidence",
    "Evidence",
    "FiokoEvidence",
    "FiokoMarker",
    "Headline",
    "Histogram",
    "Interval",
    "JournalTable",
    "LowResultsEvidence",
    "MethodVerdict",
    "ObjectivityEvidence",
    "RiskUnit",
    "SignRecord",
    "SocialIndexEvidence",
    "TaskProfile",
    "TracksEvidence",
    "as_dict",
    "parse_evidence",
]
