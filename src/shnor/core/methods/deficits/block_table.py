"""One test's deficit table on integer indices with numpy (``_block_table``), step by step.

The classes × elements sums of points stay numpy matrices; a school's are the sum of its classes'
(consecutive rows); the comparison groups' totals are sparse group-indicator products of the
schools' integer sums (exact, so independent of order) less the school's own; the interval and the
verdict are computed on the matrices; the string columns are gathered only for the rows kept.
The string-keyed Polars definition it must agree with is the oracle in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from shnor.core.methods.base import Inputs
from shnor.core.methods.deficits.blocks import _Block, _block_matrices
from shnor.core.methods.deficits.intervals import interval
from shnor.core.methods.deficits.membership import _membership
from shnor.core.methods.deficits.schemas import KEYS, NO_CLASS, STATUSES, TABLE_SCHEMA
from shnor.core.methods.deficits.settings import _comparison_group, _rule
from shnor.core.store import schema


@dataclass(frozen=True)
class _Params:
    """The settings the table reads, checked."""

    by: str
    group_col: str
    rule: str
    loo: bool
    min_schools: int
    min_group: int
    min_pupils: int
    min_gap: float
    units: list[str]


@dataclass(frozen=True)
class _Schools:
    """The schools of a block: first class row of each, school of every class, sums, membership."""

    first: np.ndarray  # row of each school's first class
    of_class: np.ndarray  # school index of every class
    n: np.ndarray  # pupils per school
    p1: np.ndarray  # Σpoints, schools × elements (int64)
    p2: np.ndarray  # Σpoints², schools × elements (int64)
    member: pl.DataFrame  # school_id, region, municipality_id, cluster (in school order)


@dataclass(frozen=True)
class _Comparison:
    """Every school's comparison group: kind, key, size, and the group's mean and SD per element."""

    kind: np.ndarray  # 0 = region, 1 = the configured group
    key_code: np.ndarray  # index into keys
    keys: list[Any]
    n_schools: np.ndarray  # float, NaN when the school has no group
    n_pupils: np.ndarray  # float, NaN when the group is not usable
    mean: np.ndarray  # schools × elements, NaN when the group is not usable
    sd: np.ndarray  # schools × elements


@dataclass(frozen=True)
class _Units:
    """The table's units (the schools, then the classes) × elements: size, school, success, SD, interval."""

    n: np.ndarray  # pupils per unit (int64)
    n_col: np.ndarray  # the same as a float column (units × 1)
    school: np.ndarray  # school index of every unit
    n_school_rows: int  # how many of the units are schools
    success: np.ndarray
    sd: np.ndarray
    sd_null: np.ndarray  # SD undefined (one pupil)
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class _Verdicts:
    """The comparison and verdict of every unit × element."""

    cs: np.ndarray  # comparison success (NaN when none)
    has_cmp: np.ndarray
    gap: np.ndarray
    z: np.ndarray
    se2: np.ndarray
    rel: np.ndarray
    absolute: np.ndarray  # 0 not_mastered, 1 borderline, 2 mastered, 3 null (too few pupils)
    deficit: np.ndarray
    status: np.ndarray  # index into STATUSES


