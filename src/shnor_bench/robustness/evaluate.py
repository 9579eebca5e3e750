"""Run the objectivity detector and FIOKO's markers on the robustness regions and tabulate them.

``measure(variants, seeds, config)`` gives one row per school and region (its group, strength level,
size band, whether each method flagged it and the detector's q-value); ``tables`` turns those rows
into recall / false-positive tables per variant, behaviour and size band; ``operating_curve`` the
recall against the honest false-positive rate as the detector's threshold on q moves.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import polars as pl

from shnor.core.config import default_config
from shnor.core.methods import fioko, objectivity
from shnor.core.methods.base import Inputs
from shnor_bench.robustness.generator import Region, generate
from shnor_bench.robustness.variants import BEHAVIOURS, VARIANTS, Variant

#: Size bands by the school's mean participants per ВПР test in the year examined.
BANDS = ((0, 5, "<5"), (5, 10, "5–9"), (10, 20, "10–19"), (20, 50, "20–49"), (50, 10**9, "≥50"))


def _band() -> pl.Expr:
    expr = pl.when(pl.lit(False)).then(pl.lit(""))
    for lo, hi, name in BANDS:
        expr = expr.when((pl.col("per_test") >= lo) & (pl.col("per_test") < hi)).then(pl.lit(name))
    return expr.otherwise(pl.lit("?"))


def measure_region(region: Region, config: Mapping[str, Any]) -> pl.DataFrame:
    """One row per school with results in the region's last year."""
    year = region.year
    inputs = Inputs(
        year=year,
        results=region.results.lazy(),
        tasks=region.tasks,
        scales=region.scales,
        schools=region.schools,
    )
    t0 = time.perf_counter()
    obj = objectivity.run(inputs, config["objectivity"])
    seconds = time.perf_counter() - t0
    fio = set(fioko.run(inputs, config["fioko"])["school_id"].to_list())
    per_test = (
        region.results.filter((pl.col("year") == year) & ~pl.col("absent"))
        .group_by("school_id", "subject", "grade")
        .len()
        .group_by("school_id")
        .agg(per_test=pl.col("len").mean())
    )
    return (
        obj.select(
            "school_id",
            "flagged",
            "q_value",
            "strongest_sign",
            p_combined=pl.col("evidence").str.json_path_match("$.p_combined").cast(pl.Float64),
            sign_p=pl.col("evidence").str.json_path_match("$.sign_p_values"),
        )
        .join(region.truth, on="school_id", how="left")
        .join(per_test, on="school_id", how="left")
        .with_columns(
            band=_band(),
            fioko=pl.col("school_id").is_in(list(fio)),
            variant=pl.lit(region.variant.name),
            seed=pl.lit(region.seed),
            seconds=pl.lit(seconds),
        )
    )


#: The detector's settings before issue 31's calibration, laid over today's defaults to compare with
#: them (``--previous``): BH at q = 0.05, the per-test signs from 10 pupils, the journal «повысили»
#: and homogeneity signs in the combination, no pooled journal or lenient sign, no participation, no
#: line in the school's level for the task-level signs (version 2026.4).
PREVIOUS: dict[str, Any] = {
    "decision": "bh",
    "alpha": 0.005,
    "signs": {
        "lenient_checking": {
            "enabled": False,
            "min_pupils": 10,
            "pool": False,
            "condition_on_level": False,
        },
        "participation": {"enabled": False, "gain_weight": 1.0},
        "journal_corr": {"pool": False},
        "fluctuation": {"pooled_model": "mean"},
        "task_pattern": {"min_pupils": 10, "condition_on_level": False},
        "person_fit": {"min_pupils": 10, "condition_on_level": False},
        "similarity": {"min_pupils": 10},
        "journal": {"enabled": True},
        "homogeneity": {"enabled": True},
    },
}


def previous_config() -> dict[str, Any]:
    """The default settings with ``PREVIOUS`` laid over the objectivity section."""
    config = copy.deepcopy(dict(default_config()))
    obj = config["objectivity"]
    for k, v in PREVIOUS.items():
        if k == "signs":
            for sign, over in v.items():
                obj["signs"][sign].update(over)
        else:
            obj[k] = v
    return config


