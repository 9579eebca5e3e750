"""The deficits method by its definition: a slow, obviously-correct oracle for the product's fast path.

The product (``shnor.core.methods.deficits``) works one test at a time on numpy matrices and
integer indices. This module computes the same results the straightforward way: ``task_scores`` is
exploded with ``task_no``, joined to the element map and grouped per pupil and element; the deficit
table is built with string-keyed Polars joins (comparison groups by group-by and join, the verdict
as expressions); the evidence is ``json.dumps`` of a dict per row. ``test_deficits_fast.py`` requires
both to agree. The shared building blocks (element map, present pupils, membership, interval,
tracking, recommendations, risk reasons) are the product's: they are not what the fast path changes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.methods.deficits import (
    DIMENSIONS,
    KEYS,
    NO_CLASS,
    OUTPUT_SCHEMA,
    RISK_SCHEMA,
    TABLE_SCHEMA,
    UNITS,
    element_info,
    element_map,
    track,
)
from shnor.core.methods.deficits.intervals import _moments, _with_interval
from shnor.core.methods.deficits.membership import _membership
from shnor.core.methods.deficits.pupils import _present
from shnor.core.methods.deficits.risk import _risk_reasons, _scale_for
from shnor.core.methods.deficits.settings import _comparison_group, _rule, _section
from shnor.core.methods.deficits.success_tables import _success_of_sums
from shnor.core.recommendations import Library, attach, shipped_library
from shnor.core.store import schema

# ---------------------------------------------------------------------------------------------
# pupil level: explode → join → group-by


def _integer_core(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None,
    dimensions: Sequence[str],
    procedures: Sequence[str],
    school_ids: Sequence[str] | None,
    keep_pupil: bool,
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.DataFrame]:
    """(pupils with integer ids, lazy (_pupil, _eid, points, max_points), elements _eid → KEYS, dimension,
    element).

    The heavy group-by runs on integer keys only (pupil row number and element id); strings are
    joined back on the small results.
    """
    emap = element_map(tasks, dimensions)
    elements = (
        emap.select(*KEYS, "dimension", "element")
        .unique(maintain_order=True)
        .with_row_index("_eid")
        .with_columns(pl.col("_eid").cast(pl.UInt32))
    )
    units = elements.select(KEYS).unique(maintain_order=True).with_row_index("_unit")
    link = (
        emap.join(elements, on=[*KEYS, "dimension", "element"])
        .join(units, on=KEYS)
        .select("_unit", pl.col("task_no").cast(pl.Int16), "_eid", pl.col("max_points").cast(pl.Int32))
    )
    cols = ["_pupil", "_unit", *KEYS, "school_id", "class_name"] + (["pupil_key"] if keep_pupil else [])
    pupils = (
        _present(results, tasks, year=year, procedures=procedures, school_ids=school_ids)
        .join(units.lazy(), on=KEYS, how="inner")
        .with_row_index("_pupil")
        .select(*cols, "task_scores")
        # materialised once: the row index must mean the same pupil in every query that uses it
        .collect()
    )
    shares = (
        pupils.lazy()
        .select("_pupil", "_unit", "task_scores")
        .with_columns(pl.int_ranges(1, pl.col("task_scores").list.len() + 1, dtype=pl.Int16).alias("task_no"))
        .explode("task_scores", "task_no")
        .join(link.lazy(), on=["_unit", "task_no"], how="inner")
        .group_by("_pupil", "_eid")
        .agg(
            pl.col("task_scores").cast(pl.Int32).sum().alias("points"),
            pl.col("max_points").sum().alias("max_points"),
        )
    )
    return pupils.drop("task_scores").lazy(), shares, elements


def pupil_shares(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    procedures: Sequence[str] = (),
    school_ids: Sequence[str] | None = None,
    keep_pupil: bool = False,
) -> pl.LazyFrame:
    """Lazy (pupil × element) shares: explode ``task_scores`` with ``task_no``, join the element map,
    sum points and maxima per pupil and element."""
    pupils, shares, elements = _integer_core(
        results,
        tasks,
        year=year,
        dimensions=dimensions,
        procedures=procedures,
        school_ids=school_ids,
        keep_pupil=keep_pupil,
    )
    return (
        shares.join(pupils.drop("_unit", *KEYS), on="_pupil")
        .join(elements.lazy(), on="_eid")
        .with_columns((pl.col("points") / pl.col("max_points")).alias("share"))
        .drop("_pupil", "_eid")
    )


def class_sums(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    *,
    year: int | Sequence[int] | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    procedures: Sequence[str] = (),
) -> pl.DataFrame:
    """Additive per-class sums of pupil shares: KEYS, school_id, class_name, dimension, element, n, s1, s2."""
    pupils, shares, elements = _integer_core(
        results,
        tasks,
        year=year,
        dimensions=dimensions,
        procedures=procedures,
        school_ids=None,
        keep_pupil=False,
    )
    ids = pupils.collect().with_columns(
        pl.struct("_unit", "school_id", "class_name").rank("dense").cast(pl.UInt32).alias("_cls")
    )
    cls = ids.select("_cls", *KEYS, "school_id", "class_name").unique(subset="_cls")
    sums = (
        shares.join(ids.lazy().select("_pupil", "_cls"), on="_pupil")
        # integer sums are exact and independent of the summation order (deterministic results)
        .group_by("_cls", "_eid")
        .agg(
            pl.len().cast(pl.Int64).alias("n"),
            pl.col("points").cast(pl.Int64).sum().alias("_p1"),
            (pl.col("points").cast(pl.Int64) ** 2).sum().alias("_p2"),
            pl.col("max_points").first().cast(pl.Float64).alias("_m"),
        )
        .with_columns(
            (pl.col("_p1") / pl.col("_m")).alias("s1"), (pl.col("_p2") / pl.col("_m") ** 2).alias("s2")
        )
        .collect(engine="streaming")
    )
    return (
        sums.join(cls, on="_cls")
        .join(elements.drop(KEYS), on="_eid")
        .select(*KEYS, "school_id", "class_name", "dimension", "element", "n", "s1", "s2")
        .sort(*KEYS, "school_id", "class_name", "dimension", "element", nulls_last=True)
    )


def success(
    results: pl.LazyFrame | pl.DataFrame,
    tasks: pl.DataFrame,
    schools: pl.DataFrame | None = None,
    *,
    year: int | Sequence[int] | None = None,
    units: Sequence[str] = UNITS,
    dimensions: Sequence[str] = DIMENSIONS,
    procedures: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
    clusters: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Success per unit × test × element, from the oracle's class sums."""
    sums = class_sums(results, tasks, year=year, dimensions=dimensions, procedures=procedures)
    return _success_of_sums(
        sums, tasks, schools, units=units, dimensions=dimensions, sec=_section(config), clusters=clusters
    )


