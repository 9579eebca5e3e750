"""Roadmap templates as data: load ``data/*.toml`` (+ CSV tables) and parse Russian periods.

A template is one real plan (a regional order's appendix, a municipal roadmap, the school-track
activities): its order header, level, calendar and activities. Activity keys are unique within a
template; ``<template>:<key>`` is the global reference used by ``implements`` (which higher-level
activity a municipal or school activity implements).
"""

from __future__ import annotations

import calendar as _cal
import csv
import datetime as dt
import io
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

DATA_PACKAGE = "shnor.core.roadmaps.data"
LEVELS = ("region", "municipality", "school")
LEVEL_TITLES = {"region": "региональная", "municipality": "муниципальная", "school": "школьная"}
CALENDARS = ("calendar_year", "school_year")
TRACKS = ("common", "network", "individual", "objectivity", "antirisk")
TRACK_TITLES = {
    "common": "Общие мероприятия для всех ШНОР",
    "network": "Сетевые методические объединения",
    "individual": "Индивидуальное сопровождение",
    "objectivity": "Повышение объективности оценивания",
    "antirisk": "Антирисковая программа",
}


class TemplateError(ValueError):
    """A template file that cannot be used (message in Russian)."""


@dataclass(frozen=True)
class ActivityTemplate:
    """One activity of a template, with the columns of the official roadmap table."""

    key: str
    number: str
    section: str
    title: str
    period: str = ""
    executor: str = ""
    co_executors: str = ""
    expected_result: str = ""
    target_group: str = ""
    output_document: str = ""
    tracks: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    implements: tuple[str, ...] = ()
    note: str = ""

    def ref(self, template_key: str) -> str:
        """The global reference ``<template>:<key>``."""
        return f"{template_key}:{self.key}"


@dataclass(frozen=True)
class RoadmapTemplate:
    """A roadmap template: a real plan of a seed document with its order header."""

    key: str
    title: str
    short: str
    level: str
    calendar: str
    year: int
    source: str
    order: dict[str, str]
    activities: tuple[ActivityTemplate, ...]
    tracks: tuple[str, ...] = ()
    sections: tuple[str, ...] = field(default=())

    def for_level(self, level: str) -> list[ActivityTemplate]:
        """Activities that a roadmap of ``level`` takes from this template."""
        return [a for a in self.activities if level in a.levels]

    def for_tracks(self, tracks: set[str] | list[str] | tuple[str, ...]) -> list[ActivityTemplate]:
        """Activities of any of ``tracks``."""
        wanted = set(tracks)
        return [a for a in self.activities if wanted & set(a.tracks)]

    def activity(self, key: str) -> ActivityTemplate | None:
        """The activity with ``key``, or None."""
        return next((a for a in self.activities if a.key == key), None)


def _str(raw: dict[str, Any], name: str, where: str, required: bool = False) -> str:
    value = raw.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str | int | float):
        raise TemplateError(f"{where}: поле «{name}» должно быть строкой")
    value = str(value).strip()
    if required and not value:
        raise TemplateError(f"{where}: не заполнено обязательное поле «{name}»")
    return value


