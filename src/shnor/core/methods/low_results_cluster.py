"""Context clusters: a school's cluster keys, and the bottom X % of each cluster with a strip chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from shnor.core.methods import social_index


def _size_band(pupils: int | None, edges: Sequence[int]) -> str:
    if pupils is None:
        return "численность неизвестна"
    lo = 0
    for e in edges:
        if pupils <= e:
            return f"до {e}" if lo == 0 else f"{lo + 1}–{e}"
        lo = e
    return f"более {lo}"


def cluster_keys(
    schools: pl.DataFrame, social: pl.DataFrame | None, config: Mapping[str, Any]
) -> pl.DataFrame:
    """``school_id, locality, social_tercile, size_band, kind_group`` as labels (strings)."""
    kinds = {str(k).lower(): v for k, v in dict(config.get("kind_groups", {})).items()}
    edges = [int(e) for e in config.get("size_bands", [100, 300, 700])]
    rows = []
    for r in schools.iter_rows(named=True):
        loc = (r.get("locality") or "").strip().lower()
        kind = (r.get("kind") or "").strip().lower()
        rows.append(
            {
                "school_id": str(r["school_id"]),
                "locality": loc if loc else "тип поселения неизвестен",
                "size_band": _size_band(r.get("pupils"), edges),
                "kind_group": kinds.get(kind, "прочие") if kind else "вид неизвестен",
            }
        )
    out = pl.DataFrame(
        rows,
        schema={
            "school_id": pl.String,
            "locality": pl.String,
            "size_band": pl.String,
            "kind_group": pl.String,
        },
    )
    if social is not None and social.height:
        t = social_index.terciles(social).with_columns(
            pl.format("соц. индекс: {}-я треть", pl.col("social_tercile")).alias("social_tercile")
        )
        out = out.join(t, on="school_id", how="full", coalesce=True)
    else:
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("social_tercile"))
    return out.with_columns(
        pl.col("locality").fill_null("тип поселения неизвестен"),
        pl.col("size_band").fill_null("численность неизвестна"),
        pl.col("kind_group").fill_null("вид неизвестен"),
        pl.col("social_tercile").fill_null("соц. индекс неизвестен"),
    )


#: At most this many of a cluster's values go into each school's strip chart: a larger cluster is
#: drawn from evenly spaced order statistics (its quantiles), so the evidence of 40,000 schools in
#: clusters of thousands stays kilobytes per school instead of one copy of the cluster each.
CHART_POINTS = 200


def _chart_points(values: list[float], k: int) -> list[float]:
    """The sorted values themselves, or ``k`` evenly spaced order statistics (min and max included)."""
    n = len(values)
    if n <= k or k < 2:
        return values
    return [values[round(i * (n - 1) / (k - 1))] for i in range(k)]


def _assign_clusters(
    elig: pl.DataFrame, by: list[str], min_size: int, sign: float, chart_points: int
) -> tuple[list[pl.DataFrame], dict[str, list[float]], set[str]]:
    """Each school in the finest cluster that holds ``min_size`` schools, coarsening key by key.

    Returns the assigned rows (with ``cluster, cluster_size, rank_from_bottom, cluster_median``)
    per coarsening step, each used cluster's chart values, and the assigned school ids.
    """
    parts = []
    members_map: dict[str, list[float]] = {}
    assigned: set[str] = set()
    for k in range(len(by), -1, -1):
        cols = by[:k]
        lab = pl.concat_str([pl.col(c) for c in cols], separator=" · ") if cols else pl.lit("весь регион")
        e = elig.with_columns(lab.alias("cluster"), (pl.col("value") * sign).alias("_v")).with_columns(
            pl.len().over("cluster").cast(pl.Int64).alias("cluster_size"),
            pl.col("_v").rank("min").over("cluster").cast(pl.Int64).alias("rank_from_bottom"),
            pl.col("value").median().over("cluster").alias("cluster_median"),
        )
        take = e.filter(
            ~pl.col("school_id").is_in(list(assigned))
            & ((pl.col("cluster_size") >= min_size) | pl.lit(k == 0))
        )
        if take.height:
            parts.append(take)
            assigned |= set(take["school_id"].to_list())
            wanted = take.select("cluster").unique()
            values = (
                e.join(wanted, on="cluster", how="semi")
                .group_by("cluster")
                .agg(pl.col("value").sort().round(4))
            )
            for c, vals in values.iter_rows():
                members_map[c] = _chart_points(vals, chart_points)
    return parts, members_map, assigned


def _cluster_evidence(
    r: Mapping[str, Any], members: list[float], bottom: float, low_is_bad: bool
) -> dict[str, Any]:
    """One compared school's evidence: its cluster, rank from the bottom, the cut and the strip chart."""
    return {
        "low": r["low_cluster"],
        "statistic": "средний стандартизированный балл" if low_is_bad else "показатель",
        "value": round(r["value"], 4),
        "comparison_group": f"кластер «{r['cluster']}» ({r['cluster_size']} школ)",
        "cluster": r["cluster"],
        "cluster_size": r["cluster_size"],
        "cluster_median": round(r["cluster_median"], 4),
        "rank_from_bottom": r["rank_from_bottom"],
        "cut_rank": r["cut_rank"],
        "threshold": f"нижние {bottom:g} % кластера (место снизу ≤ {r['cut_rank']})",
        "chart": {
            "cluster_values": members,
            "school_value": round(r["value"], 4),
            **({"cluster_values_are_quantiles": True} if r["cluster_size"] > len(members) else {}),
        },
        "summary": (
            f"{r['rank_from_bottom']}-е место снизу из {r['cluster_size']} в кластере «{r['cluster']}»"
            f" (порог: место ≤ {r['cut_rank']})"
        ),
    }


