"""Typed evidence of the support tracks: the school's track, every track it takes part in, the reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shnor.core.evidence._read import as_dict, text
from shnor.core.labels import TRACK_LABELS

VERSION = 1


@dataclass(frozen=True, slots=True)
class TracksEvidence:
    """A school's support track: its code and label, all its tracks and why (``reasons``: «; »-separated)."""

    version: int = VERSION
    track: str = ""
    track_label: str = ""
    tracks: tuple[str, ...] = ()
    reasons: str = ""
    #: the inputs the rule read (lists, categories, years) and the activities per track
    basis: dict[str, Any] | None = None

    @classmethod
    def parse(cls, data: Any) -> TracksEvidence:
        """From an outcome's ``data``; missing keys give defaults."""
        row = as_dict(data)
        tracks = row.get("tracks")
        return cls(
            track=text(row.get("track") or ""),
            track_label=text(row.get("track_label") or ""),
            tracks=tuple(str(t) for t in tracks) if isinstance(tracks, list) else (),
            reasons=text(row.get("reasons") or ""),
            basis=as_dict(row.get("evidence")) or None,
        )

    @property
    def label(self) -> str:
        """The track as the pages name it (the stored label, else the shared one, else the code)."""
        return self.track_label or TRACK_LABELS.get(self.track, self.track)

    def to_dict(self) -> dict[str, Any]:
        """The stored form (result row with its evidence)."""
        return {
            "track": self.track,
            "track_label": self.track_label,
            "tracks": list(self.tracks),
            "reasons": self.reasons,
            "evidence": self.basis or {},
        }
