"""``participation``: weak pupils kept away on test day (selective participation), per school over
all its ВПР tests of the year.

A school's absent rows this year are compared with what its own past (the two earlier years, shrunk
towards the region) and this year's regional rate predict: the school's relative propensity to be
absent, (a_past + k·r_past)/(N_past + k) ÷ r_past, times this year's regional rate r_y; one-sided
binomial tail of this year's absent count. The z of that tail is recalibrated to its spread across
the region's schools (absence is overdispersed: illness runs through a class; never less
conservative). Keeping the weak away raises the school's results, so the evidence is combined with
the school's gain in standing over its ВПР (``fluctuation_pooled``'s z_gain, where the school has
earlier years): z = (z_absent + w·z_gain)/√(1 + w²), w = ``gain_weight`` — many absent and a falling
result (an epidemic) weigh less than many absent and a rise. Without earlier years, absence against
the region only. A pupil on the lists of several tests of a grade counts once.
The absent pupils' earlier results (linked cohorts) are not used yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.signs.base import _r, null_center_scale


def _counts(inputs: Inputs, years: list[int]) -> pl.DataFrame:
    """Per school and year over its ВПР rows: pupils on the lists (``rows``: a grade's pupil once over its
    tests) and those absent from every test of theirs (``absent``).

    A pupil is a ``pupil_key`` within the school, year and grade; a row without one is a pupil of its
    own. Counted one year and grade at a time: the pupils' keys of three country years grouped at once
    were the largest memory of the run (docs/benchmarks.md); a year and grade hold only their own."""
    vpr = inputs.results.filter(
        (pl.col("procedure") == "vpr") & pl.col("year").is_in(years) & pl.col("school_id").is_not_null()
    )
    has_key = "pupil_key" in vpr.collect_schema()
    parts = vpr.select(pl.col("year").cast(pl.Int64), pl.col("grade").cast(pl.Int64)).unique().collect()
    counted = [
        _counts_of(vpr.filter((pl.col("year") == y) & pl.col("grade").eq_missing(g)), has_key)
        for y, g in parts.sort("year", "grade").iter_rows()
    ]
    if not counted:
        return pl.DataFrame(
            schema={"school_id": pl.String, "year": pl.Int64, "rows": pl.Int64, "absent": pl.Int64}
        )
    return pl.concat(counted).group_by("school_id", "year").agg(pl.col("rows").sum(), pl.col("absent").sum())


def _counts_of(lf: pl.LazyFrame, has_key: bool) -> pl.DataFrame:
    """``_counts`` of one year and grade's rows."""
    # a pupil: the key, or the row where there is none (a null key and a row number apart)
    key = pl.col("pupil_key") if has_key else pl.lit(None, dtype=pl.String)
    return (
        lf.with_row_index("_row")
        .select(
            pl.col("school_id"),
            pl.col("year").cast(pl.Int64),
            key.alias("pupil"),
            pl.when(key.is_null()).then(pl.col("_row")).alias("_row"),
            absent=pl.col("absent").fill_null(False),
        )
        # a pupil on the lists of several tests of a grade counts once (absent from every one of them
        # = absent): an ill pupil misses both subjects, and counting rows would double the spread
        .group_by("school_id", "year", "pupil", "_row")
        .agg(pl.col("absent").all())
        .group_by("school_id", "year")
        .agg(rows=pl.len().cast(pl.Int64), absent=pl.col("absent").sum().cast(pl.Int64))
        .collect()
    )


def participation(
    inputs: Inputs, config: Mapping[str, Any], fluct: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """{school_id: record} for the schools with ВПР rows this year (``not tested`` below min_pupils)."""
    cfg = config["signs"]["participation"]
    y = inputs.year
    years = [y - 2, y - 1, y]
    df = _counts(inputs, years)
    if df.height == 0:
        return {}
    now = df.filter(pl.col("year") == y).sort("school_id")
    past = (
        df.filter(pl.col("year") < y).group_by("school_id").agg(pl.col("rows").sum(), pl.col("absent").sum())
    )
    region = df.group_by("year").agg(pl.col("rows").sum(), pl.col("absent").sum())
    rate = {int(yy): a / max(n, 1) for yy, n, a in region.select("year", "rows", "absent").iter_rows()}
    r_y = rate.get(y, 0.0)
    past_rows = sum(int(n) for yy, n in region.select("year", "rows").iter_rows() if yy < y)
    r_past = sum(int(a) for yy, a in region.select("year", "absent").iter_rows() if yy < y) / max(
        past_rows, 1
    )
    now = now.join(past, on="school_id", how="left", suffix="_past").with_columns(
        pl.col("rows_past").fill_null(0), pl.col("absent_past").fill_null(0)
    )
    sid = now["school_id"].to_list()
    n = now["rows"].to_numpy().astype(float)
    a = now["absent"].to_numpy().astype(float)
    n_p = now["rows_past"].to_numpy().astype(float)
    a_p = now["absent_past"].to_numpy().astype(float)
    k = float(cfg["prior_rows"])
    if r_past > 0:
        expected = np.clip(r_y * ((a_p + k * r_past) / (n_p + k)) / r_past, 1e-6, 1 - 1e-6)
    else:
        expected = np.full(len(sid), max(r_y, 1e-6))
    present = n - a
    # P(X ≥ a), X ~ Binomial(n, expected); a = 0 gives 1 exactly
    p_abs = np.where(a > 0, stats.binom.sf(a - 1, n.astype(np.int64), expected), 1.0)
    z_abs = stats.norm.isf(np.clip(p_abs, 1e-300, 1.0))
    ok = present >= int(cfg["min_pupils"])
    informative = z_abs[ok & (z_abs > -8.0)]
    center, scale = 0.0, 1.0
    if informative.size >= int(config["empirical_null_min_schools"]):
        center, scale = null_center_scale(informative)
    z_cal = (z_abs - center) / scale
    out: dict[str, dict[str, Any]] = {}
    min_n = int(cfg["min_pupils"])
    gain_weight = float(cfg.get("gain_weight", 1.0))
    for i, s in enumerate(sid):
        if not ok[i]:
            out[s] = {
                "tested": False,
                "reason": f"участников за год {int(present[i])} < {min_n}",
                "n": int(present[i]),
            }
            continue
        zg = None
        if fluct is not None and s in fluct and fluct[s].get("tested"):
            zg = fluct[s].get("statistic", {}).get("z_gain")
        if a[i] == 0 or z_cal[i] <= 0:
            p = 1.0
        elif zg is not None and gain_weight > 0:
            zc = (z_cal[i] + gain_weight * float(zg)) / np.sqrt(1.0 + gain_weight**2)
            p = float(stats.norm.sf(zc))
        else:
            p = float(stats.norm.sf(z_cal[i]))
        out[s] = {
            "tested": True,
            "n": int(present[i]),
            "p_value": p,
            "statistic": {
                "absent": int(a[i]),
                "rows": int(n[i]),
                "absent_share": _r(a[i] / n[i]),
                "expected_share": _r(expected[i]),
                "region_share": _r(r_y),
                "own_past_share": _r(a_p[i] / n_p[i]) if n_p[i] > 0 else None,
                "z_absent": _r(z_cal[i]),
                "z_gain": _r(zg) if zg is not None else None,
            },
            "empirical_null": {"center": _r(center), "scale": _r(scale), "n_schools": int(informative.size)},
            "comparison_group": (
                "доля отсутствующих в регионе и в прошлые годы в той же ОО; рост результатов ОО"
            ),
        }
    return out
