"""Pupils at risk of failure, by class, with their weakest elements, and groups of them for teachers.

Worked one test at a time: the basic-level share is one matrix-vector product per test, and only the
at-risk pupils' weak elements become rows (integer ids until the final join).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.methods.deficits.blocks import _Block, _block_class_sums, _blocks
from shnor.core.methods.deficits.elements import element_info, element_map
from shnor.core.methods.deficits.schemas import KEYS, NO_CLASS, RISK_SCHEMA
from shnor.core.methods.deficits.settings import _section
from shnor.core.methods.deficits.shares import class_sums
from shnor.core.store import schema

#: The at-risk pupils of one test: their elements of the weakest-element dimension (KEYS added),
#: their shares of them (pupils × elements) and their pupil ids (``_gid``).
_Weak = tuple[pl.DataFrame, np.ndarray, np.ndarray]


def _scale_for(inputs: Inputs, year: int) -> pl.DataFrame:
    """Nearest-year scale (min_3) per procedure/subject/grade."""
    sc = schema.conform(inputs.scales, schema.SCALES)
    if sc.height == 0:
        return pl.DataFrame(
            schema={"procedure": pl.String(), "subject": pl.String(), "grade": pl.Int8(), "min_3": pl.Int16()}
        )
    return (
        sc.with_columns(
            (pl.col("year").cast(pl.Int32) - year).abs().alias("_d"), (pl.col("year") > year).alias("_after")
        )
        .sort("_d", "_after")
        .unique(subset=["procedure", "subject", "grade"], keep="first", maintain_order=True)
        .select("procedure", "subject", "grade", "min_3")
    )


def pupils_at_risk(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    school_ids: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Pupils at risk of failure, by class, with their weakest skills (pseudonymous ``pupil_key`` only).

    Reasons (``[risk]`` of deficits.toml): mark «2», near the «2»/«3» boundary, basic level not
    mastered. The weakest elements are ordered by the pupil's distance below the region's success
    (the region computed over all inputs of the year, not only ``school_ids``). Columns: ``RISK_SCHEMA``.
    """
    sec = _section(config)
    year = inputs.year if year is None else int(year)
    risk = sec["risk"]
    procs = sec["procedures"]
    dim = str(risk.get("dimension", "skill"))
    dims = sorted({dim, "task"})
    scale = _scale_for(inputs, year)
    cols = ("school_id", "class_name", "pupil_key", "primary_score", "mark")
    found: list[pl.DataFrame] = []
    weak: list[_Weak] = []
    sums: list[pl.DataFrame] = []
    n_found = 0
    for b in _blocks(
        inputs.results,
        inputs.tasks,
        year=year,
        dimensions=sorted({"level", *dims}),
        procedures=procs,
        school_ids=school_ids,
        columns=cols,
    ):
        if school_ids is None:
            sums.append(_block_class_sums(b).filter(pl.col("dimension").is_in(dims)))
        p = _block_at_risk(b, scale, risk)
        if p is None:
            return schema.empty(RISK_SCHEMA)
        if p.height == 0:
            continue
        p = p.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + n_found).alias("_gid"))
        n_found += p.height
        found.append(p.drop("_row"))
        weak.append(_weak_shares(b, p, dim))
    if not found:
        return schema.empty(RISK_SCHEMA)
    p = pl.concat(found, how="vertical_relaxed")
    if school_ids is None:
        cs = pl.concat(sums).sort(*KEYS, "school_id", "class_name", "dimension", "element", nulls_last=True)
    else:
        cs = class_sums(inputs.results, inputs.tasks, year=year, dimensions=dims, procedures=procs)
    reg = cs.group_by([*KEYS, "dimension", "element"]).agg(
        (pl.col("s1").sum() / pl.col("n").sum()).alias("region")
    )
    info = element_info(element_map(inputs.tasks, dims), sec).select(
        *KEYS, "dimension", "element", "element_label", "element_order"
    )
    weakest = _weakest(weak, reg, info, float(risk["weak_share_below"]), int(risk["weakest_count"]))
    p = (
        p.join(weakest, on="_gid", how="left")
        .drop("_gid")
        .with_columns(pl.col("class_name").fill_null(NO_CLASS))
    )
    p = p.sort([*KEYS, "school_id", "class_name", "primary_score", "pupil_key"], nulls_last=True)
    return schema.conform(p, RISK_SCHEMA)


