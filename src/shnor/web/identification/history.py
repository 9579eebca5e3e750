"""Reads of earlier runs that a new run needs: the latest run of a year and list membership history."""

from __future__ import annotations

import polars as pl

from shnor.web.identification.models import MethodologyRun, SchoolOutcome


def run_latest(*, year: int | None = None) -> MethodologyRun | None:
    """The latest finished run (of a year, when given)."""
    runs = MethodologyRun.objects.filter(status=MethodologyRun.DONE)
    if year is not None:
        runs = runs.filter(year=year)
    return runs.order_by("-finished_at", "-pk").first()


def list_history(*, before_year: int) -> pl.DataFrame:
    """ШНОР membership of earlier years from each year's latest finished run: year, school_id, in_list."""
    rows: list[dict[str, object]] = []
    years = (
        MethodologyRun.objects.filter(status=MethodologyRun.DONE, year__lt=before_year)
        .values_list("year", flat=True)
        .distinct()
    )
    for y in sorted(set(years)):
        run = run_latest(year=y)
        if run is None:
            continue
        for sid, flagged in SchoolOutcome.objects.filter(
            run=run, method=SchoolOutcome.LOW_RESULTS
        ).values_list("school__school_id", "flagged"):
            rows.append({"year": y, "school_id": sid, "in_list": flagged})
    return pl.DataFrame(rows, schema={"year": pl.Int32, "school_id": pl.String, "in_list": pl.Boolean})
