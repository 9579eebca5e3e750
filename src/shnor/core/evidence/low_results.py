"""Typed evidence of the low-results method: the verdict of each way of finding a school, the value-added
interval, the risk rule's units over the years and the list history (years in the list, category)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shnor.core.evidence._read import Value, as_dict, dicts, integer, num, plain, text, value
from shnor.core.evidence.base import Charts, Headline

VERSION = 1


@dataclass(frozen=True, slots=True)
class RiskUnit:
    """One procedure of one year under the risk rule: the share of «2» among the participants."""

    year: int | None
    label: str = ""
    share: int | float | None = None
    counted: Any = None
    procedure: str = ""
    subject: str = ""
    grade: int | None = None
    fails: int | None = None
    participants: int | None = None
    over: bool = False
    in_run: bool = False

    @classmethod
    def parse(cls, raw: Any) -> RiskUnit:
        """A unit from its stored JSON object."""
        d = as_dict(raw)
        return cls(
            year=integer(d.get("year")),
            label=text(d.get("label", "")),
            share=num(d.get("share")),
            counted=d.get("counted"),
            procedure=text(d.get("procedure")),
            subject=text(d.get("subject")),
            grade=integer(d.get("grade")),
            fails=integer(d.get("fails")),
            participants=integer(d.get("participants")),
            over=bool(d.get("over")),
            in_run=bool(d.get("in_run")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            k: getattr(self, k)
            for k in (
                "year",
                "label",
                "share",
                "counted",
                "procedure",
                "subject",
                "grade",
                "fails",
                "participants",
                "over",
                "in_run",
            )
        }


@dataclass(frozen=True, slots=True)
class MethodVerdict:
    """What one way of finding a school (risk rule, indicators, cluster, value added) concluded."""

    low: bool = False
    summary: str = ""
    headline: Headline = Headline()
    #: the rest of the method's evidence as stored (its own details: units, values, the model …)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LowResultsEvidence:
    """A school's low-results verdict with its evidence and its list history."""

    version: int = VERSION
    year: int | None = None
    low_results: bool | None = None
    risk_list: Value = None
    years_in_list: Value = None
    first_year: int | None = None
    category: Value = None
    indicators: Value = None
    reason: Value = None
    cluster: str | None = None
    headline: Headline = Headline()
    #: charts at the top of the evidence (older runs) and of its ``value_added`` part
    charts: Charts = Charts()
    value_added: Charts = Charts()
    methods: dict[str, MethodVerdict] = field(default_factory=dict)
    risk_units: tuple[RiskUnit, ...] = ()

    @classmethod
    def parse(cls, data: Any) -> LowResultsEvidence:
        """From an outcome's ``data``; missing keys give defaults."""
        row = as_dict(data)
        ev = as_dict(row.get("evidence"))
        methods = as_dict(ev.get("methods"))
        low = row.get("low_results")
        return cls(
            year=integer(ev.get("year")),
            low_results=low if isinstance(low, bool) else None,
            risk_list=value(row.get("risk_list")),
            years_in_list=value(row.get("years_in_list")),
            first_year=integer(row.get("first_year")),
            category=value(row.get("category")),
            indicators=value(row.get("indicators")),
            reason=value(row.get("reason")),
            cluster=None if row.get("cluster") is None else str(row["cluster"]),
            headline=Headline.parse(ev),
            charts=Charts.parse(ev),
            value_added=Charts.parse(ev.get("value_added")),
            methods={
                str(k): MethodVerdict(
                    low=bool(m.get("low")),
                    summary=text(m.get("summary")),
                    headline=Headline.parse(m),
                    details=m,
                )
                for k, m in methods.items()
                if isinstance(m, dict)
            },
            risk_units=tuple(
                RiskUnit.parse(u) for u in dicts(as_dict(methods.get("risk_rule")).get("units"))
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form (result row with its evidence)."""
        ev: dict[str, Any] = {**self.headline.to_dict(), **self.charts.to_dict()}
        if self.year is not None:
            ev["year"] = self.year
        if self.value_added:
            ev["value_added"] = self.value_added.to_dict()
        if self.methods:
            ev["methods"] = {k: m.details for k, m in self.methods.items()}
        row = {
            k: plain(getattr(self, k))
            for k in (
                "low_results",
                "risk_list",
                "years_in_list",
                "first_year",
                "category",
                "indicators",
                "reason",
                "cluster",
            )
        }
        return {**row, "evidence": ev}
