"""The monitoring indicator table (seed 003 §2) per school, municipality and region, with its calculation.

The indicators are configuration (``config/defaults/indicators.toml``): code, name, formula, unit,
source (``computed`` from the product's data or ``manual``). Computed indicators are built in two
pure steps:

1. *facts*: per school and indicator a numerator and a denominator (``FACTS_SCHEMA``), produced
   by the ``facts_*`` builders from small frames the web layer reads from its database (list
   membership, roadmaps, teachers, context, website checks);
2. *aggregation*: :func:`indicator_table` sums numerators and denominators over the schools of a
   unit (a school, a municipality, a region), restricted to the indicator's population (all
   schools or the year's ШНОР/ШНСУ), and adds the manual values entered at that level.

Every row of the table keeps its numerator, denominator, formula and sources, so the page can
show how each figure was obtained. No Django, no I/O beyond reading the shipped TOML.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import polars as pl

NAME = "indicators"
COMPUTED, MANUAL = "computed", "manual"
LEVELS = ("school", "municipality", "region")
LEVEL_LABELS = {"school": "школа", "municipality": "муниципалитет", "region": "регион"}
BETTER = {"higher": "чем больше, тем лучше", "lower": "чем меньше, тем лучше"}

FACTS_SCHEMA: dict[str, pl.DataType] = {
    "indicator": pl.String(),
    "school_id": pl.String(),
    "numerator": pl.Float64(),
    "denominator": pl.Float64(),
}
UNITS_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "name": pl.String(),
    "municipality_id": pl.String(),
    "municipality": pl.String(),
    "region_id": pl.String(),
    "region": pl.String(),
}


@dataclass(frozen=True)
class Indicator:
    """One row of the indicator table: what it measures and how it is calculated."""

    code: str
    section: str
    name: str
    formula: str
    unit: str
    source: str
    sources: tuple[str, ...]
    population: str = "all"
    numerator: str = ""
    denominator: str = ""
    levels: tuple[str, ...] = LEVELS
    aggregate: str = "none"
    targets: tuple[tuple[int, float], ...] = ()
    better: str = "higher"

    @property
    def computed(self) -> bool:
        """True when the product computes it from its data."""
        return self.source == COMPUTED

    def target_for(self, year: int | None) -> float | None:
        """The region's target value for ``year`` (None when none was set)."""
        return next((v for y, v in self.targets if y == year), None) if year is not None else None