def measure(
    variants: Iterable[Variant] = tuple(VARIANTS.values()),
    seeds: Iterable[int] = (1, 2),
    config: Mapping[str, Any] | None = None,
    honest_seed: int | None = 100,
) -> pl.DataFrame:
    """Every school of every region (variant × seed) with both methods' flags; with ``honest_seed``,
    also one region per variant with no behaviour planted (variant ``<name>:honest``), where every
    flag is a false positive."""
    config = config or default_config()
    rows = [measure_region(generate(v, s), config) for v in variants for s in seeds]
    if honest_seed is not None:
        rows += [
            measure_region(generate(replace(v, share=0.0), honest_seed), config).with_columns(
                variant=pl.lit(f"{v.name}:honest")
            )
            for v in variants
        ]
    return pl.concat(rows)


def _rates(df: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return (
        df.group_by(by)
        .agg(
            schools=pl.len(),
            detector=pl.col("flagged").sum(),
            fioko=pl.col("fioko").sum(),
        )
        .with_columns(
            detector_rate=(pl.col("detector") / pl.col("schools")).round(3),
            fioko_rate=(pl.col("fioko") / pl.col("schools")).round(3),
        )
        .sort(by)
    )


def tables(rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """``summary`` (per variant: recall of strong and of all planted schools, recall under ten pupils
    a test, honest false-positive rate, lyceums flagged — for the detector and for FIOKO),
    ``behaviour`` (per variant × behaviour × strength level), ``band`` (per variant × size band ×
    planted or honest)."""
    planted = pl.col("group").is_in(list(BEHAVIOURS))
    rows = rows.with_columns(kind=pl.when(planted).then(pl.lit("planted")).otherwise(pl.col("group")))
    summary = []
    for (variant,), df in rows.group_by(["variant"], maintain_order=True):
        p = df.filter(planted)
        row: dict[str, Any] = {"variant": variant}
        for method, col in (("detector", "flagged"), ("fioko", "fioko")):
            strong = p.filter(pl.col("level") == "strong")
            small = p.filter(pl.col("per_test") < 10)
            honest = df.filter(pl.col("group") == "honest")
            row[f"{method}_strong"] = round(strong[col].mean() or 0.0, 3)  # type: ignore[arg-type]
            row[f"{method}_all"] = round(p[col].mean() or 0.0, 3)  # type: ignore[arg-type]
            row[f"{method}_under10"] = round(small[col].mean() or 0.0, 3)  # type: ignore[arg-type]
            row[f"{method}_honest_fp"] = round(honest[col].mean() or 0.0, 4)  # type: ignore[arg-type]
            row[f"{method}_lyceums"] = int(df.filter(pl.col("group") == "strong_lyceum")[col].sum())
        row["planted"] = p.height
        row["under10"] = p.filter(pl.col("per_test") < 10).height
        row["honest"] = df.filter(pl.col("group") == "honest").height
        row["seconds"] = round(float(df["seconds"].unique().sum()), 1)
        summary.append(row)
    return {
        "summary": pl.DataFrame(summary),
        "behaviour": _rates(rows, ["variant", "group", "level"]),
        "band": _rates(rows.filter(pl.col("kind").is_in(["planted", "honest"])), ["variant", "kind", "band"]),
    }


def operating_curve(
    rows: pl.DataFrame, alphas: Iterable[float] = (0.001, 0.002, 0.005, 0.0075, 0.01, 0.02, 0.05)
) -> pl.DataFrame:
    """Recall (strong, all) on the planted regions and the honest false-positive rate (planted regions;
    regions with nothing planted) when flagged means the combined p-value ≤ each alpha."""
    mixed = rows.filter(~pl.col("variant").str.ends_with(":honest"))
    planted = mixed.filter(pl.col("group").is_in(list(BEHAVIOURS)))
    honest = mixed.filter(pl.col("group") == "honest")
    honest_only = rows.filter(pl.col("variant").str.ends_with(":honest") & (pl.col("group") == "honest"))
    lyc = rows.filter(pl.col("group") == "strong_lyceum")
    out = []
    for a in alphas:
        hit = pl.col("p_combined").fill_null(1.0) <= a
        out.append(
            {
                "alpha": a,
                "recall_strong": round(
                    float(planted.filter(pl.col("level") == "strong").select(hit.mean()).item()), 3
                ),
                "recall_all": round(float(planted.select(hit.mean()).item()), 3),
                "honest_fp": round(float(honest.select(hit.mean()).item()), 4),
                "honest_fp_honest_regions": round(float(honest_only.select(hit.mean()).item()), 4)
                if honest_only.height
                else None,
                "lyceums": int(lyc.select(hit.sum()).item()),
            }
        )
    return pl.DataFrame(out)
