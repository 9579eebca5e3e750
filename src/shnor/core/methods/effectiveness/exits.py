"""Exits from the support list: per school and summed over the cohort and the other listed schools."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl


def list_exits(history: pl.DataFrame | None, school_ids: Sequence[str], start_year: int) -> pl.DataFrame:
    """``school_id, on_list_before, exit_year, list_status`` from the list history.

    ``history`` has ``year, school_id, in_list`` (``low_results.membership`` rows of every year).
    A school exits in the first year from ``start_year`` on in which it is not on the list.
    """
    ids = pl.DataFrame({"school_id": list(school_ids)}, schema={"school_id": pl.String})
    if history is None or history.height == 0:
        return ids.with_columns(
            pl.lit(None, dtype=pl.Boolean).alias("on_list_before"),
            pl.lit(None, dtype=pl.Int32).alias("exit_year"),
            pl.lit("нет данных о списке").alias("list_status"),
        )
    h = history.select(
        pl.col("year").cast(pl.Int32), pl.col("school_id").cast(pl.String), pl.col("in_list").cast(pl.Boolean)
    )
    rows = []
    for sid in school_ids:
        mine = h.filter(pl.col("school_id") == sid)
        before = mine.filter(pl.col("year") == start_year - 1)["in_list"].to_list()
        on_before = bool(before[0]) if before and before[0] is not None else None
        after = mine.filter(pl.col("year") >= start_year).sort("year")
        off = after.filter(~pl.col("in_list").fill_null(True))["year"].to_list()
        if after.height == 0:
            status, exit_year = "нет данных о списке после начала сопровождения", None
        elif off:
            exit_year = int(off[0])
            status = f"вышла из списка в {exit_year} г."
            last = after.sort("year").tail(1)
            if bool(last["in_list"][0]):
                status += f", но снова в списке в {int(last['year'][0])} г."
        else:
            status, exit_year = "остаётся в списке", None
        rows.append(
            {"school_id": sid, "on_list_before": on_before, "exit_year": exit_year, "list_status": status}
        )
    return pl.DataFrame(
        rows,
        schema={
            "school_id": pl.String,
            "on_list_before": pl.Boolean,
            "exit_year": pl.Int32,
            "list_status": pl.String,
        },
    )


def exit_summary(
    history: pl.DataFrame | None, ids: Sequence[str], supported: Sequence[str], start_year: int
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """``list_exits`` of ``ids`` and the summary: how many listed supported and unsupported schools left."""
    ex = list_exits(history, ids, start_year)
    summary: dict[str, Any] = {"available": history is not None and history.height > 0}
    if summary["available"]:
        on_before = ex.filter(pl.col("on_list_before").fill_null(False))
        exited = on_before.filter(pl.col("exit_year").is_not_null())
        summary.update({"on_list_before": on_before.height, "exited": exited.height})
        assert history is not None
        others = history.filter(
            (pl.col("year").cast(pl.Int32) == start_year - 1)
            & pl.col("in_list")
            & ~pl.col("school_id").is_in(supported)
        )["school_id"].to_list()
        if others:
            ox = list_exits(history, others, start_year)
            summary.update(
                {
                    "unsupported_on_list_before": len(others),
                    "unsupported_exited": ox.filter(pl.col("exit_year").is_not_null()).height,
                }
            )
    return ex, summary
