"""Reads for identification: runs, lists, a school's flags and history, comparisons, dashboards.

Every function that returns school-level rows takes the ``schools`` queryset produced by
``accounts.selectors.schools_visible_to`` (the single scoping point) and never widens it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db.models import Max, Q, QuerySet
from django.urls import reverse

from shnor.core.evidence import LowResultsEvidence, RiskUnit, as_dict
from shnor.core.evidence.base import Charts
from shnor.core.evidence.objectivity_shared import FORMAT as SHARED_FORMAT
from shnor.core.evidence.objectivity_shared import resolve_data
from shnor.core.labels import CATEGORY_SHORT_LABELS, SIGN_LABELS, TRACK_LABELS  # TRACK_LABELS: re-exported
from shnor.core.labels import METHOD_TITLES as _METHOD_TITLES
from shnor.web.identification import figures as fg
from shnor.web.identification import listing, membership, presenters
from shnor.web.identification.membership import LISTS  # re-exported: the lists
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.params import db_int
from shnor.web.readcache import cached
from shnor.web.registry.models import School
from shnor.web.registry.selectors import text_match

METHOD_TITLES = dict(_METHOD_TITLES)
#: The list categories in the wording of the list pages (``core.labels``).
CATEGORY_LABELS = CATEGORY_SHORT_LABELS


#: A run's columns no page lists: its settings and the evidence its schools share are tens of KB of JSON
#: each, decoded for every run a page touches (a school card touches seven) if loaded. Read on access
#: when a page needs them; the shared evidence through ``run_shared_evidence``.
RUN_HEAVY_FIELDS = ("config", "evidence_shared", "batches")


def runs_done() -> QuerySet[MethodologyRun]:
    """Finished methodology runs, newest year and newest run first (without ``RUN_HEAVY_FIELDS``)."""
    return (
        MethodologyRun.objects.filter(status=MethodologyRun.DONE)
        .defer(*RUN_HEAVY_FIELDS)
        .order_by("-year", "-started_at", "-id")
    )


def run_pick(*, run_id: Any = None, year: Any = None) -> MethodologyRun | None:
    """The run asked for (by id), else the latest done run of ``year``, else the latest done run."""
    qs = runs_done()
    if run_id not in (None, ""):
        pk = db_int(run_id)
        return qs.filter(pk=pk).first() if pk is not None else None
    if year not in (None, ""):
        y = db_int(year)
        return qs.filter(year=y).first() if y is not None and 0 <= y <= 32767 else None
    return qs.first()


def run_latest_per_year() -> list[MethodologyRun]:
    """The latest done run of every year, oldest year first (the basis of dynamics)."""
    seen: dict[int, MethodologyRun] = {}
    for run in runs_done():
        seen.setdefault(run.year, run)
    return [seen[y] for y in sorted(seen)]


#: The keys of a list method's result row that its list page shows (FIOKO: None, the whole row).
LIST_DATA_KEYS: dict[str, list[str] | None] = {
    SchoolOutcome.OBJECTIVITY: ["signs"],
    SchoolOutcome.SOCIAL_INDEX: ["index", "rank"],
    SchoolOutcome.LOW_RESULTS: ["indicators", "reason"],
}


def list_rows(
    *,
    schools: QuerySet[School],
    run: MethodologyRun,
    kind: str,
    municipality_id: Any = None,
    track: str = "",
    min_years: Any = None,
    q: str = "",
) -> list[dict]:
    """The schools of list ``kind`` in ``run`` among ``schools``, with track and years in the list; cached."""
    key = _cache_key("list", schools, run.pk, membership.stamp(), kind, municipality_id, track, min_years, q)
    return cached(
        key,
        lambda: _list_rows(
            schools=schools,
            run=run,
            kind=kind,
            municipality_id=municipality_id,
            track=track,
            min_years=min_years,
            q=q,
        ),
        READ_CACHE_SECONDS,
    )


def _list_rows(
    *,
    schools: QuerySet[School],
    run: MethodologyRun,
    kind: str,
    municipality_id: Any = None,
    track: str = "",
    min_years: Any = None,
    q: str = "",
) -> list[dict]:
    spec = LISTS[kind]
    basis = membership.basis_of(kind=kind, run=run)
    listed = School.objects.filter(pk__in=membership.members(basis, schools))
    if municipality_id not in (None, ""):
        listed = listed.filter(municipality_id=municipality_id)
    if q:
        listed = listed.filter(text_match("name", q) | Q(school_id__icontains=q))
    listed_schools = list(listed.select_related("municipality").order_by("municipality__name", "school_id"))
    ids = [s.pk for s in listed_schools]
    qs = SchoolOutcome.objects.filter(run=run, method=spec.method, school_id__in=ids)
    keys = LIST_DATA_KEYS.get(spec.method)
    if keys is None:  # FIOKO: the markers list is needed whole (and small)
        found = {o.school_id: (o, as_dict(o.data)) for o in qs}
    else:  # never load a school's whole evidence just to print a list row
        datas = {
            r["pk"]: {k: r[f"data__{k}"] for k in keys}
            for r in qs.values("pk", *[f"data__{k}" for k in keys])
        }
        found = {o.school_id: (o, datas.get(o.pk, {})) for o in qs.defer("data")}
    tracks = membership.tracks_of(run=run, school_ids=ids)
    decided = membership.entries(basis, ids)
    low = {
        o["school_id"]: o
        for o in SchoolOutcome.objects.filter(
            run=run, method=SchoolOutcome.LOW_RESULTS, school_id__in=ids
        ).values("school_id", "data__years_in_list", "data__category", "data__first_year")
    }
    on_list = (
        {}
        if kind == "low_results"  # ШНОР: the method's own count (the legal rule's years)
        else listing.years_on_list(
            kind=kind, run=run, schools=School.objects.filter(pk__in=ids), runs=run_latest_per_year()
        )
    )
    fioko_cols = listing.fioko_columns() if kind == "fioko" else set()
    rows = []
    for school in listed_schools:
        o, data = found.get(school.pk, (None, {}))
        lw = low.get(school.pk, {})
        years = lw.get("data__years_in_list") if kind == "low_results" else on_list.get(school.pk)
        code, label = tracks.get(school.pk, ("", ""))
        if track and code != track:
            continue
        if min_years not in (None, ""):
            need = db_int(min_years)
            if need is not None and (years or 0) < need:
                continue
        entry = decided.get(school.pk)
        reasons = _reasons(kind, data) if o is not None else []
        rows.append(
            {
                "school": school,
                "school_id": school.school_id,
                "name": school.name,
                "municipality": school.municipality.name if school.municipality else "",
                "value": o.value if o is not None else None,
                "label": o.label if o is not None else "",
                "years_in_list": years,
                "first_year": lw.get("data__first_year") if kind == "low_results" else None,
                "category": (
                    CATEGORY_LABELS.get(str(lw.get("data__category") or ""), lw.get("data__category") or "")
                    if kind == "low_results"
                    else ""
                ),
                "rank": db_int(data.get("rank")) if kind == "social_risk" else None,
                "n_signs": sum(r.n for r in reasons) if kind == "objectivity" else None,
                "in_fioko_format": (
                    ("да" if listing.in_fioko_format(data.get("markers") or [], fioko_cols) else "нет")
                    if kind == "fioko"
                    else ""
                ),
                "track": code,
                "track_label": label,
                "reasons": reasons,
                "details": (
                    "; ".join(str(r) for r in reasons)
                    if reasons
                    else (presenters.list_details(spec.method, data) if o is not None else "")
                ),
                "source": entry.source if entry is not None else "computed",
                "source_label": membership.SOURCE_LABELS.get(entry.source if entry else "computed", ""),
                "reason": entry.reason if entry is not None else "",
            }
        )
    return rows


def _reasons(kind: str, data: dict) -> list[listing.Reason]:
    """A list row's reasons grouped by kind of sign or marker (none for lists without signs)."""
    if kind == "objectivity":
        ids = [s for s in str(data.get("signs") or "").split("; ") if s]
        return listing.reasons_grouped(listing.sign_items(ids))
    if kind == "fioko":
        return listing.reasons_grouped(listing.marker_items(data.get("markers") or []))
    return []


