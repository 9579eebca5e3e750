"""Typed evidence of the objectivity method: one record per tested sign, the school's threshold, p and q."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shnor.core.evidence._read import Value, as_dict, dicts, integer, opt_text, text
from shnor.core.evidence.base import Charts, Headline
from shnor.core.evidence.objectivity_format import FORMAT, expand_record
from shnor.core.evidence.objectivity_shared import FORMAT as SHARED_FORMAT
from shnor.core.evidence.objectivity_tables import from_tables

#: 2: the compact layout (``"format": 2``, ``objectivity_format``); 1: the school's threshold at the top
#: of the evidence, every record in full; 0: older runs, a threshold on each sign record. Format 3
#: (``objectivity_shared``) is format 2 with the run's shared parts left out: the web puts them back
#: (``resolve``) before parsing; read without them, it is read as format 2 (no region half to draw).
VERSION = FORMAT
#: The compact layouts (their records read back with ``expand_record``).
COMPACT_FORMATS = (FORMAT, SHARED_FORMAT)


def records_of(evidence: Any) -> list[dict[str, Any]]:
    """The sign records of an evidence object with every key version 1 had (a format-2 record gets back
    what its id and sign say: ``sign``, ``procedure``, ``subject``, ``grade``, ``tested``, the comparison
    group)."""
    ev = as_dict(evidence)
    signs = ev.get("signs")
    if ev.get("format") == SHARED_FORMAT and isinstance(signs, list):
        signs = from_tables(signs, None)  # (without the run's key lists: only records kept as a list)
    recs = dicts(signs)
    return [expand_record(r) for r in recs] if ev.get("format") in COMPACT_FORMATS else recs


@dataclass(frozen=True, slots=True)
class SignRecord:
    """One sign tested (or not) in one unit, ``bunching:vpr:ma:4``: its statistic, p-value and chart."""

    id: str
    sign: str = ""
    tested: bool = False
    procedure: str | None = None
    subject: str | None = None
    grade: int | None = None
    headline: Headline = Headline()
    #: the chart data; a sign sharing its twin's chart names it in ``chart_of`` instead
    charts: Charts = Charts()
    chart_of: str | None = None

    @classmethod
    def parse(cls, raw: Any) -> SignRecord:
        """A sign record from its stored JSON object."""
        d = as_dict(raw)
        return cls(
            id=text(d.get("id")),
            sign=text(d.get("sign")),
            tested=bool(d.get("tested")),
            procedure=opt_text(d.get("procedure")),
            subject=opt_text(d.get("subject")),
            grade=integer(d.get("grade")),
            headline=Headline.parse(d),
            charts=Charts.parse(d.get("chart"), flat_histogram=True),
            chart_of=opt_text(d.get("chart_of")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        out: dict[str, Any] = {
            "id": self.id,
            "sign": self.sign,
            "tested": self.tested,
            **self.headline.to_dict(),
        }
        for k in ("procedure", "subject", "grade", "chart_of"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.charts:
            out["chart"] = self.charts.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class ObjectivityEvidence:
    """A school's objectivity result: every sign record, the significant ones and the school's threshold."""

    version: int = VERSION
    year: int | None = None
    n_signs: int | None = None
    #: the significant sign ids as the result row lists them (``data["signs"]``)
    sign_ids: tuple[str, ...] = ()
    strongest_sign: str | None = None
    signs: tuple[SignRecord, ...] = ()
    significant: tuple[str, ...] = ()
    headline: Headline = Headline()

    @classmethod
    def parse(cls, data: Any) -> ObjectivityEvidence:
        """From an outcome's ``data`` (the result row with its ``evidence``); missing keys give defaults."""
        row = as_dict(data)
        ev = as_dict(row.get("evidence"))
        records = records_of(ev)
        if ev.get("format") in COMPACT_FORMATS or not ev:
            version = VERSION  # (no evidence at all: the default, as for every missing key)
        elif "threshold" not in ev and any("threshold" in r for r in records):
            version = 0
        else:
            version = 1
        return cls(
            version=version,
            year=integer(ev.get("year")),
            n_signs=integer(row.get("n_signs")),
            sign_ids=tuple(s for s in str(row.get("signs") or "").split("; ") if s),
            strongest_sign=opt_text(row.get("strongest_sign")),
            signs=tuple(SignRecord.parse(r) for r in records),
            significant=tuple(str(s) for s in ev.get("significant") or ()),
            headline=Headline.parse(ev),
        )

    @property
    def threshold(self) -> Value:
        """The school's threshold for every sign (p of a sign at most …, q …); older runs: None."""
        return self.headline.threshold

    def sign(self, sign_id: str | None) -> SignRecord | None:
        """The record with that id, or None."""
        return next((r for r in self.signs if r.id == sign_id), None) if sign_id else None

    def to_dict(self) -> dict[str, Any]:
        """The stored form (result row with its evidence)."""
        ev: dict[str, Any] = {
            **self.headline.to_dict(),
            "signs": [r.to_dict() for r in self.signs],
            "significant": list(self.significant),
        }
        if self.year is not None:
            ev["year"] = self.year
        if self.version == FORMAT:
            ev["format"] = FORMAT  # (the records in full: a format-2 reader takes them as they are)
        return {
            "n_signs": self.n_signs,
            "signs": "; ".join(self.sign_ids),
            "strongest_sign": self.strongest_sign,
            "evidence": ev,
        }