def _group_totals(
    code: np.ndarray, n: np.ndarray, p1: np.ndarray, p2: np.ndarray, loo: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per school (rows of ``p1``/``p2``: integer Σp, Σp², schools × elements): the totals n, Σp, Σp²
    and number of schools of its group (``code``; −1 = none: NaN), less the school itself with ``loo``.
    Integer sums (exact in float64): the same whatever the order."""
    from scipy import sparse

    has = code >= 0
    n_groups = int(code.max()) + 1 if has.any() else 1  # (one empty group: every school has none)
    sel = np.flatnonzero(has)
    g = sparse.csr_matrix((np.ones(sel.size), (code[sel], sel)), shape=(n_groups, code.size))
    tot_n, tot_k = g @ n.astype(np.float64), np.asarray(g.sum(axis=1)).ravel()
    tot_1, tot_2 = np.rint(g @ p1.astype(np.float64)), np.rint(g @ p2.astype(np.float64))
    c = np.where(has, code, 0)
    out_n, out_k, out_1, out_2 = tot_n[c], tot_k[c], tot_1[c], tot_2[c]
    if loo:
        out_n, out_k, out_1, out_2 = out_n - n, out_k - 1, out_1 - p1, out_2 - p2
    nan = ~has
    out_n[nan], out_k[nan], out_1[nan], out_2[nan] = np.nan, np.nan, np.nan, np.nan
    return out_n, out_k, out_1, out_2


def _codes_of(values: pl.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes of a column (−1 for null) and the value of every code."""
    uniq = values.drop_nulls().unique(maintain_order=True)
    codes = values.replace_strict(
        uniq, pl.int_range(uniq.len(), eager=True), default=-1, return_dtype=pl.Int64
    )
    return codes.to_numpy(), uniq.to_list()


def _params(sec: Mapping[str, Any]) -> _Params:
    """The comparison, rule and minimum settings of ``sec``, checked."""
    cmp = sec["comparison"]
    by, group_col = _comparison_group(cmp)
    rule = _rule(sec)
    return _Params(
        by=by,
        group_col=group_col,
        rule=rule,
        loo=bool(cmp.get("exclude_self", True)),
        min_schools=int(cmp.get("min_schools", 5)),
        min_group=int(cmp.get("min_group_pupils", 30)),
        min_pupils=int(sec.get("min_pupils", 10)),
        min_gap=float(sec["relative"]["min_gap"]),
        units=[u for u in ("school", "class") if u in sec["units"]],
    )


def _schools(
    cls: pl.DataFrame,
    p1: np.ndarray,
    p2: np.ndarray,
    inputs: Inputs,
    sec: Mapping[str, Any],
    clusters: pl.DataFrame | None,
) -> _Schools:
    """The schools of the block's classes, their sums (of their classes') and membership."""
    n_cls = p1.shape[0]
    c_n = cls["n"].to_numpy()
    # classes are sorted by school: a school's classes are consecutive
    sid = cls["school_id"]
    first = np.flatnonzero((sid != sid.shift(1)).fill_null(True).to_numpy())
    c_school = np.repeat(np.arange(first.size), np.diff([*first.tolist(), n_cls]))
    s_n, s_p1, s_p2 = np.add.reduceat(c_n, first), np.add.reduceat(p1, first), np.add.reduceat(p2, first)
    member = pl.DataFrame({"school_id": sid.gather(first)}).join(
        _membership(sid, inputs.schools, sec, clusters), on="school_id", how="left", maintain_order="left"
    )
    return _Schools(first=first, of_class=c_school, n=s_n, p1=s_p1, p2=s_p2, member=member)


def _comparison(s: _Schools, mb: np.ndarray, p: _Params) -> _Comparison:
    """Leave-one-out comparison group of every school × element, falling back to the region."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r_code, r_keys = _codes_of(s.member["region"])
        r_n, r_k, r_1, r_2 = _group_totals(r_code, s.n, s.p1, s.p2, p.loo)
        key_code, keys, kind = r_code, r_keys, np.zeros(s.first.size, dtype=np.int8)  # 0 = region
        cn, ck, c1, c2 = r_n, r_k, r_1, r_2
        if p.group_col != "region":
            g_code, g_keys = _codes_of(s.member[p.group_col])
            g_n, g_k, g_1, g_2 = _group_totals(g_code, s.n, s.p1, s.p2, p.loo)
            ok = (g_code >= 0) & (g_k >= p.min_schools) & (g_n >= p.min_group)
            kind = np.where(ok, 1, 0).astype(np.int8)
            key_code = np.where(ok, g_code + len(r_keys), r_code)
            keys = [*r_keys, *g_keys]
            cn, ck = np.where(ok, g_n, r_n), np.where(ok, g_k, r_k)
            c1, c2 = np.where(ok[:, None], g_1, r_1), np.where(ok[:, None], g_2, r_2)
        usable = (cn >= p.min_group) & (ck >= 1)
        c1, c2 = c1 / mb, c2 / mb**2
        c_mean = c1 / cn[:, None]
        c_sd = np.sqrt(np.clip((c2 - cn[:, None] * c_mean * c_mean) / (cn[:, None] - 1), 0.0, None))
        c_sd = np.where((cn > 1)[:, None], c_sd, np.nan)
        c_mean = np.where(usable[:, None], c_mean, np.nan)
        c_sd = np.where(usable[:, None], c_sd, np.nan)
        cnp = np.where(usable, cn, np.nan)
    return _Comparison(
        kind=kind, key_code=key_code, keys=keys, n_schools=ck, n_pupils=cnp, mean=c_mean, sd=c_sd
    )


def _units(
    cls: pl.DataFrame,
    p1: np.ndarray,
    p2: np.ndarray,
    s: _Schools,
    mb: np.ndarray,
    einfo: pl.DataFrame,
    p: _Params,
    sec: Mapping[str, Any],
) -> _Units | None:
    """Success, SD and interval of the schools and classes (as configured) × elements; None for no units."""
    with np.errstate(divide="ignore", invalid="ignore"):
        c_s1, c_s2 = p1 / mb, p2 / mb**2
        s_s1, s_s2 = s.p1 / mb, s.p2 / mb**2
        parts_n: list[np.ndarray] = []
        parts_1: list[np.ndarray] = []
        parts_2: list[np.ndarray] = []
        parts_s: list[np.ndarray] = []
        if "school" in p.units:
            parts_n.append(s.n)
            parts_1.append(s_s1)
            parts_2.append(s_s2)
            parts_s.append(np.arange(s.first.size))
        if "class" in p.units:
            parts_n.append(cls["n"].to_numpy())
            parts_1.append(c_s1)
            parts_2.append(c_s2)
            parts_s.append(s.of_class)
        if not parts_n:
            return None
        n = np.concatenate(parts_n)
        u_n = n.astype(np.float64)[:, None]
        success = np.concatenate(parts_1) / u_n
        sd = np.sqrt(np.clip((np.concatenate(parts_2) - u_n * success * success) / (u_n - 1), 0.0, None))
        sd_null = np.broadcast_to(u_n <= 1, sd.shape)
        n_b = np.broadcast_to(u_n, success.shape)
        lower, upper = interval(
            success.ravel(), np.where(sd_null, np.nan, sd).ravel(), n_b.ravel(),
            np.broadcast_to(einfo["max_points"].to_numpy().astype(np.float64), success.shape).ravel(),
            method=str(sec["interval"]["method"]), confidence=float(sec["interval"]["confidence"]),
        )  # fmt: skip
    return _Units(
        n=n,
        n_col=u_n,
        school=np.concatenate(parts_s),
        n_school_rows=s.first.size if "school" in p.units else 0,
        success=success,
        sd=sd,
        sd_null=sd_null,
        lower=lower.reshape(success.shape),
        upper=upper.reshape(success.shape),
    )


def _verdicts(
    u: _Units, c: _Comparison, einfo: pl.DataFrame, p: _Params, sec: Mapping[str, Any]
) -> _Verdicts:
    """Gap, z, the relative and absolute verdicts, deficit and status of every unit × element."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cs, csd, cnu = c.mean[u.school], c.sd[u.school], c.n_pupils[u.school][:, None]
        enough = np.broadcast_to(u.n_col, u.success.shape) >= p.min_pupils
        has_cmp = ~np.isnan(cs)
        gap = u.success - cs
        se2 = np.where(u.sd_null, 0.0, u.sd) ** 2 / u.n_col + np.nan_to_num(csd, nan=0.0) ** 2 / cnu
        z = np.where(se2 > 0, gap / np.sqrt(se2), np.nan)
        rel = enough & has_cmp & (u.upper < cs) & (gap <= -p.min_gap)
        rel_possible = enough & has_cmp & (gap <= -p.min_gap)
        value = u.upper if str(sec["absolute"].get("use", "estimate")) == "upper" else u.success
        t_min = einfo["threshold_min"].to_numpy().astype(np.float64)[None, :]
        t_target = einfo["threshold_target"].to_numpy().astype(np.float64)[None, :]
        # absolute: 0 not_mastered, 1 borderline, 2 mastered, 3 null (too few pupils)
        absolute = np.where(value < t_min - 1e-12, 0, np.where(u.success < t_target - 1e-12, 1, 2))
        absolute = np.where(enough, absolute, 3).astype(np.int8)
    deficit, status = _status(p.rule, rel, rel_possible, absolute, enough, has_cmp)
    return _Verdicts(
        cs=cs,
        has_cmp=has_cmp,
        gap=gap,
        z=z,
        se2=se2,
        rel=rel,
        absolute=absolute,
        deficit=deficit,
        status=status,
    )


def _status(
    rule: str,
    rel: np.ndarray,
    rel_possible: np.ndarray,
    absolute: np.ndarray,
    enough: np.ndarray,
    has_cmp: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Deficit (by the rule) and status (index into STATUSES) from the relative and absolute verdicts."""
    abs_def, abs_possible = absolute == 0, absolute <= 1
    if rule == "relative":
        deficit, possible, needs_cmp = rel, rel_possible, True
    elif rule == "absolute":
        deficit, possible, needs_cmp = abs_def, abs_possible, False
    elif rule == "either":
        deficit, possible, needs_cmp = rel | abs_def, rel_possible | abs_possible, False
    else:
        deficit, possible, needs_cmp = rel & abs_def, rel_possible & abs_possible, True
    deficit = deficit & enough
    # status: index into STATUSES (deficit, possible, ok, insufficient, no_comparison)
    status = np.select(
        [~enough, deficit, (~has_cmp) if needs_cmp else np.zeros_like(deficit), possible], [3, 0, 4, 1], 2
    ).astype(np.int8)
    return deficit, status


def _rows(
    b: _Block,
    cls: pl.DataFrame,
    einfo: pl.DataFrame,
    s: _Schools,
    c: _Comparison,
    u: _Units,
    v: _Verdicts,
    p: _Params,
    *,
    only_deficits: bool,
) -> pl.DataFrame:
    """The table's rows (every unit × element, or with ``only_deficits`` the deficits) as a frame."""
    n_el = einfo.height
    rows = np.flatnonzero(v.deficit.ravel()) if only_deficits else np.arange(v.deficit.size)
    unit, e = np.divmod(rows, n_el)
    school = u.school[unit]
    is_class = unit >= u.n_school_rows
    class_of = np.where(is_class, unit - u.n_school_rows, 0)

    def col(name: str, values: Any, null: np.ndarray | None = None) -> pl.Series:
        out = pl.Series(name, values)
        return out if null is None or not null.any() else out.scatter(np.flatnonzero(null), None)

    def strings(name: str, labels: Sequence[Any], codes: np.ndarray) -> pl.Series:
        return pl.Series(name, labels, dtype=pl.String).gather(codes)

    def flat(a: np.ndarray) -> np.ndarray:
        return a.ravel()[rows]

    absolute_rows = flat(v.absolute)
    cnp, ck = c.n_pupils[school], c.n_schools[school]
    return pl.DataFrame(
        [
            *(pl.repeat(val, rows.size, dtype=schema.RESULTS[k], eager=True).alias(k)
              for k, val in zip(KEYS, b.key, strict=True)),
            strings("unit", ["school", "class"], is_class.astype(np.int64)),
            s.member["school_id"].gather(school),
            col("class_name", cls["class_name"].fill_null(NO_CLASS).gather(class_of), ~is_class),
            s.member["municipality_id"].gather(school),
            einfo["dimension"].gather(e),
            einfo["element"].gather(e),
            *(einfo[name].gather(e) for name in ("element_label", "element_order", "levels", "tasks",
                                                 "skills", "kes_codes", "max_points", "threshold_target",
                                                 "threshold_min")),
            pl.Series("n_pupils", u.n[unit].astype(np.int64)),
            col("success", flat(u.success)),
            col("sd", flat(u.sd), flat(u.sd_null)),
            col("lower", flat(u.lower), np.isnan(flat(u.lower))),
            col("upper", flat(u.upper), np.isnan(flat(u.upper))),
            strings("comparison_kind", ["region", p.by], c.kind[school].astype(np.int64)),
            strings("comparison_key", c.keys, c.key_code[school]),
            col("comparison_success", flat(v.cs), ~flat(v.has_cmp)),
            col("comparison_n_pupils", np.nan_to_num(cnp).astype(np.int64), np.isnan(cnp)),
            col("comparison_n_schools", np.nan_to_num(ck).astype(np.int64), np.isnan(ck)),
            col("gap", flat(v.gap), ~flat(v.has_cmp)),
            col("z", flat(v.z), ~flat(v.has_cmp) | ~(flat(v.se2) > 0)),
            pl.Series("relative_deficit", flat(v.rel)),
            col("absolute_status",
                pl.Series(["not_mastered", "borderline", "mastered", None], dtype=pl.String)
                .gather(absolute_rows.astype(np.int64)), absolute_rows == 3),
            pl.Series("deficit", flat(v.deficit)),
            strings("status", STATUSES, flat(v.status).astype(np.int64)),
        ]
    )  # fmt: skip


def _block_table(
    b: _Block,
    info: pl.DataFrame,
    inputs: Inputs,
    sec: Mapping[str, Any],
    clusters: pl.DataFrame | None,
    *,
    only_deficits: bool,
) -> pl.DataFrame:
    """The comparison groups, interval and verdict of every school and class × element of one block,
    computed on integer indices (schools, classes, elements); string columns are made only for the
    rows kept (with ``only_deficits`` the deficits, a small part of the table)."""
    cls, p1, p2 = _block_matrices(b)
    p = _params(sec)
    einfo = (
        b.elements.with_row_index("_e")
        .join(info, on=["dimension", "element"], how="left", maintain_order="left")
        .sort("_e")
    )
    mb = b.maxima.astype(np.float64)
    s = _schools(cls, p1, p2, inputs, sec, clusters)
    c = _comparison(s, mb, p)
    u = _units(cls, p1, p2, s, mb, einfo, p, sec)
    if u is None:
        return schema.empty(TABLE_SCHEMA)
    v = _verdicts(u, c, einfo, p, sec)
    return _rows(b, cls, einfo, s, c, u, v, p, only_deficits=only_deficits)
