"""Typed evidence of the social index: the criteria with their points, the index and the rank."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shnor.core.evidence._read import Value, as_dict, integer, num, opt_text, text, value
from shnor.core.evidence.base import Charts, Headline

VERSION = 1


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion of the index: its label, the school's value and the points it gave."""

    code: str
    label: str = ""
    value: Value = None
    points: int | float | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SocialIndexEvidence:
    """A school's social index: the index, its rank in the region and the criteria behind it."""

    version: int = VERSION
    index: int | float | None = None
    rank: int | float | None = None
    social_risk: bool | None = None
    n_schools: int | None = None
    #: the method's own version string, as it wrote it
    method_version: str | None = None
    criteria: tuple[Criterion, ...] = ()
    headline: Headline = Headline()
    charts: Charts = Charts()

    @classmethod
    def parse(cls, data: Any) -> SocialIndexEvidence:
        """From an outcome's ``data``; missing keys give defaults."""
        row = as_dict(data)
        ev = as_dict(row.get("evidence"))
        risk = row.get("social_risk")
        return cls(
            index=num(row.get("index")),
            rank=num(row.get("rank")),
            social_risk=risk if isinstance(risk, bool) else None,
            n_schools=integer(ev.get("n_schools")),
            method_version=opt_text(ev.get("version")),
            criteria=tuple(
                Criterion(
                    code=str(k),
                    label=text(c.get("label")),
                    value=value(c.get("value")),
                    points=num(c.get("points")),
                    note=opt_text(c.get("note")),
                )
                for k, c in as_dict(ev.get("criteria")).items()
                if isinstance(c, dict)
            ),
            headline=Headline.parse(ev),
            charts=Charts.parse(ev),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form (result row with its evidence)."""
        ev: dict[str, Any] = {**self.headline.to_dict(), **self.charts.to_dict()}
        if self.n_schools is not None:
            ev["n_schools"] = self.n_schools
        if self.method_version is not None:
            ev["version"] = self.method_version
        if self.criteria:
            ev["criteria"] = {
                c.code: {
                    "label": c.label,
                    "value": c.value,
                    "points": c.points,
                    **({"note": c.note} if c.note is not None else {}),
                }
                for c in self.criteria
            }
        return {"index": self.index, "rank": self.rank, "social_risk": self.social_risk, "evidence": ev}
