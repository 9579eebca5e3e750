"""The Rosobrnadzor risk rule, reproduced exactly, with its evidence per school.

≥ 30 % of participants below the upper bound of «2» in two or more procedures in the year, or in
the same procedure two years running; a procedure is (procedure, subject, grade).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from shnor.core.methods.low_results_common import pct, unit_label

UNIT_KEY = ["procedure", "subject", "grade"]


def unit_shares(
    scores: pl.DataFrame | pl.LazyFrame,
    *,
    procedures: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Failure share per school and procedure unit.

    ``year, school_id, procedure, subject, grade, n, fails, share`` where ``n`` counts
    participants with a known fail status (absent pupils are never in ``scores``). Lazy, so that
    only the columns it needs are filtered (a country's pupils filtered whole took too much memory).
    """
    s = scores.lazy().filter(pl.col("fail").is_not_null())
    if procedures:
        s = s.filter(pl.col("procedure").is_in(list(procedures)))
    if subjects:
        s = s.filter(pl.col("subject").is_in(list(subjects)))
    return (
        s.group_by(["year", "school_id", "procedure", "subject", "grade"])
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("fail").sum().cast(pl.Int64).alias("fails"))
        .with_columns((pl.col("fails") / pl.col("n")).alias("share"))
        .sort(["year", "school_id", "procedure", "subject", "grade"])
        .collect()
    )


def _run_units(u: pl.DataFrame, n_years: int) -> pl.DataFrame:
    """``school_id, procedure, subject, grade, k``: units over the threshold in every one of ``n_years``."""
    return (
        u.filter(pl.col("over"))
        .group_by(["school_id", *UNIT_KEY])
        .agg(pl.col("year").n_unique().alias("k"))
        .filter(pl.col("k") >= n_years)
    )


def _risk_frame(u: pl.DataFrame, year: int, n_years: int, min_proc: int, consec: int) -> pl.DataFrame:
    """``school_id, risk_list, branch_year, branch_consecutive, n_over`` from the unit shares."""
    this_year = u.filter(pl.col("year") == year)
    branch1 = this_year.group_by("school_id").agg(pl.col("over").sum().alias("n_over"))
    runs = _run_units(u, n_years).group_by("school_id").agg(pl.len().alias("n_runs"))
    ids = u.select("school_id").unique()
    return (
        ids.join(branch1, on="school_id", how="left")
        .join(runs, on="school_id", how="left")
        .with_columns(pl.col("n_over").fill_null(0), pl.col("n_runs").fill_null(0))
        .with_columns(
            (pl.col("n_over") >= min_proc).alias("branch_year"),
            (pl.col("n_runs") >= 1).alias("branch_consecutive")
            if consec > 1
            else pl.lit(False).alias("branch_consecutive"),
        )
        .with_columns((pl.col("branch_year") | pl.col("branch_consecutive")).alias("risk_list"))
        .select(
            "school_id", "risk_list", "branch_year", "branch_consecutive", pl.col("n_over").cast(pl.Int64)
        )
        .sort("school_id")
    )


def _units_by_school(u: pl.DataFrame, n_years: int) -> dict[str, list[dict[str, Any]]]:
    """Every counted unit of every school, as evidence rows (``in_run``: part of a consecutive run)."""
    run_set = {
        (r["school_id"], r["procedure"], r["subject"], r["grade"])
        for r in _run_units(u, n_years).iter_rows(named=True)
    }
    units_by_school: dict[str, list[dict[str, Any]]] = {}
    for r in u.iter_rows(named=True):
        units_by_school.setdefault(r["school_id"], []).append(
            {
                "year": r["year"],
                "procedure": r["procedure"],
                "subject": r["subject"],
                "grade": r["grade"],
                "label": unit_label(r["procedure"], r["subject"], r["grade"]),
                "participants": r["n"],
                "fails": r["fails"],
                "share": round(r["share"], 4),
                "counted": r["counted"],
                "over": r["over"],
                "in_run": (r["school_id"], r["procedure"], r["subject"], r["grade"]) in run_set,
            }
        )
    return units_by_school


def _risk_evidence(
    r: Mapping[str, Any], units: list[dict[str, Any]], year: int, thr: float, consec: int, threshold: str
) -> dict[str, Any]:
    """One school's evidence: the branches that put it on the list, with the units behind them."""
    over_now = [x for x in units if x["over"] and x["year"] == year]
    in_run = sorted({x["label"] for x in units if x["in_run"]})
    parts = []
    if r["branch_year"]:
        parts.append(
            f"{len(over_now)} процедур(ы) с долей «2» ≥ {thr:g} % в {year} г.: "
            + "; ".join(f"{x['label']} — {pct(x['share'])}" for x in over_now)
        )
    if r["branch_consecutive"]:
        parts.append(f"{consec} года подряд ≥ {thr:g} % «2»: " + "; ".join(in_run))
    return {
        "low": r["risk_list"],
        "statistic": "доля участников ниже границы «2» по процедуре",
        "threshold": threshold,
        "comparison_group": "абсолютный порог (без сравнения)",
        "branch_year": r["branch_year"],
        "branch_consecutive": r["branch_consecutive"],
        "units": units,
        "summary": "; ".join(parts) if parts else f"нет оснований по правилу ({threshold})",
    }


def risk_rule(
    scores: pl.DataFrame, year: int, config: Mapping[str, Any], *, with_evidence: bool = True
) -> tuple[pl.DataFrame, dict[str, dict[str, Any]]]:
    """The Rosobrnadzor risk list for ``year``.

    Returns the frame ``school_id, risk_list, branch_year, branch_consecutive, n_over`` for every
    school with a counted procedure in ``year`` or the years before it that the rule looks at,
    and the evidence per school (none without ``with_evidence``: each school's every unit as a row of
    its evidence is most of the rule's time and memory on a country).
    """
    thr = float(config.get("threshold_percent", 30))
    min_proc = int(config.get("min_procedures", 2))
    consec = max(1, int(config.get("consecutive_years", 2)))
    min_n = max(1, int(config.get("min_participants", 1)))
    years = list(range(year - consec + 1, year + 1))
    u = unit_shares(
        scores.lazy().filter(pl.col("year").is_in(years)),
        procedures=config.get("procedures") or None,
        subjects=config.get("subjects") or None,
    ).with_columns(
        (pl.col("n") >= min_n).alias("counted"),
        # exact comparison in integers when the threshold is whole: no rounding of the share
        ((pl.col("fails") * 100 >= thr * pl.col("n")) & (pl.col("n") >= min_n)).alias("over"),
    )
    out = _risk_frame(u, year, len(years), min_proc, consec)
    if not with_evidence:
        return out, {}
    units_by_school = _units_by_school(u, len(years))
    threshold = (
        f"≥ {thr:g} % участников ниже границы «2» в {min_proc} и более процедурах за {year} г."
        + (f" или в одной процедуре {consec} года подряд" if consec > 1 else "")
        + (f"; процедура учитывается при ≥ {min_n} участниках" if min_n > 1 else "")
    )
    evidence: dict[str, dict[str, Any]] = {
        r["school_id"]: _risk_evidence(
            r, units_by_school.get(r["school_id"], []), year, thr, consec, threshold
        )
        for r in out.iter_rows(named=True)
    }
    return out, evidence
