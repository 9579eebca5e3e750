"""Extended detector of non-objective results (DOMAIN.md §3.2): signs per school, combined, FDR-controlled.

For every procedure (procedure/subject/grade) a school took in ``inputs.year`` the detector tests:

* ``bunching`` — excess of pupils at/just above a cut score against the region's smooth shape tilted
  to the school's own level (``objectivity_signs.bunching``);
* ``task_pattern`` — hard (П/В) task points beyond those of the region's pupils with the same total;
* ``person_fit`` — Guttman errors beyond the region's pupils with the same total;
* ``similarity`` — identical task-score vectors beyond the region's vector frequencies for the same total;
* ``homogeneity`` — a spread of scores too low for the school's mean;
* ``journal`` — «повысили» (ВПР mark above the journal mark) beyond the region's rate for the same
  journal marks, and a weak journal–score correlation;
* ``fluctuation`` — an unexpected gain against the school's earlier years and its own cohort, or a
  gain followed by a fall (needs earlier years);
* ``vpr_vs_gia`` — the school's ВПР standing far above what its externally controlled ОГЭ/ЕГЭ
  standing predicts (regression across the region's schools).

``bunching`` and ``fluctuation`` are also tested once per school over all its ВПР tests (and, for
bunching, the earlier years): ``bunching_pooled`` sums the counts at the cut against the exact
convolution of their null distributions, ``fluctuation_pooled`` averages the school's standing over
its tests per year. The pooled p-value replaces the combination of the per-test ones (TOML ``pool``);
the per-test records stay in the evidence for the charts.

Each test gives a one-sided p-value under a null that conditions on the school's level. Tests with a
theoretical null can be recalibrated to the spread seen across the region's schools (empirical null,
only ever more conservative). Per school, a sign's p-values over the procedures are combined first
(default Fisher: different tests, nearly independent under the null, and a behaviour repeated in
every procedure adds up), then the signs' p-values (default Bonferroni: valid whatever the dependence
between signs); Benjamini–Hochberg controls the false discovery rate across schools. Pure functions: no Django, no file I/O.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import orjson
import polars as pl
from scipy import stats

from shnor.core import workers as workers_mod
from shnor.core.methods import objectivity_signs as signs_mod
from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity_signs import Unit, not_tested

NAME = "objectivity"

SIGNS = ("bunching", "task_pattern", "person_fit", "similarity", "homogeneity", "journal", "journal_corr", "fluctuation",
         "vpr_vs_gia")

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "flagged": pl.Boolean(),
    "n_signs": pl.Int16(),
    "signs": pl.String(),
    "strongest_sign": pl.String(),
    "q_value": pl.Float64(),
    "evidence": pl.String(),
}

#: A sign whose record shows the same chart as another sign's record of the same procedure keeps
#: only a reference to it (``"chart_of": <that record's id>``): person-fit and the task pattern
#: both show the task profile, the journal correlation and the journal share the journal table.
CHART_TWINS = {"person_fit": "task_pattern", "journal_corr": "journal"}

_SIGN_RU = {
    "bunching": "скопление у порога отметки",
    "task_pattern": "трудные задания выполнены лучше лёгких",
    "person_fit": "нетипичные ответы (ошибки Гуттмана)",
    "similarity": "совпадающие наборы ответов",
    "homogeneity": "слишком однородные результаты",
    "journal": "повышение отметок относительно журнала",
    "journal_corr": "слабая связь с отметками по журналу",
    "fluctuation": "неожиданный рост результатов",
    "vpr_vs_gia": "результаты ВПР выше, чем по ГИА",
}


# ---------------------------------------------------------------------------------------------
# data preparation


def _scale(inputs: Inputs, procedure: str, year: int, subject: str, grade: int) -> dict[str, int]:
    sc = inputs.scales.filter(
        (pl.col("procedure") == procedure) & (pl.col("year") == year)
        & (pl.col("subject") == subject) & (pl.col("grade") == grade)
    )
    if not sc.height:
        return {}
    row = sc.row(0, named=True)
    return {k: int(row[k]) for k in ("max_score", "min_3", "min_4", "min_5") if row[k] is not None}


#: A result the signs count: a present pupil with a score and a school.
_COUNTED = ~pl.col("absent").fill_null(False) & pl.col("primary_score").is_not_null() & pl.col("school_id").is_not_null()


def _present(inputs: Inputs, procedure: str, year: int, subject: str, grade: int) -> pl.LazyFrame:
    """The present pupils with a score and a school of one procedure."""
    return inputs.results.filter(
        (pl.col("procedure") == procedure) & (pl.col("year") == year)
        & (pl.col("subject") == subject) & (pl.col("grade") == grade) & _COUNTED
    )


def _unit_frame(inputs: Inputs, procedure: str, year: int, subject: str, grade: int,
                with_tasks: bool = True) -> pl.DataFrame:
    """One procedure's present pupils, school by school. Within a school they stay in the order they
    come: every sum over pupils the signs make is of whole numbers (exact in any order) or of a
    school's own values, so the order does not change any result (tested: the rows shuffled give
    the same output, to the bit); sorting on every column as well cost 0.4 s a procedure."""
    cols = ["school_id", "primary_score", "mark", "journal_mark"] + (["task_scores"] if with_tasks else [])
    return _present(inputs, procedure, year, subject, grade).select(cols).sort("school_id", maintain_order=True).collect()


def build_unit(inputs: Inputs, procedure: str, year: int, subject: str, grade: int,
               with_tasks: bool = True) -> Unit | None:
    """Arrays of one procedure's present pupils, with the scale and the task structure where known
    (``with_tasks=False``: totals, marks and journal marks only — enough for ``bunching``)."""
    df = _unit_frame(inputs, procedure, year, subject, grade, with_tasks)
    if df.height == 0:
        return None
    scale = _scale(inputs, procedure, year, subject, grade)
    tk = inputs.tasks.filter(
        (pl.col("procedure") == procedure) & (pl.col("year") == year)
        & (pl.col("subject") == subject) & (pl.col("grade") == grade)
    ).sort("task_no")
    total = df["primary_score"].cast(pl.Int64).to_numpy()
    total = np.clip(total, 0, None)
    max_score = int(scale.get("max_score") or (tk["max_points"].cast(pl.Int64).sum() if tk.height else total.max()))
    total = np.minimum(total, max_score)
    # the frame is sorted by school: a school's index counts the changes of id (np.unique of 1.4 M
    # Python strings took 0.5 s a procedure)
    sid = df["school_id"]
    first = (sid != sid.shift(1)).fill_null(True)
    school = first.cast(pl.Int64).cum_sum().to_numpy() - 1
    school_ids = sid.filter(first).to_list()
    cuts = {k: v for k, v in scale.items() if k.startswith("min_")}
    mark = df["mark"].cast(pl.Int64).fill_null(0).to_numpy()
    if cuts and (mark == 0).any():
        computed = 2 + sum((total >= cuts[k]).astype(int) for k in ("min_3", "min_4", "min_5") if k in cuts)
        mark = np.where(mark == 0, computed, mark)
    journal = df["journal_mark"].cast(pl.Int64).fill_null(0).to_numpy()
    journal = np.where((journal >= 2) & (journal <= 5), journal, 0)
    tasks = max_points = levels = None
    lens = df["task_scores"].list.len() if with_tasks else pl.Series([None], dtype=pl.UInt32)
    if lens.null_count() == 0 and lens.n_unique() == 1:
        n_tasks = int(lens[0])
        # a fixed-width array read by numpy: no Python lists, no exploded copy (a missing task score
        # comes out as NaN, so the sums below disagree and the task matrix is not used). Kept in the
        # warehouse's small integers and column-major: the signs read it task by task, and a row-major
        # int64 matrix (170 MB a procedure) made every column read the whole of it
        mat = np.asfortranarray(df["task_scores"].list.to_array(n_tasks).to_numpy().reshape(df.height, n_tasks))
        if tk.height == n_tasks:
            max_points = tk["max_points"].cast(pl.Int64).to_numpy()
            levels = tk["level"].to_list()
        else:
            max_points = mat.max(0)
        if mat.size and ((mat < 0).any() or (mat > max_points[None, :]).any()):
            mat = np.asfortranarray(np.clip(mat, 0, max_points[None, :]))
        if (mat.sum(1) == total).all() and (max_points > 0).all():
            tasks = mat
        else:
            max_points = levels = None
    return Unit(
        procedure=procedure, year=year, subject=subject, grade=grade,
        school_ids=[str(s) for s in school_ids], school=school.astype(np.int64), total=total.astype(np.int64),
        max_score=max_score, cuts=cuts, mark=mark.astype(np.int64), journal=journal.astype(np.int64),
        tasks=tasks, max_points=max_points, levels=levels,
    )


def _units(inputs: Inputs, config: Mapping[str, Any], year: int | None = None) -> list[tuple[str, str, int]]:
    keys = (
        inputs.results.filter(pl.col("year") == (inputs.year if year is None else year))
        .filter(pl.col("procedure").is_in(list(config["procedures"])))
        .select("procedure", "subject", "grade")
        .unique()
        .collect()
        .sort("procedure", "subject", "grade")
    )
    return [(p, s, int(g)) for p, s, g in keys.iter_rows()]


# ---------------------------------------------------------------------------------------------
# fluctuation (needs earlier years)


def _school_percent(inputs: Inputs, procedure: str, year: int, subject: str, grade: int) -> pl.DataFrame:
    """Per school: mean percent of the maximum score minus the region's (e), its sampling variance (v)
    and n; from integer counts and sums, so the same whatever Polars' threads do."""
    scale = _scale(inputs, procedure, year, subject, grade)
    x = pl.col("primary_score").cast(pl.Int64)
    agg = (
        _present(inputs, procedure, year, subject, grade)
        .group_by("school_id")
        .agg(n=pl.len(), s1=x.sum(), s2=(x * x).sum(), top=x.max())
        .collect()
        .sort("school_id")
    )
    if agg.height == 0:
        return pl.DataFrame(schema={"school_id": pl.String(), "e": pl.Float64(), "v": pl.Float64(), "n": pl.UInt32()})
    mx = float(scale.get("max_score") or agg["top"].max() or 1)
    n, s1, s2 = (agg[c].to_numpy().astype(np.int64) for c in ("n", "s1", "s2"))
    region_mean = float(s1.sum()) / float(n.sum()) / mx * 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, (n * s2 - s1 * s1) / (n * (n - 1.0)), np.nan) * (100.0 / mx) ** 2
    return agg.select("school_id", e=pl.Series(s1 / n / mx * 100.0 - region_mean),
                      v=pl.Series(var / n).fill_nan(None), n=pl.col("n").cast(pl.UInt32))


