"""The participation sign's counts alone on a cached benchmark country: time, peak RSS, a digest.

    python scripts/participation_bench.py $SHNOR_HOME/bench/data/country-y3-seed2024 [--year 2024]

Counts every ВПР pupil of the year and the two before it per school (``participation._counts``); the
digest (SHA-256 of the frame sorted and written as CSV) compares two versions of the code.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from pathlib import Path

from bench_method import inputs_from_folder

from shnor.core.methods.objectivity.participation import _counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--year", type=int, default=2024)
    a = ap.parse_args()
    inputs = inputs_from_folder(a.folder, a.year)
    t0, c0 = time.perf_counter(), time.process_time()
    df = _counts(inputs, [a.year - 2, a.year - 1, a.year]).sort("school_id", "year")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    digest = hashlib.sha256(df.write_csv().encode()).hexdigest()[:16]
    print(
        f"participation counts: {wall:.1f} s, {cpu:.1f} CPU s, peak RSS {peak:,.0f} MB,",
        f"{df.height} rows, {digest}",
    )


if __name__ == "__main__":
    main()