def _tuple(raw: dict[str, Any], name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = raw.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return tuple(v.strip() for v in re.split(r"[;|]", value) if v.strip())
    return tuple(str(v).strip() for v in value if str(v).strip())


def _derive_levels(executor: str, rules: dict[str, list[str]], base: str) -> tuple[str, ...]:
    """The plan's own level plus every level whose executor words occur in ``executor``."""
    levels = {base}
    tokens = set(re.findall(r"[A-Za-zА-Яа-яЁё]+", executor))
    text = executor.lower()
    for level, words in rules.items():
        for w in words:
            if (" " in w and w.lower() in text) or w in tokens:
                levels.add(level)
    return tuple(lv for lv in LEVELS if lv in levels)


def template_parse(text: str, *, name: str, csv_text: str | None = None) -> RoadmapTemplate:
    """Parse one template (TOML text, and its CSV table when the TOML names one)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{name}: не читается как TOML: {exc}") from exc
    rows: list[dict[str, Any]] = list(raw.get("activities", []))
    if raw.get("activities_csv"):
        if csv_text is None:
            raise TemplateError(f"{name}: не найден файл мероприятий {raw['activities_csv']}")
        rows += list(csv.DictReader(io.StringIO(csv_text)))
    return template_from_mapping({**raw, "activities": rows}, name=name)


def template_from_mapping(raw: dict[str, Any], *, name: str) -> RoadmapTemplate:
    """A template from its mapping (the TOML's keys, ``activities`` as a list of rows): a shipped file
    or a region's own template kept as a settings document."""
    key = _str(raw, "key", name, required=True)
    if ":" in key:
        raise TemplateError(f"{name}: ключ шаблона не может содержать двоеточие")
    level = _str(raw, "level", name, required=True)
    if level not in LEVELS:
        raise TemplateError(f"{name}: уровень «{level}» — ожидается один из {', '.join(LEVELS)}")
    cal = _str(raw, "calendar", name) or "calendar_year"
    if cal not in CALENDARS:
        raise TemplateError(f"{name}: календарь «{cal}» — ожидается calendar_year или school_year")
    base_tracks = _tuple(raw, "tracks")
    rules = {k: list(v) for k, v in dict(raw.get("level_executors", {})).items()}
    rows: list[dict[str, Any]] = list(raw.get("activities", []))
    acts: list[ActivityTemplate] = []
    seen: set[str] = set()
    for i, r in enumerate(rows, start=1):
        where = f"{name}, мероприятие {i}"
        number = _str(r, "number", where, required=True)
        akey = _str(r, "key", where) or number
        if akey in seen:
            raise TemplateError(f"{where}: повторяется ключ «{akey}»")
        seen.add(akey)
        executor = _str(r, "executor", where)
        tracks = _tuple(r, "tracks", base_tracks)
        for t in tracks:
            if t not in TRACKS:
                raise TemplateError(f"{where}: неизвестный вариант сопровождения «{t}»")
        levels = _tuple(r, "levels") or (_derive_levels(executor, rules, level) if rules else (level,))
        acts.append(
            ActivityTemplate(
                key=akey,
                number=number,
                section=_str(r, "section", where),
                title=_str(r, "title", where, required=True),
                period=_str(r, "period", where),
                executor=executor,
                co_executors=_str(r, "co_executors", where),
                expected_result=_str(r, "expected_result", where),
                target_group=_str(r, "target_group", where),
                output_document=_str(r, "output_document", where),
                tracks=tracks,
                levels=levels,
                implements=_tuple(r, "implements"),
                note=_str(r, "note", where),
            )
        )
    sections = tuple(dict.fromkeys(a.section for a in acts if a.section))
    return RoadmapTemplate(
        key=key,
        title=_str(raw, "title", name, required=True),
        short=_str(raw, "short", name) or _str(raw, "title", name),
        level=level,
        calendar=cal,
        year=int(raw.get("year", 0) or 0),
        source=_str(raw, "source", name),
        order={k: str(v) for k, v in dict(raw.get("order", {})).items()},
        activities=tuple(acts),
        tracks=base_tracks,
        sections=sections,
    )


@lru_cache(maxsize=1)
def templates_load() -> dict[str, RoadmapTemplate]:
    """Every shipped roadmap template by key (the questionnaire file is not a roadmap template)."""
    out: dict[str, RoadmapTemplate] = {}
    folder = resources.files(DATA_PACKAGE)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml") or entry.name.startswith("risk_"):
            continue
        text = entry.read_text(encoding="utf-8")
        csv_name = tomllib.loads(text).get("activities_csv")
        csv_text = folder.joinpath(csv_name).read_text(encoding="utf-8") if csv_name else None
        tpl = template_parse(text, name=entry.name, csv_text=csv_text)
        if tpl.key in out:
            raise TemplateError(f"{entry.name}: ключ шаблона «{tpl.key}» уже занят")
        out[tpl.key] = tpl
    _check_refs(out)
    return out


def template_from_path(path: Path) -> RoadmapTemplate:
    """Load a region's own template file (TOML, with its CSV beside it)."""
    text = Path(path).read_text(encoding="utf-8")
    csv_name = tomllib.loads(text).get("activities_csv")
    csv_text = (Path(path).parent / csv_name).read_text(encoding="utf-8") if csv_name else None
    return template_parse(text, name=Path(path).name, csv_text=csv_text)


def _check_refs(templates: dict[str, RoadmapTemplate]) -> None:
    for tpl in templates.values():
        for a in tpl.activities:
            for ref in a.implements:
                tkey, _, akey = ref.partition(":")
                target = templates.get(tkey)
                if target is None or target.activity(akey) is None:
                    raise TemplateError(
                        f"{tpl.key}:{a.key}: ссылка implements на несуществующее мероприятие «{ref}»"
                    )


#: Where templates other than the shipped ones come from (a region's own templates, kept by the web
#: layer): each source maps a key to its current template or None. The web app registers its source
#: when it starts, as ``scoping.scope_rule_register`` does, so core never imports the web layer.
_SOURCES: list[Callable[[str], RoadmapTemplate | None]] = []


def template_source_register(source: Callable[[str], RoadmapTemplate | None]) -> None:
    """Add a source of templates consulted by ``template_get`` after the shipped ones (once per source)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def template_find(key: str) -> RoadmapTemplate | None:
    """The template ``key``: a shipped one, else one of a registered source; None when unknown."""
    tpl = templates_load().get(key)
    if tpl is not None:
        return tpl
    for source in _SOURCES:
        tpl = source(key)
        if tpl is not None:
            return tpl
    return None


def template_get(key: str) -> RoadmapTemplate:
    """The template ``key``, shipped or a region's own (TemplateError when unknown)."""
    tpl = template_find(key)
    if tpl is None:
        raise TemplateError(f"нет шаблона дорожной карты «{key}»")
    return tpl


def activity_by_ref(ref: str) -> ActivityTemplate | None:
    """The template activity of a global reference ``<template>:<key>``."""
    tkey, _, akey = ref.partition(":")
    tpl = template_find(tkey)
    return tpl.activity(akey) if tpl else None


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------

MONTHS = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_MONTH_RE = re.compile(
    r"(январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяюе]\b|июн\w*|июл\w*|август\w*|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*)"
    r"(?:\s*(\d{4}))?",
    re.IGNORECASE,
)
_QUARTER_RE = re.compile(r"\b(I{1,3}|IV|[1-4])\s*(?:-?й\s*)?квартал\w*(?:\s*(\d{4}))?", re.IGNORECASE)
_DAY_MONTH_RE = re.compile(
    r"\b(\d{1,2})\s+(январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяюе]\b|июн\w*|июл\w*|август\w*|сентябр\w*"
    r"|октябр\w*|ноябр\w*|декабр\w*)(?:\s*(\d{4}))?",
    re.IGNORECASE,
)
_NUMERIC_DATE_RE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_FROM_RE = re.compile(r"(?:^|\s)(?:с|со|от)\s*$", re.IGNORECASE)
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEAR_RE = re.compile(r"\b(20\d{2})\b")
_WHOLE_YEAR = (
    "в течение года",
    "в течение учебного года",
    "в течение всего периода",
    "постоянно",
    "ежемесячно",
    "ежеквартально",
)
_SCHEDULE = ("график", "по потребности", "по запросу", "по мере")


@dataclass(frozen=True)
class Period:
    """A parsed period: start and due dates (due drives reminders) and how it was read."""

    start: dt.date | None
    due: dt.date | None
    kind: str  # "date", "months", "year", "schedule", "empty", "invalid" (an impossible date, no due)


def _month_key(word: str) -> int:
    w = word.lower()
    for stem, m in MONTHS.items():
        if w.startswith(stem) and (stem != "ма" or len(w) <= 3):
            return m
    raise ValueError(word)


def _year_for(month: int, year: int, calendar: str) -> int:
    if calendar == "school_year":
        return year if month >= 9 else year + 1
    return year


def _last_day(y: int, m: int) -> dt.date:
    return dt.date(y, m, _cal.monthrange(y, m)[1])


def _period_bounds(year: int, calendar: str) -> tuple[dt.date, dt.date]:
    if calendar == "school_year":
        return dt.date(year, 9, 1), dt.date(year + 1, 8, 31)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _dates_in(text: str, *, year: int, calendar: str) -> tuple[list[tuple[int, dt.date, bool]], bool]:
    """Exact dates written in ``text`` («01.09.2025», «1 сентября 2025 г.», «15 августа»): position,
    date and whether the year was written; and whether an impossible date («31.02.2025») was written.
    A day and month without a year take ``year`` (or the school year starting in September of ``year``).
    """
    found: list[tuple[int, dt.date, bool]] = []
    bad = False
    for m in _NUMERIC_DATE_RE.finditer(text):
        try:
            found.append((m.start(), dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))), True))
        except ValueError:
            bad = True
    for m in _DAY_MONTH_RE.finditer(text):
        month = _month_key(m.group(2))
        given = int(m.group(3)) if m.group(3) else _year_for(month, year, calendar)
        try:
            found.append((m.start(), dt.date(given, month, int(m.group(1))), bool(m.group(3))))
        except ValueError:
            bad = True
    return sorted(found, key=lambda x: x[0]), bad


