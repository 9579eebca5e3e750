"""National-scale benchmark (slow): one country-size year straight to Parquet."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest

from shnor.core.demo import DemoConfig, generate, write_files


@pytest.mark.slow
def test_country_year_to_parquet(tmp_path: Path) -> None:
    start = time.perf_counter()
    data = generate(DemoConfig(size="country", years=(2024,), gia=False))
    paths = write_files(data, tmp_path, fmt="parquet")
    elapsed = time.perf_counter() - start
    assert data.schools.height > 35_000
    rows = (
        pl.scan_parquet(tmp_path / "results" / "**" / "*.parquet", hive_partitioning=False)
        .select(pl.len())
        .collect()
        .item()
    )
    assert rows > 12_000_000
    assert len([p for p in paths if p.suffix == ".parquet"]) == 10
    assert elapsed < 600


def test_region_generates_and_writes_quickly(tmp_path: Path) -> None:
    start = time.perf_counter()
    data = generate(DemoConfig(seed=99))
    write_files(data, tmp_path)
    assert time.perf_counter() - start < 45