def runs_compare(
    *, schools: QuerySet[School], run_a: MethodologyRun, run_b: MethodologyRun, kind: str
) -> dict:
    """Who enters list ``kind`` from run A to run B, who leaves and who stays (within ``schools``)."""
    method = LISTS[kind].method

    def flagged(run: MethodologyRun) -> set[int]:
        return set(
            SchoolOutcome.objects.filter(
                run=run, method=method, flagged=True, school__in=schools
            ).values_list("school_id", flat=True)
        )

    a, b = flagged(run_a), flagged(run_b)
    by_id = {s.pk: s for s in schools.filter(pk__in=a | b)}

    def named(ids: set[int]) -> list[School]:
        return sorted(
            (by_id[i] for i in ids if i in by_id),
            key=lambda s: (s.municipality.name if s.municipality else "", s.school_id),
        )

    return {"entered": named(b - a), "left": named(a - b), "stayed": named(a & b)}


@dataclass
class Flag:
    """One method's conclusion about a school in a run, ready for the card."""

    method: str
    title: str
    flagged: bool
    label: str
    value: float | None
    facts: list[tuple[str, str]] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    signs: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)


#: The objectivity part of done runs' ``evidence_shared`` as JSON, per process: (run id, finished at) →
#: bytes. A done run's shared evidence never changes; each use decodes its own copy (orjson), so no
#: request can change what another reads.
_SHARED_JSON: dict[tuple[int, Any], bytes] = {}
_SHARED_KEPT = 16


