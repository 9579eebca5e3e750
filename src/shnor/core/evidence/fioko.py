"""Typed evidence of the FIOKO reference markers: one record per marker found, with its own evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shnor.core.evidence._read import as_dict, dicts, integer, num, opt_text, plain, text
from shnor.core.evidence.base import Charts, Headline

#: 1: ``markers`` is a list of marker records; 0: older runs, a list of marker codes with one evidence.
VERSION = 1


@dataclass(frozen=True, slots=True)
class FiokoMarker:
    """One marker found in one test (``inflated_mean`` in ВПР, maths, grade 4), its value and threshold."""

    marker: str
    procedure: str | None = None
    subject: str | None = None
    grade: int | None = None
    year: int | None = None
    value: int | float | None = None
    threshold: int | float | None = None
    #: the marker's own evidence: school and region means with their intervals, the rule …
    evidence: dict[str, Any] | None = None

    @classmethod
    def parse(cls, raw: Any) -> FiokoMarker:
        """A marker record from its stored JSON object."""
        d = as_dict(raw)
        return cls(
            marker=text(d.get("marker")),
            procedure=opt_text(d.get("procedure")),
            subject=opt_text(d.get("subject")),
            grade=integer(d.get("grade")),
            year=integer(d.get("year")),
            value=num(d.get("value")),
            threshold=num(d.get("threshold")),
            evidence=as_dict(d.get("evidence")),
        )

    @property
    def headline(self) -> Headline:
        """The headline facts of the marker's evidence."""
        return Headline.parse(self.evidence)

    @property
    def charts(self) -> Charts:
        """The chart data of the marker's evidence."""
        return Charts.parse(self.evidence)

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        out = {
            k: getattr(self, k)
            for k in ("marker", "procedure", "subject", "grade", "year", "value", "threshold")
        }
        return {**out, "evidence": plain(self.evidence or {})}


@dataclass(frozen=True, slots=True)
class FiokoEvidence:
    """A school's FIOKO markers (older runs: the marker codes and one evidence object for them all)."""

    version: int = VERSION
    markers: tuple[FiokoMarker, ...] = ()
    #: older runs: the marker codes, and the single ``marker`` of the oldest ones
    marker_codes: tuple[str, ...] = ()
    marker: str = ""
    headline: Headline = Headline()
    charts: Charts = Charts()

    @classmethod
    def parse(cls, data: Any) -> FiokoEvidence:
        """From an outcome's ``data``; missing keys give defaults."""
        row = as_dict(data)
        raw = row.get("markers")
        records = isinstance(raw, list) and bool(raw) and isinstance(raw[0], dict)
        old = isinstance(raw, list) and bool(raw) and not records
        ev = as_dict(row.get("evidence"))
        return cls(
            version=0 if old or "marker" in row else VERSION,
            markers=tuple(FiokoMarker.parse(m) for m in dicts(raw)) if records else (),
            marker_codes=tuple(str(m) for m in raw) if old and isinstance(raw, list) else (),
            marker=text(row.get("marker")),
            headline=Headline.parse(ev),
            charts=Charts.parse(ev),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form (result row with its evidence)."""
        out: dict[str, Any] = {"markers": [m.to_dict() for m in self.markers] or list(self.marker_codes)}
        if self.marker:
            out["marker"] = self.marker
        ev = {**self.headline.to_dict(), **self.charts.to_dict()}
        if ev:
            out["evidence"] = ev
        return out
