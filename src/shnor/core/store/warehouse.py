"""The assessment warehouse: pupil-level results as partitioned Parquet files under SHNOR_HOME.

Layout: ``<root>/results/procedure=P/year=Y/subject=S/grade=G/<batch_id>.parquet``. A batch file is
written to a temporary name and renamed into place (atomic on one file system); which files are
live is decided by the batch manifest in the database, so a file is never read before its batch
is committed, and a replaced or interrupted batch leaves at most an orphan that ``sweep`` removes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from shnor.core.store import schema


class Warehouse:
    """Parquet files of pupil-level results under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def batch_path(self, *, procedure: str, year: int, subject: str, grade: int, batch_id: str) -> str:
        """The relative path of a batch file."""
        return f"results/procedure={procedure}/year={year}/subject={subject}/grade={grade}/{batch_id}.parquet"

    def write_batch(self, frame: pl.DataFrame, relpath: str) -> Path:
        """Write one batch atomically (temporary file, fsync, rename) and return its absolute path."""
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".parquet")
        os.close(fd)
        try:
            schema.conform(frame, schema.RESULTS).write_parquet(tmp, compression="zstd", statistics=True)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def write_batch_lazy(self, frame: pl.LazyFrame, relpath: str) -> Path:
        """Like ``write_batch`` for a lazy frame, streamed to the file (large batches, low memory)."""
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".parquet")
        os.close(fd)
        try:
            cols = frame.collect_schema().names()
            conformed = frame.select(
                pl.col(n).cast(t) if n in cols else pl.lit(None, dtype=t).alias(n)
                for n, t in schema.RESULTS.items()
            )
            conformed.sink_parquet(tmp, compression="zstd", statistics=True)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def remove(self, relpath: str) -> None:
        """Delete a batch file (no error when it is already gone)."""
        (self.root / relpath).unlink(missing_ok=True)

    def scan(self, relpaths: Iterable[str]) -> pl.LazyFrame:
        """A lazy frame over the given batch files (the manifest's live batches), RESULTS schema."""
        files = [str(self.root / p) for p in relpaths]
        if not files:
            return schema.empty(schema.RESULTS).lazy()
        return pl.scan_parquet(files, schema=schema.RESULTS)

    def sweep(self, live: Iterable[str]) -> list[Path]:
        """Remove Parquet files not in the live set (orphans of interrupted or replaced imports)."""
        keep = {(self.root / p).resolve() for p in live}
        removed: list[Path] = []
        base = self.root / "results"
        if not base.exists():
            return removed
        for f in base.rglob("*.parquet"):
            if f.resolve() not in keep:
                f.unlink()
                removed.append(f)
        for f in base.rglob(".tmp-*"):
            f.unlink()
            removed.append(f)
        return removed