def _risk_reasons(p: pl.DataFrame, risk: Mapping[str, Any]) -> pl.DataFrame | None:
    """``reasons`` of every pupil (null when none); None when no reason is switched on."""
    near = int(risk["near_margin"])
    reasons_on = set(risk["reasons"])
    p = p.with_columns(
        pl.coalesce(
            pl.col("mark").cast(pl.Int8),
            pl.when(pl.col("min_3").is_not_null()).then(
                pl.when(pl.col("primary_score") < pl.col("min_3")).then(pl.lit(2, dtype=pl.Int8))
            ),
        ).alias("_m2")
    )
    checks = {
        "mark2": (pl.col("_m2") == 2),
        "near_threshold": (pl.col("_m2").fill_null(3) != 2)
        & (pl.col("primary_score") >= pl.col("min_3"))
        & (pl.col("primary_score") < pl.col("min_3") + near),
        "low_basic": pl.col("basic_share") < float(risk["basic_share_below"]),
    }
    parts = [
        pl.when(checks[k].fill_null(False)).then(pl.lit(k))
        for k in ("mark2", "near_threshold", "low_basic")
        if k in reasons_on
    ]
    if not parts:
        return None
    return p.with_columns(
        pl.concat_str(parts, separator=";", ignore_nulls=True).replace({"": None}).alias("reasons")
    )


def _block_at_risk(b: _Block, scale: pl.DataFrame, risk: Mapping[str, Any]) -> pl.DataFrame | None:
    """The at-risk pupils of one block with their reasons and row (``_row``) in the block; None when
    no reason is switched on."""
    el = b.elements
    basic = np.flatnonzero(((el["dimension"] == "level") & (el["element"] == "Б")).to_numpy())
    if basic.size:
        j = int(basic[0])
        pts = np.rint(b.scores.astype(np.float32) @ b.weights[:, j]).astype(np.int64)
        col = pl.Series("basic_share", pts / b.maxima[j], dtype=pl.Float64)
    else:
        col = pl.Series("basic_share", [None] * b.pupils.height, dtype=pl.Float64)
    p = b.pupils.with_columns(
        *(pl.lit(v, dtype=schema.RESULTS[k]).alias(k) for k, v in zip(KEYS, b.key, strict=True)), col
    ).join(scale, on=["procedure", "subject", "grade"], how="left")
    with_reasons = _risk_reasons(p, risk)
    if with_reasons is None:
        return None
    return with_reasons.with_row_index("_row").filter(pl.col("reasons").is_not_null())


def _weak_shares(b: _Block, p: pl.DataFrame, dim: str) -> _Weak:
    """The at-risk pupils' (``p``: ``_row``, ``_gid``) shares of the elements of ``dim`` (else of the
    tasks)."""
    el = b.elements
    # the dimension to use: `dim` when the test has it, else "task"
    use = dim if (el["dimension"] == dim).any() else "task"
    keep = np.flatnonzero((el["dimension"] == use).to_numpy())
    rows = p["_row"].to_numpy()
    pts = np.rint(b.scores[rows].astype(np.float32) @ b.weights[:, keep]).astype(np.int64)
    elements = el[pl.Series(keep)].with_columns(
        *(pl.lit(v, dtype=schema.RESULTS[k]).alias(k) for k, v in zip(KEYS, b.key, strict=True))
    )
    return elements, pts / b.maxima[keep][None, :], p["_gid"].to_numpy()


