"""The low results' pupil scores alone on a cached benchmark country: time, peak RSS, a digest.

    python scripts/pupil_scores_bench.py $SHNOR_HOME/bench/data/country-y3-seed2024 [--years 3]

Builds ``value_added.pupil_scores`` over the last ``--years`` years ending 2024, as the low results
do without stored earlier runs; then each later step's own peak would be on top of it. The digest
(SHA-256 of every row's hash, in the frame's order, over one set of column types) compares two
versions of the code: the same digest is the same frame, row for row, whatever its chunks; «held» is
the process's RSS with the frame built.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from pathlib import Path

import polars as pl
from bench_method import inputs_from_folder

from shnor.core.methods.value_added import pupil_scores
from shnor_bench.meter import rss_mb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--years", type=int, default=3)
    a = ap.parse_args()
    inputs = inputs_from_folder(a.folder, 2024)
    t0, c0 = time.perf_counter(), time.process_time()
    df = pupil_scores(inputs.results, inputs.scales, years=list(range(2024 - a.years + 1, 2025)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    held = rss_mb()
    # the digest over one set of column types whatever the code's (newer code's are narrower)
    common = df.with_columns(
        pl.col("procedure", "subject").cast(pl.String),
        pl.col("year", "grade").cast(pl.Int32),
        pl.col("test_score").cast(pl.Float64),
    )
    digest = hashlib.sha256(common.hash_rows(seed=0).to_numpy().tobytes()).hexdigest()[:16]
    print(
        f"pupil scores: {wall:.1f} s, {cpu:.1f} CPU s, peak RSS {peak:,.0f} MB, held {held:,.0f} MB,",
        f"{df.height:,} rows, {df.n_chunks()} chunks, {df.estimated_size() / 1e6:,.0f} MB, {digest}",
    )


if __name__ == "__main__":
    main()