def _shared_stored(run: MethodologyRun) -> dict | None:
    row = MethodologyRun.objects.filter(pk=run.pk).values_list("evidence_shared", flat=True).first()
    return as_dict(row).get(SchoolOutcome.OBJECTIVITY)


def run_shared_evidence(run: MethodologyRun) -> dict | None:
    """The objectivity evidence run ``run``'s schools share (``core.evidence.objectivity_shared``)."""
    if run.status != MethodologyRun.DONE or run.finished_at is None:
        return _shared_stored(run)
    key = (run.pk, run.finished_at)
    text = _SHARED_JSON.get(key)
    if text is None:
        text = orjson.dumps(_shared_stored(run))
        while len(_SHARED_JSON) >= _SHARED_KEPT:
            _SHARED_JSON.pop(next(iter(_SHARED_JSON)), None)
        _SHARED_JSON[key] = text
    return orjson.loads(text)


def outcome_data_resolved(*, outcome: SchoolOutcome, run: MethodologyRun | None = None) -> dict:
    """An outcome's ``data`` as the presenters read it: objectivity evidence stored in format 3 with the
    parts it shares with the run's other schools put back (``run``: the outcome's, when at hand)."""
    if outcome.method != SchoolOutcome.OBJECTIVITY:
        return as_dict(outcome.data)
    data = as_dict(outcome.data)
    ev = data.get("evidence")
    if not isinstance(ev, dict) or ev.get("format") != SHARED_FORMAT:
        return data
    owner = run if run is not None and run.pk == outcome.run_id else outcome.run
    return resolve_data(data, run_shared_evidence(owner))


def school_flags(*, school: School, run: MethodologyRun) -> list[Flag]:
    """Every method's outcome for ``school`` in ``run`` with its facts and evidence charts (cached: a done
    run's outcomes never change)."""
    return cached(
        f"shnor:flags:{school.pk}:{run.pk}", lambda: _school_flags(school=school, run=run), READ_CACHE_SECONDS
    )


def _school_flags(*, school: School, run: MethodologyRun) -> list[Flag]:
    flags = []
    order = [m for m, _ in SchoolOutcome.METHODS]
    for o in sorted(
        SchoolOutcome.objects.filter(run=run, school=school),
        key=lambda o: order.index(o.method) if o.method in order else 99,
    ):
        data = outcome_data_resolved(outcome=o, run=run)
        shown = presenters.present(o.method, data=data, flagged=o.flagged, label=o.label)
        flags.append(
            Flag(
                o.method,
                METHOD_TITLES.get(o.method, o.method),
                o.flagged,
                shown.label,
                o.value,
                facts=shown.facts,
                charts=shown.charts,
                signs=shown.signs,
                data=data,
            )
        )
    return flags


