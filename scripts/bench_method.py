"""Time one method alone on a cached benchmark country, without Django.

    python scripts/bench_method.py FOLDER METHOD [N_SCHOOLS] [--profile OUT.prof] [--no-evidence]

FOLDER is a generator cache of ``shnor bench`` (``$SHNOR_HOME/bench/data/country-y1-seed2024``);
METHOD is a section of the default configuration (fioko, objectivity, low_results, deficits, …);
N_SCHOOLS keeps the first n school ids (0 = all). Prints wall time and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import time
from importlib import import_module
from pathlib import Path

import polars as pl

from shnor.core.config import default_config
from shnor.core.methods.base import Inputs
from shnor.core.store import schema


def _frame(path: Path, spec: dict, rename: dict | None = None) -> pl.DataFrame:
    df = pl.read_csv(path, infer_schema_length=0).rename(rename or {})
    cols = [c for c in spec if c in df.columns]

    def cast(c: str) -> pl.Expr:
        if spec[c] == pl.Boolean():
            return pl.col(c).str.to_lowercase().is_in(["true", "1", "да"]).alias(c)
        return pl.col(c).cast(spec[c], strict=False)

    out = df.select([cast(c) for c in cols])
    missing = [pl.lit(None, dtype=spec[c]).alias(c) for c in spec if c not in df.columns]
    return out.with_columns(missing).select(list(spec)) if missing else out.select(list(spec))


def inputs_from_folder(folder: Path, year: int, n_schools: int = 0) -> Inputs:
    """``Inputs`` over the cached RESULTS Parquet files and the CSVs of a generated country."""
    results = pl.scan_parquet(str(folder / "results" / "**" / "*.parquet"))
    schools = _frame(folder / "schools.csv", schema.SCHOOLS).with_columns(in_registry=pl.lit(True))
    if n_schools:
        keep = sorted(schools["school_id"].to_list())[:n_schools]
        results = results.filter(pl.col("school_id").is_in(keep)).collect().lazy()
        schools = schools.filter(pl.col("school_id").is_in(keep))
    return Inputs(
        year=year,
        results=results,
        tasks=_frame(folder / "tasks.csv", schema.TASKS, {"task": "task_label"}),
        scales=_frame(folder / "scales.csv", schema.SCALES),
        schools=schools,
        context=_frame(folder / "context.csv", schema.CONTEXT)
        if (folder / "context.csv").exists()
        else schema.empty(schema.CONTEXT),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("method")
    ap.add_argument("n_schools", type=int, nargs="?", default=0)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--profile", type=Path)
    ap.add_argument("--out", type=Path, help="write the result frame as Parquet")
    ap.add_argument("--no-evidence", action="store_true", help="evidence=False (as the pipeline)")
    a = ap.parse_args()
    inputs = inputs_from_folder(a.folder, a.year, a.n_schools)
    mod = import_module(f"shnor.core.methods.{a.method}")
    cfg = default_config()[a.method]
    kwargs = {"evidence": False} if a.no_evidence else {}
    t0 = time.perf_counter()
    if a.profile:
        prof = cProfile.Profile()
        out = prof.runcall(mod.run, inputs, cfg, **kwargs)
        prof.dump_stats(a.profile)
    else:
        out = mod.run(inputs, cfg, **kwargs)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ev = out["evidence"].str.len_bytes().sum() if "evidence" in out.columns else 0
    print(
        f"{a.method}: {wall:.1f} s, peak RSS {peak:,.0f} MB, {out.height} rows, evidence {ev / 1e6:,.0f} MB"
    )
    if a.out:
        out.write_parquet(a.out)


if __name__ == "__main__":
    main()
