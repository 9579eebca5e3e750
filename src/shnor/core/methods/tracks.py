"""Support tracks (варианты научно-методического сопровождения) from seeds 000/001.

- every ШНОР → ``common`` regional activities;
- ШНОР for the first time or repeatedly within the last three years → ``network``
  (network methodological associations);
- ШНОР three or more years running, and schools with signs of non-objective results →
  ``individual`` (interviews with management teams, targeted activities).

Pure functions: no Django, no file I/O.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

import polars as pl

from shnor.core.methods import persistence
from shnor.core.methods.base import Inputs

NAME = "tracks"
ORDER = ("individual", "network", "common")

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "track": pl.String(),
    "reasons": pl.String(),
    "track_label": pl.String(),
    "tracks": pl.List(pl.String()),
    "evidence": pl.String(),
}


def _years_text(years: list[int]) -> str:
    return ", ".join(str(y) for y in years)


def _listed_years(evidence: str | None) -> list[int]:
    if not evidence:
        return []
    ev = json.loads(evidence)
    p = ev.get("persistence") or {}
    return [int(y) for y in p.get("years_listed", [])]


def _plural(n: int, forms: tuple[str, str, str]) -> str:
    """Russian plural: 1 работа, 2 работы, 5 работ."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless it starts an abbreviation (ВПР, ГИА)."""
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


def _signs_text(signs: str) -> str:
    """Significant signs grouped by kind, most frequent first: «совпадающие наборы ответов (8 работ), …»."""
    from shnor.core.methods.objectivity import sign_label

    kinds = Counter(s.split(":")[0] for s in (x.strip() for x in signs.split(";")) if s)
    return ", ".join(
        _lower_first(sign_label(kind))
        + (f" ({n} {_plural(n, ('работа', 'работы', 'работ'))})" if n > 1 else "")
        for kind, n in kinds.most_common()
    )


def assign(
    low: pl.DataFrame,
    objectivity: pl.DataFrame | None,
    config: Mapping[str, Any],
    *,
    year: int,
    social: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Tracks for ``year``.

    ``low``: the low-results output (``school_id, low_results, years_in_list, first_year``;
    ``category`` and ``evidence`` are used for the wording when present). ``objectivity``:
    ``school_id, flagged`` (``signs`` / ``strongest_sign`` used in the wording when present).
    ``social``: optional social-index output (``school_id, social_risk``).

    Returns one row per school with a track: ``school_id, track`` (the most specific:
    ``individual`` > ``network`` > ``common``), ``reasons`` (Russian), ``track_label``,
    ``tracks`` (all tracks the school takes part in) and ``evidence``.
    """
    persistent_years = int(config.get("persistent_years", 3))
    obj_individual = bool(config.get("objectivity_individual", True))
    social_common = bool(config.get("social_risk_common", False))
    labels = dict(config.get("labels", {}))
    activities = dict(config.get("activities", {}))

    lo = low.select(
        "school_id",
        pl.col("low_results").fill_null(False),
        pl.col("years_in_list").fill_null(0).cast(pl.Int32),
        pl.col("first_year").cast(pl.Int32),
        (pl.col("category") if "category" in low.columns else pl.lit(None, dtype=pl.String)).alias(
            "category"
        ),
        (pl.col("risk_list") if "risk_list" in low.columns else pl.lit(None, dtype=pl.Boolean)).alias(
            "risk_list"
        ),
        (pl.col("evidence") if "evidence" in low.columns else pl.lit(None, dtype=pl.String)).alias("_ev"),
    )
    if objectivity is not None and objectivity.height:
        ob = objectivity.select(
            pl.col("school_id").cast(pl.String),
            pl.col("flagged").fill_null(False).alias("flagged"),
            (
                pl.col("signs").cast(pl.String)
                if "signs" in objectivity.columns
                else pl.lit(None, dtype=pl.String)
            ).alias("signs"),
        )
    else:
        ob = pl.DataFrame(schema={"school_id": pl.String, "flagged": pl.Boolean, "signs": pl.String})
    frame = lo.join(ob, on="school_id", how="full", coalesce=True)
    if social is not None and social.height:
        frame = frame.join(
            social.select(pl.col("school_id").cast(pl.String), "social_risk"),
            on="school_id",
            how="full",
            coalesce=True,
        )
    else:
        frame = frame.with_columns(pl.lit(False).alias("social_risk"))
    frame = frame.with_columns(
        pl.col("low_results").fill_null(False),
        pl.col("flagged").fill_null(False),
        pl.col("social_risk").fill_null(False),
        pl.col("years_in_list").fill_null(0),
    )

    rows = []
    for r in frame.sort("school_id").iter_rows(named=True):
        low_now, flagged = r["low_results"], r["flagged"] and obj_individual
        tracks: list[str] = []
        reasons: list[str] = []
        if low_now:
            tracks.append("common")
            streak = r["years_in_list"] or 1
            first = r["first_year"] or year - streak + 1
            if streak >= persistent_years:
                tracks.append("individual")
                reasons.append(
                    f"ШНОР {streak} года подряд ({first}–{year})"
                    if streak < 5
                    else f"ШНОР {streak} лет подряд ({first}–{year})"
                )
            else:
                tracks.append("network")
                listed = [y for y in _listed_years(r["_ev"]) if year - 3 < y <= year] or [year]
                if r["category"] == persistence.REPEATED or len(listed) > 1:
                    reasons.append(f"ШНОР повторно за последние три года ({_years_text(listed)})")
                else:
                    reasons.append(f"ШНОР впервые ({year})")
        if flagged:
            if "individual" not in tracks:
                tracks.append("individual")
            sign_text = f": {_signs_text(r['signs'])}" if r.get("signs") else ""
            reasons.append(f"признаки необъективности результатов{sign_text}")
        if not tracks and social_common and r["social_risk"]:
            tracks.append("common")
            reasons.append("ШНСУ (неблагоприятные социальные условия)")
        if not tracks:
            continue
        if low_now:
            reasons.append(f"все ШНОР: {activities.get('common', labels.get('common', 'общие мероприятия'))}")
        if r.get("risk_list"):
            reasons.append("в списке риска по правилу Рособрнадзора")
        main = next(t for t in ORDER if t in tracks)
        rows.append(
            {
                "school_id": r["school_id"],
                "track": main,
                "reasons": "; ".join(reasons),
                "track_label": labels.get(main, main),
                "tracks": [t for t in reversed(ORDER) if t in tracks],
                "evidence": json.dumps(
                    {
                        "year": year,
                        "low_results": low_now,
                        "years_in_list": r["years_in_list"],
                        "first_year": r["first_year"],
                        "category": r["category"],
                        "objectivity_flagged": r["flagged"],
                        "social_risk": r["social_risk"],
                        "activities": {t: activities.get(t) for t in tracks},
                        "rule": {
                            "persistent_years": persistent_years,
                            "objectivity_individual": obj_individual,
                        },
                    },
                    ensure_ascii=False,
                ),
            }
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)


def run(
    inputs: Inputs,
    config: Mapping[str, Any],
    *,
    low: pl.DataFrame,
    objectivity: pl.DataFrame | None = None,
    social: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Method contract wrapper: tracks need the low-results (and objectivity) outputs of the same run."""
    return assign(low, objectivity, config, year=int(inputs.year), social=social)


__all__ = ["NAME", "assign", "run"]
