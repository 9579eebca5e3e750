"""The same per-school aggregates twice: the project's Polars code path and plain pandas.

Aggregates, over the present participants (``absent`` false, primary score known) of every ВПР test
of one year, per school × subject × grade (a «unit»):

- ``n``, ``mean``, ``sd`` (ddof 1) of the primary score and FIOKO's inflated-mean confidence
  intervals ``mean ± t·sd/√n`` of the school and of its region (``region_id``), with the marker
  ``inflated`` = school lower bound > region upper bound (``fioko.inflated_mean``);
- the shares of marks 2, 3, 4, 5 and the share below the «3» threshold (primary score < ``min_3``
  of the scale: the fail flag of ``value_added.pupil_scores``);
- Spearman's rs between the journal mark and the primary score (average ranks; Pearson's r of the
  ranks, NaN for a constant variable or fewer than two pupils);
- per school × subject × grade × task: success = points / (participants × task maximum).

The Polars side is one lazy query per aggregate over the warehouse scan, built on the project's own
participant filter (``fioko._participants``) and formulas; the pandas side reads the same Parquet
files one test at a time and uses ``groupby`` / ``explode`` as an analyst would. ``compare`` checks
they agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl

from shnor.core.methods import fioko

UNIT = ["school_id", "subject", "grade"]
T = 1.96  # fioko.toml [inflated_mean] t


# --------------------------------------------------------------------------------------------
# Polars (the project's code path)


def polars_aggregates(
    results: pl.LazyFrame,
    scales: pl.DataFrame,
    tasks: pl.DataFrame,
    schools: pl.DataFrame,
    year: int,
    t: float = T,
) -> dict[str, pl.DataFrame]:
    """``units`` (one row per school × subject × grade) and ``tasks`` (… × task) for ``year``'s ВПР."""
    keys = (
        results.filter((pl.col("year") == year) & (pl.col("procedure") == "vpr"))
        .select("subject", "grade")
        .unique()
        .collect()
        .sort("subject", "grade")
    )
    parts = [
        fioko._participants(results, year, "vpr", s, int(g)).select(
            "school_id",
            "subject",
            pl.col("grade").cast(pl.Int32),
            "primary_score",
            "mark",
            "journal_mark",
            "task_scores",
        )
        for s, g in keys.iter_rows()
    ]
    part = pl.concat(parts) if parts else pl.LazyFrame(schema={c: pl.String for c in UNIT})
    sc = (
        scales.lazy()
        .filter((pl.col("procedure") == "vpr") & (pl.col("year") == year))
        .select("subject", pl.col("grade").cast(pl.Int32), pl.col("min_3").cast(pl.Float64))
    )
    reg = (
        schools.lazy()
        .select("school_id", pl.col("region_id").fill_null("").alias("region_id"))
        .unique("school_id")
    )
    score = pl.col("primary_score").cast(pl.Float64)
    mark = pl.col("mark")
    n_mark = mark.is_not_null().sum()
    jm = pl.col("journal_mark").cast(pl.Float64)
    both = pl.col("journal_mark").is_not_null()
    units_lf = (
        part.join(sc, on=["subject", "grade"], how="left")
        .group_by(UNIT)
        .agg(
            n=pl.len(),
            mean=score.mean(),
            sd=score.std(ddof=1),
            share_2=(mark == 2).sum() / n_mark,
            share_3=(mark == 3).sum() / n_mark,
            share_4=(mark == 4).sum() / n_mark,
            share_5=(mark == 5).sum() / n_mark,
            share_below_3=(score < pl.col("min_3")).mean(),
            spearman=pl.corr(jm.filter(both).rank("average"), score.filter(both).rank("average")),
        )
        .with_columns(
            ci_lo=pl.col("mean") - t * pl.col("sd") / pl.col("n").sqrt(),
            ci_hi=pl.col("mean") + t * pl.col("sd") / pl.col("n").sqrt(),
        )
    )
    region = (
        part.join(reg, on="school_id", how="left")
        .with_columns(pl.col("region_id").fill_null(""))
        .group_by("region_id", "subject", "grade")
        .agg(r_n=pl.len(), r_mean=score.mean(), r_sd=score.std(ddof=1))
        .with_columns(r_hi=pl.col("r_mean") + t * pl.col("r_sd") / pl.col("r_n").sqrt())
        .select("region_id", "subject", "grade", "r_hi")
    )
    units = (
        units_lf.join(reg, on="school_id", how="left")
        .with_columns(pl.col("region_id").fill_null(""))
        .join(region, on=["region_id", "subject", "grade"], how="left")
        .with_columns(inflated=(pl.col("n") >= 2) & (pl.col("ci_lo") > pl.col("r_hi")))
        .sort(UNIT)
    )
    mx = tasks.filter((pl.col("procedure") == "vpr") & (pl.col("year") == year)).select(
        "subject",
        pl.col("grade").cast(pl.Int32),
        pl.col("task_no").cast(pl.Int32),
        pl.col("max_points").cast(pl.Float64),
    )
    u = units.collect()
    # per-task points summed position by position within each test (a test has a fixed task list):
    # no pupil × task explosion (≈ 200 million rows for a country-year)
    task_parts = []
    for (s, g), lf in zip(keys.iter_rows(), parts, strict=True):
        n_tasks = mx.filter((pl.col("subject") == s) & (pl.col("grade") == int(g))).height
        if n_tasks == 0:
            continue
        sums = (
            lf.group_by(UNIT)
            .agg(
                pl.len().alias("n"),
                *[
                    pl.col("task_scores").list.get(j, null_on_oob=True).cast(pl.Int64).sum().alias(str(j + 1))
                    for j in range(n_tasks)
                ],
            )
            .collect()
        )
        task_parts.append(
            sums.unpivot(index=[*UNIT, "n"], variable_name="task_no", value_name="points").with_columns(
                pl.col("task_no").cast(pl.Int32)
            )
        )
    if not task_parts:
        task_parts = [
            pl.DataFrame(
                schema={
                    "school_id": pl.String,
                    "subject": pl.String,
                    "grade": pl.Int32,
                    "n": pl.UInt32,
                    "task_no": pl.Int32,
                    "points": pl.Int64,
                }
            )
        ]
    tk = (
        pl.concat(task_parts)
        .join(mx, on=["subject", "grade", "task_no"], how="left")
        .with_columns(success=pl.col("points") / (pl.col("n") * pl.col("max_points")))
        .select(*UNIT, "task_no", "success")
        .sort(*UNIT, "task_no")
    )
    return {"units": u.select(*UNIT, *_UNIT_VALUES), "tasks": tk}


