"""Time turning a run's objectivity evidence into format 3 (``share_json``, what the outcome sink's
process does), and a digest of the output to compare two versions of the code byte for byte.

    python scripts/bench_method.py CACHE objectivity --out obj.parquet
    PYTHONPATH=src python scripts/evidence_turn_bench.py obj.parquet [N_SCHOOLS]

The schools' evidence in the frame's order (as the run hands it over), one ``shared`` for the run;
wall and CPU time of the turning alone, then the SHA-256 of every school's output and of the run's
shared parts (sorted keys).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import orjson
import polars as pl

from shnor.core.evidence.objectivity_shared import share_json


def main() -> None:
    """Turn the first ``N_SCHOOLS`` (all by default) and print the time and the digest."""
    ap = argparse.ArgumentParser()
    ap.add_argument("frame", type=Path)
    ap.add_argument("n_schools", type=int, nargs="?", default=0)
    args = ap.parse_args()
    evidence = pl.read_parquet(args.frame, columns=["evidence"])["evidence"].to_list()
    if args.n_schools:
        evidence = evidence[: args.n_schools]
    raw = [e.encode() for e in evidence]
    shared: dict = {}
    t0, c0 = time.perf_counter(), time.process_time()
    out = [share_json(e, shared) for e in raw]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    digest = hashlib.sha256()
    for o in out:
        digest.update(o)
        digest.update(b"\0")
    digest.update(orjson.dumps(shared, option=orjson.OPT_SORT_KEYS))
    print(f"{len(raw)} schools turned: {wall:.2f} s wall, {cpu:.2f} s CPU; digest {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