def fluctuation(inputs: Inputs, unit: Unit, cfg: Mapping[str, Any]) -> dict[str, dict]:
    """Unexpected gain of a school's result (relative to the region) against its earlier years and
    its own cohort a year before, and a gain followed by a fall (spike in the previous year)."""
    y = unit.year
    min_n = int(cfg["min_pupils"])
    cur = _school_percent(inputs, unit.procedure, y, unit.subject, unit.grade).filter(pl.col("n") >= min_n)
    priors = {
        "prev_year": _school_percent(inputs, unit.procedure, y - 1, unit.subject, unit.grade),
        "two_years_ago": _school_percent(inputs, unit.procedure, y - 2, unit.subject, unit.grade),
        "cohort": _school_percent(inputs, unit.procedure, y - 1, unit.subject, unit.grade - 1),
    }
    frame = cur.rename({"e": "e0", "v": "v0", "n": "n0"})
    for name, pf in priors.items():
        pf = pf.filter(pl.col("n") >= min_n).rename({"e": f"e_{name}", "v": f"v_{name}", "n": f"n_{name}"})
        frame = frame.join(pf, on="school_id", how="left")
    frame = frame.sort("school_id")
    res: dict[str, dict] = {}
    prior_cols = [f"e_{k}" for k in priors]
    has_prior = frame.select(pl.any_horizontal([pl.col(c).is_not_null() for c in prior_cols])).to_series()
    frame = frame.with_columns(has_prior=has_prior)
    usable = frame.filter(pl.col("has_prior"))
    if usable.height < int(cfg["min_schools"]):
        reason = "нет данных прошлых лет" if usable.height == 0 else f"меньше {cfg['min_schools']} ОО с данными прошлых лет"
        return {s: not_tested(reason) for s in unit.school_ids}
    e0 = usable["e0"].to_numpy()
    v0 = usable["v0"].fill_null(0).to_numpy()
    pe = np.stack([usable[c].to_numpy().astype(float) for c in prior_cols], 1)
    pv = np.stack([usable[c.replace("e_", "v_")].fill_null(0).to_numpy().astype(float) for c in prior_cols], 1)
    k = np.isfinite(pe).sum(1)
    prior_mean = np.nanmean(pe, 1)
    prior_var = np.nansum(np.where(np.isfinite(pe), pv, 0), 1) / k**2
    gain = e0 - prior_mean
    z_gain = signs_mod.robust_standardise(gain, v0 + prior_var)
    # spike: previous year above both its neighbours
    e1, e2 = pe[:, 0], pe[:, 1]
    spike_ok = np.isfinite(e1) & np.isfinite(e2)
    z_spike = np.full(len(e0), np.nan)
    if spike_ok.sum() >= int(cfg["min_schools"]):
        spike = e1 - (e2 + e0) / 2
        sv = pv[:, 0] + (pv[:, 1] + v0) / 4
        z_spike[spike_ok] = signs_mod.robust_standardise(spike[spike_ok], sv[spike_ok])
    for i, sid in enumerate(usable["school_id"].to_list()):
        p_gain = float(stats.norm.sf(z_gain[i]))
        ps = [p_gain]
        if np.isfinite(z_spike[i]):
            ps.append(float(stats.norm.sf(z_spike[i])))
        res[sid] = {
            "tested": True,
            "n": int(usable["n0"][i]),
            "p_value": float(min(1.0, len(ps) * min(ps))),
            "statistic": {"z_gain": signs_mod._r(z_gain[i]), "z_spike_previous_year": signs_mod._r(z_spike[i]),
                          "gain_points_pct": signs_mod._r(gain[i], 2)},
            "comparison_group": "изменения результатов (относительно региона) у ОО региона",
            "chart": {"relative_result_pct": {
                "year": signs_mod._r(e0[i], 2),
                **{name: signs_mod._r(pe[i, j], 2) for j, name in enumerate(priors)},
            }},
        }
    for sid in unit.school_ids:
        if sid not in res:
            res[sid] = not_tested(f"нет результатов прошлых лет (≥ {min_n} участников)")
    return res


# ---------------------------------------------------------------------------------------------
# combination and FDR


