"""Persistence of list membership: first time / repeated / three years or more, entry and exit.

Input is the *condition* by year: a frame ``year, school_id, in_list`` saying whether the school
met the list's condition that year (a school without a row for a year counts as not meeting it).
The configured entry and exit rules turn the condition into the *status* (actually on the list):
a school enters after ``enter_after`` consecutive years in the condition and leaves after
``exit_after`` consecutive years out of it. Pure functions: no Django, no file I/O.

Settings (section ``persistence`` of ``low_results.toml``): ``enter_after``, ``exit_after``,
``window_years`` (the «last three years» of the seeds), ``persistent_years`` (three years or
more running).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

import polars as pl

from shnor.core.labels import CATEGORY_LABELS

FIRST = "first"  # впервые за последние window_years лет
REPEATED = "repeated"  # повторно за последние window_years лет, но меньше persistent_years подряд
PERSISTENT = "persistent"  # persistent_years лет подряд и более
EXITED = "exited"  # был в списке в прошлом году, вышел в этом
NONE = "none"

# The codes above are named in core.labels.CATEGORY_LABELS (imported: part of this module's API).


def _norm(membership: pl.DataFrame) -> pl.DataFrame:
    return (
        membership.select(
            pl.col("year").cast(pl.Int32),
            pl.col("school_id").cast(pl.String),
            pl.col("in_list").cast(pl.Boolean).fill_null(False),
        )
        .group_by(["year", "school_id"])
        .agg(pl.col("in_list").any())
    )


def apply_rules(membership: pl.DataFrame, config: Mapping[str, Any]) -> pl.DataFrame:
    """Status by year under the entry/exit rules.

    Returns ``year, school_id, condition, in_list`` for every school and every calendar year
    from the first to the last year of ``membership``.
    """
    enter_after = max(1, int(config.get("enter_after", 1)))
    exit_after = max(1, int(config.get("exit_after", 1)))
    m = _norm(membership)
    if m.height == 0:
        return pl.DataFrame(
            schema={"year": pl.Int32, "school_id": pl.String, "condition": pl.Boolean, "in_list": pl.Boolean}
        )
    years = list(range(cast(int, m["year"].min()), cast(int, m["year"].max()) + 1))
    cond: dict[tuple[str, int], bool] = {
        (s, y): v for y, s, v in m.select("year", "school_id", "in_list").iter_rows()
    }
    schools = sorted(m["school_id"].unique().to_list())
    rows = []
    for s in schools:
        status = False
        run_in = run_out = 0
        for y in years:
            c = cond.get((s, y), False)
            if status:
                run_out = 0 if c else run_out + 1
                if run_out >= exit_after:
                    status, run_in, run_out = False, 0, 0
            else:
                run_in = run_in + 1 if c else 0
                if run_in >= enter_after:
                    status, run_out = True, 0
            rows.append((y, s, c, status))
    return pl.DataFrame(
        rows,
        schema={"year": pl.Int32, "school_id": pl.String, "condition": pl.Boolean, "in_list": pl.Boolean},
        orient="row",
    )


def classify(membership: pl.DataFrame, year: int, config: Mapping[str, Any]) -> pl.DataFrame:
    """Persistence of each school in ``year``.

    Returns ``school_id, condition, in_list, category, years_in_list, first_year, years_total,
    entered, exited, evidence`` where ``years_in_list`` is the length of the current run of
    consecutive years on the list ending in ``year`` (0 when not on it), ``first_year`` the first
    year of that run (null when not on it), ``years_total`` the number of years on the list up
    to ``year``; ``category`` one of ``first`` (not on the list in the previous
    ``window_years − 1`` years), ``repeated`` (on it in some of them, fewer than
    ``persistent_years`` running), ``persistent`` (``persistent_years`` or more running),
    ``exited`` (on it last year, off now), ``none``.
    """
    window = int(config.get("window_years", 3))
    persistent_years = int(config.get("persistent_years", 3))
    status = apply_rules(membership, config).filter(pl.col("year") <= year)
    schema = {
        "school_id": pl.String,
        "condition": pl.Boolean,
        "in_list": pl.Boolean,
        "category": pl.String,
        "years_in_list": pl.Int32,
        "first_year": pl.Int32,
        "years_total": pl.Int32,
        "entered": pl.Boolean,
        "exited": pl.Boolean,
        "evidence": pl.String,
    }
    if status.height == 0:
        return pl.DataFrame(schema=schema)
    rows = []
    # each school's years as lists (slicing a frame per school cost seconds for a country)
    per_school = (
        status.sort("year")
        .group_by("school_id", maintain_order=True)
        .agg(pl.col("year"), pl.col("in_list"), pl.col("condition"))
    )
    for school, years, in_list, condition in per_school.iter_rows():
        by_year = dict(zip(years, in_list, strict=True))
        cond = dict(zip(years, condition, strict=True))
        now = by_year.get(year, False)
        prev = by_year.get(year - 1, False)
        streak = 0
        y = year
        while by_year.get(y, False):
            streak += 1
            y -= 1
        listed_years = sorted(k for k, v in by_year.items() if v)
        recent = [k for k in listed_years if year - window < k < year]
        if now:
            category = PERSISTENT if streak >= persistent_years else (REPEATED if recent else FIRST)
        else:
            category = EXITED if prev else NONE
        rows.append(
            {
                "school_id": school,
                "condition": cond.get(year, False),
                "in_list": now,
                "category": category,
                "years_in_list": streak,
                "first_year": year - streak + 1 if streak else None,
                "years_total": len(listed_years),
                "entered": now and not prev,
                "exited": prev and not now,
                "evidence": json.dumps(
                    {
                        "years_listed": listed_years,
                        "category": CATEGORY_LABELS[category],
                        "rule": {
                            "enter_after": int(config.get("enter_after", 1)),
                            "exit_after": int(config.get("exit_after", 1)),
                            "window_years": window,
                            "persistent_years": persistent_years,
                        },
                    },
                    ensure_ascii=False,
                ),
            }
        )
    return pl.DataFrame(rows, schema=schema).sort("school_id")


def dynamics(membership: pl.DataFrame, year: int, config: Mapping[str, Any]) -> pl.DataFrame:
    """Movement of the list between ``year − 1`` and ``year`` (one row).

    ``year, n_prev, n_cur, entered, exited, stayed, share_positive, share_negative``:
    ``share_positive`` = schools that left / last year's list (positive dynamics),
    ``share_negative`` = schools that entered / this year's list (negative dynamics); null when
    the denominator is 0.
    """
    st = apply_rules(membership, config)
    prev = set(st.filter((pl.col("year") == year - 1) & pl.col("in_list"))["school_id"].to_list())
    cur = set(st.filter((pl.col("year") == year) & pl.col("in_list"))["school_id"].to_list())
    entered, exited = len(cur - prev), len(prev - cur)
    return pl.DataFrame(
        {
            "year": [year],
            "n_prev": [len(prev)],
            "n_cur": [len(cur)],
            "entered": [entered],
            "exited": [exited],
            "stayed": [len(cur & prev)],
            "share_positive": [exited / len(prev) if prev else None],
            "share_negative": [entered / len(cur) if cur else None],
        },
        schema={
            "year": pl.Int32,
            "n_prev": pl.Int64,
            "n_cur": pl.Int64,
            "entered": pl.Int64,
            "exited": pl.Int64,
            "stayed": pl.Int64,
            "share_positive": pl.Float64,
            "share_negative": pl.Float64,
        },
    )


__all__ = [
    "CATEGORY_LABELS",
    "EXITED",
    "FIRST",
    "NONE",
    "PERSISTENT",
    "REPEATED",
    "apply_rules",
    "classify",
    "dynamics",
]
