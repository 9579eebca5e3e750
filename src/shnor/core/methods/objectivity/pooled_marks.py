"""School-level tests pooled over all the school's ВПР tests of this year and the earlier ones, for
behaviours a school repeats every year: a journal that does not follow the results
(``journal_corr_pooled``) and lenient checking of the tasks checked by criteria
(``lenient_pooled``).

Per test (year × subject × grade) each needs only a few pupils (``pooled_min_pupils``): a small
school's evidence adds up over its tests and years instead of each test being left out below ten
pupils. Each test's deviation from what schools of the same level show is standardised by its
sampling variance under the null and summed over the school's tests; the school's z is then
recalibrated to its spread across the region's schools (empirical null, never less conservative),
because honest schools differ in how they mark and teach more than sampling alone explains.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity.signs.base import _r, between_variance, null_center_scale
from shnor.core.methods.objectivity.units import _COUNTED

UNIT = ["year", "subject", "grade"]

#: Variance of Fisher's z of Spearman's rs is about 1.06/(n − 3) (Fieller, Hartley & Pearson 1957).
SPEARMAN_VAR = 1.06


def _present(inputs: Inputs, years: list[int]) -> pl.LazyFrame:
    return inputs.results.filter((pl.col("procedure") == "vpr") & pl.col("year").is_in(years) & _COUNTED)


def _years(inputs: Inputs, cfg: Mapping[str, Any]) -> list[int]:
    return [inputs.year - k for k in range(int(cfg.get("pool_years", 3)))]


def _level_fit(level: np.ndarray, value: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted quadratic fit of ``value`` on the school's level (its fitted values): what schools of
    the same level show. A straight line with few schools, the mean with fewer."""
    deg = 2 if level.size >= 30 else (1 if level.size >= 10 else 0)
    x = np.column_stack([level**k for k in range(deg + 1)])
    sw = np.sqrt(np.maximum(weight, 0.0))
    beta = np.linalg.lstsq(x * sw[:, None], value * sw, rcond=None)[0]
    return np.asarray(x @ beta)


def _between_schools(mean: np.ndarray, var: np.ndarray) -> float:
    """τ²: the variance of schools' true mean deviations beyond sampling (robust: the normal-scaled
    MAD of the schools' means squared minus their median sampling variance, ≥ 0). Honest schools
    differ in how they mark and teach; without τ² a large school's small honest difference would
    be as significant as a small school's large one."""
    return between_variance(mean, var) if mean.size >= 10 else 0.0


