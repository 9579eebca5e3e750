"""The evidence text of every deficit row: one JSON object per row, written with a fixed template."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl


def _float_texts(series: pl.Series, slow: Any) -> list[str]:
    """``json.dumps(round(x, 4))`` (null for null/NaN) of a float column, vectorised.

    rint(x·10⁴)/10⁴ is the double ``round`` returns unless x·10⁴ lies within rounding error of a
    half (or the value is -0.0, infinite or huge): those few go through ``slow``, the rest are
    formatted once per distinct value.
    """
    x = series.cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * 1e4
        r = np.rint(y) / 1e4
        frac = np.abs(y - np.trunc(y))
        risky = (
            ~np.isfinite(y) | (np.abs(frac - 0.5) < 1e-6) | (np.abs(y) > 1e12) | ((r == 0) & np.signbit(r))
        )
    out = np.empty(x.size, dtype=object)
    ok = ~risky
    if ok.any():
        uniq, inv = np.unique(r[ok], return_inverse=True)
        out[ok] = np.array([float.__repr__(v) for v in uniq.tolist()], dtype=object)[inv]
    for i in np.flatnonzero(risky).tolist():
        v = x[i]
        out[i] = "null" if v != v else slow(float(v))
    return out.tolist()


class _Json:
    """JSON texts of single values, memoised by type and value (True ≠ 1)."""

    def __init__(self) -> None:
        self.strings: dict[tuple[type, Any], str] = {}

    def js(self, x: Any) -> str:
        """JSON of a string / None / bool / int."""
        if type(x) is int:
            return int.__repr__(x)
        k = (type(x), x)
        try:
            return self.strings[k]
        except KeyError:
            self.strings[k] = out = json.dumps(x, ensure_ascii=False)
            return out

    def num(self, x: Any) -> str:
        """A number rounded to 4 decimals then json.dumps (whose float text is float.__repr__); NaN → null."""
        if type(x) is float:
            if x != x:
                return "null"
            y = round(x, 4)
            return float.__repr__(y) if math.isfinite(y) else json.dumps(y)
        if x is None:
            return "null"
        return self.js(x)


#: The row's columns that the evidence quotes.
_COLUMNS = (
    "success",
    "lower",
    "upper",
    "n_pupils",
    "max_points",
    "tasks",
    "levels",
    "comparison_kind",
    "comparison_key",
    "comparison_success",
    "comparison_n_pupils",
    "comparison_n_schools",
    "gap",
    "z",
    "threshold_target",
    "threshold_min",
    "absolute_status",
    "recommendation_ids",
    "persists_grade",
    "persists_cohort",
)


def _column_texts(frame: pl.DataFrame, j: _Json) -> pl.DataFrame:
    """JSON text of every value of the quoted columns (floats rounded; others memoised per value)."""
    n_rows = frame.height

    def text(c: str) -> pl.Series:
        if c not in frame.columns:
            return pl.Series(c, ["null"] * n_rows, dtype=pl.String)
        col = frame[c]
        if col.dtype == pl.Float64:
            return pl.Series(c, _float_texts(col, j.num), dtype=pl.String)
        values = col.unique().drop_nulls().to_list()
        mapped = col.replace_strict(values, [j.js(v) for v in values], default=None, return_dtype=pl.String)
        return mapped.fill_null("null").alias(c)

    return pl.DataFrame([text(c) for c in _COLUMNS])


def _template(sec: Mapping[str, Any], j: _Json) -> list[pl.Expr | str]:
    """The evidence object's text as literals and column names, keys in sorted order."""
    conf = (
        j.js(sec["interval"]["confidence"])
        if not isinstance(sec["interval"]["confidence"], float)
        else json.dumps(sec["interval"]["confidence"])
    )
    method = j.js(sec["interval"]["method"])
    min_gap = json.dumps(sec["relative"]["min_gap"])
    min_pupils = json.dumps(sec["min_pupils"])
    rule = j.js(sec["rule"])
    lit = pl.lit
    return [
        lit('{"absolute_status": '), "absolute_status",
        lit(', "comparison": {"key": '), "comparison_key",
        lit(', "kind": '), "comparison_kind",
        lit(', "n_pupils": '), "comparison_n_pupils",
        lit(', "n_schools": '), "comparison_n_schools",
        lit(', "success": '), "comparison_success",
        lit(f'}}, "confidence": {conf}, "gap": '), "gap",
        lit(', "interval": ['), "lower", lit(", "), "upper",
        lit(f'], "interval_method": {method}, "levels": '), "levels",
        lit(', "max_points": '), "max_points",
        lit(f', "min_gap": {min_gap}, "min_pupils": {min_pupils}, "n_pupils": '), "n_pupils",
        lit(', "persists_cohort": '), "persists_cohort",
        lit(', "persists_grade": '), "persists_grade",
        lit(', "recommendations": '), "recommendation_ids",
        lit(f', "rule": {rule}, "statistic": "success", "success": '), "success",
        lit(', "tasks": '), "tasks",
        lit(', "thresholds": {"min": '), "threshold_min",
        lit(', "target": '), "threshold_target",
        lit('}, "z": '), "z",
        lit("}"),
    ]  # fmt: skip


def _evidence_column(frame: pl.DataFrame, sec: Mapping[str, Any]) -> list[str]:
    """The evidence JSON (``json.dumps(..., sort_keys=True)`` of the row's figures and the settings) of
    every row, built from column lists with a fixed template."""
    j = _Json()
    t = _column_texts(frame, j)
    return t.select(pl.concat_str(_template(sec, j)).alias("evidence"))["evidence"].to_list()