def empirical_null(results: dict[str, dict], min_schools: int) -> dict | None:
    """Recalibrate p-values to the spread of z = Φ⁻¹(1 − p) across schools (Efron's empirical null,
    one-sided): z' = (z − max(0, median)) / max(1, (Q3 − median)/0.6745). Only the upper half of
    the z's enters (the tail tested) and p-values of 1 (nothing to test, e.g. no pupil near a cut)
    are left out; the recalibration never makes a test less conservative."""
    tested = [r for r in results.values() if r.get("tested")]
    z = stats.norm.isf(np.clip(np.array([r["p_value"] for r in tested], float), 1e-300, 1.0))
    informative = z[z > -8.0]
    if len(informative) < min_schools:
        return None
    med, q3 = np.quantile(informative, [0.5, 0.75])
    center = max(0.0, float(med))
    scale = max(1.0, float(q3 - med) / 0.6745)
    p_new = stats.norm.sf((z - center) / scale)
    for r, pi in zip(tested, p_new, strict=True):
        r["p_value_theoretical"] = r["p_value"]
        r["p_value"] = float(pi)
    return {"center": round(center, 4), "scale": round(scale, 4), "n_schools": len(informative)}


def combine(ps: list[float], method: str) -> float:
    """One p-value per school from its tests' p-values."""
    p = np.clip(np.asarray(ps, float), 1e-300, 1.0)
    k = len(p)
    if method == "bonferroni":
        return float(min(1.0, k * p.min()))
    if method == "cauchy":
        t = np.mean(np.tan((0.5 - p) * np.pi))
        return float(min(1.0, max(0.0, stats.cauchy.sf(t))))
    if method == "fisher":  # as scipy.stats.combine_pvalues(method="fisher"), without its overhead
        return float(p[0]) if k == 1 else float(stats.chi2.sf(-2.0 * np.log(p).sum(), 2 * k))
    if method == "stouffer":
        return float(stats.combine_pvalues(p, method="stouffer").pvalue)
    raise ValueError(f"неизвестный способ объединения p-значений: {method}")


def combine_many(groups: list[list[float]], method: str) -> np.ndarray:
    """``combine`` of every group at once (one p-value per group, no group empty): a country year
    has 280,000 of them, and a scipy call each took 16 s."""
    if not groups:
        return np.empty(0)
    k = np.fromiter((len(g) for g in groups), np.int64, len(groups))
    if (k == 0).any():
        raise ValueError("пустая группа p-значений")
    if method == "stouffer":  # rare: scipy's own code, group by group
        return np.array([combine(g, method) for g in groups])
    p = np.clip(np.fromiter((x for g in groups for x in g), float, int(k.sum())), 1e-300, 1.0)
    start = np.r_[0, np.cumsum(k)[:-1]]
    if method == "bonferroni":
        return np.minimum(1.0, k * np.minimum.reduceat(p, start))
    if method == "cauchy":
        t = np.add.reduceat(np.tan((0.5 - p) * np.pi), start) / k
        return np.clip(stats.cauchy.sf(t), 0.0, 1.0)
    if method == "fisher":
        return np.where(k == 1, p[start], stats.chi2.sf(-2.0 * np.add.reduceat(np.log(p), start), 2 * k))
    raise ValueError(f"неизвестный способ объединения p-значений: {method}")


# ---------------------------------------------------------------------------------------------
# the method


_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _json(obj: Any) -> bytes:
    """UTF-8 JSON with sorted keys; numpy scalars and arrays as numbers, NaN and ±inf as null."""
    return orjson.dumps(obj, option=_JSON_OPTIONS)


#: Record columns: school, id, sign, procedure, tested, p-value, start and end of the body.
_COLS = 8


class _Records:
    """Test records as the columns keep them: school, id, sign, procedure, tested, p-value, and the
    start and end of each record's body, the record itself serialised (sorted keys, as in the
    evidence) into one buffer. Columns and one buffer a procedure instead of an object a record:
    300,000 small objects per procedure cost memory, pickling between processes and their copies to
    exact size (orjson's result keeps its ≈ 8 KB write buffer); per-school dicts of every record of
    every test were what made the country year need 16 GB. Appended to column by column (no tuple
    a record, no transposing afterwards: 0.3 s of a country procedure)."""

    def __init__(self) -> None:
        self.cols: list[list] = [[] for _ in range(_COLS)]
        self.buffer = bytearray()

    def add(self, sid: str, rec: dict) -> None:
        sids, ids, signs, procs, tested, p_values, starts, ends = self.cols
        buf = self.buffer
        starts.append(len(buf))
        buf += orjson.dumps(rec, option=_JSON_OPTIONS)
        ends.append(len(buf))
        sids.append(sid)
        ids.append(rec["id"])
        signs.append(rec["sign"])
        procs.append(rec["procedure"])
        tested.append(bool(rec.get("tested")))
        p_values.append(rec.get("p_value"))


def _pooled_years(inputs: Inputs, cfg: Mapping[str, Any]) -> list[int]:
    """This year and up to ``pool_years − 1`` earlier years that have results."""
    k = max(1, int(cfg.get("pool_years", 1)))
    have = set(inputs.results.select(pl.col("year").unique()).collect().to_series().to_list())
    return [y for y in range(inputs.year - k + 1, inputs.year + 1) if y in have]