def _empirical(t: np.ndarray, min_schools: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One-sided p-values of the school z's ``t`` after the empirical null: z' = (z − max(0, median))
    / max(1, (Q3 − median)/0.6745) — never less conservative than the theoretical null."""
    center, scale = null_center_scale(t) if t.size >= min_schools else (0.0, 1.0)
    return stats.norm.sf((t - center) / scale), {
        "center": _r(center),
        "scale": _r(scale),
        "n_schools": int(t.size),
    }


def _untested(schools: list[str], reason: str) -> dict[str, dict[str, Any]]:
    return {s: {"tested": False, "reason": reason} for s in schools}


def _this_year_schools(inputs: Inputs) -> list[str]:
    return sorted(
        _present(inputs, [inputs.year]).select(pl.col("school_id").unique()).collect()["school_id"].to_list()
    )


def _test_rows(owner: np.ndarray, size: int, columns: Mapping[str, Any]) -> list[dict[str, list[Any]]]:
    """Per owner ``0 … size − 1`` (a school): its rows (tests) of ``columns`` as one list per column,
    in the rows' order — the per-test parts a pooled sum is made of, as a chart draws them."""
    order = np.argsort(owner, kind="stable")
    bounds = np.cumsum(np.bincount(owner, minlength=size))[:-1]
    parts = {k: np.split(np.asarray(v)[order], bounds) for k, v in columns.items()}
    return [{k: parts[k][j].tolist() for k in columns} for j in range(size)]


def journal_corr_pooled(inputs: Inputs, config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{school_id: record}: the journal–score Spearman correlation of every test of the school (this
    year and ``pool_years`` − 1 before, ≥ ``pooled_min_pupils`` pupils with both marks) against the
    correlation of schools of the same level in that test (weighted quadratic fit of Fisher's z on
    the school's standing), summed as Σ(n − 3)(z − z_ref) / √(1.06·Σ(n − 3)); low is suspect.

    ``tests`` holds the tests the sum is made of, as columns (the chart's points): year, subject,
    grade, pupils (``n``), the school's Spearman (``spearman``, tanh z) and the expected one at its
    level (``expected``, tanh z_ref), to 2 decimals (as the chart shows them); their (n − 3)-weighted
    means are the statistic's ``spearman`` and ``expected_spearman_at_level``."""
    cfg = config["signs"]["journal_corr"]
    min_n = max(5, int(cfg.get("pooled_min_pupils", 5)))
    schools = _this_year_schools(inputs)
    key = [*UNIT, "school_id"]
    # per school and test: n, Σx, and the exact sums of the average ranks (half-integers) that give
    # Spearman's rs — every sum exact, so neither the pupils' order nor Polars' threads change a bit;
    # one year at a time (a test lies within one year): three country years' pupils ranked at once
    # were the largest process of the three-year run
    a, b = pl.col("x").rank("average").over(key), pl.col("j").rank("average").over(key)
    groups = pl.concat(
        [
            _present(inputs, [year])
            .filter(pl.col("journal_mark").is_not_null())
            .select(
                *UNIT,
                pl.col("school_id").cast(pl.Categorical),  # (4 bytes a pupil, not the id's text)
                x=pl.col("primary_score").cast(pl.Int64),
                j=pl.col("journal_mark").cast(pl.Int64),
            )
            .with_columns(a=a, b=b)
            .group_by(key)
            .agg(
                n=pl.len().cast(pl.Int64),
                s1=pl.col("x").sum(),
                s2=(pl.col("x") * pl.col("x")).sum(),
                sa=pl.col("a").sum(),
                sb=pl.col("b").sum(),
                saa=(pl.col("a") * pl.col("a")).sum(),
                sbb=(pl.col("b") * pl.col("b")).sum(),
                sab=(pl.col("a") * pl.col("b")).sum(),
            )
            .with_columns(pl.col("school_id").cast(pl.String))
            .collect()
            for year in _years(inputs, cfg)
        ]
    ).sort(key)
    if groups.height == 0:
        return _untested(schools, f"нет работ с отметками по журналу (≥ {min_n} участников)")
    unit = groups.select(pl.struct(UNIT).rank("dense") - 1).to_series().to_numpy().astype(np.int64)
    n_g = groups["n"].to_numpy().astype(float)
    s1_g = groups["s1"].to_numpy().astype(float)
    n_u = np.bincount(unit, n_g)
    mean_u = np.bincount(unit, s1_g) / n_u
    sd_u = np.sqrt(
        np.maximum(np.bincount(unit, groups["s2"].to_numpy().astype(float)) / n_u - mean_u**2, 1e-12)
    )
    level_g = (s1_g / n_g - mean_u[unit]) / sd_u[unit]
    sa, sb = groups["sa"].to_numpy(), groups["sb"].to_numpy()
    va = n_g * groups["saa"].to_numpy() - sa * sa
    vb = n_g * groups["sbb"].to_numpy() - sb * sb
    cov = n_g * groups["sab"].to_numpy() - sa * sb
    ok = (n_g >= min_n) & (va > 0) & (vb > 0)
    if not ok.any():
        return _untested(schools, f"нет работ с отметками по журналу (≥ {min_n} участников)")
    rs = np.clip(cov[ok] / np.sqrt(va[ok] * vb[ok]), -1.0, 1.0)
    z = np.arctanh(np.clip(rs, -0.99, 0.99))
    w = n_g[ok] - 3.0
    level, gu = level_g[ok], unit[ok]
    gs = groups["school_id"].to_numpy()[ok]
    g_year = groups["year"].to_numpy()[ok]
    ref = np.empty_like(z)
    for u in np.unique(gu):
        m = gu == u
        ref[m] = _level_fit(level[m], z[m], w[m])
    sch, sidx = np.unique(gs, return_inverse=True)
    rows_of = _test_rows(
        sidx,
        len(sch),
        {
            "year": g_year,
            "subject": groups["subject"].to_numpy()[ok],
            "grade": groups["grade"].to_numpy()[ok],
            "n": n_g[ok].astype(np.int64),
            "spearman": np.round(np.tanh(z), 2),
            "expected": np.round(np.tanh(ref), 2),
        },
    )
    years_of: dict[str, list[int]] = {}
    for k_, y_ in sorted(set(zip(sidx.tolist(), g_year.tolist(), strict=True))):
        years_of.setdefault(str(sch[k_]), []).append(int(y_))
    agg = {
        "tests": np.bincount(sidx).astype(float),
        "n": np.bincount(sidx, n_g[ok]),
        "wd": np.bincount(sidx, w * (z - ref)),
        "w": np.bincount(sidx, w),
        "wrs": np.bincount(sidx, w * np.tanh(z)),
        "wref": np.bincount(sidx, w * np.tanh(ref)),
    }
    this_year = set(schools)
    keep = np.fromiter((str(x) in this_year for x in sch), bool, len(sch))
    per = pl.DataFrame({"school_id": sch[keep], **{k: v[keep] for k, v in agg.items()}})
    w_s = per["w"].to_numpy()
    mean_dev = per["wd"].to_numpy() / w_s
    samp = SPEARMAN_VAR / w_s
    tau2 = _between_schools(mean_dev, samp)
    t = -mean_dev / np.sqrt(samp + tau2)
    p, calib = _empirical(t, int(config["empirical_null_min_schools"]))
    out = _untested(schools, f"нет работ ВПР с отметками по журналу у {min_n} и более участников")
    kept = np.flatnonzero(keep)
    for i, row in enumerate(per.iter_rows(named=True)):
        out[row["school_id"]] = {
            "tested": True,
            "n": int(row["n"]),
            "p_value": float(p[i]),
            "statistic": {
                "spearman": _r(row["wrs"] / row["w"], 3),
                "expected_spearman_at_level": _r(row["wref"] / row["w"], 3),
                "z": _r(-t[i], 3),
                "between_schools_sd": _r(np.sqrt(tau2), 3),
                "tests": int(row["tests"]),
                "years": years_of[row["school_id"]],
            },
            "empirical_null": calib,
            "comparison_group": "школы того же уровня в тех же работах ВПР за несколько лет",
            "tests": rows_of[int(kept[i])],
        }
    return out


def _maxima(inputs: Inputs) -> dict[tuple[int, str, int], np.ndarray]:
    t = inputs.tasks.filter(pl.col("procedure") == "vpr").sort("year", "subject", "grade", "task_no")
    return {
        (int(k[0]), str(k[1]), int(k[2])): g["max_points"].to_numpy().astype(np.int64)
        for k, g in t.group_by(UNIT, maintain_order=True)
    }


def _cell_regression(cell: np.ndarray, level: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pupil: the expected ``y`` among the pupils of the same ``cell`` (anchor score), a straight
    line in their school's ``level`` within the cell (pupils of a strong school are abler than the
    region's with the same anchor; the slope flattens near the ceiling), and the residual variance
    of the cell (n/(n − 2) corrected)."""
    cnt = np.bincount(cell).astype(float)
    c = np.maximum(cnt, 1)
    mx, my = np.bincount(cell, level) / c, np.bincount(cell, y) / c
    dx, dy = level - mx[cell], y - my[cell]
    sxx, sxy = np.bincount(cell, dx * dx), np.bincount(cell, dx * dy)
    slope = np.where(sxx > 1e-9, sxy / np.maximum(sxx, 1e-9), 0.0)
    pred = my[cell] + slope[cell] * dx
    rv = np.bincount(cell, (y - pred) ** 2) / np.maximum(cnt - 2, 1)
    return pred, rv[cell]


def _lexicographic(*keys: np.ndarray) -> np.ndarray:
    """The order of the rows by non-negative integer columns, first column most significant: one sort
    of the columns packed into an int64 key (each in the bits its largest value needs), ``lexsort``
    when they do not fit. Rows with equal keys may come in any order."""
    out = np.zeros(keys[0].size, np.int64)
    bits = 0
    for k in keys:
        width = max(int(k.max()).bit_length(), 1) if k.size else 1
        bits += width
        if bits > 62:
            return np.lexsort(keys[::-1])
        out = (out << width) | k.astype(np.int64)
    return np.argsort(out)


def lenient_pooled(inputs: Inputs, config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{school_id: record}: points on the tasks checked by criteria (more than one point) against the
    region's pupils with the same points on the one-point tasks — an anchor lenient checking does
    not move (conditioning on the total would absorb most of the extra points) — with the school's
    level taken out (weighted quadratic fit across the test's schools of the mean excess per pupil on
    their standing: pupils of a strong school are abler than the region's with the same anchor),
    summed over the school's tests and years: z = Σ excess / √Σ Var.

    ``tests`` holds the tests the sum is made of, as columns (the chart's points): year, subject,
    grade, pupils (``n``), the excess points per pupil over the same-anchor, same-level expectation
    (``excess``) and its standard error (``se``, √Var / pupils), to 2 decimals (as the chart shows
    them); their pupil-weighted sum is the statistic's ``excess_points``."""
    cfg = config["signs"]["lenient_checking"]
    min_n = max(2, int(cfg.get("pooled_min_pupils", 5)))
    min_ref = int(cfg.get("min_reference", 20))
    schools = _this_year_schools(inputs)
    maxima = _maxima(inputs)
    lf = _present(inputs, _years(inputs, cfg)).filter(pl.col("task_scores").is_not_null())
    code = {sid: i for i, sid in enumerate(schools)}  # this year's schools: the ones reported
    ns = len(schools)
    acc = np.zeros((6, ns))  # excess, variance, pupils, tests, excess full marks, expected full marks
    years: dict[int, set[int]] = {}
    parts: dict[str, list[np.ndarray]] = {}  # each test's rows of its schools (the chart's points)
    for key, mx in maxima.items():
        one, multi = mx == 1, mx >= 2
        if multi.sum() == 0 or one.sum() < 3:
            continue
        sub = (
            lf.filter(pl.col("year") == key[0], pl.col("subject") == key[1], pl.col("grade") == key[2])
            .filter(pl.col("task_scores").list.len() == mx.size)
            .select(
                school=pl.col("school_id").rank("dense").cast(pl.Int64) - 1,
                school_id=pl.col("school_id"),
                # a task without a score counts 0; kept as Int8 (a float copy with NaNs is 8 times larger)
                task_scores=pl.col("task_scores").list.eval(pl.element().fill_null(0)).list.to_array(mx.size),
            )
            .collect()
        )
        if sub.height < 10 * min_ref:
            continue
        arr = sub["task_scores"].to_numpy()
        anchor = arr[:, one].sum(1, dtype=np.int64)
        pts = arr[:, multi].sum(1, dtype=np.int64)
        full = (arr[:, multi] == mx[multi][None, :]).sum(1)
        sidx_all = sub["school"].to_numpy()
        sch_all = sub.select("school", "school_id").unique("school").sort("school")["school_id"].to_numpy()
        # pupils in the order of their values (ties are equal numbers): float sums do not depend
        # on the order the pupils come in
        order = _lexicographic(sidx_all, anchor, pts, full)
        anchor, sidx_all = anchor[order], sidx_all[order]
        pts, full = pts[order].astype(float), full[order].astype(float)
        cnt = np.bincount(anchor)
        ok = cnt[anchor] >= min_ref
        if ok.sum() < 10 * min_ref:
            continue
        used, sidx = np.unique(sidx_all[ok], return_inverse=True)
        sch = sch_all[used]
        a, y, f = anchor[ok], pts[ok], full[ok]
        lv = (a - a.mean()) / max(float(a.std()), 1e-9)
        n = np.bincount(sidx).astype(float)
        level = np.bincount(sidx, lv) / n
        pred, resid_var = _cell_regression(a, level[sidx], y)
        mean_f = np.bincount(a, f) / np.maximum(np.bincount(a), 1)
        d = np.bincount(sidx, y - pred)
        v = np.bincount(sidx, resid_var)
        df_ = np.bincount(sidx, f - mean_f[a])
        ef = np.bincount(sidx, mean_f[a])
        keep = n >= min_n
        if keep.sum() < 10:
            continue
        fit = np.zeros_like(d)
        fit[keep] = _level_fit(level[keep], d[keep] / n[keep], n[keep])
        g = np.array([code.get(str(x), -1) for x in sch], np.int64)
        keep &= g >= 0
        gk = g[keep]
        for row, values in enumerate((d - n * fit, v, n, np.ones_like(n), df_, ef)):
            acc[row] += np.bincount(gk, values[keep], ns)
        for gi in gk.tolist():
            years.setdefault(gi, set()).add(key[0])
        nk = n[keep]
        for name, col in (
            ("school", gk),
            ("year", np.full(gk.size, key[0])),
            ("subject", np.full(gk.size, key[1], dtype=object)),
            ("grade", np.full(gk.size, key[2])),
            ("n", nk.astype(np.int64)),
            ("excess", np.round((d - n * fit)[keep] / nk, 2)),
            ("se", np.round(np.sqrt(v[keep]) / nk, 2)),
        ):
            parts.setdefault(name, []).append(col)
    has = acc[1] > 0
    tested = [s for s, h in zip(schools, has.tolist(), strict=True) if h]
    out = _untested(
        schools,
        f"нет работ ВПР с заданиями, проверяемыми по критериям, у {min_n} и более участников "
        "или мало учеников региона для сравнения",
    )
    if not tested:
        return out
    d_s, v_s, n_s = acc[0][has], acc[1][has], acc[2][has]
    rows = np.flatnonzero(has)
    tau2 = _between_schools(d_s / n_s, v_s / n_s**2)
    t = d_s / np.sqrt(v_s + tau2 * n_s**2)
    p, calib = _empirical(t, int(config["empirical_null_min_schools"]))
    cols = {k: np.concatenate(v) for k, v in parts.items()}
    rows_of = _test_rows(cols.pop("school"), ns, cols)
    for i, s in enumerate(tested):
        excess, _var, n_, k, xf, ef_ = acc[:, rows[i]].tolist()
        out[s] = {
            "tested": True,
            "n": int(n_),
            "p_value": float(p[i]),
            "statistic": {
                "excess_points": _r(excess, 2),
                "excess_full_marks": _r(xf, 1),
                "expected_full_marks": _r(ef_, 1),
                "z": _r(t[i], 3),
                "between_schools_sd": _r(np.sqrt(tau2), 3),
                "anchor": "one_point",
                "tests": int(k),
                "years": sorted(years[int(rows[i])]),
            },
            "empirical_null": calib,
            "comparison_group": (
                "ученики региона с тем же баллом за задания с одним баллом, с поправкой на уровень школы, "
                "за несколько лет"
            ),
            "tests": rows_of[int(rows[i])],
        }
    return out
