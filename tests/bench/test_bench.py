"""``shnor bench`` through its runner at a tiny size, and the country-scale run (``-m slow``)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from shnor.cli import main
from shnor_bench.country import Plan, generate_cached, run_bench

pytestmark = pytest.mark.django_db

STAGES = (
    "generate",
    "registry",
    "import",
    "identify 2024",
    "fioko",
    "objectivity",
    "social_index",
    "low_results",
    "tracks",
    "deficits",
    "store: wait",
    "aggregates: Polars",
    "aggregates: pandas",
    "aggregates: DuckDB",
)


def test_bench_tiny_through_the_runner(home) -> None:
    out_md = home / "bench.md"
    res = CliRunner().invoke(
        main,
        ["bench", "--size", "municipality", "--schools", "8", "--years", "2", "--out", str(out_md)],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    for stage in STAGES:
        assert stage in res.output, stage
    assert "совпадение: да" in res.output
    assert "ускорение ×" in res.output
    assert "совпадение с DuckDB: да" in res.output
    assert "DuckDB/Polars ×" in res.output
    text = out_md.read_text(encoding="utf-8")
    assert "| identify 2024 (methodology_run_create) |" in text
    assert "agree: True" in text
    assert "| aggregates: DuckDB (SQL over the warehouse files) |" in text
    assert "DuckDB / Polars ×" in text
    assert text.count("agree: True") == 2


def test_bench_without_the_peers(home) -> None:
    res = CliRunner().invoke(
        main,
        ["bench", "--size", "municipality", "--schools", "4", "--no-pandas", "--no-duckdb"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    assert "aggregates: Polars" in res.output
    assert "aggregates: pandas" not in res.output
    assert "aggregates: DuckDB" not in res.output
    assert "DuckDB/Polars" not in res.output


def test_generated_data_are_cached(home) -> None:
    plan = Plan(size="municipality", n_schools=4)
    folder, generated = generate_cached(plan, home / "cache")
    assert generated
    assert (folder / "results").is_dir()
    again, generated = generate_cached(plan, home / "cache")
    assert again == folder
    assert not generated


@pytest.mark.slow
def test_country_year(home) -> None:
    """A country-year (≈ 40,000 schools, ≈ 15 million ВПР rows) through every stage (docs/benchmarks.md)."""
    report = run_bench(Plan(size="country", years=1), home / "cache")
    assert report.rows > 10_000_000
    assert report.agree
    assert report.summary["schools_with_results"] > 30_000


@pytest.mark.slow
def test_country_three_years(home) -> None:
    """Three country years (≈ 46 million ВПР rows) with no stored earlier runs (docs/benchmarks.md):
    the methods that need earlier years run over 2022–2023 — the cohort markers compare grade N of
    2023 with grade N+1 of 2024, and the low results, recomputing 2022 and 2023, find schools on the
    list three years running (with one year neither can happen)."""
    from shnor.web.identification.models import MethodologyRun, SchoolOutcome

    report = run_bench(Plan(size="country", years=3, duckdb=False), home / "cache")
    assert "error" not in report.summary, report.summary
    assert report.rows > 40_000_000
    assert report.agree
    assert report.summary["schools_with_results"] > 30_000
    run = MethodologyRun.objects.get(label="bench", year=2024, status=MethodologyRun.DONE)
    outcomes = SchoolOutcome.objects.filter(run=run)
    assert outcomes.filter(method=SchoolOutcome.FIOKO, label__contains="cohort_").exists()
    assert outcomes.filter(method=SchoolOutcome.LOW_RESULTS, value__gte=3).exists()  # years on the list


def test_schools_option_counts_the_whole_country() -> None:
    """``--schools`` is the country's total: the generator's count is per region (85 in the country)."""
    from shnor_bench.country import demo_config

    assert demo_config(Plan(size="country", n_schools=5000)).n_schools == 59  # ⌈5000 / 85⌉ per region
    assert demo_config(Plan(size="region", n_schools=120)).n_schools == 120
    assert demo_config(Plan(size="country")).n_schools is None
