"""The test records of a year as columns and one buffer of serialised bodies per procedure
(``_Records`` as a procedure's tests make them, ``_Tests`` for the whole year, by school)."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import polars as pl

from shnor.core.evidence.objectivity_format import compact_record_in_place

_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _json(obj: Any) -> bytes:
    """UTF-8 JSON with sorted keys; numpy scalars and arrays as numbers, NaN and ±inf as null."""
    return orjson.dumps(obj, option=_JSON_OPTIONS)


#: Record columns: school, id, sign, procedure, tested, p-value, start and end of the body.
_COLS = 8


class _Records:
    """Test records as the columns keep them: school, id, sign, procedure, tested, p-value, and the
    start and end of each record's body, the record itself serialised (sorted keys, in the evidence's
    format 2: ``core.evidence.objectivity_format``) into one buffer. Columns and one buffer a
    procedure instead of an object a record:
    300,000 small objects per procedure cost memory, pickling between processes and their copies to
    exact size (orjson's result keeps its whole write buffer); per-school dicts of every record of
    every test were what made the country year need too much memory. Appended to column by column
    (no tuple a record, no transposing afterwards, which was slow for a country procedure)."""

    def __init__(self) -> None:
        self.cols: list[list[Any]] = [[] for _ in range(_COLS)]
        self.buffer = bytearray()

    def add(self, sid: str, rec: dict[str, Any]) -> None:
        sids, ids, signs, procs, tested, p_values, starts, ends = self.cols
        buf = self.buffer
        sids.append(sid)
        ids.append(rec["id"])
        signs.append(rec["sign"])
        procs.append(rec["procedure"])
        tested.append(bool(rec.get("tested")))
        p_values.append(rec.get("p_value"))  # exact: the school's signs are combined from it
        # the body as the evidence stores it (format 2: p-values rounded, nothing the id says)
        compact_record_in_place(rec)
        starts.append(len(buf))
        buf += orjson.dumps(rec, option=_JSON_OPTIONS)
        ends.append(len(buf))


class _Tests:
    """Every test record of the year as columns, sorted by school, then record id; ``bounds[i]:
    bounds[i + 1]`` are the rows of ``schools[i]``, ``made`` each row's position in the order the
    tests were made (unit by unit, sign by sign), which decides ties as the per-school lists did.
    Columns rather than an object per record: a country year has 3 million. The records' bodies stay
    in their procedures' buffers (``blobs``); ``signs_parts(i)`` are a school's as the parts of one
    JSON list."""

    def __init__(self, cols: list[list[Any]], blobs: list[bytes | np.ndarray]) -> None:
        sids, ids = cols[0], cols[1]
        codes = pl.DataFrame({"s": sids, "i": ids}, schema={"s": pl.String, "i": pl.String}).select(
            pl.col("s").rank("dense").cast(pl.Int64) - 1, pl.col("i").rank("dense").cast(pl.Int64) - 1
        )
        sc, ic = codes["s"].to_numpy(), codes["i"].to_numpy()
        order = np.lexsort((ic, sc))
        pick = order.tolist()
        self.made = order
        # (the procedures column is not needed past ``evaluate``)
        self.ids, self.signs, self.tested, self.p_values = ([cols[c][k] for k in pick] for c in (1, 2, 4, 5))
        self.blob, self.start, self.end = (np.asarray(cols[c], dtype=np.int64)[order] for c in (8, 6, 7))
        self._views = [memoryview(b.data if isinstance(b, np.ndarray) else b) for b in blobs]
        starts = np.flatnonzero(np.diff(sc[order], prepend=-1))
        self.schools = [sids[k] for k in order[starts].tolist()]
        self.bounds = [*starts.tolist(), len(pick)]

    def rows(self, i: int) -> range:
        """The rows of ``schools[i]``."""
        return range(self.bounds[i], self.bounds[i + 1])

    def signs_parts(self, i: int) -> list[Any]:
        """The records of ``schools[i]`` as the parts of one JSON list, in record id order: views
        of the bodies and the punctuation between them, for one ``b"".join`` with what surrounds
        the list (each ``+`` or ``join`` copies the school's records again)."""
        a, b = self.bounds[i], self.bounds[i + 1]
        views = self._views
        parts: list[Any] = [b"["]
        for u, s, e in zip(
            self.blob[a:b].tolist(), self.start[a:b].tolist(), self.end[a:b].tolist(), strict=True
        ):
            parts += (views[u][s:e], b",")
        if len(parts) == 1:
            return [b"[]"]
        parts[-1] = b"]"  # (in place of the last comma)
        return parts