_UNIT_VALUES = [
    "n",
    "mean",
    "sd",
    "ci_lo",
    "ci_hi",
    "r_hi",
    "inflated",
    "share_2",
    "share_3",
    "share_4",
    "share_5",
    "share_below_3",
    "spearman",
]


# --------------------------------------------------------------------------------------------
# pandas (what an analyst would write)


def pandas_aggregates(
    files: Iterable[Path], scales_csv: Path, tasks_csv: Path, schools_csv: Path, year: int, t: float = T
) -> dict[str, pl.DataFrame]:
    """The same aggregates in plain pandas, reading the test files one at a time."""
    import pandas as pd

    scales = pd.read_csv(scales_csv)
    scales = scales[(scales["procedure"] == "vpr") & (scales["year"] == year)]
    tasks = pd.read_csv(tasks_csv)
    tasks = tasks[(tasks["procedure"] == "vpr") & (tasks["year"] == year)][
        ["subject", "grade", "task_no", "max_points"]
    ]
    schools = pd.read_csv(schools_csv, usecols=["school_id", "region_id"])
    units, task_frames, region_parts = [], [], []
    cols = ["school_id", "subject", "grade", "absent", "primary_score", "mark", "journal_mark", "task_scores"]
    for f in files:
        df = pd.read_parquet(f, columns=cols)
        df = df[(df["absent"] != True) & df["primary_score"].notna()].copy()  # noqa: E712
        df["grade"] = df["grade"].astype(int)
        df["primary_score"] = df["primary_score"].astype(float)
        df = df.merge(scales[["subject", "grade", "min_3"]], on=["subject", "grade"], how="left")
        df = df.merge(schools, on="school_id", how="left")
        df["region_id"] = df["region_id"].fillna("")
        g = df.groupby(UNIT)
        u = g["primary_score"].agg(["count", "mean", "std"]).rename(columns={"count": "n", "std": "sd"})
        marks = df.groupby(UNIT)["mark"].value_counts(normalize=True).unstack(fill_value=0.0)
        for m in (2, 3, 4, 5):
            u[f"share_{m}"] = marks[m] if m in marks.columns else 0.0
        df["below_3"] = df["primary_score"] < df["min_3"]
        u["share_below_3"] = g["below_3"].mean()
        # Spearman: ranks within the school, then Pearson's r of the ranks
        j = df[df["journal_mark"].notna()].copy()
        gj = j.groupby(UNIT)
        j["rx"] = gj["journal_mark"].rank(method="average")
        j["ry"] = gj["primary_score"].rank(method="average")
        j["rxy"], j["rxx"], j["ryy"] = j["rx"] * j["ry"], j["rx"] ** 2, j["ry"] ** 2
        m = j.groupby(UNIT)[["rx", "ry", "rxy", "rxx", "ryy"]].mean()
        cov = m["rxy"] - m["rx"] * m["ry"]
        vx, vy = m["rxx"] - m["rx"] ** 2, m["ryy"] - m["ry"] ** 2
        u["spearman"] = (cov / np.sqrt(vx * vy)).where((vx > 1e-12) & (vy > 1e-12))
        u = u.reset_index().merge(schools, on="school_id", how="left")
        u["region_id"] = u["region_id"].fillna("")
        units.append(u)
        region_parts.append(df[["region_id", "subject", "grade", "primary_score"]])
        # per-task success: one row per pupil and task
        x = df[UNIT + ["task_scores"]].copy()
        x["task_no"] = x["task_scores"].apply(lambda a: list(range(1, len(a) + 1)))
        x = x.explode(["task_scores", "task_no"])
        x["task_scores"] = x["task_scores"].astype(int)
        x["task_no"] = x["task_no"].astype(int)
        tk = x.groupby(UNIT + ["task_no"])["task_scores"].agg(["sum", "count"]).reset_index()
        tk = tk.merge(tasks, on=["subject", "grade", "task_no"], how="left")
        tk["success"] = tk["sum"] / (tk["count"] * tk["max_points"])
        task_frames.append(tk[UNIT + ["task_no", "success"]])
    u = pd.concat(units, ignore_index=True)
    r = (
        pd.concat(region_parts, ignore_index=True)
        .groupby(["region_id", "subject", "grade"])["primary_score"]
        .agg(["count", "mean", "std"])
    )
    r["r_hi"] = r["mean"] + t * r["std"] / np.sqrt(r["count"])
    u = u.merge(r[["r_hi"]].reset_index(), on=["region_id", "subject", "grade"], how="left")
    u["ci_lo"] = u["mean"] - t * u["sd"] / np.sqrt(u["n"])
    u["ci_hi"] = u["mean"] + t * u["sd"] / np.sqrt(u["n"])
    u["inflated"] = (u["n"] >= 2) & (u["ci_lo"] > u["r_hi"])
    u = u.sort_values(UNIT)[UNIT + _UNIT_VALUES]
    tk = pd.concat(task_frames, ignore_index=True).sort_values(UNIT + ["task_no"])
    return {"units": pl.from_pandas(u), "tasks": pl.from_pandas(tk)}