def cluster_compare(
    stat: pl.DataFrame, keys: pl.DataFrame, config: Mapping[str, Any], *, low_is_bad: bool = True
) -> tuple[pl.DataFrame, dict[str, dict[str, Any]]]:
    """Bottom X % within the context cluster.

    ``stat`` has ``school_id, value, n``. Clusters are coarsened (last key dropped) until they
    hold ``min_cluster_size`` eligible schools. Returns ``school_id, cluster, low_cluster`` and
    evidence (cluster, its size, the school's rank from the bottom, the cut, the cluster's
    values for a strip chart — at most ``chart_points`` (default ``CHART_POINTS``), a larger
    cluster's quantiles).
    """
    by = list(config.get("by", ["locality", "social_tercile", "size_band", "kind_group"]))
    min_size = int(config.get("min_cluster_size", 10))
    bottom = float(config.get("bottom_percent", 10))
    min_n = int(config.get("min_participants", 1))
    chart_points = int(config.get("chart_points", CHART_POINTS))
    data = stat.join(keys, on="school_id", how="left").with_columns(
        [pl.col(k).fill_null("нет данных") for k in by if k in keys.columns]
    )
    by = [k for k in by if k in data.columns]
    elig = data.filter((pl.col("n") >= min_n) & pl.col("value").is_not_null())
    parts, members_map, assigned = _assign_clusters(
        elig, by, min_size, 1.0 if low_is_bad else -1.0, chart_points
    )
    if not parts:
        schema = {"school_id": pl.String, "cluster": pl.String, "low_cluster": pl.Boolean}
        return pl.DataFrame(schema=schema), {}
    a = (
        pl.concat(parts)
        .with_columns(
            (pl.col("cluster_size").cast(pl.Float64) * bottom / 100 - 1e-9)
            .ceil()
            .cast(pl.Int64)
            .alias("cut_rank")
        )
        .with_columns((pl.col("rank_from_bottom") <= pl.col("cut_rank")).alias("low_cluster"))
    )
    evidence = {
        r["school_id"]: _cluster_evidence(r, members_map[r["cluster"]], bottom, low_is_bad)
        for r in a.iter_rows(named=True)
    }
    out = a.select("school_id", "cluster", "low_cluster").sort("school_id")
    not_compared = data.filter(~pl.col("school_id").is_in(list(assigned)))
    for r in not_compared.iter_rows(named=True):
        evidence[r["school_id"]] = {
            "low": False,
            "summary": f"не сравнивается: меньше {min_n} результатов",
            "n": r["n"],
        }
    return out, evidence
