"""What every method's evidence shares: the headline (statistic, comparison group, threshold …) and the
chart data a node of the evidence carries (score histogram, task profile, journal tables, shares, interval).

Charts are read only where a method puts them (see each method's module), never by searching the tree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from shnor.core.evidence._read import Value, as_dict, is_num, num, plain, seq, value

#: The headline keys, in the order the pages list them.
HEADLINE_KEYS = (
    "statistic",
    "comparison_group",
    "threshold",
    "p_value",
    "q_value",
    "p_combined",
    "n",
    "n_pupils",
    "reliability",
    "effect",
    "interval",
    "summary",
    "note",
    "reason",
    "value",
    "mean_z",
    "cluster",
)


@dataclass(frozen=True, slots=True)
class Headline:
    """The headline facts of one evidence node: what was measured, against whom, the threshold, p/q, n …"""

    statistic: Value = None
    comparison_group: Value = None
    threshold: Value = None
    p_value: Value = None
    q_value: Value = None
    p_combined: Value = None
    n: Value = None
    n_pupils: Value = None
    reliability: Value = None
    effect: Value = None
    interval: Value = None
    summary: Value = None
    note: Value = None
    reason: Value = None
    value: Value = None
    mean_z: Value = None
    cluster: Value = None

    @classmethod
    def parse(cls, node: Any) -> Headline:
        """The headline keys of a JSON object (absent keys are None)."""
        d = as_dict(node)
        return cls(**{k: value(d[k]) for k in HEADLINE_KEYS if k in d})  # (the others: None)

    def items(self) -> list[tuple[str, Value]]:
        """(key, value) pairs in page order, absent ones included."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def to_dict(self) -> dict[str, Any]:
        """The stored form (absent keys left out)."""
        return {k: plain(v) for k, v in self.items() if v is not None}


def _numbers(raw: Any) -> tuple[Any, ...] | None:
    return seq(raw)


@dataclass(frozen=True, slots=True)
class Histogram:
    """A score histogram: the observed counts, the expected (counterfactual) counts, the scores."""

    observed: tuple[Any, ...]
    expected: tuple[Any, ...] | None = None
    scores: tuple[Any, ...] | None = None
    #: stored as ``{"histogram": [...], "expected": [...]}`` (a sign's chart) rather than a nested object
    flat: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The stored form, as the keys of the node that holds it."""
        if self.flat:
            return {"histogram": list(self.observed), "expected": plain(self.expected)}
        out: dict[str, Any] = {"observed": list(self.observed)}
        if self.expected is not None:
            out["expected"] = list(self.expected)
        if self.scores is not None:
            out["score"] = list(self.scores)
        return {"histogram": out}


@dataclass(frozen=True, slots=True)
class TaskProfile:
    """Task success (% of maximum) of the school and the region, per task; ``key`` is where it was stored.
    ``expected``: the school's pupils' expected profile given their totals; ``on_level``: expected in
    schools of the school's level too (stored as ``expected_same_level``, objectivity 2026.4), else
    among all the region's pupils with those totals (``expected_same_total``)."""

    school: tuple[Any, ...]
    region: tuple[Any, ...]
    tasks: tuple[Any, ...] | None = None
    expected: tuple[Any, ...] | None = None
    levels: tuple[Any, ...] | None = None
    key: str = "task_success"
    on_level: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        out: dict[str, Any] = {"school": list(self.school), "region": list(self.region)}
        for name, v in (
            ("task", self.tasks),
            ("expected_same_level" if self.on_level else "expected_same_total", self.expected),
            ("levels", self.levels),
        ):
            if v is not None:
                out[name] = list(v)
        return out


@dataclass(frozen=True, slots=True)
class JournalTable:
    """The journal-vs-ВПР counts: a ready table (``head``/``rows``) or the school's and region's 4×4 matrices
    (a bare matrix: ``matrix``); ``key`` is where it was stored."""

    key: str = "journal_vs_vpr"
    head: tuple[Any, ...] | None = None
    rows: tuple[Any, ...] | None = None
    school: Any = None
    region: Any = None
    matrix: Any = None

    def to_dict(self) -> Any:
        """The stored form."""
        if self.matrix is not None:
            return plain(self.matrix)
        out: dict[str, Any] = {}
        if self.head is not None:
            out["head"] = plain(self.head)
        if self.rows is not None:
            out["rows"] = plain(self.rows)
        for name in ("school", "region"):
            if getattr(self, name) is not None:
                out[name] = plain(getattr(self, name))
        return out


