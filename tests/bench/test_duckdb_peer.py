"""DuckDB's aggregates equal the Polars path's at municipality size, and ``compare`` sees a difference."""

from __future__ import annotations

import math

import polars as pl
import pytest

from shnor_bench.country import LAST_YEAR, Plan, bulk_import, generate_cached, registry_load, warehouse_files
from shnor_bench.duckdb_baseline import duckdb_aggregates
from shnor_bench.pandas_baseline import UNIT, compare, polars_aggregates

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(home) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """(Polars, DuckDB) aggregates of 2024, warehouse of 8 schools and 2 years (as the bench test)."""
    from shnor.web.assessments.selectors import results_scan, scales_frame, tasks_frame
    from shnor.web.registry.selectors import schools_frame

    folder, _ = generate_cached(Plan(size="municipality", n_schools=8, years=2), home / "cache")
    registry_load(folder)
    bulk_import(folder)
    inputs = (scales_frame(), tasks_frame(), schools_frame(), LAST_YEAR)
    polars = polars_aggregates(results_scan(), *inputs)
    files = warehouse_files()
    assert {p for f in files for p in f.parts if p.startswith("year=")} == {
        "year=2023",
        "year=2024",
    }  # the year is chosen in SQL
    return polars, duckdb_aggregates(files, *inputs)


def _max_diff(a: pl.Series, b: pl.Series) -> float:
    """The largest absolute difference, NaN/null on both sides counting as equal, on one side as infinite."""
    worst = 0.0
    for x, y in zip(a.cast(pl.Float64).to_list(), b.cast(pl.Float64).to_list(), strict=True):
        gone_x, gone_y = x is None or math.isnan(x), y is None or math.isnan(y)
        if gone_x and gone_y:
            continue
        worst = max(worst, math.inf if gone_x or gone_y else abs(x - y))
    return worst


def test_duckdb_equals_polars(both) -> None:
    polars, duck = both
    ok, note = compare(polars, duck)
    assert ok, note
    u = polars["units"].join(duck["units"], on=UNIT, how="full", suffix="_d", coalesce=True)
    assert u.height == polars["units"].height == duck["units"].height > 8  # every school × test, no extra
    for c in ("n", "mean", "sd", "ci_lo", "ci_hi", "r_hi", "share_2", "share_3", "share_4", "share_5"):
        assert _max_diff(u[c], u[f"{c}_d"]) < 1e-9, c
    assert _max_diff(u["share_below_3"], u["share_below_3_d"]) < 1e-9
    assert (u["inflated"] == u["inflated_d"]).all()
    # rs: the same value (to rounding) in every unit, and a real one in most: ties are everywhere in
    # journal marks 2..5, so an ordinary rank instead of the average one would not pass
    rs, rs_d = u["spearman"], u["spearman_d"]
    assert _max_diff(rs, rs_d) < 1e-12
    assert rs.fill_nan(None).drop_nulls().len() > u.height // 2
    k = [*UNIT, "task_no"]
    t = polars["tasks"].join(duck["tasks"], on=k, how="full", suffix="_d", coalesce=True)
    assert t.height == polars["tasks"].height == duck["tasks"].height > 100
    assert _max_diff(t["success"], t["success_d"]) < 1e-12


def test_compare_reports_a_perturbed_value(both) -> None:
    polars, duck = both
    first = pl.int_range(pl.len()) == 0
    shifted = duck["units"].with_columns(pl.when(first).then(pl.col("sd") + 1e-6).otherwise(pl.col("sd")))
    ok, note = compare(polars, {**duck, "units": shifted})
    assert not ok
    assert "units.sd: макс. расхождение 1e-06" in note
    flipped = duck["units"].with_columns(
        pl.when(first).then(~pl.col("inflated")).otherwise(pl.col("inflated"))
    )
    ok, note = compare(polars, {**duck, "units": flipped})
    assert not ok
    assert "units.inflated: различий 1" in note
    fewer = duck["tasks"].slice(1)
    ok, note = compare(polars, {**duck, "tasks": fewer})
    assert not ok
    assert "tasks: строк" in note
