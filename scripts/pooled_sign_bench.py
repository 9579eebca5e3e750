"""Time one pooled objectivity sign alone on a cached benchmark country, with a digest of its records.

    python scripts/pooled_sign_bench.py FOLDER journal_corr|lenient_checking [--year 2024]

FOLDER is a generator cache of ``shnor bench`` (``$SHNOR_HOME/bench/data/country-y1-seed2024``). Prints
the wall and CPU time of the sign, the process's peak RSS and the SHA-256 of every school's record
(sorted keys), to compare two versions of the code (``PYTHONPATH=<checkout>/src``).
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from pathlib import Path

import orjson
from bench_method import inputs_from_folder

from shnor.core.config import default_config
from shnor.core.methods.objectivity.pooled_marks import journal_corr_pooled, lenient_pooled

SIGNS = {"journal_corr": journal_corr_pooled, "lenient_checking": lenient_pooled}


def main() -> None:
    """Run the sign once and print what it cost."""
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("sign", choices=sorted(SIGNS))
    ap.add_argument("--year", type=int, default=2024)
    args = ap.parse_args()
    inputs = inputs_from_folder(args.folder, args.year)
    config = default_config()["objectivity"]
    t, c = time.perf_counter(), time.process_time()
    out = SIGNS[args.sign](inputs, config)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    options = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY
    digest = hashlib.sha256(orjson.dumps(out, option=options)).hexdigest()[:16]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cost = f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak {peak:,.0f} MB"
    print(f"{args.sign}: {len(out)} schools, {cost}; {digest}")


if __name__ == "__main__":
    main()
