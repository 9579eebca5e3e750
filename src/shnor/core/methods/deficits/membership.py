"""Which region, municipality and cluster each school belongs to (the comparison groups' keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl


def _membership(
    school_ids: pl.Series, schools: pl.DataFrame, sec: Mapping[str, Any], clusters: pl.DataFrame | None
) -> pl.DataFrame:
    """school_id → region, municipality_id, cluster (null when unknown)."""
    ids = pl.DataFrame({"school_id": school_ids.unique().sort()})
    key = str(sec.get("region_key", "region_id"))
    cols = [pl.col("school_id")]
    cols.append(
        (pl.col(key).cast(pl.String) if key in schools.columns else pl.lit(None, dtype=pl.String)).alias(
            "region"
        )
    )
    cols.append(
        (
            pl.col("municipality_id").cast(pl.String)
            if "municipality_id" in schools.columns
            else pl.lit(None, dtype=pl.String)
        ).alias("municipality_id")
    )
    ccol = str(sec["comparison"].get("cluster_column", "cluster"))
    cols.append(
        (pl.col(ccol).cast(pl.String) if ccol in schools.columns else pl.lit(None, dtype=pl.String)).alias(
            "cluster"
        )
    )
    reg = schools.select(cols).unique(subset="school_id", keep="first") if schools.height else None
    out = (
        ids.join(reg, on="school_id", how="left")
        if reg is not None
        else ids.with_columns(
            pl.lit(None, dtype=pl.String).alias("region"),
            pl.lit(None, dtype=pl.String).alias("municipality_id"),
            pl.lit(None, dtype=pl.String).alias("cluster"),
        )
    )
    if clusters is not None and clusters.height:
        c = clusters.select(
            pl.col("school_id").cast(pl.String), pl.col("cluster").cast(pl.String).alias("_c")
        )
        out = (
            out.join(c, on="school_id", how="left")
            .with_columns(pl.coalesce("_c", "cluster").alias("cluster"))
            .drop("_c")
        )
    return out.with_columns(pl.col("region").fill_null(""))