def _weakest(weak: list[_Weak], reg: pl.DataFrame, info: pl.DataFrame, below: float, k: int) -> pl.DataFrame:
    """weakest / weakest_elements per at-risk pupil (``_gid``): their ``k`` elements furthest below the
    region's success (``reg``) among those with a share under ``below``."""
    el_keys = [*KEYS, "dimension", "element"]
    long = []
    elements_all = []
    n_el = 0
    for elements, share, gid in weak:
        e = elements.join(reg, on=el_keys, how="left").join(info, on=el_keys, how="left")
        r, c = np.nonzero(share < below)  # only the weak elements become rows
        sh = share[r, c]
        region = e["region"].cast(pl.Float64).fill_null(np.nan).to_numpy()[c]
        long.append(
            pl.DataFrame(
                {
                    "_gid": gid[r],
                    "_eg": (c + n_el).astype(np.int64),
                    "share": sh,
                    "region": region,
                    "element_order": e["element_order"].to_numpy()[c],
                }
            ).with_columns(
                pl.col("region").fill_nan(None),
                (pl.col("share") - pl.col("region").fill_nan(None)).alias("_below"),
            )
        )
        elements_all.append(e.select("element", "element_label").with_row_index("_eg", offset=n_el))
        n_el += e.height
    return _weakest_rows(pl.concat(long), pl.concat(elements_all), k)


def _weakest_rows(long: pl.DataFrame, elements: pl.DataFrame, k: int) -> pl.DataFrame:
    """weakest / weakest_elements per pupil (``_gid``) from the weak (pupil, element) rows."""
    top = (
        long.sort(["_gid", "_below", "element_order"])
        .group_by("_gid", maintain_order=True)
        .head(k)
        .join(elements.with_columns(pl.col("_eg").cast(pl.Int64)), on="_eg", how="left")
    )

    def texts(col: str, fn: Any) -> pl.Expr:
        values = top[col].unique().drop_nulls().to_list()
        return pl.col(col).replace_strict(
            values, [fn(v) for v in values], default="null", return_dtype=pl.String
        )

    def r3(x: float) -> str:
        return json.dumps(round(x, 3))

    item = pl.concat_str(
        pl.lit('{"element": '),
        texts("element", lambda v: json.dumps(v, ensure_ascii=False)),
        pl.lit(', "label": '),
        texts("element_label", lambda v: json.dumps(v, ensure_ascii=False)),
        pl.lit(', "share": '),
        texts("share", r3),
        pl.lit(', "region": '),
        texts("region", r3),
        pl.lit("}"),
    )
    return top.group_by("_gid", maintain_order=True).agg(
        pl.col("element_label").str.join("; ").alias("weakest"),
        ("[" + item.str.join(", ") + "]").alias("weakest_elements"),
    )


def risk_groups(at_risk: pl.DataFrame) -> pl.DataFrame:
    """Groups for teachers' work: per school, class and weak element, the pupils (pupil_key) who share it.

    Columns: KEYS, school_id, class_name, element, element_label, n_pupils, pupil_keys (", "-joined).
    """
    cols = [*KEYS, "school_id", "class_name"]
    if at_risk.height == 0:
        return pl.DataFrame(
            schema={
                **{c: RISK_SCHEMA[c] for c in cols},
                "element": pl.String(),
                "element_label": pl.String(),
                "n_pupils": pl.Int64(),
                "pupil_keys": pl.String(),
            }
        )
    item = pl.Struct(
        {"element": pl.String(), "label": pl.String(), "share": pl.Float64(), "region": pl.Float64()}
    )
    return (
        at_risk.filter(pl.col("weakest_elements").is_not_null())
        .with_columns(pl.col("weakest_elements").str.json_decode(pl.List(item)).alias("_w"))
        .explode("_w")
        .filter(pl.col("_w").is_not_null())
        .with_columns(
            pl.col("_w").struct.field("element").alias("element"),
            pl.col("_w").struct.field("label").alias("element_label"),
        )
        .group_by([*cols, "element", "element_label"], maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("n_pupils"),
            pl.col("pupil_key").sort().str.join(", ").alias("pupil_keys"),
        )
        .sort([*cols, "n_pupils", "element"], descending=[False] * len(cols) + [True, False])
    )
