"""Shared synthetic regions (generated once per test session)."""

from __future__ import annotations

import polars as pl
import pytest

from shnor.core.demo import DemoConfig, DemoData, generate


@pytest.fixture(scope="session")
def region() -> DemoData:
    """The default demo region (≈300 schools, 3 years)."""
    return generate(DemoConfig(seed=7))


@pytest.fixture(scope="session")
def vpr(region: DemoData) -> pl.DataFrame:
    return region.vpr_results


@pytest.fixture(scope="session")
def small() -> DemoData:
    return generate(DemoConfig(seed=11, size="municipality"))