# ---------------------------------------------------------------------------------------------
# the deficit table: string-keyed joins


def deficit_table(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    clusters: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every school and class × element of the year with success, interval, comparison and verdict."""
    sec = _section(config)
    year = inputs.year if year is None else int(year)
    dims = list(sec["deficit_dimensions"])
    sums = class_sums(inputs.results, inputs.tasks, year=year, dimensions=dims, procedures=sec["procedures"])
    if sums.height == 0:
        return schema.empty(TABLE_SCHEMA)
    info = element_info(element_map(inputs.tasks, dims), sec)
    table = _table_of(sums, info, inputs, sec, clusters)
    order = {"school": 0, "class": 1}
    table = table.with_columns(pl.col("unit").replace_strict(order, return_dtype=pl.Int8).alias("_u")).sort(
        [*KEYS, "school_id", "_u", "class_name", "dimension", "element_order", "element"], nulls_last=True
    )
    return schema.conform(table, TABLE_SCHEMA)


def _table_of(
    sums: pl.DataFrame,
    info: pl.DataFrame,
    inputs: Inputs,
    sec: Mapping[str, Any],
    clusters: pl.DataFrame | None,
) -> pl.DataFrame:
    """The table from the per-class sums: schools and classes joined to their comparison, with the verdict."""
    member = _membership(sums["school_id"], inputs.schools, sec, clusters)
    el = [*KEYS, "dimension", "element"]
    school = (
        sums.group_by([*el, "school_id"])
        .agg(pl.col("n").sum(), pl.col("s1").sum(), pl.col("s2").sum())
        .join(member, on="school_id", how="left")
    )
    comp = _comparison(school, sec)
    parts = []
    if "school" in sec["units"]:
        parts.append(
            school.join(comp, on=[*el, "school_id"], how="left").with_columns(pl.lit("school").alias("unit"))
        )
    if "class" in sec["units"]:
        cls = sums.join(member, on="school_id", how="left").join(comp, on=[*el, "school_id"], how="left")
        parts.append(
            cls.with_columns(pl.lit("class").alias("unit"), pl.col("class_name").fill_null(NO_CLASS))
        )
    table = pl.concat(parts, how="diagonal_relaxed")
    if "class_name" not in table.columns:  # schools only
        table = table.with_columns(pl.lit(None, dtype=pl.String).alias("class_name"))
    mean, sd = _moments(pl.col("n").cast(pl.Float64), pl.col("s1"), pl.col("s2"))
    table = table.with_columns(mean.alias("success"), sd.alias("sd"), pl.col("n").alias("n_pupils")).join(
        info, on=el, how="left"
    )
    table = _with_interval(table, sec)
    return _verdict(table, sec)


def _comparison(school: pl.DataFrame, sec: Mapping[str, Any]) -> pl.DataFrame:
    """Leave-one-out comparison group of every school × element, falling back to the region."""
    cmp = sec["comparison"]
    el = [*KEYS, "dimension", "element"]
    by, group_col = _comparison_group(cmp)
    loo = bool(cmp.get("exclude_self", True))
    min_schools = int(cmp.get("min_schools", 5))
    min_pupils = int(cmp.get("min_group_pupils", 30))

    def totals(col: str, tag: str) -> pl.DataFrame:
        keyed = school.filter(pl.col(col).is_not_null())
        g = keyed.group_by([*el, col]).agg(
            pl.col("n").sum().alias(f"{tag}_n"),
            pl.col("s1").sum().alias(f"{tag}_s1"),
            pl.col("s2").sum().alias(f"{tag}_s2"),
            pl.len().cast(pl.Int64).alias(f"{tag}_k"),
        )
        j = school.select(*el, "school_id", "n", "s1", "s2", col).join(
            g, on=[*el, col], how="left", nulls_equal=False
        )
        if loo:
            j = j.with_columns(
                (pl.col(f"{tag}_n") - pl.col("n")).alias(f"{tag}_n"),
                (pl.col(f"{tag}_s1") - pl.col("s1")).alias(f"{tag}_s1"),
                (pl.col(f"{tag}_s2") - pl.col("s2")).alias(f"{tag}_s2"),
                (pl.col(f"{tag}_k") - 1).alias(f"{tag}_k"),
            )
        return j.select(
            *el,
            "school_id",
            pl.col(col).alias(f"{tag}_key"),
            f"{tag}_n",
            f"{tag}_s1",
            f"{tag}_s2",
            f"{tag}_k",
        )

    reg = totals("region", "r")
    if group_col != "region":
        grp = totals(group_col, "g")
        j = grp.join(reg, on=[*el, "school_id"], how="left")
        ok = (pl.col("g_k") >= min_schools) & (pl.col("g_n") >= min_pupils) & pl.col("g_key").is_not_null()
        pick = lambda g, r: pl.when(ok).then(pl.col(g)).otherwise(pl.col(r))  # noqa: E731
        j = j.select(
            *el,
            "school_id",
            pl.when(ok).then(pl.lit(by)).otherwise(pl.lit("region")).alias("comparison_kind"),
            pick("g_key", "r_key").alias("comparison_key"),
            pick("g_n", "r_n").alias("_cn"),
            pick("g_s1", "r_s1").alias("_c1"),
            pick("g_s2", "r_s2").alias("_c2"),
            pick("g_k", "r_k").alias("comparison_n_schools"),
        )
    else:
        j = reg.select(
            *el,
            "school_id",
            pl.lit("region").alias("comparison_kind"),
            pl.col("r_key").alias("comparison_key"),
            pl.col("r_n").alias("_cn"),
            pl.col("r_s1").alias("_c1"),
            pl.col("r_s2").alias("_c2"),
            pl.col("r_k").alias("comparison_n_schools"),
        )
    usable = (pl.col("_cn") >= min_pupils) & (pl.col("comparison_n_schools") >= 1)
    mean, sd = _moments(pl.col("_cn").cast(pl.Float64), pl.col("_c1"), pl.col("_c2"))
    return j.with_columns(
        pl.when(usable).then(mean).alias("comparison_success"),
        pl.when(usable).then(sd).alias("_csd"),
        pl.when(usable).then(pl.col("_cn")).alias("comparison_n_pupils"),
    ).drop("_cn", "_c1", "_c2")


def _verdict(table: pl.DataFrame, sec: Mapping[str, Any]) -> pl.DataFrame:
    """Gap, z, the relative and absolute verdicts, ``deficit`` and ``status`` as column expressions."""
    rule = _rule(sec)
    min_pupils = int(sec.get("min_pupils", 10))
    min_gap = float(sec["relative"]["min_gap"])
    use_upper = str(sec["absolute"].get("use", "estimate")) == "upper"
    enough = pl.col("n_pupils") >= min_pupils
    has_cmp = pl.col("comparison_success").is_not_null()
    gap = pl.col("success") - pl.col("comparison_success")
    se2 = pl.col("sd").fill_null(0.0) ** 2 / pl.col("n_pupils") + pl.col("_csd").fill_null(0.0) ** 2 / pl.col(
        "comparison_n_pupils"
    )
    table = table.with_columns(
        gap.alias("gap"),
        pl.when(se2 > 0).then(gap / se2.sqrt()).alias("z"),
    )
    rel = enough & has_cmp & (pl.col("upper") < pl.col("comparison_success")) & (pl.col("gap") <= -min_gap)
    rel_possible = enough & has_cmp & (pl.col("gap") <= -min_gap)
    value = pl.col("upper") if use_upper else pl.col("success")
    absolute = (
        pl.when(~enough)
        .then(None)
        .when(value < pl.col("threshold_min") - 1e-12)
        .then(pl.lit("not_mastered"))
        .when(pl.col("success") < pl.col("threshold_target") - 1e-12)
        .then(pl.lit("borderline"))
        .otherwise(pl.lit("mastered"))
    )
    table = table.with_columns(
        rel.fill_null(False).alias("relative_deficit"), absolute.alias("absolute_status")
    )
    abs_def = pl.col("absolute_status") == "not_mastered"
    abs_possible = pl.col("absolute_status").is_in(["not_mastered", "borderline"])
    if rule == "relative":
        deficit, possible, needs_cmp = pl.col("relative_deficit"), rel_possible, True
    elif rule == "absolute":
        deficit, possible, needs_cmp = abs_def, abs_possible, False
    elif rule == "either":
        deficit, possible, needs_cmp = (
            pl.col("relative_deficit") | abs_def,
            rel_possible | abs_possible,
            False,
        )
    else:
        deficit, possible, needs_cmp = pl.col("relative_deficit") & abs_def, rel_possible & abs_possible, True
    deficit = deficit.fill_null(False)
    status = (
        pl.when(~enough)
        .then(pl.lit("insufficient"))
        .when(deficit)
        .then(pl.lit("deficit"))
        .when(pl.lit(needs_cmp) & ~has_cmp)
        .then(pl.lit("no_comparison"))
        .when(possible.fill_null(False))
        .then(pl.lit("possible"))
        .otherwise(pl.lit("ok"))
    )
    return table.with_columns((deficit & enough).alias("deficit"), status.alias("status"))


# ---------------------------------------------------------------------------------------------
# the method


def deficits(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    clusters: pl.DataFrame | None = None,
    library: Library | None = None,
) -> pl.DataFrame:
    """Deficit rows of one year with recommendations attached: the table's rows with ``deficit``."""
    sec = _section(config)
    lib = library or shipped_library()
    d = deficit_table(inputs, sec, year=year, clusters=clusters).filter(pl.col("deficit"))
    return attach(d, lib, max_entries=int(sec["recommendations"]["max_per_deficit"]))


def _evidence(row: Mapping[str, Any], sec: Mapping[str, Any]) -> str:
    """The evidence of one deficit row: ``json.dumps`` of its figures and the settings, keys sorted."""

    def r(x: Any) -> Any:
        return (
            None
            if x is None or (isinstance(x, float) and math.isnan(x))
            else (round(x, 4) if isinstance(x, float) else x)
        )

    ev = {
        "statistic": "success",
        "success": r(row["success"]),
        "interval": [r(row["lower"]), r(row["upper"])],
        "interval_method": sec["interval"]["method"],
        "confidence": sec["interval"]["confidence"],
        "n_pupils": row["n_pupils"],
        "max_points": row["max_points"],
        "tasks": row["tasks"],
        "levels": row["levels"],
        "comparison": {
            "kind": row["comparison_kind"],
            "key": row["comparison_key"],
            "success": r(row["comparison_success"]),
            "n_pupils": row["comparison_n_pupils"],
            "n_schools": row["comparison_n_schools"],
        },
        "gap": r(row["gap"]),
        "z": r(row["z"]),
        "rule": sec["rule"],
        "min_gap": sec["relative"]["min_gap"],
        "min_pupils": sec["min_pupils"],
        "thresholds": {"target": r(row["threshold_target"]), "min": r(row["threshold_min"])},
        "absolute_status": row["absolute_status"],
        "recommendations": row.get("recommendation_ids"),
        "persists_grade": row.get("persists_grade"),
        "persists_cohort": row.get("persists_cohort"),
    }
    return json.dumps(ev, ensure_ascii=False, sort_keys=True)


def run(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    clusters: pl.DataFrame | None = None,
    library: Library | None = None,
) -> pl.DataFrame:
    """Deficits of ``inputs.year`` with recommendations, persistence and the evidence of every row."""
    sec = _section(config)
    lib = library or shipped_library()
    cur = deficits(inputs, sec, clusters=clusters, library=lib)
    if bool(sec["tracking"].get("enabled", True)):
        prev = deficits(inputs, sec, year=inputs.year - 1, clusters=clusters, library=lib)
        cur = track(cur, prev, lib)
    else:
        cur = cur.with_columns(
            pl.lit(None, dtype=pl.Boolean).alias("persists_grade"),
            pl.lit(None, dtype=pl.Boolean).alias("persists_cohort"),
        )
    if cur.height == 0:
        return schema.empty(OUTPUT_SCHEMA)
    cur = cur.with_columns(
        pl.Series("evidence", [_evidence(r, sec) for r in cur.iter_rows(named=True)], dtype=pl.String)
    )
    return schema.conform(cur, OUTPUT_SCHEMA)


# ---------------------------------------------------------------------------------------------
# pupils at risk


def pupils_at_risk(
    inputs: Inputs,
    config: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    school_ids: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Pupils at risk of failure with their weakest elements, from the oracle's pupil shares."""
    sec = _section(config)
    year = inputs.year if year is None else int(year)
    risk = sec["risk"]
    procs = sec["procedures"]
    pupils = _present(
        inputs.results, inputs.tasks, year=year, procedures=procs, school_ids=school_ids
    ).collect()
    if pupils.height == 0:
        return schema.empty(RISK_SCHEMA)
    tasks = schema.conform(inputs.tasks, schema.TASKS)
    # basic-level share per pupil
    lvl = pupil_shares(
        inputs.results,
        tasks,
        year=year,
        dimensions=["level"],
        procedures=procs,
        school_ids=school_ids,
        keep_pupil=True,
    )
    basic = (
        lvl.filter(pl.col("element") == "Б")
        .select(*KEYS, "school_id", "pupil_key", pl.col("share").alias("basic_share"))
        .unique(subset=[*KEYS, "school_id", "pupil_key"])
        .collect()
    )
    scale = _scale_for(inputs, year)
    joined = pupils.join(basic, on=[*KEYS, "school_id", "pupil_key"], how="left").join(
        scale, on=["procedure", "subject", "grade"], how="left"
    )
    with_reasons = _risk_reasons(joined, risk)
    if with_reasons is None:
        return schema.empty(RISK_SCHEMA)
    p = with_reasons.filter(pl.col("reasons").is_not_null())
    if p.height == 0:
        return schema.empty(RISK_SCHEMA)
    weakest = _weakest(inputs, sec, year, p)
    p = p.join(weakest, on=[*KEYS, "school_id", "pupil_key"], how="left").with_columns(
        pl.col("class_name").fill_null(NO_CLASS)
    )
    p = p.sort([*KEYS, "school_id", "class_name", "primary_score", "pupil_key"], nulls_last=True)
    return schema.conform(p, RISK_SCHEMA)


def _weakest(inputs: Inputs, sec: Mapping[str, Any], year: int, at_risk: pl.DataFrame) -> pl.DataFrame:
    """weakest / weakest_elements of every at-risk pupil, built pupil by pupil from the long shares."""
    risk = sec["risk"]
    dim = str(risk.get("dimension", "skill"))
    procs = sec["procedures"]
    dims = sorted({dim, "task"})
    # the region's success per element (all schools of the inputs)
    reg = (
        class_sums(inputs.results, inputs.tasks, year=year, dimensions=dims, procedures=procs)
        .group_by([*KEYS, "dimension", "element"])
        .agg((pl.col("s1").sum() / pl.col("n").sum()).alias("region"))
    )
    info = element_info(element_map(inputs.tasks, dims), sec).select(
        *KEYS, "dimension", "element", "element_label", "element_order"
    )
    # the dimension to use per test: `dim` when the test has it, else "task"
    has_dim = (
        info.filter(pl.col("dimension") == dim).select(KEYS).unique().with_columns(pl.lit(dim).alias("_use"))
    )
    schools = at_risk["school_id"].unique().to_list()
    sh = (
        pupil_shares(
            inputs.results,
            inputs.tasks,
            year=year,
            dimensions=dims,
            procedures=procs,
            school_ids=schools,
            keep_pupil=True,
        )
        .collect()
        .join(
            at_risk.select(*KEYS, "school_id", "pupil_key"), on=[*KEYS, "school_id", "pupil_key"], how="semi"
        )
        .join(has_dim, on=KEYS, how="left")
        .filter(pl.col("dimension") == pl.col("_use").fill_null("task"))
        .join(reg, on=[*KEYS, "dimension", "element"], how="left")
        .join(info, on=[*KEYS, "dimension", "element"], how="left")
        .filter(pl.col("share") < float(risk["weak_share_below"]))
        .with_columns((pl.col("share") - pl.col("region")).alias("_below"))
        .sort([*KEYS, "school_id", "pupil_key", "_below", "element_order"])
    )
    k = int(risk["weakest_count"])
    top = sh.group_by([*KEYS, "school_id", "pupil_key"], maintain_order=True).head(k)
    rows = []
    for key, grp in top.group_by([*KEYS, "school_id", "pupil_key"], maintain_order=True):
        items = [
            {"element": e, "label": lab, "share": round(s, 3), "region": None if r is None else round(r, 3)}
            for e, lab, s, r in grp.select("element", "element_label", "share", "region").iter_rows()
        ]
        rows.append(
            {
                **dict(zip([*KEYS, "school_id", "pupil_key"], key, strict=True)),
                "weakest": "; ".join(i["label"] for i in items),
                "weakest_elements": json.dumps(items, ensure_ascii=False),
            }
        )
    out_schema = {
        **{k_: RISK_SCHEMA[k_] for k_ in [*KEYS, "school_id", "pupil_key"]},
        "weakest": pl.String(),
        "weakest_elements": pl.String(),
    }
    return pl.DataFrame(rows, schema=out_schema)