@dataclass(frozen=True, slots=True)
class Interval:
    """An effect with its interval (the value-added chart); ``margin`` is an optional practical margin."""

    effect: float
    lower: float
    upper: float
    margin: Any = None


@dataclass(frozen=True, slots=True)
class Charts:
    """The chart data one evidence node carries (each part None/empty when absent)."""

    histogram: Histogram | None = None
    profiles: tuple[TaskProfile, ...] = ()
    journals: tuple[JournalTable, ...] = ()
    shares: Mapping[str, Any] | None = None
    interval: Interval | None = None

    @classmethod
    def parse(cls, node: Any, *, flat_histogram: bool = False) -> Charts:
        """The charts of a JSON object; ``flat_histogram``: a sign's chart, where the histogram may be a bare
        array next to ``expected``."""
        d = as_dict(node)
        return cls(
            histogram=_histogram(d, flat_histogram),
            profiles=tuple(p for p in (_profile(d, k) for k in ("task_profile", "task_success")) if p),
            journals=tuple(t for t in (_journal(d, k) for k in ("journal_table", "journal_vs_vpr")) if t),
            shares=d["shares"]
            if isinstance(d.get("shares"), dict) and isinstance(d["shares"].get("school"), dict)
            else None,
            interval=_interval(d),
        )

    def __bool__(self) -> bool:
        """Whether there is anything to draw."""
        return bool(self.histogram or self.profiles or self.journals or self.shares or self.interval)

    def to_dict(self) -> dict[str, Any]:
        """The stored form (the keys of the node that holds the charts)."""
        out: dict[str, Any] = {}
        if self.histogram:
            out.update(self.histogram.to_dict())
        for p in self.profiles:
            out[p.key] = p.to_dict()
        for t in self.journals:
            out[t.key] = t.to_dict()
        if self.shares is not None:
            out["shares"] = plain(self.shares)
        if self.interval:
            out.update(effect=self.interval.effect, interval=[self.interval.lower, self.interval.upper])
            if self.interval.margin is not None:
                out["margin"] = self.interval.margin
        return out


def _histogram(d: dict[str, Any], flat: bool) -> Histogram | None:
    hist = d.get("histogram")
    if isinstance(hist, dict) and isinstance(hist.get("observed"), list):
        return Histogram(tuple(hist["observed"]), _numbers(hist.get("expected")), _numbers(hist.get("score")))
    if flat and isinstance(hist, list) and isinstance(d.get("expected"), list):
        return Histogram(tuple(hist), tuple(d["expected"]), flat=True)
    return None


def _profile(d: dict[str, Any], key: str) -> TaskProfile | None:
    p = d.get(key)
    if not (isinstance(p, dict) and isinstance(p.get("school"), list) and isinstance(p.get("region"), list)):
        return None
    on_level = "expected_same_level" in p
    return TaskProfile(
        tuple(p["school"]),
        tuple(p["region"]),
        _numbers(p.get("task")),
        _numbers(p.get("expected_same_level" if on_level else "expected_same_total")),
        _numbers(p.get("levels")),
        key=key,
        on_level=on_level,
    )


def _journal(d: dict[str, Any], key: str) -> JournalTable | None:
    t = d.get(key)
    if isinstance(t, dict):
        return JournalTable(
            key=key,
            head=seq(t.get("head")),
            rows=seq(t.get("rows")),
            school=t.get("school"),
            region=t.get("region"),
        )
    if isinstance(t, list):
        return JournalTable(key=key, matrix=t)
    return None


def _interval(d: dict[str, Any]) -> Interval | None:
    effect, interval = num(d.get("effect")), d.get("interval")
    if effect is None or not (
        isinstance(interval, list) and len(interval) == 2 and all(is_num(v) for v in interval)
    ):
        return None
    return Interval(effect, interval[0], interval[1], d.get("margin"))