def _period_of_dates(text: str, dates: list[tuple[int, dt.date, bool]]) -> Period:
    """Due on the last date written; starts on the date after «с»/«от» when that is not the last one
    («с 01.09.2025 по 30.06.2026»). A due without a year before the start moves a year on
    («с 1 сентября по 31 мая»); a written year is kept as written."""
    _, due, due_year_written = dates[-1]
    start = next((d for pos, d, _ in dates[:-1] if _FROM_RE.search(text[:pos])), None)
    if start is not None and due < start and not due_year_written:
        due = dt.date(due.year + 1, due.month, min(due.day, _last_day(due.year + 1, due.month).day))
    return Period(start, due, "date")


def period_parse(text: str, *, year: int, calendar: str = "calendar_year") -> Period:
    """Read a Russian period («Февраль – апрель 2024 г.», «В течение года», «По специальному графику»).

    Exact dates win: «до 01.09.2025», «не позднее 15.08.2025», «до 1 сентября 2025 г.», «до 15
    августа» are due that day (no start); «с 01.09.2025 по 30.06.2026» starts on the first date.
    Months without a year take ``year`` (calendar year) or the school year starting in September of
    ``year``. Start is the first day of the first month, due the last day of the last month (a due
    before the start moves a year on). A whole-year phrase spans the (school) year; a schedule
    phrase («по графику», «по потребности») or an empty text has no start and is due at the end
    of the (school) year so that a template's reminders still fire (a typed activity keeps no due
    date for such a text: ``period_due``). An impossible date («31.02.2025») has no due at all.
    """
    t = " ".join(str(text or "").split())
    low = t.lower()
    dates, bad = _dates_in(t, year=year, calendar=calendar)
    if bad:  # «до 31.02.2025»: a date was meant, none can be guessed
        return Period(None, None, "invalid")
    if dates:
        return _period_of_dates(t, dates)
    first, last = _period_bounds(year, calendar)
    explicit = [(m.start(), int(m.group(1))) for m in _YEAR_RE.finditer(t)]

    def year_after(pos: int) -> int | None:
        return next((y for p, y in explicit if p >= pos), None)

    months: list[dt.date] = []
    for m in _MONTH_RE.finditer(t):
        month = _month_key(m.group(1))
        given = int(m.group(2)) if m.group(2) else year_after(m.end())
        months.append(dt.date(given if given else _year_for(month, year, calendar), month, 1))
    for m in _QUARTER_RE.finditer(t):
        n = _ROMAN[m.group(1).upper()]
        yy = int(m.group(2)) if m.group(2) else (year_after(m.end()) or year)
        months += [dt.date(yy, 3 * n - 2, 1), dt.date(yy, 3 * n, 1)]
    if months:
        if calendar == "calendar_year":
            start, end = min(months), max(months)
        else:  # school year: months in the order written, a month before the start wraps a year on
            start = end = months[0]
            for d in months[1:]:
                while d < start:
                    d = d.replace(year=d.year + 1)
                end = max(end, d)
        return Period(start, _last_day(end.year, end.month), "months")
    if any(p in low for p in _WHOLE_YEAR):
        return Period(first, last, "year")
    if any(p in low for p in _SCHEDULE):
        return Period(None, last, "schedule")
    if explicit:
        return Period(dt.date(explicit[0][1], 1, 1), dt.date(explicit[-1][1], 12, 31), "year")
    return Period(None, last, "empty")


#: Period kinds read from what was written (a schedule phrase or an empty text gives no real date).
READ_KINDS = ("date", "months", "year")


def period_due(text: str, *, year: int, calendar: str = "calendar_year") -> Period:
    """The period of a typed activity: as ``period_parse``, but a text that names no date, month or
    year («по графику», empty, «31.02.2025») has no start and no due date (nothing invented)."""
    per = period_parse(text, year=year, calendar=calendar)
    return per if per.kind in READ_KINDS else Period(None, None, per.kind)