def school_track(*, school: School, run: MethodologyRun) -> dict | None:
    """The school's support track in ``run``: code, label, all tracks and the reasons."""
    o = SchoolOutcome.objects.filter(run=run, school=school, method=SchoolOutcome.TRACKS).first()
    if o is None:
        return None
    return presenters.track_summary(o.data, label=o.label)


def school_history(*, school: School) -> list[dict]:
    """The school's list status in every done run, oldest first: year, run and flag per method."""
    runs = list(runs_done().order_by("year", "started_at", "id"))
    flagged: dict[int, dict[str, bool]] = defaultdict(dict)
    tracks: dict[int, str] = {}
    for o in SchoolOutcome.objects.filter(school=school, run__in=runs).values(
        "run_id", "method", "flagged", "data__track"
    ):
        flagged[o["run_id"]][o["method"]] = o["flagged"]
        if o["method"] == SchoolOutcome.TRACKS and o["data__track"]:
            tracks[o["run_id"]] = TRACK_LABELS.get(o["data__track"], o["data__track"])
    return [
        {
            "run": r,
            "flags": {m: flagged[r.pk].get(m) for m, _ in SchoolOutcome.METHODS},
            "track": tracks.get(r.pk, ""),
        }
        for r in runs
        if r.pk in flagged
    ]


def school_results_by_year(*, school: School) -> dict:
    """Share of «2» per procedure per year for the school, from the low-results evidence of every run.

    Returns ``{"units": [RiskUnit: label, year, share, counted …], "figure": plotly dict or None}``.
    """
    best: dict[tuple[int, str], RiskUnit] = {}
    for o in (
        SchoolOutcome.objects.filter(
            school=school, method=SchoolOutcome.LOW_RESULTS, run__status=MethodologyRun.DONE
        )
        .order_by("run__started_at", "run_id")
        .only("data")
    ):
        for u in LowResultsEvidence.parse(o.data).risk_units:
            if u.year is not None and u.share is not None:
                best[(u.year, u.label)] = u
    units = sorted(best.values(), key=lambda u: (u.label, u.year))
    if not units:
        return {"units": [], "figure": None}
    series: dict[str, list[RiskUnit]] = defaultdict(list)
    for u in units:
        series[u.label].append(u)
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": label,
            "x": [u.year for u in us],
            "y": [round(100 * float(u.share or 0), 1) for u in us],
        }
        for label, us in series.items()
    ]
    figure = {
        "data": data,
        "layout": {
            **fg.BASE_LAYOUT,
            "title": {
                "text": "Доля участников с отметкой «2», % — по годам и процедурам",
                "font": {"size": 13},
            },
            "height": 380,
            "legend": {"orientation": "h", "y": -0.2},
            "xaxis": {"dtick": 1},
            "yaxis": {"title": {"text": "% «2»"}, "rangemode": "tozero"},
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": 30,
                    "y1": 30,
                    "line": {"color": "#c0392b", "dash": "dot"},
                }
            ],
        },
    }
    return {"units": units, "figure": figure}


def school_status(*, schools: QuerySet[School], run: MethodologyRun | None) -> dict[int, set[str]]:
    """Which lists each visible school is on for ``run``'s year (the approved lists, else the run):
    ``{school pk: {"low_results", …}}``."""
    if run is None:
        return {}
    out: dict[int, set[str]] = defaultdict(set)
    for code in LISTS:
        for sid in membership.members(membership.basis_of(kind=code, run=run), schools):
            out[sid].add(code)
    return out


def _cache_key(name: str, schools: QuerySet[School], *parts: Any) -> str:
    """A cache key for a read over a scoped queryset: its SQL (the scope) and the other inputs, hashed."""
    sql, params = schools.values("pk").query.sql_with_params()
    raw = json.dumps([name, sql, [str(p) for p in params], [str(p) for p in parts]], ensure_ascii=False)
    return "shnor:" + name + ":" + hashlib.sha256(raw.encode()).hexdigest()


#: Seconds a dashboard or list stays cached. A run's outcomes never change once it is done, and the run
#: is part of the key, so a new run is seen at once; only registry edits (a school's name) wait this long.
READ_CACHE_SECONDS = 300


