"""Tracking: whether a deficit persists from last year in the same grade or in the same cohort."""

from __future__ import annotations

import polars as pl

from shnor.core.recommendations import Library, shipped_library

#: The columns of last year's deficits that ``track`` reads.
TRACKED = ["school_id", "procedure", "subject", "grade", "year", "unit", "dimension", "element", "topic"]


def _match_keys(frame: pl.DataFrame, library: Library) -> pl.DataFrame:
    """``_ek``: dimension:element; ``_tk``: specific library topic, else dimension:element for
    skills/codes."""
    generic = {e.topic for e in library.entries if e.fallback}
    ek = pl.col("dimension") + ":" + pl.col("element")
    topic_ok = pl.col("topic").is_not_null() & ~pl.col("topic").is_in(list(generic))
    tk = pl.when(topic_ok).then("topic:" + pl.col("topic")).when(pl.col("dimension") != "task").then(ek)
    return frame.with_columns(ek.alias("_ek"), tk.alias("_tk"))


def track(current: pl.DataFrame, previous: pl.DataFrame, library: Library | None = None) -> pl.DataFrame:
    """Mark each current deficit as persisting in the same grade (``persists_grade``) or cohort
    (``persists_cohort``).

    Both frames are deficit rows (``run``-like: school_id, procedure, subject, grade, year, unit,
    dimension, element, topic). Only school-level rows of ``previous`` are used: a class is not
    followed across years (class letters are not stable identifiers).
    """
    lib = library or shipped_library()
    cur = _match_keys(current, lib)
    if previous.height == 0:
        return cur.drop("_ek", "_tk").with_columns(
            pl.lit(False).alias("persists_grade"), pl.lit(False).alias("persists_cohort")
        )
    prev = _match_keys(previous.filter(pl.col("unit") == "school"), lib)
    base = ["school_id", "procedure", "subject"]
    g1 = prev.select(
        *base, "grade", (pl.col("year") + 1).cast(pl.Int16).alias("year"), pl.col("_ek").alias("_k")
    )
    g2 = prev.select(
        *base, "grade", (pl.col("year") + 1).cast(pl.Int16).alias("year"), pl.col("_tk").alias("_k")
    )
    same_grade = pl.concat([g1, g2]).drop_nulls("_k").unique().with_columns(pl.lit(True).alias("_pg"))
    coh = (
        prev.select(
            *base,
            (pl.col("grade") + 1).cast(pl.Int8).alias("grade"),
            (pl.col("year") + 1).cast(pl.Int16).alias("year"),
            pl.col("_tk").alias("_k"),
        )
        .drop_nulls("_k")
        .unique()
        .with_columns(pl.lit(True).alias("_pc"))
    )
    keys = [*base, "grade", "year"]
    cur = (
        cur.join(same_grade.rename({"_k": "_ek"}), on=[*keys, "_ek"], how="left")
        .join(same_grade.rename({"_k": "_tk", "_pg": "_pg2"}), on=[*keys, "_tk"], how="left")
        .join(coh.rename({"_k": "_tk"}), on=[*keys, "_tk"], how="left")
    )
    return cur.with_columns(
        (pl.col("_pg").fill_null(False) | pl.col("_pg2").fill_null(False)).alias("persists_grade"),
        pl.col("_pc").fill_null(False).alias("persists_cohort"),
    ).drop("_ek", "_tk", "_pg", "_pg2", "_pc")