def default_config() -> dict[str, Any]:
    """The shipped ``indicators.toml`` as a mapping."""
    text = (
        resources.files("shnor.core.config.defaults").joinpath("indicators.toml").read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def load_indicators(config: Mapping[str, Any] | None = None) -> list[Indicator]:
    """The configured indicators, in table order; a bad entry raises ``ValueError`` in Russian."""
    cfg = default_config() if config is None else config
    out: list[Indicator] = []
    seen: set[str] = set()
    for i, spec in enumerate(cfg.get("indicator", [])):
        where = f"indicators.indicator[{i}]"
        for key in ("code", "name", "formula", "unit", "source"):
            if not spec.get(key):
                raise ValueError(f"{where}: не задан параметр «{key}»")
        code = str(spec["code"])
        if code in seen:
            raise ValueError(f"{where}: код «{code}» повторяется")
        seen.add(code)
        if spec["source"] not in (COMPUTED, MANUAL):
            raise ValueError(f"{where}: source должен быть computed или manual, получено {spec['source']!r}")
        if spec.get("population", "all") not in ("all", "targets"):
            raise ValueError(f"{where}: population должен быть all или targets")
        levels = tuple(spec.get("levels", LEVELS))
        if any(lv not in LEVELS for lv in levels):
            raise ValueError(f"{where}: неизвестный уровень в levels {levels}")
        if spec.get("enabled", True) is False:
            continue
        better = str(spec.get("better", "higher"))
        if better not in BETTER:
            raise ValueError(f"{where}: better должен быть higher или lower")
        try:
            targets = tuple(sorted((int(y), float(v)) for y, v in dict(spec.get("targets", {})).items()))
        except (TypeError, ValueError):
            raise ValueError(f"{where}: цель должна быть числом по году") from None
        out.append(
            Indicator(
                code=code,
                section=str(spec.get("section", "")),
                name=str(spec["name"]),
                formula=str(spec["formula"]),
                unit=str(spec["unit"]),
                source=str(spec["source"]),
                sources=tuple(str(s) for s in spec.get("sources", ())),
                population=str(spec.get("population", "all")),
                numerator=str(spec.get("numerator", "")),
                denominator=str(spec.get("denominator", "")),
                levels=levels,
                aggregate=str(spec.get("aggregate", "none")),
                targets=targets,
                better=better,
            )
        )
    return out


def config_with_overrides(
    overrides: Mapping[str, Any] | None, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A region's indicator set as an ``indicators.toml`` mapping: ``base`` (the shipped defaults) with
    the region's ``overrides`` applied.

    ``overrides``: ``{"edits": {code: {"enabled", "name", "formula", "targets": {year: value},
    "better"}}, "added": [indicator specs of the region's own manual indicators]}``. An edit of an
    unknown code is ignored (the defaults may have dropped it); the result is read by
    :func:`load_indicators`, which skips the switched-off indicators.
    """
    cfg = dict(default_config() if base is None else base)
    ov = dict(overrides or {})
    edits = {str(k): dict(v) for k, v in dict(ov.get("edits", {})).items()}
    rows: list[dict[str, Any]] = []
    for spec in list(cfg.get("indicator", [])) + [dict(a) for a in ov.get("added", [])]:
        row = dict(spec)
        edit = edits.get(str(row.get("code", "")), {})
        for key in ("enabled", "name", "formula", "better", "targets"):
            if key in edit and edit[key] not in (None, ""):
                row[key] = edit[key]
        rows.append(row)
    cfg["indicator"] = rows
    return cfg


def target_met(ind: Indicator, value: float | None, target: float | None) -> bool | None:
    """Whether ``value`` reaches ``target`` (higher or lower is better); None when either is missing."""
    if value is None or target is None:
        return None
    return value >= target if ind.better == "higher" else value <= target


def teacher_threshold(config: Mapping[str, Any] | None, area: str) -> float:
    """The deficit threshold (share of the maximum) for a competence area."""
    cfg = (default_config() if config is None else config).get("teacher_deficits", {})
    areas = {str(k).strip().lower(): float(v) for k, v in dict(cfg.get("areas", {})).items()}
    return areas.get(area.strip().lower(), float(cfg.get("threshold", 0.6)))


# --------------------------------------------------------------------------------------------
# facts
# --------------------------------------------------------------------------------------------


def _facts(rows: Iterable[tuple[str, str, float, float]]) -> pl.DataFrame:
    data = list(rows)
    if not data:
        return pl.DataFrame(schema=FACTS_SCHEMA)
    return pl.DataFrame(data, schema=FACTS_SCHEMA, orient="row")


def _flags(outcomes: pl.DataFrame, year: int, method: str) -> dict[str, bool]:
    sub = outcomes.filter((pl.col("year") == year) & (pl.col("method") == method))
    return dict(zip(sub["school_id"].to_list(), sub["flagged"].to_list(), strict=True))


def targets_of(outcomes: pl.DataFrame, year: int) -> set[str]:
    """Schools in the ШНОР or ШНСУ list of ``year`` (``outcomes``: school_id, year, method, flagged)."""
    low = _flags(outcomes, year, "low_results")
    soc = _flags(outcomes, year, "social_index")
    return {s for s, f in low.items() if f} | {s for s, f in soc.items() if f}


def facts_lists(outcomes: pl.DataFrame, year: int) -> pl.DataFrame:
    """List shares, dynamics between ``year − 1`` and ``year``, and the FIOKO objectivity index.

    ``outcomes``: ``school_id, year, method, flagged`` from the latest finished run of each year
    (methods ``low_results``, ``social_index``, ``fioko``, ``objectivity``).
    """
    rows: list[tuple[str, str, float, float]] = []
    low, soc = _flags(outcomes, year, "low_results"), _flags(outcomes, year, "social_index")
    rows += [("low_results", s, float(f), 1.0) for s, f in low.items()]
    rows += [("social_risk", s, float(f), 1.0) for s, f in soc.items()]
    in_run = set(low) | set(soc) | set(_flags(outcomes, year, "objectivity"))
    fioko = {s for s, f in _flags(outcomes, year, "fioko").items() if f}
    rows += [("objectivity_index", s, float(s not in fioko), 1.0) for s in sorted(in_run)]
    prev_low, prev_soc = _flags(outcomes, year - 1, "low_results"), _flags(outcomes, year - 1, "social_index")
    if prev_low or prev_soc:
        now_in = targets_of(outcomes, year)
        before_in = targets_of(outcomes, year - 1)
        both = (set(prev_low) | set(prev_soc)) & (set(low) | set(soc))
        for s in sorted(both):
            if s in before_in:
                rows.append(("positive_dynamics", s, float(s not in now_in), 1.0))
            else:
                rows.append(("negative_dynamics", s, float(s in now_in), 1.0))
    return _facts(rows)


def facts_deficits(targets: Iterable[str], diagnosed: Iterable[str]) -> pl.DataFrame:
    """Pupil diagnostics: each target school counts 1 when it has deficits and recommendations."""
    have = set(diagnosed)
    return _facts(("pupil_diagnostics", s, float(s in have), 1.0) for s in sorted(set(targets)))


def facts_support(
    *,
    year: int,
    targets: Iterable[str],
    roadmaps: pl.DataFrame | None = None,
    activities: pl.DataFrame | None = None,
    partners: pl.DataFrame | None = None,
    schools: Iterable[str] = (),
    today: dt.date | None = None,
) -> pl.DataFrame:
    """Programmes (school roadmaps), roadmap execution and network pairs.

    ``roadmaps``: ``school_id, year`` of school-level roadmaps; ``activities``: ``school_id, year,
    status, due_date`` of their activities; ``partners``: ``school_id, leader_id, year, status``.
    ``None`` means the support module is absent: those indicators get no facts (shown «нет данных»).
    """
    today = today or dt.date.today()
    rows: list[tuple[str, str, float, float]] = []
    if roadmaps is not None:
        have = (
            set(roadmaps.filter(pl.col("year") == year)["school_id"].to_list()) if roadmaps.height else set()
        )
        rows += [("programmes", s, float(s in have), 1.0) for s in sorted(set(targets))]
    if activities is not None and activities.height:
        acts = activities.filter((pl.col("year") == year) & (pl.col("status") != "cancelled"))
        for (sid,), g in acts.group_by(["school_id"], maintain_order=True):
            due = g.filter(pl.col("due_date").is_not_null() & (pl.col("due_date") <= today))
            done = due.filter(pl.col("status") == "done").height
            if due.height:
                rows.append(("roadmap_execution", str(sid), float(done), float(due.height)))
    if partners is not None:
        pairs = (
            partners.filter((pl.col("year") == year) & (pl.col("status") == "confirmed"))
            if partners.height
            else partners
        )
        inside = set(pairs["school_id"].drop_nulls().to_list()) | set(
            pairs["leader_id"].drop_nulls().to_list()
        )
        rows += [("network", s, float(s in inside), 1.0) for s in sorted(set(schools))]
    return _facts(rows)


def facts_teachers(
    *,
    teachers: pl.DataFrame,
    diagnosed: Iterable[int | str],
    completions: pl.DataFrame,
) -> pl.DataFrame:
    """Teachers diagnosed and trained, per school.

    ``teachers``: ``teacher_id, school_id`` (the school's register of teachers);
    ``diagnosed``: ids of teachers with a competence result in the year;
    ``completions``: ``teacher_id, on_request, at_risk`` — courses completed in the year.
    """
    if teachers.height == 0:
        return _facts([])
    diag = {str(t) for t in diagnosed}
    comp = (
        completions.with_columns(pl.col("teacher_id").cast(pl.String)) if completions.height else completions
    )
    req = set(comp.filter(pl.col("on_request"))["teacher_id"].to_list()) if comp.height else set()
    risk = set(comp.filter(pl.col("at_risk"))["teacher_id"].to_list()) if comp.height else set()
    rows: list[tuple[str, str, float, float]] = []
    t = teachers.with_columns(pl.col("teacher_id").cast(pl.String))
    for (sid,), g in t.group_by(["school_id"], maintain_order=True):
        ids = set(g["teacher_id"].to_list())
        n = float(len(ids))
        rows.append(("teachers_diagnosed", str(sid), float(len(ids & diag)), n))
        rows.append(("trained_on_request", str(sid), float(len(ids & req)), n))
        rows.append(("trained_at_risk", str(sid), float(len(ids & risk)), n))
    return _facts(rows)


def facts_context(context: pl.DataFrame, year: int) -> pl.DataFrame:
    """Staff shortage from the yearly context (``school_id, year, staff_shortage``; null = unknown)."""
    if context.height == 0:
        return _facts([])
    sub = context.filter((pl.col("year") == year) & pl.col("staff_shortage").is_not_null())
    return _facts(
        ("staff_shortage", str(s), float(bool(v)), 1.0)
        for s, v in sub.select("school_id", "staff_shortage").iter_rows()
    )


def facts_websites(sites: pl.DataFrame) -> pl.DataFrame:
    """Websites with every required document at the last check (``school_id, complete``)."""
    if sites.height == 0:
        return _facts([])
    return _facts(
        ("sites_documents", str(s), float(bool(c)), 1.0)
        for s, c in sites.select("school_id", "complete").iter_rows()
    )


# --------------------------------------------------------------------------------------------
# aggregation
# --------------------------------------------------------------------------------------------


def _value(ind: Indicator, num: float | None, den: float | None) -> float | None:
    if num is None:
        return None
    if ind.unit == "%":
        if not den:
            return None
        return 100.0 * num / den
    return num


def format_value(ind: Indicator, value: float | None) -> str:
    """Russian display of a value: «12,5 %», «3», «да»/«нет», «нет данных»."""
    if value is None:
        return "нет данных"
    if ind.unit == "%":
        return f"{value:.1f}".replace(".", ",") + " %"
    if ind.unit == "да/нет":
        return "да" if value else "нет"
    return f"{value:g}".replace(".", ",")


def indicator_table(
    *,
    indicators: Sequence[Indicator],
    facts: pl.DataFrame,
    units: pl.DataFrame,
    level: str,
    unit_id: str,
    targets: Iterable[str] = (),
    manual: Sequence[Mapping[str, Any]] = (),
    year: int | None = None,
) -> list[dict[str, Any]]:
    """The indicator rows of one unit (a school, a municipality or a region) for one year.

    ``units`` maps schools to municipality and region (``UNITS_SCHEMA``); ``manual`` holds the
    values entered by hand (``indicator, level, unit_id, school_id, value, note, entered``). Each
    row: code, section, name, unit, source, value, display, numerator, denominator, n_schools,
    formula, sources, manual (the entry used, if any), note; with ``year``, the region's target
    for that year (``target``, ``target_display``) and whether the value meets it (``target_met``).
    """
    if level not in LEVELS:
        raise ValueError(f"неизвестный уровень {level!r}")
    key = {"school": "school_id", "municipality": "municipality_id", "region": "region_id"}[level]
    members = set(units.filter(pl.col(key) == unit_id)["school_id"].to_list()) if units.height else set()
    target_set = set(targets) & members
    sub = facts.filter(pl.col("school_id").is_in(sorted(members))) if facts.height else facts
    rows = []
    for ind in indicators:
        row: dict[str, Any] = {
            "code": ind.code,
            "section": ind.section,
            "name": ind.name,
            "unit": ind.unit,
            "source": ind.source,
            "formula": ind.formula,
            "sources": list(ind.sources),
            "numerator_label": ind.numerator,
            "denominator_label": ind.denominator,
            "numerator": None,
            "denominator": None,
            "n_schools": 0,
            "value": None,
            "manual": None,
            "note": "",
            "editable": ind.source == MANUAL and level in ind.levels,
        }
        if ind.computed:
            f = sub.filter(pl.col("indicator") == ind.code) if sub.height else sub
            if ind.population == "targets":
                f = f.filter(pl.col("school_id").is_in(sorted(target_set))) if f.height else f
                if not target_set:
                    row["note"] = "в этом году нет школ ШНОР/ШНСУ"
            if f.height:
                num, den = float(f["numerator"].sum()), float(f["denominator"].sum())
                row.update(numerator=num, denominator=den, n_schools=f["school_id"].n_unique())
                row["value"] = _value(ind, num, den)
        else:
            own = [
                m
                for m in manual
                if m["indicator"] == ind.code and m["level"] == level and str(m["unit_id"]) == str(unit_id)
            ]
            if own:
                latest = max(own, key=lambda m: str(m.get("entered", "")))
                row.update(value=latest["value"], manual=dict(latest), note=str(latest.get("note", "")))
            elif ind.aggregate == "sum" and level != "school":
                parts = [
                    m
                    for m in manual
                    if m["indicator"] == ind.code
                    and m["level"] == "school"
                    and str(m.get("school_id")) in members
                ]
                latest_by_school: dict[str, Mapping[str, Any]] = {}
                for m in sorted(parts, key=lambda m: str(m.get("entered", ""))):
                    latest_by_school[str(m["school_id"])] = m
                if latest_by_school:
                    total = sum(float(m["value"] or 0) for m in latest_by_school.values())
                    row.update(
                        value=total,
                        n_schools=len(latest_by_school),
                        note=f"сумма значений, внесённых {len(latest_by_school)} школами",
                    )
        if row["value"] is None and not row["note"]:
            row["note"] = "нет данных" if ind.computed else "не внесено"
        row["display"] = format_value(ind, row["value"])
        goal = ind.target_for(year)
        row["target"] = goal
        row["target_display"] = "" if goal is None else format_value(ind, goal)
        row["target_met"] = target_met(ind, row["value"], goal)
        row["better"] = ind.better
        rows.append(row)
    return rows


__all__ = [
    "BETTER",
    "COMPUTED",
    "FACTS_SCHEMA",
    "LEVELS",
    "MANUAL",
    "NAME",
    "UNITS_SCHEMA",
    "Indicator",
    "config_with_overrides",
    "default_config",
    "facts_context",
    "facts_deficits",
    "facts_lists",
    "facts_support",
    "facts_teachers",
    "facts_websites",
    "format_value",
    "indicator_table",
    "load_indicators",
    "target_met",
    "targets_of",
    "teacher_threshold",
]