def dashboard(*, schools: QuerySet[School], run: MethodologyRun | None) -> dict:
    """Counts and shares per list, dynamics, track counts, signs, caterpillar and map for ``schools``."""
    latest = MethodologyRun.objects.filter(status=MethodologyRun.DONE).aggregate(m=Max("pk"))["m"]
    key = _cache_key("dashboard", schools, run.pk if run else None, latest, membership.stamp())
    return cached(key, lambda: _dashboard(schools=schools, run=run), READ_CACHE_SECONDS)


def _dashboard(*, schools: QuerySet[School], run: MethodologyRun | None) -> dict:
    total = schools.count()
    out: dict[str, Any] = {"total": total, "run": run, "counts": [], "tracks": [], "figures": {}}
    if run is not None:
        bases = {code: membership.basis_of(kind=code, run=run) for code in LISTS}
        counted = {code: membership.members(bases[code], schools).count() for code in LISTS}
        out["counts"] = [
            {
                "code": code,
                "title": spec.short,
                "n": counted[code],
                "share": round(100 * counted[code] / total, 1) if total else 0.0,
                "approved": bases[code].approved,
                "caption": bases[code].caption,
            }
            for code, spec in LISTS.items()
        ]
        tracks = Counter(
            t
            for t, _ in membership.tracks_of(
                run=run, school_ids=list(schools.values_list("pk", flat=True))
            ).values()
            if t
        )
        out["tracks"] = [
            {"code": c, "label": TRACK_LABELS.get(c, c), "n": tracks[c]}
            for c in ("individual", "network", "common")
            if tracks.get(c)
        ]
        out["figures"]["signs"] = _signs_figure(schools=schools, run=run)
        out["figures"]["caterpillar"] = _caterpillar(schools=schools, run=run)
    out["figures"]["dynamics"] = _dynamics_figure(schools=schools)
    out["figures"]["map"] = map_figure(schools=schools, run=run)
    out["figures"] = {k: v for k, v in out["figures"].items() if v}
    return out


def _dynamics_figure(*, schools: QuerySet[School]) -> dict | None:
    runs = run_latest_per_year()
    if not runs:
        return None
    counts = {
        (r.pk, code): membership.members(membership.basis_of(kind=code, run=r), schools).count()
        for r in runs
        for code in LISTS
    }
    years = [r.year for r in runs]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": spec.short,
            "x": years,
            "y": [counts.get((r.pk, spec.code), 0) for r in runs],
        }
        for spec in LISTS.values()
    ]
    return {
        "data": data,
        "layout": {
            **fg.BASE_LAYOUT,
            "title": {"text": "Динамика: число школ в списках по годам", "font": {"size": 13}},
            "xaxis": {"dtick": 1},
            "yaxis": {"title": {"text": "школ"}, "rangemode": "tozero"},
        },
    }


def _signs_figure(*, schools: QuerySet[School], run: MethodologyRun) -> dict | None:
    """Schools of the objectivity list per kind of sign: a school counts once per kind (however many
    procedures show it) and in every kind it shows, so the bars may sum to more than the list's schools —
    the title says how many schools the list has."""
    counter: Counter[str] = Counter()
    listed = membership.members(membership.basis_of(kind="objectivity", run=run), schools)
    n_listed = listed.count()
    for signs in SchoolOutcome.objects.filter(
        run=run, method=SchoolOutcome.OBJECTIVITY, school_id__in=listed
    ).values_list("data__signs", flat=True):
        kinds = {s.split(":")[0] for s in str(signs or "").split("; ") if s}
        for k in kinds:
            counter[SIGN_LABELS.get(k, k)] += 1
    if not counter:
        return None
    items = counter.most_common()
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [k for k, _ in items][::-1],
                "x": [v for _, v in items][::-1],
                "marker": {"color": fg.COLORS["school"]},
                "hovertemplate": "%{y}: школ %{x}<extra></extra>",
            }
        ],
        "layout": {
            **fg.BASE_LAYOUT,
            "title": {
                "text": (
                    f"Школ с признаком (всего в списке {n_listed}; школа с несколькими признаками"
                    " учтена в каждом)"
                ),
                "font": {"size": 13},
            },
            "margin": {"l": 20, "r": 20, "t": 40, "b": 40},
            "xaxis": {"title": {"text": "школ"}, "rangemode": "tozero"},
            "yaxis": {"automargin": True},
        },
    }


