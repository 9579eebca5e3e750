"""The deficits method's per-test matrix path gives the same results as its definition (the oracle).

``deficits_oracle`` computes everything the straightforward way (explode ``task_scores`` → join
the element map → group-by; string-keyed joins for the table; ``json.dumps`` per row for the
evidence); both are run on a demo municipality and compared. Floats are compared to 1e-12 relative:
the oracle's comparison-group sums are float group-by sums whose order polars does not fix (it
differs from itself in the last bit from run to run); everything else must be equal, and the
evidence texts too except where such a last-bit difference meets a value exactly at a half of the
4th decimal (it then rounds either way).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from shnor.core.config import default_config
from shnor.core.methods import deficits as dm
from shnor.core.methods.base import Inputs
from shnor.core.methods.deficits import blocks
from tests.core.methods import deficits_oracle as oracle

CFG = default_config()["deficits"]


@pytest.fixture(scope="module")
def demo() -> Inputs:
    from shnor.core.demo import DemoConfig, generate

    d = generate(DemoConfig(seed=3, size="municipality"))
    res = d.results.with_columns(
        # a few missing items inside the lists, a few rows of the wrong length (left out by both paths)
        pl.when(pl.int_range(pl.len()) % 97 == 0)
        .then(
            pl.col("task_scores").list.eval(
                pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.element())
            )
        )
        .when(pl.int_range(pl.len()) % 101 == 0)
        .then(pl.col("task_scores").list.slice(1))
        .otherwise(pl.col("task_scores"))
        .alias("task_scores")
    )
    return Inputs(year=2024, results=res.lazy(), tasks=d.tasks, scales=d.scales, schools=d.schools)


def _clusters(i: Inputs) -> pl.DataFrame:
    """Three clusters of the demo's schools, and a few schools in none (they fall back to the region)."""
    ids = i.schools["school_id"].sort()
    return pl.DataFrame(
        {"school_id": ids, "cluster": [None if k % 11 == 0 else f"c{k % 3}" for k in range(ids.len())]}
    )


def _both(
    fn: Callable[[Any, Inputs], Any], demo: Inputs, monkeypatch: pytest.MonkeyPatch
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the oracle's result, the product's), lazy frames collected and sorted."""
    ref = fn(oracle, demo)
    monkeypatch.setattr(blocks, "_CHUNK", 1000)  # several chunks per test
    got = fn(dm, demo)
    if isinstance(ref, pl.LazyFrame):
        ref, got = (f.collect().sort(pl.all(), nulls_last=True) for f in (ref, got))
    return ref, got


def _close(a: Any, b: Any) -> bool:
    """Equal JSON values, numbers to one unit of their 4th decimal (a value at a half rounds either way
    when the two paths' float sums differ in the last bit)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if (
        isinstance(a, float | int)
        and isinstance(b, float | int)
        and type(a) is not bool
        and type(b) is not bool
    ):
        return abs(a - b) <= 1.0001e-4
    return a == b


def _same(ref: pl.DataFrame, got: pl.DataFrame) -> None:
    assert ref.height > 0
    if "evidence" in ref.columns:
        assert got["evidence"].len() == ref["evidence"].len()
        for g, r in zip(got["evidence"], ref["evidence"], strict=True):
            assert g == r or _close(json.loads(g), json.loads(r)), (g, r)
        ref, got = ref.drop("evidence"), got.drop("evidence")
    assert_frame_equal(got, ref, check_exact=False, rel_tol=1e-12, abs_tol=1e-14)


#: Calls made the same way on the product (``dm``) and on the oracle: ``m`` is either module.
CASES: dict[str, Callable[[Any, Inputs], Any]] = {
    "run": lambda m, i: m.run(i, CFG),
    "table": lambda m, i: m.deficit_table(i, CFG),
    "table_2023_by_municipality": lambda m, i: m.deficit_table(
        i, {**CFG, "comparison": {**CFG["comparison"], "by": "municipality"}, "rule": "either"}, year=2023
    ),
    "table_clusters_absolute_upper": lambda m, i: m.deficit_table(
        i,
        {**CFG, "rule": "absolute", "absolute": {**CFG["absolute"], "use": "upper"}},
        clusters=_clusters(i),
    ),
    "run_clusters_both": lambda m, i: m.run(
        i,
        {
            **CFG,
            "rule": "both",
            "comparison": {**CFG["comparison"], "min_schools": 3, "min_group_pupils": 150},
        },
        clusters=_clusters(i),
    ),
    "table_region_with_self_schools_only": lambda m, i: m.deficit_table(
        i,
        {
            **CFG,
            "units": ["school"],
            "interval": {**CFG["interval"], "method": "t"},
            "comparison": {**CFG["comparison"], "by": "region", "exclude_self": False},
        },
    ),
    "risk": lambda m, i: m.pupils_at_risk(i, CFG),
    "risk_some_schools": lambda m, i: m.pupils_at_risk(
        i, CFG, school_ids=i.schools["school_id"].sort().head(4).to_list()
    ),
    "success": lambda m, i: m.success(i.results, i.tasks, i.schools, year=2024),
    "class_sums": lambda m, i: m.class_sums(i.results, i.tasks, year=[2023, 2024]),
    "pupil_shares": lambda m, i: m.pupil_shares(i.results, i.tasks, year=2024, keep_pupil=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_product_equals_oracle(case: str, demo: Inputs, monkeypatch: pytest.MonkeyPatch) -> None:
    ref, got = _both(CASES[case], demo, monkeypatch)
    _same(ref, got)


def test_evidence_column_equals_row_json(demo: Inputs) -> None:
    out = dm.run(demo, CFG)
    sec = dm._section(CFG)
    assert out.height > 0
    assert dm._evidence_column(out, sec) == [oracle._evidence(r, sec) for r in out.iter_rows(named=True)]
    # odd values: NaN → null, infinities, None, booleans vs integers
    odd = out.head(3).with_columns(
        pl.Series("z", [float("nan"), float("inf"), None]),
        pl.Series("persists_grade", [True, False, None]),
        pl.Series("comparison_n_schools", [1, 0, None], dtype=pl.Int64),
    )
    assert dm._evidence_column(odd, sec) == [oracle._evidence(r, sec) for r in odd.iter_rows(named=True)]