# --------------------------------------------------------------------------------------------


def compare(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame], tol: float = 1e-9) -> tuple[bool, str]:
    """Whether two aggregate sets agree (same keys; numbers within ``tol``); a one-line account."""
    notes = []
    ok = True
    for name, keys in (("units", UNIT), ("tasks", [*UNIT, "task_no"])):
        x, y = a[name], b[name]
        cast = [pl.col("grade").cast(pl.Int32)] + (
            [pl.col("task_no").cast(pl.Int32)] if name == "tasks" else []
        )
        x, y = x.with_columns(cast), y.with_columns(cast)
        if x.height != y.height:
            ok = False
            notes.append(f"{name}: строк {x.height} и {y.height}")
            continue
        j = x.join(y, on=keys, how="inner", suffix="_b")
        if j.height != x.height:
            ok = False
            notes.append(f"{name}: ключи совпали у {j.height} из {x.height}")
            continue
        worst = 0.0
        for c in x.columns:
            if c in keys:
                continue
            left, right = j[c], j[f"{c}_b"]
            if left.dtype == pl.Boolean or right.dtype == pl.Boolean:
                bad = int((left.cast(pl.Boolean) != right.cast(pl.Boolean)).sum())
                if bad:
                    ok = False
                    notes.append(f"{name}.{c}: различий {bad}")
                continue
            lv, rv = left.cast(pl.Float64).to_numpy(), right.cast(pl.Float64).to_numpy()
            both_nan = np.isnan(lv) & np.isnan(rv)
            diff = np.where(both_nan, 0.0, np.abs(lv - rv))
            d = float(np.nanmax(np.where(np.isnan(diff), np.inf, diff))) if len(diff) else 0.0
            worst = max(worst, d)
            if not d <= tol:
                ok = False
                notes.append(f"{name}.{c}: макс. расхождение {d:.3g}")
        notes.append(f"{name}: {x.height} строк, макс. расхождение {worst:.1e}")
    return ok, "; ".join(notes)