def _caterpillar(*, schools: QuerySet[School], run: MethodologyRun) -> dict | None:
    rows = SchoolOutcome.objects.filter(run=run, method=SchoolOutcome.LOW_RESULTS, school__in=schools).values(
        "school__school_id", "school__name", "flagged", "data__evidence__value_added"
    )
    points = []
    for r in rows:
        va = Charts.parse(r["data__evidence__value_added"]).interval
        if va is None:
            continue
        points.append(
            {
                "effect": float(va.effect),
                "lower": float(va.lower),
                "upper": float(va.upper),
                "low": r["flagged"],
                "name": f"{r['school__school_id']} {r['school__name']}",
                "url": reverse("identification:school", kwargs={"school_id": r["school__school_id"]}),
            }
        )
    return fg.caterpillar_figure(points) if len(points) >= 2 else None


#: The map's groups: each list as its own layer (a school on two lists is drawn in both, so every legend
#: count is the list's count of schools with coordinates), then the schools on none.
MAP_GROUPS = [
    ("objectivity", "#8e44ad", 11),
    ("low_results", "#c0392b", 8),
    ("social_risk", "#e67e22", 6),
    ("fioko", "#2c3e50", 4),
]


def map_figure(*, schools: QuerySet[School], run: MethodologyRun | None) -> dict | None:
    """Schools with coordinates as a plain scatter (longitude × latitude, no map tiles: works offline): one
    layer per list with the list's count in the legend, the axes fitted to the schools' extent."""
    located = list(
        schools.exclude(latitude=None)
        .exclude(longitude=None)
        .values("pk", "school_id", "name", "latitude", "longitude")
    )
    if not located:
        return None
    status = school_status(schools=schools, run=run)
    rest = [s for s in located if not status.get(s["pk"])]
    data = [_map_trace(rest, f"не в списках ({len(rest)})", {"size": 5, "color": "#95a5a6"})] if rest else []
    for code, color, size in MAP_GROUPS:
        pts = [s for s in located if code in status.get(s["pk"], ())]
        if not pts:
            continue
        marker = {"size": size, "color": color, "line": {"width": 1, "color": "white"}}
        data.append(_map_trace(pts, f"{LISTS[code].short} ({len(pts)})", marker))
    lats = [float(p["latitude"]) for p in located]
    lons = [float(p["longitude"]) for p in located]
    mean_lat = sum(lats) / len(lats)
    unlocated = schools.count() - len(located)
    title = "Школы на карте (координаты; без подложки)"
    if unlocated:
        title += f"; без координат и не показано: {unlocated}"
    return {
        "data": data,
        "layout": {
            **fg.BASE_LAYOUT,
            "height": 420,
            "title": {"text": title, "font": {"size": 13}},
            "xaxis": {"title": {"text": "долгота"}, "range": _padded(lons), "constrain": "domain"},
            "yaxis": {
                "title": {"text": "широта"},
                "range": _padded(lats),
                "scaleanchor": "x",
                "scaleratio": 1 / max(0.2, math.cos(math.radians(mean_lat))),
                "constrain": "domain",
            },
        },
    }


def _padded(values: list[float]) -> list[float]:
    """The values' range with 5 % (at least 0,05°) on each side."""
    lo, hi = min(values), max(values)
    pad = max(0.05, 0.05 * (hi - lo))
    return [round(lo - pad, 4), round(hi + pad, 4)]


def _map_trace(pts: list[dict], name: str, marker: dict) -> dict:
    return {
        "marker": {"opacity": 0.9, **marker},
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [p["longitude"] for p in pts],
        "y": [p["latitude"] for p in pts],
        "text": [f"{p['school_id']} {p['name']}" for p in pts],
        "customdata": [reverse("identification:school", kwargs={"school_id": p["school_id"]}) for p in pts],
        "hovertemplate": "%{text}<extra></extra>",
    }
