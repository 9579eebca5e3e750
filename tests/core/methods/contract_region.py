"""The small generated region the method contract and the pipeline tests run on (built once per process)."""

from __future__ import annotations

import functools

from shnor.core.demo import DemoConfig, generate
from shnor.core.methods.base import Inputs
from shnor.core.store import schema

#: A municipality with three years of ВПР in two subjects and grades: enough for every method to find
#: something (ШНОР, leaders, a comparison group, deficits, FIOKO markers), small enough to run in seconds.
REGION = DemoConfig(
    seed=5, size="municipality", years=(2022, 2023, 2024), subjects=("ma", "ru"), grades=(4, 5), gia=False
)
YEAR = 2024


@functools.cache
def region_inputs(year: int = YEAR) -> Inputs:
    """The region's inputs for ``year`` (every year's results, as a run reads them)."""
    data = generate(REGION)
    return Inputs(
        year=year,
        results=data.results.lazy(),
        tasks=data.tasks,
        scales=data.scales,
        schools=data.schools,
        context=data.context,
    )


def nothing_imported(year: int = YEAR) -> Inputs:
    """Inputs of a region where nothing has been imported yet."""
    return Inputs(year=year, results=schema.empty(schema.RESULTS).lazy())
