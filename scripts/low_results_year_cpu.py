"""One year's low-results assessment with and without its evidence, on a cached benchmark country.

    python scripts/low_results_year_cpu.py $SHNOR_HOME/bench/data/country-y3-seed2024 [--year 2023]

Builds the pupil scores of the years before ``--year`` and after it once, then assesses ``--year``
with its evidence and without it (as ``low_results.run`` assesses an earlier year), twice each:
the CPU time and the memory each holds when done.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from bench_method import inputs_from_folder

from shnor.core.config import default_config
from shnor.core.methods import value_added
from shnor.core.methods.low_results_year import assess_year
from shnor_bench.meter import rss_mb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--year", type=int, default=2023)
    a = ap.parse_args()
    cfg = default_config()
    inputs = inputs_from_folder(a.folder, a.year + 1)
    scores = value_added.pupil_scores(inputs.results, inputs.scales, years=range(a.year - 2, a.year + 2))
    for _ in range(2):
        for with_evidence in (True, False):
            gc.collect()
            before, t0 = rss_mb(), time.process_time()
            frame, evidence = assess_year(
                inputs,
                scores,
                a.year,
                cfg["low_results"],
                va_config=cfg["value_added"],
                social=None,
                with_value_added=True,
                with_evidence=with_evidence,
            )
            cpu = time.process_time() - t0
            print(
                f"{a.year}, evidence {'made' if with_evidence else 'not made'}: {cpu:.1f} CPU s,",
                f"RSS {before:,.0f} -> {rss_mb():,.0f} MB, {frame.height} schools, {len(evidence)} evidence",
            )
            del frame, evidence


if __name__ == "__main__":
    main()