def _pool_cfg(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Bunching settings for the pooled test: smaller groups per test are usable once pooled."""
    return {**cfg, "min_pupils": int(cfg.get("pooled_min_pupils", cfg["min_pupils"])),
            "min_outside": int(cfg.get("pooled_min_outside", cfg["min_outside"]))}


class NullPmfs:
    """One procedure's bunching null distributions per (school, cut), as columns: what the pooled
    test needs of them (a dict with a numpy array per school and cut took 0.8 s a procedure to pass
    between processes). ``pmf(i)`` is the i-th distribution."""

    def __init__(self, year: int, key: tuple[str, str, int], pmfs: dict[tuple[str, str], dict]) -> None:
        self.year, self.key = year, key
        self.sid = [k[0] for k in pmfs]
        self.boundary = [k[1] for k in pmfs]
        values = list(pmfs.values())
        self.x = [int(d["x"]) for d in values]
        self.n_window = [int(d["n_window"]) for d in values]
        self.n = [int(d["n"]) for d in values]
        self.expected = [float(d["expected"]) for d in values]
        self.offsets = np.cumsum([0, *(len(d["pmf"]) for d in values)])
        self.flat = np.concatenate([d["pmf"] for d in values]) if values else np.empty(0)

    def pmf(self, i: int) -> np.ndarray:
        """The i-th null distribution of the count at/above the cut."""
        return self.flat[self.offsets[i] : self.offsets[i + 1]]


class PooledBunching:
    """The pooled bunching test's sums per (school, cut) over the tests added so far: the exact
    convolution of their null distributions (the sum of independent counts), the observed and the
    expected counts, and which tests they came from. Built as each test's distributions arrive, so
    the convolutions are made while the other procedures are still being tested."""

    def __init__(self) -> None:
        self.parts: dict[str, dict[str, list]] = {}  # school -> cut -> [pmf, observed, expected, [(tests, i)]]

    def add(self, pm: NullPmfs) -> None:
        """Add one test's null distributions (``NullPmfs``)."""
        for i, (sid, boundary) in enumerate(zip(pm.sid, pm.boundary, strict=True)):
            by_b = self.parts.setdefault(sid, {})
            slot = by_b.get(boundary)
            if slot is None:
                by_b[boundary] = [pm.pmf(i), pm.x[i], pm.expected[i], [(pm, i)]]
            else:
                slot[0] = np.convolve(slot[0], pm.pmf(i))
                slot[1] += pm.x[i]
                slot[2] += pm.expected[i]
                slot[3].append((pm, i))


def bunching_pooled(inputs: Inputs, config: Mapping[str, Any], pooled: PooledBunching) -> dict[str, dict]:
    """One bunching test per school over all its tests of this year and the earlier pooled years.

    A school that inflates marks does so in every test and year; the counts at/above the cut are
    added up and compared with the sum of their null distributions (each the binomial of the
    school's window count under the region's shape tilted to the school's level, averaged over the
    level's uncertainty): P(Σ X_u ≥ Σ x_u) by exact convolution, the score test of a common excess
    (odds ratio ω = 1 vs ω > 1 in every test), the locally most powerful pooled test. ``pooled``
    holds this year's tests; the earlier years' are added here.
    """
    cfg = config["signs"]["bunching"]
    for year in _pooled_years(inputs, cfg):
        if year == inputs.year:
            continue
        for key in _units(inputs, config, year):
            if key[0] not in set(cfg.get("pool_procedures", ["vpr"])):
                continue
            unit = build_unit(inputs, key[0], year, key[1], key[2], with_tasks=False)
            if unit is None or not unit.cuts:
                continue
            pmfs: dict = {}
            signs_mod.bunching(unit, _pool_cfg(cfg), pmfs)
            pooled.add(NullPmfs(year, key, pmfs))
    out: dict[str, dict] = {}
    min_total = int(cfg["min_pupils"])
    group = ("распределение баллов региона у порога, перевзвешенное к уровню школы, по всем ВПР школы за годы "
             + ", ".join(str(y) for y in _pooled_years(inputs, cfg)))
    for sid, by_b in pooled.parts.items():
        n_total = max(sum(pm.n[i] for pm, i in slot[3]) for slot in by_b.values())
        if n_total < min_total:
            out[sid] = not_tested(f"участников во всех ВПР школы {n_total} < {min_total}", n=n_total)
            continue
        tests = []
        for boundary, (pmf, obs, exp, pp) in by_b.items():
            tests.append({
                "boundary": boundary, "p_value": signs_mod.upper_tail(pmf, obs), "at_or_above": obs,
                "expected_at_or_above": signs_mod._r(exp, 2),
                "n_window": int(sum(pm.n_window[i] for pm, i in pp)), "n_tests": len(pp),
                "tests": [{"year": pm.year, "procedure": pm.key[0], "subject": pm.key[1], "grade": pm.key[2],
                           "at_or_above": pm.x[i], "n_window": pm.n_window[i],
                           "expected_at_or_above": signs_mod._r(pm.expected[i], 2)} for pm, i in pp],
            })
        best = min(tests, key=lambda t: t["p_value"])
        out[sid] = {
            "tested": True,
            "p_value": float(min(1.0, len(tests) * best["p_value"])),
            "statistic": {k: best[k] for k in ("boundary", "at_or_above", "expected_at_or_above", "n_window", "n_tests")},
            "comparison_group": group,
            "boundaries": tests,
        }
    return out


def _standing(inputs: Inputs, procedures: list[str], years: list[int], min_n: int) -> pl.DataFrame:
    """Per school, year and procedure unit: the school's mean minus the region's in the region's pupil
    SD (z), its sampling variance and n; only schools with ≥ ``min_n`` present pupils.

    Computed from each school's count, Σx and Σx² (integers: exact and the same in any summation
    order, so the result does not depend on how Polars splits the work between threads), without
    holding the pupils of all the years in memory."""
    unit = ["procedure", "year", "subject", "grade"]
    x = pl.col("primary_score").cast(pl.Int64)
    agg = (
        inputs.results.filter(pl.col("procedure").is_in(procedures) & pl.col("year").is_in(years) & _COUNTED)
        .group_by([*unit, "school_id"])
        .agg(n=pl.len().cast(pl.Int64), s1=x.sum(), s2=(x * x).sum())
        .collect()
        .sort([*unit, "school_id"])
    )
    empty = {"z": pl.Float64(), "n": pl.Int64(), "s2": pl.Float64(), "v": pl.Float64()}
    if agg.height == 0:
        return pl.DataFrame(schema={**{c: agg.schema[c] for c in [*unit, "school_id"]}, **empty})
    n, s1, s2 = (agg[c].to_numpy() for c in ("n", "s1", "s2"))
    code = agg.select(pl.struct(unit).rank("dense") - 1).to_series().to_numpy().astype(np.int64)
    n_u, s1_u, s2_u = (np.bincount(code, weights=v.astype(float)) for v in (n, s1, s2))
    m_u = s1_u / n_u
    with np.errstate(invalid="ignore", divide="ignore"):
        sd_u = np.sqrt((s2_u - n_u * m_u * m_u) / (n_u - 1))
        sd = sd_u[code]
        z = (s1 / n - m_u[code]) / sd
        within = (n * s2 - s1 * s1) / n  # (n − 1)·variance of the school's scores, exact numerator
        s2_school = np.where(n > 1, within / (n - 1) / (sd * sd), np.nan)
    keep = (sd > 0) & (n >= min_n)
    # sampling variance from the unit's pooled within-school variance: a small school's own
    # variance is too noisy to standardise by (heavy tails under the null)
    kc = code[keep]
    pooled = (np.bincount(kc, weights=within[keep] / sd[keep] ** 2, minlength=len(n_u))
              / np.bincount(kc, weights=(n[keep] - 1).astype(float), minlength=len(n_u)))
    out = agg.filter(pl.Series(keep)).select([*unit, "school_id"])
    return out.with_columns(z=pl.Series(z[keep]), n=pl.Series(n[keep]), s2=pl.Series(s2_school[keep]),
                            v=pl.Series(pooled[kc] / n[keep]))


def _precision_weighted(st: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Precision-weighted mean standing over the tests of each ``by`` group (summed in a fixed order)."""
    if st.height == 0:
        return pl.DataFrame(schema={**{c: st.schema[c] for c in by}, "e": pl.Float64(), "v": pl.Float64(),
                                    "n": pl.Int64(), "k": pl.UInt32()})
    st = st.sort([*by, *[c for c in ("procedure", "year", "subject", "grade") if c not in by]])
    keys = st.select(by)
    start = np.flatnonzero(np.r_[True, keys.select(pl.any_horizontal(
        [pl.col(c) != pl.col(c).shift(1) for c in by])).to_series().fill_null(True).to_numpy()[1:]])
    w = 1.0 / np.clip(st["v"].to_numpy(), 1e-6, None)
    sw = np.add.reduceat(w, start)
    return keys[start].with_columns(
        e=pl.Series(np.add.reduceat(st["z"].to_numpy() * w, start) / sw), v=pl.Series(1.0 / sw),
        n=pl.Series(np.add.reduceat(st["n"].to_numpy(), start)),
        k=pl.Series(np.diff(np.r_[start, st.height]).astype(np.uint32)))


def _school_year_standing(st: pl.DataFrame) -> pl.DataFrame:
    """Precision-weighted mean standing per school and year over its tests."""
    return _precision_weighted(st, ["school_id", "year"])


def fluctuation_pooled(inputs: Inputs, config: Mapping[str, Any]) -> dict[str, dict]:
    """Gain / gain-then-fall per school over all its ВПР tests at once.

    A school's yearly standing E_t is the precision-weighted mean over its tests of (school mean −
    region mean)/region SD. Statistics: gain = E_y − mean(E_{y−1}, E_{y−2}) and spike =
    E_{y−1} − mean(E_y, E_{y−2}) (the previous year above its neighbours: a gain followed by a fall),
    each robustly standardised across schools (median, MAD minus sampling variance); Bonferroni over
    the two. Pooling the tests of a year averages out the pupils' sampling noise that makes a single
    test's change uninformative in a small school.
    """
    cfg = config["signs"]["fluctuation"]
    y = inputs.year
    st = _standing(inputs, ["vpr"], [y - 2, y - 1, y], int(cfg.get("pooled_min_pupils", cfg["min_pupils"])))
    if st.height == 0:
        return {}
    sy = _school_year_standing(st)
    wide = {yy: dict(zip(sy.filter(pl.col("year") == yy)["school_id"].to_list(),
                         zip(sy.filter(pl.col("year") == yy)["e"].to_list(), sy.filter(pl.col("year") == yy)["v"].to_list(),
                             sy.filter(pl.col("year") == yy)["k"].to_list(), strict=True), strict=True))
            for yy in (y - 2, y - 1, y)}
    sids = sorted(wide[y])
    stats_: dict[str, list] = {"gain": [], "spike": []}
    for sid in sids:
        e0, v0, _ = wide[y][sid]
        e1 = wide[y - 1].get(sid)
        e2 = wide[y - 2].get(sid)
        prior = [e for e in (e1, e2) if e is not None]
        if prior:
            stats_["gain"].append((sid, e0 - np.mean([e[0] for e in prior]),
                                   v0 + sum(e[1] for e in prior) / len(prior) ** 2))
        if e1 is not None:
            refs = [(e0, v0)] + ([(e2[0], e2[1])] if e2 is not None else [])
            stats_["spike"].append((sid, e1[0] - np.mean([r[0] for r in refs]),
                                    e1[1] + sum(r[1] for r in refs) / len(refs) ** 2))
    min_s = int(cfg["min_schools"])
    z: dict[str, dict[str, float]] = {}
    raw: dict[str, dict[str, float]] = {}
    for name, rows in stats_.items():
        if len(rows) < min_s:
            continue
        vals = np.array([r[1] for r in rows])
        var = np.array([r[2] for r in rows])
        zz = signs_mod.robust_standardise(vals, var)
        for (sid, val, _), zi in zip(rows, zz, strict=True):
            z.setdefault(sid, {})[name] = float(zi)
            raw.setdefault(sid, {})[name] = float(val)
    out = {}
    for sid, zs in z.items():
        ps = [float(stats.norm.sf(v)) for v in zs.values()]
        out[sid] = {
            "tested": True,
            "p_value": float(min(1.0, len(ps) * min(ps))),
            "statistic": {"z_gain": signs_mod._r(zs.get("gain")), "z_spike_previous_year": signs_mod._r(zs.get("spike")),
                          "gain_sd": signs_mod._r(raw[sid].get("gain"), 3),
                          "spike_sd": signs_mod._r(raw[sid].get("spike"), 3)},
            "standing_by_year": {str(yy): signs_mod._r(wide[yy][sid][0], 3) if sid in wide[yy] else None
                                 for yy in (y - 2, y - 1, y)},
            "tests_by_year": {str(yy): wide[yy][sid][2] if sid in wide[yy] else 0 for yy in (y - 2, y - 1, y)},
            "comparison_group": "изменения положения ОО относительно региона (все ВПР школы за год) у ОО региона",
        }
    return out


def vpr_vs_gia(inputs: Inputs, config: Mapping[str, Any]) -> dict[str, dict]:
    """ВПР standing far above the standing the school's externally controlled ГИА results predict.

    Standings (school mean − region mean in region pupil SDs, precision-weighted over tests): ВПР of
    this year, ОГЭ/ЕГЭ of this and the earlier pooled years. Across schools with both, the ВПР
    standing is regressed on the ГИА standing (weighted least squares), so a school strong in both
    (a lyceum) is expected to be strong in ВПР; the residual is standardised by its sampling variance
    plus the robust between-school spread. One-sided: ВПР above the prediction.
    """
    cfg = config["signs"]["vpr_vs_gia"]
    min_n = int(cfg["min_pupils"])
    years = list(range(inputs.year - max(1, int(cfg["gia_years"])) + 1, inputs.year + 1))
    v = _school_year_standing(_standing(inputs, ["vpr"], [inputs.year], min_n)).drop("year")
    g_st = _standing(inputs, list(cfg["gia_procedures"]), years, min_n)
    if v.height == 0 or g_st.height == 0:
        return {}
    g = _precision_weighted(g_st, ["school_id"])
    both = v.join(g, on="school_id", suffix="_gia").sort("school_id")
    if both.height < int(cfg["min_schools"]):
        return {}
    ev, vv = both["e"].to_numpy(), both["v"].to_numpy()
    eg, vg = both["e_gia"].to_numpy(), both["v_gia"].to_numpy()
    # robust line: OLS, then refit without the schools whose residual is beyond 3 robust SDs
    design = np.stack([np.ones(len(eg)), eg], 1)
    keep = np.ones(len(eg), bool)
    for _ in range(2):
        coef, *_ = np.linalg.lstsq(design[keep], ev[keep], rcond=None)
        res = ev - design @ coef
        mad = stats.median_abs_deviation(res, scale="normal")
        keep = np.abs(res - np.median(res)) <= 3 * max(mad, 1e-6)
    samp = vv + coef[1] ** 2 * vg
    z = signs_mod.robust_standardise(res, samp)
    out = {}
    for i, sid in enumerate(both["school_id"].to_list()):
        out[sid] = {
            "tested": True,
            "n": int(both["n"][i]),
            "n_gia": int(both["n_gia"][i]),
            "p_value": float(stats.norm.sf(z[i])),
            "statistic": {"z": signs_mod._r(z[i]), "vpr_standing_sd": signs_mod._r(ev[i], 3),
                          "gia_standing_sd": signs_mod._r(eg[i], 3),
                          "expected_vpr_standing_sd": signs_mod._r(coef[0] + coef[1] * eg[i], 3),
                          "slope": signs_mod._r(coef[1], 3)},
            "comparison_group": "ОО региона с тем же положением по ГИА (ОГЭ/ЕГЭ за "
            + ", ".join(str(y) for y in years) + "): регрессия положения по ВПР на положение по ГИА",
            "chart": {"standing": {"vpr": signs_mod._r(ev[i], 3), "gia": signs_mod._r(eg[i], 3),
                                   "expected_vpr": signs_mod._r(coef[0] + coef[1] * eg[i], 3)}},
        }
    return out


def _unit_tests(inputs: Inputs, config: Mapping[str, Any], key: tuple[str, str, int]
                ) -> tuple[_Records, list[dict], NullPmfs | None]:
    """Every sign of one procedure of ``inputs.year``: the records (``_Records``), each sign's in
    school order, the region-level bunching rows and, when bunching is pooled, the null
    pmfs per (school, cut) (``NullPmfs``)."""
    procedure, subject, grade = key
    cfg_s = config["signs"]
    pool_bunching = cfg_s["bunching"]["enabled"] and cfg_s["bunching"].get("pool", False)
    pool_procs = set(cfg_s["bunching"].get("pool_procedures", ["vpr"]))
    records = _Records()
    region_rows: list[dict] = []
    pmfs: NullPmfs | None = None
    unit = build_unit(inputs, procedure, inputs.year, subject, grade)
    if unit is None:
        return records, region_rows, pmfs
    found: dict[str, dict[str, dict]] = {}
    if cfg_s["bunching"]["enabled"]:
        if unit.cuts:
            if pool_bunching and procedure in pool_procs:
                null: dict = {}
                res, rows = signs_mod.bunching(unit, _pool_cfg(cfg_s["bunching"]), null)
                pmfs = NullPmfs(inputs.year, key, null)
                min_n = int(cfg_s["bunching"]["min_pupils"])
                for sid, rec in res.items():
                    if rec.get("tested") and rec["n"] < min_n:
                        res[sid] = not_tested(f"участников {rec['n']} < {min_n}: гистограмма неинформативна "
                                              "(учтено в объединённой проверке по всем ВПР школы)", n=rec["n"])
                found["bunching"] = res
            else:
                found["bunching"], rows = signs_mod.bunching(unit, cfg_s["bunching"])
            for r in rows:
                region_rows.append({"procedure": procedure, "subject": subject, "grade": grade, **r})
        else:
            found["bunching"] = {s: not_tested("шкала отметок неизвестна") for s in unit.school_ids}
    if cfg_s["task_pattern"]["enabled"] or cfg_s["person_fit"]["enabled"]:
        pat, fit = signs_mod.task_signs(unit, cfg_s["task_pattern"], cfg_s["person_fit"])
        if cfg_s["task_pattern"]["enabled"]:
            found["task_pattern"] = pat
        if cfg_s["person_fit"]["enabled"]:
            found["person_fit"] = fit
    if cfg_s["similarity"]["enabled"]:
        found["similarity"] = signs_mod.similarity(unit, cfg_s["similarity"])
    if cfg_s["homogeneity"]["enabled"]:
        found["homogeneity"] = signs_mod.homogeneity(unit, cfg_s["homogeneity"])
    if cfg_s["journal"]["enabled"] or cfg_s["journal_corr"]["enabled"]:
        if unit.cuts or (unit.mark >= 2).any():
            up, corr = signs_mod.journal(unit, {**cfg_s["journal"], "corr_level_bandwidth":
                                                cfg_s["journal_corr"].get("corr_level_bandwidth", 0.0)})
        else:
            up = corr = {s: not_tested("нет отметок ВПР") for s in unit.school_ids}
        if cfg_s["journal"]["enabled"]:
            found["journal"] = up
        if cfg_s["journal_corr"]["enabled"]:
            found["journal_corr"] = corr
    if cfg_s["fluctuation"]["enabled"]:
        found["fluctuation"] = fluctuation(inputs, unit, cfg_s["fluctuation"])
    twin_charts: dict[str, dict[str, Any]] = {}
    add = records.add
    for sign, res in found.items():
        calib = None
        if cfg_s[sign].get("empirical_null", False):
            calib = empirical_null(res, int(config["empirical_null_min_schools"]))
        twin = CHART_TWINS.get(sign)
        charts = twin_charts.pop(twin, {}) if twin else {}
        keep = sign in CHART_TWINS.values()
        rec_id = f"{sign}:{procedure}:{subject}:{grade}"
        for sid in unit.school_ids:
            rec = dict(res.get(sid) or not_tested("нет данных"))
            rec.update(sign=sign, procedure=procedure, subject=subject, grade=grade, id=rec_id)
            if calib is not None and rec.get("tested"):
                rec["empirical_null"] = calib
            chart = rec.get("chart")
            if chart is not None:
                if keep:
                    twin_charts.setdefault(sign, {})[sid] = chart
                elif twin and charts.get(sid) == chart:  # the twin's record already carries this chart
                    del rec["chart"]
                    rec["chart_of"] = f"{twin}:{procedure}:{subject}:{grade}"
            add(sid, rec)
        found[sign] = {}  # the records hold what is needed: free the dicts as we go
    return records, region_rows, pmfs


#: A year with at least this many present pupils is examined with a process per procedure, up to
#: ``SHNOR_WORKERS`` (default: the machine's cores) at once; the results are the same either way.
PARALLEL_MIN_PUPILS = 2_000_000


def workers_for(inputs: Inputs, n_units: int | None = None) -> int:
    """Worker processes worth starting for ``inputs.year``: one unless the year is large (or
    ``SHNOR_WORKERS`` asks for more), never more than there are procedures."""
    want = workers_mod.wanted()
    if want <= 1 or (n_units is not None and n_units <= 1):
        return 1
    if os.environ.get("SHNOR_WORKERS") is None:
        pupils = inputs.results.filter((pl.col("year") == inputs.year) & ~pl.col("absent").fill_null(False)
                                       ).select(pl.len()).collect().item()
        if pupils < PARALLEL_MIN_PUPILS:
            return 1
    return want if n_units is None else min(want, n_units)


class Started:
    """The per-procedure tests of a year, submitted to workers: their results, in order, and once
    ``collect`` has taken them in, what was collected."""

    def __init__(self, results: Iterator[tuple]) -> None:
        self.results = results
        self.collected: _Collected | None = None


class _Collected:
    """Every procedure's tests taken in (``collect``): the record columns and buffers, the region's
    bunching rows, pooled bunching's sums, the schools with results and with ВПР, and the
    school-level tests that need no procedure (pooled fluctuation, ВПР vs ГИА)."""

    def __init__(self) -> None:
        self.cols: list[list] = [[] for _ in range(_COLS + 1)]  # (+ each record's blob: its procedure's number)
        self.blobs: list[bytes | np.ndarray] = []
        self.region_rows: list[dict] = []
        self.pooled_bunching = PooledBunching()
        self.with_results: dict[str, None] = {}  # the schools with results, and those with ВПР, in order
        self.with_vpr: dict[str, None] = {}
        self.gia: dict[str, dict] | None = None
        self.fluct: dict[str, dict] | None = None


def start(inputs: Inputs, config: Mapping[str, Any], workers: workers_mod.Workers) -> Started:
    """Submit every procedure's tests to ``workers`` (in order); ``run(..., started=)`` collects them,
    so the caller can queue other work behind them first."""
    return Started(workers.map(_unit_tests_packed, [(inputs, dict(config), key) for key in _units(inputs, config)]))


def _unit_tests_packed(inputs: Inputs, config: Mapping[str, Any], key: tuple[str, str, int]) -> tuple:
    """``_unit_tests`` as columns (a few large lists pickle far faster than 300,000 objects):
    ([school ids, record ids, signs, procedures, tested, p-values, starts, ends], bodies as one
    byte array, the schools in order), region rows, pmfs. The bodies are a NumPy view of the buffer,
    not a copy: from a worker they travel out of band (``workers.ship``)."""
    with _gc_paused():
        records, rows, pmfs = _unit_tests(inputs, config, key)
    cols = records.cols
    return (cols, np.frombuffer(records.buffer, dtype=np.uint8), list(dict.fromkeys(cols[0]))), rows, pmfs


class _Tests:
    """Every test record of the year as columns, sorted by school, then record id; ``bounds[i]:
    bounds[i + 1]`` are the rows of ``schools[i]``, ``made`` each row's position in the order the
    tests were made (unit by unit, sign by sign), which decides ties as the per-school lists did.
    Columns rather than an object per record: a country year has 3 million. The records' bodies stay
    in their procedures' buffers (``blobs``); ``signs_parts(i)`` are a school's as the parts of one
    JSON list."""

    def __init__(self, cols: list[list], blobs: list[bytes | np.ndarray]) -> None:
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
        self._views = [memoryview(b) for b in blobs]
        starts = np.flatnonzero(np.diff(sc[order], prepend=-1))
        self.schools = [sids[k] for k in order[starts].tolist()]
        self.bounds = [*starts.tolist(), len(pick)]

    def rows(self, i: int) -> range:
        return range(self.bounds[i], self.bounds[i + 1])

    def signs_parts(self, i: int) -> list:
        """The records of ``schools[i]`` as the parts of one JSON list, in record id order: views
        of the bodies and the punctuation between them, for one ``b"".join`` with what surrounds
        the list (each ``+`` or ``join`` copies the school's ≈ 50 KB again)."""
        a, b = self.bounds[i], self.bounds[i + 1]
        views = self._views
        parts: list = [b"["]
        for u, s, e in zip(self.blob[a:b].tolist(), self.start[a:b].tolist(), self.end[a:b].tolist(), strict=True):
            parts += (views[u][s:e], b",")
        if len(parts) == 1:
            return [b"[]"]
        parts[-1] = b"]"  # (in place of the last comma)
        return parts


def collect(inputs: Inputs, config: Mapping[str, Any], started: Started) -> None:
    """Take in every procedure's tests as the workers hand them over (the school-level tests that
    need none are made first, while the workers work); ``run(..., started=)`` goes on from there.
    Called by itself, it lets the caller close its workers before the signs are combined (their
    memory is then the run's no more)."""
    if started.collected is not None:
        return
    c = _Collected()
    cfg_s = config["signs"]
    c.gia = vpr_vs_gia(inputs, config) if cfg_s.get("vpr_vs_gia", {}).get("enabled", False) else None
    c.fluct = (fluctuation_pooled(inputs, config)
               if cfg_s["fluctuation"]["enabled"] and cfg_s["fluctuation"].get("pool", False) else None)
    for (unit_cols, blob, schools), rows, pmfs in started.results:
        c.with_results.update(dict.fromkeys(schools))
        if unit_cols[3] and unit_cols[3][0] == "vpr":  # (a procedure's records are all of one procedure)
            c.with_vpr.update(dict.fromkeys(schools))
        for all_, part in zip(c.cols[:_COLS], unit_cols, strict=True):
            all_ += part
        c.cols[_COLS] += [len(c.blobs)] * len(unit_cols[0])
        c.blobs.append(blob)
        c.region_rows += rows
        if pmfs is not None:
            c.pooled_bunching.add(pmfs)
    started.collected = c


def evaluate(inputs: Inputs, config: Mapping[str, Any],
             started: Started | None = None) -> tuple[_Tests, list[dict], dict[str, dict]]:
    """All tests (``_Tests``: the records of every school), the region-level bunching rows and the
    pooled (school-level, over tests and years) records {school_id: {sign: record}} that replace the
    combination of a sign's per-test p-values. ``started``: the procedures' tests already submitted
    to workers (``start``), collected or not; else they are made here."""
    if started is None:
        keys = _units(inputs, config)
        with workers_mod.Workers(workers_for(inputs, len(keys))) as workers:
            return evaluate(inputs, config, start(inputs, config, workers))
    collect(inputs, config, started)
    c = started.collected
    assert c is not None
    started.collected = None  # (held here from now on, and freed with the tests)
    cols, blobs, region_rows, pooled_bunching = c.cols, c.blobs, c.region_rows, c.pooled_bunching
    with_results, with_vpr, gia, fluct = c.with_results, c.with_vpr, c.gia, c.fluct
    del c
    pooled: dict[str, dict[str, dict]] = {}
    cfg_s = config["signs"]
    pool_bunching = cfg_s["bunching"]["enabled"] and cfg_s["bunching"].get("pool", False)
    school_level: dict[str, dict[str, dict]] = {}
    if pool_bunching:
        school_level["bunching"] = bunching_pooled(inputs, config, pooled_bunching)
    if fluct is not None:
        school_level["fluctuation"] = fluct
    for sign, res in school_level.items():
        if cfg_s[sign].get("pooled_empirical_null", False):
            calib = empirical_null(res, int(config["empirical_null_min_schools"]))
            for r in res.values():
                if calib is not None and r.get("tested"):
                    r["empirical_null"] = calib
        for sid, rec in res.items():
            if sid in with_results:
                pooled.setdefault(sid, {})[sign] = {**rec, "sign": sign, "id": f"{sign}:pooled"}
    gia_cfg = cfg_s.get("vpr_vs_gia", {})
    if gia is not None:
        res = gia
        records = _Records()
        calib = empirical_null(res, int(config["empirical_null_min_schools"])) if gia_cfg.get("empirical_null") else None
        for sid in with_vpr:
            rec = dict(res.get(sid) or not_tested("нет результатов ВПР и ГИА (ОГЭ/ЕГЭ) школы "
                                                   f"(≥ {gia_cfg['min_pupils']} участников) или мало таких ОО"))
            rec.update(sign="vpr_vs_gia", procedure="vpr", subject=None, grade=None, id="vpr_vs_gia")
            if calib is not None and rec.get("tested"):
                rec["empirical_null"] = calib
            records.add(sid, rec)
        for all_, part in zip(cols[:_COLS], records.cols, strict=True):
            all_ += part
        cols[_COLS] += [len(blobs)] * len(records.cols[0])
        blobs.append(bytes(records.buffer))
    return _Tests(cols, blobs), region_rows, pooled


def region_bunching(inputs: Inputs, config: Mapping[str, Any]) -> pl.DataFrame:
    """Region-level bunching per procedure and cut: observed vs counterfactual counts at/above the cut."""
    rows = []
    for procedure, subject, grade in _units(inputs, config):
        unit = build_unit(inputs, procedure, inputs.year, subject, grade)
        if unit is None or not unit.cuts:
            continue
        _, rr = signs_mod.bunching(unit, config["signs"]["bunching"])
        rows += [{"procedure": procedure, "subject": subject, "grade": grade, **r} for r in rr]
    schema = {
        "procedure": pl.String(), "subject": pl.String(), "grade": pl.Int8(), "boundary": pl.String(),
        "cut": pl.Int16(), "n_pupils": pl.Int64(), "observed_at_or_above": pl.Int64(),
        "expected_at_or_above": pl.Float64(), "observed_below": pl.Int64(), "expected_below": pl.Float64(),
        "excess_ratio": pl.Float64(), "excess_pupils": pl.Float64(), "p_value": pl.Float64(),
        "histogram": pl.List(pl.Int64()), "counterfactual": pl.List(pl.Float64()),
    }
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off: a country year makes and keeps millions of small acyclic
    objects (test records, their dicts), and the collector's full passes over them only cost time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


#: Schools per part of the output handed to a ``sink`` (≈ 150 MB of evidence for a country year).
SINK_SCHOOLS = 2000


#: A sink's part: the rows without ``evidence``, and each row's evidence as UTF-8 JSON.
Sink = Callable[[pl.DataFrame, list[bytes]], None]


def run(inputs: Inputs, config: Mapping[str, Any], *, sink: Sink | None = None,
        started: Started | None = None) -> pl.DataFrame:
    """One row per school with results in ``inputs.year``: flag, significant signs, BH q-value, evidence.

    With a ``sink``, the rows are handed to it in parts of ``SINK_SCHOOLS`` schools as soon as each
    part is made (the whole output: every flag and q-value is final by then; the evidence as the
    UTF-8 JSON bytes it is made as, a list beside the part's other columns), and the frame returned
    has no ``evidence`` column: a country year's evidence (2.9 GB) is never held at once, and the
    caller can store a part while the next is being made. ``started``: the procedures' tests
    already submitted to the caller's workers (``start``)."""
    with _gc_paused():
        return _run(inputs, config, sink, started)


def _run(inputs: Inputs, config: Mapping[str, Any], sink: Sink | None = None,
         started: Started | None = None) -> pl.DataFrame:
    tests, region_rows, pooled = evaluate(inputs, config, started)
    method = config["combine"]
    q_level = float(config["q"])
    sids = tests.schools
    # a sign's tested p-values per school, the signs in the order they were first tested
    done_rows = np.flatnonzero(np.array(tests.tested, dtype=bool))
    by_sign = (
        pl.DataFrame({
            "school": np.searchsorted(np.asarray(tests.bounds[1:]), done_rows, side="right"),
            "sign": pl.Series([tests.signs[j] for j in done_rows.tolist()], dtype=pl.String),
            "p": pl.Series([tests.p_values[j] for j in done_rows.tolist()], dtype=pl.Float64),
            "made": tests.made[done_rows],
        })
        .group_by("school", "sign")
        .agg(pl.col("p"), pl.col("made").min())
        .sort("school", "made")
    )
    sign_p: list[dict[str, float]] = [{} for _ in sids]
    combined = combine_many(by_sign["p"].to_list(), config["combine_units"]).tolist()
    for i, sg, p in zip(by_sign["school"].to_list(), by_sign["sign"].to_list(), combined, strict=True):
        sign_p[i][sg] = p
    for i, sid in enumerate(sids):
        for sg, rec in pooled.get(sid, {}).items():
            if rec.get("tested"):
                sign_p[i][sg] = rec["p_value"]
    p_comb = np.full(len(sids), np.nan)
    has = np.array([bool(ps) for ps in sign_p], bool)
    if has.any():
        p_comb[has] = combine_many([list(ps.values()) for ps in sign_p if ps], method)
    tested = np.isfinite(p_comb)
    q = np.full(len(sids), np.nan)
    if tested.any():
        q[tested] = stats.false_discovery_control(p_comb[tested], method=config["fdr_method"])
    flagged = tested & (q <= q_level)
    cutoff = float(p_comb[flagged].max()) if flagged.any() else 0.0
    region_summary = [
        {k: r[k] for k in ("procedure", "subject", "grade", "boundary", "cut", "observed_at_or_above",
                           "expected_at_or_above", "observed_below", "expected_below", "excess_ratio", "p_value")}
        for r in region_rows
    ]
    placeholder = "\u0000signs\u0000"
    placeholder_json = _json(placeholder)
    cols: dict[str, list] = {k: [] for k in OUTPUT_SCHEMA}
    evidence_parts: list[pl.Series] = []
    sent = 0  # rows of ``cols`` already handed to the sink

    def flush() -> None:  # the evidence made so far into Arrow (no Python copy of all of it), or to the sink
        nonlocal sent
        if not cols["evidence"]:
            return
        evidence, cols["evidence"] = cols["evidence"], []
        if sink is None:
            evidence_parts.append(pl.Series("evidence", evidence, dtype=pl.Binary).cast(pl.String))
            return
        part = pl.DataFrame({k: pl.Series(k, cols[k][sent:], dtype=OUTPUT_SCHEMA[k])
                             for k in OUTPUT_SCHEMA if k != "evidence"})
        sent = len(cols["school_id"])
        sink(part, evidence)
    ids, signs, p_values, tested_rows = tests.ids, tests.signs, tests.p_values, tests.tested
    for i, sid in enumerate(sids):
        rows = tests.rows(i)  # in record id order
        done = [j for j in rows if tested_rows[j]]
        ps = sign_p[i]
        k = len(ps)
        sig_signs: list[str] = []
        if flagged[i]:
            if method == "bonferroni":
                sig_signs = [sg for sg, p in ps.items() if min(1.0, k * p) <= cutoff]
            else:
                sig_signs = [sg for sg, p in ps.items() if p <= q_level / k]
            if not sig_signs:
                sig_signs = [min(ps, key=ps.get)]
        significant = []
        for sg in sorted(sig_signs, key=lambda g: ps[g]):
            units = sorted((j for j in done if signs[j] == sg), key=p_values.__getitem__)
            significant += [j for j in units if p_values[j] <= 0.05] or units[:1]
        strongest = None
        if ps:
            best = min(ps, key=ps.get)
            cands = [j for j in done if signs[j] == best]
            strongest = ids[min(cands, key=p_values.__getitem__)] if cands else f"{best}:pooled"
        evidence = {
            "year": inputs.year,
            "combine_units": config["combine_units"],
            "combine": method,
            "fdr": config["fdr_method"],
            "q_level": q_level,
            "tests_performed": len(done),
            "sign_p_values": {sg: ps[sg] for sg in sorted(ps)},
            "p_combined": None if not tested[i] else float(p_comb[i]),
            "q_value": None if not tested[i] else float(q[i]),
            "bh_cutoff": cutoff if flagged.any() else None,
            "signs": placeholder,
            "pooled_signs": pooled.pop(sid, {}),
            "significant": [ids[j] for j in significant],
            "region_bunching": region_summary,
        }
        if done:  # one threshold for every tested sign of the school (each record used to repeat it)
            evidence["threshold"] = {
                "sign_p_value_at_most": cutoff / k if method == "bonferroni" and flagged.any() else None,
                "q": q_level,
            }
        else:
            evidence["note"] = "ни один признак не проверен: мало участников или нет нужных данных"
        cols["school_id"].append(sid)
        cols["flagged"].append(bool(flagged[i]))
        cols["n_signs"].append(len(sig_signs))
        cols["signs"].append("; ".join(ids[j] for j in significant))
        cols["strongest_sign"].append(strongest)
        cols["q_value"].append(None if not tested[i] else float(q[i]))
        head, tail = _json(evidence).split(placeholder_json, 1)
        cols["evidence"].append(b"".join([head, *tests.signs_parts(i), tail]))
        if len(cols["evidence"]) >= SINK_SCHOOLS:
            flush()
    flush()
    schema = OUTPUT_SCHEMA if sink is None else {k: v for k, v in OUTPUT_SCHEMA.items() if k != "evidence"}
    if not cols["school_id"]:
        return pl.DataFrame(schema=schema)
    if sink is None:
        cols["evidence"] = pl.concat(evidence_parts, rechunk=True)
    else:
        del cols["evidence"]
    return pl.DataFrame({k: pl.Series(k, v, dtype=schema[k]) for k, v in cols.items()})


def sign_label(sign_id: str) -> str:
    """Russian label of a sign id such as 'bunching:vpr:ma:4'."""
    parts = sign_id.split(":")
    if len(parts) != 4 or parts[2] == "all":
        return _SIGN_RU.get(parts[0], parts[0]) + (" (все ВПР школы)" if len(parts) > 1 else "")
    sign, procedure, subject, grade = parts
    return f"{_SIGN_RU.get(sign, sign)} ({procedure.upper()} {subject} {grade})"
