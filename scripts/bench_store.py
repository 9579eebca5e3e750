"""Time storing a run's outcomes (``store.outcomes_store`` / ``deficits_store``) from saved method frames.

    python scripts/bench_method.py CACHE objectivity --out obj.parquet
    python scripts/bench_method.py CACHE deficits --out def.parquet
    python scripts/bench_store.py WORK_FOLDER --objectivity obj.parquet --deficits def.parquet \
        [--profile OUT.prof]

WORK_FOLDER becomes a fresh SHNOR_HOME (its own SQLite database: emptied first). The schools are
registered before the clock starts; each store is timed alone.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import shutil
import time
from pathlib import Path

import polars as pl


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("work", type=Path)
    ap.add_argument("--objectivity", type=Path)
    ap.add_argument("--deficits", type=Path)
    ap.add_argument("--profile", type=Path)
    a = ap.parse_args()
    if a.work.exists():
        shutil.rmtree(a.work)
    a.work.mkdir(parents=True)
    os.environ["SHNOR_HOME"] = str(a.work)
    os.environ.pop("DATABASE_URL", None)
    from shnor import cli

    cli.django_setup()
    from shnor.web.identification import store
    from shnor.web.identification.models import MethodologyRun
    from shnor.web.registry.services import schools_ensure

    obj = pl.read_parquet(a.objectivity) if a.objectivity else None
    gaps = pl.read_parquet(a.deficits) if a.deficits else None
    ids = pl.concat([f.select("school_id") for f in (obj, gaps) if f is not None]).unique()
    schools_ensure(schools=ids, source="замер")
    run = MethodologyRun.objects.create(year=2024, config={}, config_digest="bench_store")
    prof = cProfile.Profile() if a.profile else None
    for name, call in (
        ("objectivity", lambda: store.outcomes_store(run, {"objectivity": obj})),
        ("deficits", lambda: store.deficits_store(run, gaps)),
    ):
        if (obj if name == "objectivity" else gaps) is None:
            continue
        t0 = time.perf_counter()
        prof.runcall(call) if prof else call()
        print(f"store {name}: {time.perf_counter() - t0:.1f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    if prof:
        prof.dump_stats(a.profile)


if __name__ == "__main__":
    main()
