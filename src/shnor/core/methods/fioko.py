"""FIOKO's reference objectivity markers, reproduced as the published method describes them.

Source: ФИОКО, «Методика расчёта показателя "Уровень объективности оценки образовательных
результатов в субъекте РФ"» and its appendix «Математический алгоритм маркировки ОО».
Markers per school and procedure:

* ``inflated_mean`` (завышенные значения среднего балла): the school's 95% CI of the mean primary
  score lies wholly to the right of the region's CI (school lower bound > region upper bound),
  CI = mean ± 1.96·s/√n, s with ddof=1, over participants (present pupils with a score).
  Procedures: ВПР ru/ma grades 4 and 5, ОГЭ ru/ma.
* ``journal_mismatch`` (несоответствие результатов и школьных отметок): Spearman's rs between the
  journal mark and the primary score within the school is negative. ВПР ru/ma grades 4 and 5.
* ``cohort_fall`` / ``cohort_rise`` (резкое падение / возрастание результатов одной параллели):
  K = S(4, YY) / S(5, YY+1), S = the school's mean percent of the maximum primary score; fall when
  K > Q3 + 3·IQR, rise when K < Q1 − 3·IQR, quartiles over all schools of the sample.

Everything the PDF leaves open is a setting in ``defaults/fioko.toml`` whose comment says so.
Pure functions: no Django, no file I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from shnor.core.methods.base import Inputs

NAME = "fioko"

MARKERS = ("inflated_mean", "journal_mismatch", "cohort_fall", "cohort_rise")

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int16(),
    "school_id": pl.String(),
    "procedure": pl.String(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "marker": pl.String(),
    "value": pl.Float64(),
    "threshold": pl.Float64(),
    "evidence": pl.String(),
}

#: Column headers of FIOKO's published list (as in the Dagestan 2023 file).
PUBLISHED_COLUMNS = (
    "Год",
    "Логин",
    "Муниципалитет",
    "ОО",
    "4 РУ",
    "4 МА",
    "5 РУ",
    "5 МА",
    "Количество маркеров",
)
_SUBJECT_SHORT = {"ru": "РУ", "ma": "МА"}


# ---------------------------------------------------------------------------------------------
# helpers


def _parse_unit(text: str) -> tuple[str, str, int]:
    """'vpr:ru:4' -> ('vpr', 'ru', 4)."""
    procedure, subject, grade = text.split(":")
    return procedure, subject, int(grade)


def _participants(results: pl.LazyFrame, year: int, procedure: str, subject: str, grade: int) -> pl.LazyFrame:
    """Present pupils with a primary score for one procedure/year/subject/grade."""
    return results.filter(
        (pl.col("procedure") == procedure)
        & (pl.col("year") == year)
        & (pl.col("subject") == subject)
        & (pl.col("grade") == grade)
        & ~pl.col("absent").fill_null(False)
        & pl.col("primary_score").is_not_null()
    ).sort("school_id", "primary_score", "journal_mark", nulls_last=True)  # row order never changes a result


def _region_map(inputs: Inputs, key: str) -> pl.LazyFrame:
    """school_id -> region key; schools missing from the registry fall into region ''."""
    if key not in inputs.schools.columns or inputs.schools.height == 0:
        return pl.LazyFrame(schema={"school_id": pl.String(), "_region": pl.String()})
    return (
        inputs.schools.lazy()
        .select(pl.col("school_id"), pl.col(key).cast(pl.String).alias("_region"))
        .unique("school_id", keep="first")
    )


def _with_region(frame: pl.LazyFrame, regions: pl.LazyFrame) -> pl.LazyFrame:
    return frame.join(regions, on="school_id", how="left").with_columns(pl.col("_region").fill_null(""))


def _max_score(inputs: Inputs, procedure: str, year: int, subject: str, grade: int) -> float | None:
    """The maximum primary score: from SCALES, else the sum of TASKS.max_points."""
    sc = inputs.scales.filter(
        (pl.col("procedure") == procedure)
        & (pl.col("year") == year)
        & (pl.col("subject") == subject)
        & (pl.col("grade") == grade)
    )
    if sc.height and sc["max_score"][0] is not None:
        return float(sc["max_score"][0])
    tk = inputs.tasks.filter(
        (pl.col("procedure") == procedure)
        & (pl.col("year") == year)
        & (pl.col("subject") == subject)
        & (pl.col("grade") == grade)
    )
    if tk.height:
        return float(tk["max_points"].cast(pl.Int64).sum())
    return None


def _evidence(**kw: Any) -> str:
    return json.dumps(kw, ensure_ascii=False, sort_keys=True, default=_json_default)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if not np.isfinite(obj) else float(obj)
    raise TypeError(type(obj))


def _r(x: float | None, nd: int = 4) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    return round(float(x), nd)


# ---------------------------------------------------------------------------------------------
# marker 1: inflated mean


def inflated_mean(
    inputs: Inputs, config: Mapping[str, Any], procedure: str, subject: str, grade: int
) -> list[dict[str, Any]]:
    """Rows of ``inflated_mean`` markers for one procedure in ``inputs.year``."""
    cfg = config["inflated_mean"]
    t = float(cfg["t"])
    min_n = int(cfg["min_participants"])
    regions = _region_map(inputs, config["region_key"])
    part = _with_region(_participants(inputs.results, inputs.year, procedure, subject, grade), regions)
    score = pl.col("primary_score").cast(pl.Float64)
    region = (
        part.group_by("_region")
        .agg(r_n=pl.len(), r_mean=score.mean(), r_sd=score.std(ddof=1))
        .with_columns(r_hi=pl.col("r_mean") + t * pl.col("r_sd") / pl.col("r_n").sqrt())
        .with_columns(r_lo=pl.col("r_mean") - t * pl.col("r_sd") / pl.col("r_n").sqrt())
    )
    school = (
        part.group_by("school_id", "_region")
        .agg(n=pl.len(), mean=score.mean(), sd=score.std(ddof=1))
        .filter(pl.col("n") >= min_n)
        .with_columns(lo=pl.col("mean") - t * pl.col("sd") / pl.col("n").sqrt())
        .with_columns(hi=pl.col("mean") + t * pl.col("sd") / pl.col("n").sqrt())
        .join(region, on="_region", how="inner")
        .filter(pl.col("lo") > pl.col("r_hi"))
        .sort("school_id")
        .collect()
    )
    rows = []
    for r in school.iter_rows(named=True):
        rows.append(
            {
                "year": inputs.year,
                "school_id": r["school_id"],
                "procedure": procedure,
                "subject": subject,
                "grade": grade,
                "marker": "inflated_mean",
                "value": r["lo"],
                "threshold": r["r_hi"],
                "evidence": _evidence(
                    rule="нижняя граница ДИ среднего балла ОО > верхней границы ДИ среднего балла региона",
                    t=t,
                    school={
                        "n": r["n"],
                        "mean": _r(r["mean"]),
                        "sd": _r(r["sd"]),
                        "ci": [_r(r["lo"]), _r(r["hi"])],
                    },
                    region={
                        "id": r["_region"],
                        "n": r["r_n"],
                        "mean": _r(r["r_mean"]),
                        "sd": _r(r["r_sd"]),
                        "ci": [_r(r["r_lo"]), _r(r["r_hi"])],
                    },
                ),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# marker 2: journal mismatch


def spearman_pdf(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rs by the PDF's formula 1 − 6Σd²/(n(n²−1)) with average ranks for ties."""
    from scipy.stats import rankdata

    n = len(x)
    if n < 2:
        return float("nan")
    d = rankdata(x) - rankdata(y)
    return float(1.0 - 6.0 * np.sum(d * d) / (n * (n * n - 1.0)))


def spearman_ranks(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rs as Pearson's r of average ranks (NaN when either variable is constant)."""
    from scipy.stats import rankdata

    if len(x) < 2:
        return float("nan")
    rx, ry = rankdata(x), rankdata(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def journal_mismatch(
    inputs: Inputs, config: Mapping[str, Any], procedure: str, subject: str, grade: int
) -> list[dict[str, Any]]:
    """Rows of ``journal_mismatch`` markers (rs < threshold) for one procedure in ``inputs.year``."""
    cfg = config["journal_mismatch"]
    min_n = int(cfg["min_participants"])
    thr = float(cfg["threshold"])
    fn = spearman_pdf if cfg["formula"] == "pdf" else spearman_ranks
    part = (
        _participants(inputs.results, inputs.year, procedure, subject, grade)
        .filter(pl.col("journal_mark").is_not_null())
        .select("school_id", "journal_mark", "primary_score")
        .sort("school_id")
        .collect()
    )
    rows = []
    # every school's Spearman at once (ranks averaged over ties within the school, then sums; the
    # sums of half-integer ranks are exact, so the PDF formula gives the same value as the loop);
    # only the schools at or just above the threshold go through the per-school formula below
    rx = pl.col("journal_mark").cast(pl.Float64).rank("average").over("school_id")
    ry = pl.col("primary_score").cast(pl.Float64).rank("average").over("school_id")
    sums = (
        part.lazy()
        .select("school_id", rx=rx, ry=ry)
        .group_by("school_id")
        .agg(
            n=pl.len().cast(pl.Float64),
            d2=((pl.col("rx") - pl.col("ry")) ** 2).sum(),
            sx=pl.col("rx").sum(),
            sy=pl.col("ry").sum(),
            sxx=(pl.col("rx") ** 2).sum(),
            syy=(pl.col("ry") ** 2).sum(),
            sxy=(pl.col("rx") * pl.col("ry")).sum(),
        )
        .filter(pl.col("n") >= max(min_n, 2))
        .collect()
    )
    n = sums["n"].to_numpy()
    if cfg["formula"] == "pdf":
        rs_all = 1.0 - 6.0 * sums["d2"].to_numpy() / (n * (n * n - 1.0))
    else:
        vx = n * sums["sxx"].to_numpy() - sums["sx"].to_numpy() ** 2
        vy = n * sums["syy"].to_numpy() - sums["sy"].to_numpy() ** 2
        cov = n * sums["sxy"].to_numpy() - sums["sx"].to_numpy() * sums["sy"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            rs_all = np.where((vx > 0) & (vy > 0), cov / np.sqrt(vx * vy), np.nan)
    near = np.isfinite(rs_all) & (rs_all < thr + 1e-9)
    candidates = sums.filter(pl.Series(near))["school_id"]
    part = part.filter(pl.col("school_id").is_in(candidates.implode()))
    for (sid,), g in part.group_by("school_id", maintain_order=True):
        if g.height < min_n:
            continue
        x = g["journal_mark"].to_numpy().astype(float)
        y = g["primary_score"].to_numpy().astype(float)
        rs = fn(x, y)
        if not np.isfinite(rs) or rs >= thr:
            continue
        table = (
            g.group_by("journal_mark")
            .agg(n=pl.len(), mean_score=pl.col("primary_score").cast(pl.Float64).mean())
            .sort("journal_mark")
        )
        rows.append(
            {
                "year": inputs.year,
                "school_id": sid,
                "procedure": procedure,
                "subject": subject,
                "grade": grade,
                "marker": "journal_mismatch",
                "value": rs,
                "threshold": thr,
                "evidence": _evidence(
                    rule="коэффициент Спирмена между отметкой по журналу и первичным баллом < 0",
                    formula=cfg["formula"],
                    n=g.height,
                    rs=_r(rs),
                    by_journal_mark=[
                        {"journal_mark": m, "n": k, "mean_score": _r(s, 2)} for m, k, s in table.iter_rows()
                    ],
                ),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# marker 3: sharp change of one cohort


def _school_percent(
    inputs: Inputs, procedure: str, year: int, subject: str, grade: int
) -> pl.DataFrame | None:
    mx = _max_score(inputs, procedure, year, subject, grade)
    if not mx:
        return None
    return (
        _participants(inputs.results, year, procedure, subject, grade)
        .group_by("school_id")
        .agg(n=pl.len(), S=(pl.col("primary_score").cast(pl.Float64) / mx * 100.0).mean())
        .collect()
    )


def cohort_k(inputs: Inputs, config: Mapping[str, Any], subject: str) -> pl.DataFrame:
    """Per school: S in grade N of year−1, S in grade N+1 of ``inputs.year`` and K = S_N / S_N+1."""
    cfg = config["cohort"]
    procedure, g0, g1 = cfg["procedure"], int(cfg["from_grade"]), int(cfg["from_grade"]) + 1
    a = _school_percent(inputs, procedure, inputs.year - 1, subject, g0)
    b = _school_percent(inputs, procedure, inputs.year, subject, g1)
    schema = {
        "school_id": pl.String(),
        "n_from": pl.UInt32(),
        "S_from": pl.Float64(),
        "n_to": pl.UInt32(),
        "S_to": pl.Float64(),
        "K": pl.Float64(),
    }
    if a is None or b is None or a.height == 0 or b.height == 0:
        return pl.DataFrame(schema=schema)
    min_n = int(cfg["min_participants"])
    out = (
        a.rename({"n": "n_from", "S": "S_from"})
        .join(b.rename({"n": "n_to", "S": "S_to"}), on="school_id", how="inner")
        .filter((pl.col("n_from") >= min_n) & (pl.col("n_to") >= min_n) & (pl.col("S_to") > 0))
        .with_columns(K=pl.col("S_from") / pl.col("S_to"))
        .sort("school_id")
    )
    return out.select(list(schema))


def cohort_change(inputs: Inputs, config: Mapping[str, Any], subject: str) -> list[dict[str, Any]]:
    """Rows of ``cohort_fall`` / ``cohort_rise`` markers for grade N (year−1) → N+1 (``inputs.year``)."""
    cfg = config["cohort"]
    ks = cohort_k(inputs, config, subject)
    if ks.height < int(cfg["min_schools"]):
        return []
    if cfg["quantiles_by"] == "region":
        regions = _region_map(inputs, config["region_key"]).collect()
        ks = ks.join(regions, on="school_id", how="left").with_columns(pl.col("_region").fill_null(""))
    else:
        ks = ks.with_columns(_region=pl.lit(""))
    mult = float(cfg["iqr_multiplier"])
    rows = []
    for (region,), g in ks.group_by("_region", maintain_order=True):
        if g.height < int(cfg["min_schools"]):
            continue
        k = g["K"].to_numpy()
        q1, q3 = np.quantile(k, [0.25, 0.75], method=cfg["quantile_method"])
        iqr = q3 - q1
        upper, lower = q3 + mult * iqr, q1 - mult * iqr
        for r in g.iter_rows(named=True):
            marker = "cohort_fall" if r["K"] > upper else "cohort_rise" if r["K"] < lower else None
            if marker is None:
                continue
            rows.append(
                {
                    "year": inputs.year,
                    "school_id": r["school_id"],
                    "procedure": cfg["procedure"],
                    "subject": subject,
                    "grade": int(cfg["from_grade"]) + 1,
                    "marker": marker,
                    "value": r["K"],
                    "threshold": upper if marker == "cohort_fall" else lower,
                    "evidence": _evidence(
                        rule="K = S(4, ГГ) / S(5, ГГ+1); падение: K > Q3 + 3·IQR; рост: K < Q1 − 3·IQR",
                        S_from={
                            "grade": int(cfg["from_grade"]),
                            "year": inputs.year - 1,
                            "n": r["n_from"],
                            "S": _r(r["S_from"], 2),
                        },
                        S_to={
                            "grade": int(cfg["from_grade"]) + 1,
                            "year": inputs.year,
                            "n": r["n_to"],
                            "S": _r(r["S_to"], 2),
                        },
                        K=_r(r["K"]),
                        sample={
                            "region": region or None,
                            "n_schools": g.height,
                            "Q1": _r(q1),
                            "Q3": _r(q3),
                            "IQR": _r(iqr),
                            "upper": _r(upper),
                            "lower": _r(lower),
                        },
                    ),
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------
# the method


def run(inputs: Inputs, config: Mapping[str, Any]) -> pl.DataFrame:
    """All FIOKO markers found in ``inputs.year``: one row per (school, procedure, marker)."""
    rows: list[dict[str, Any]] = []
    for unit in config["inflated_mean"]["procedures"]:
        rows += inflated_mean(inputs, config, *_parse_unit(unit))
    for unit in config["journal_mismatch"]["procedures"]:
        rows += journal_mismatch(inputs, config, *_parse_unit(unit))
    for subject in config["cohort"]["subjects"]:
        rows += cohort_change(inputs, config, subject)
    out = pl.DataFrame(rows, schema=OUTPUT_SCHEMA) if rows else pl.DataFrame(schema=OUTPUT_SCHEMA)
    # rounding keeps results identical whatever the row order of the inputs (float summation order)
    out = out.with_columns(pl.col("value").round(10), pl.col("threshold").round(10))
    return out.sort("school_id", "procedure", "subject", "grade", "marker")


def participation(inputs: Inputs, config: Mapping[str, Any]) -> pl.DataFrame:
    """Which schools had participants in which marker procedures in ``inputs.year``."""
    units = {
        _parse_unit(u) for key in ("inflated_mean", "journal_mismatch") for u in config[key]["procedures"]
    }
    frames = []
    for procedure, subject, grade in sorted(units):
        frames.append(
            _participants(inputs.results, inputs.year, procedure, subject, grade)
            .select("school_id")
            .unique()
            .with_columns(
                procedure=pl.lit(procedure), subject=pl.lit(subject), grade=pl.lit(grade, dtype=pl.Int8)
            )
            .collect()
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "school_id": pl.String(),
                "procedure": pl.String(),
                "subject": pl.String(),
                "grade": pl.Int8(),
            }
        )
    return pl.concat(frames).sort("school_id", "procedure", "subject", "grade")


def objectivity_index(
    inputs: Inputs, config: Mapping[str, Any], markers: pl.DataFrame | None = None
) -> pl.DataFrame:
    """FIOKO's regional objectivity index: 100 − % of the region's schools with at least one marker."""
    if markers is None:
        markers = run(inputs, config)
    regions = _region_map(inputs, config["region_key"]).collect()
    if config["index"]["denominator"] == "registry" and inputs.schools.height:
        base = regions.select("school_id", "_region")
    else:
        base = participation(inputs, config).select("school_id").unique()
        base = base.join(regions, on="school_id", how="left").with_columns(pl.col("_region").fill_null(""))
    marked = markers.select("school_id").unique().with_columns(marked=pl.lit(True))
    out = (
        base.join(marked, on="school_id", how="left")
        .with_columns(pl.col("marked").fill_null(False))
        .group_by("_region")
        .agg(n_schools=pl.len(), n_marked=pl.col("marked").sum())
        .with_columns(share_marked=100.0 * pl.col("n_marked") / pl.col("n_schools"))
        .with_columns(index=100.0 - pl.col("share_marked"))
        .rename({"_region": "region_id"})
        .with_columns(year=pl.lit(inputs.year, dtype=pl.Int16))
        .sort("region_id")
    )
    return out.select("year", "region_id", "n_schools", "n_marked", "share_marked", "index")


def published_list(
    inputs: Inputs,
    config: Mapping[str, Any],
    markers: pl.DataFrame | None = None,
    *,
    only_marked: bool = True,
) -> pl.DataFrame:
    """FIOKO's list layout: Год | Логин | Муниципалитет | ОО | 4 РУ | 4 МА | 5 РУ | 5 МА | Количество
    маркеров.

    A procedure cell is 1 when the school has at least one marker there, 0 when it took part without
    a marker, null when it has no data for that procedure; the count is the number of cells equal to 1.
    """
    if markers is None:
        markers = run(inputs, config)
    columns = [tuple(c.split(":")) for c in config["published"]["columns"]]  # ("4", "ru")
    part = participation(inputs, config)
    marked = markers.filter(pl.col("procedure") == "vpr").select("school_id", "subject", "grade").unique()
    schools = sorted(set(part["school_id"].to_list()) | set(marked["school_id"].to_list()))
    part_set = set(
        part.filter(pl.col("procedure") == "vpr").select("school_id", "subject", "grade").iter_rows()
    )
    marked_set = set(marked.iter_rows())
    reg = inputs.schools.select("school_id", "municipality", "name").unique("school_id", keep="first")
    names = {r[0]: (r[1], r[2]) for r in reg.iter_rows()}
    cell_names = [f"{g} {_SUBJECT_SHORT.get(s, s.upper())}" for g, s in columns]
    schema = {"Год": pl.Int16(), "Логин": pl.String(), "Муниципалитет": pl.String(), "ОО": pl.String()}
    schema |= {c: pl.Int8() for c in cell_names}
    schema |= {"Количество маркеров": pl.Int8()}
    data: dict[str, list[Any]] = {h: [] for h in schema}
    for sid in schools:
        cells = []
        for grade, subject in columns:
            key = (sid, subject, int(grade))
            cells.append(1 if key in marked_set else 0 if key in part_set else None)
        count = sum(1 for c in cells if c == 1)
        if only_marked and count == 0:
            continue
        muni, name = names.get(sid, (None, None))
        data["Год"].append(inputs.year)
        data["Логин"].append(sid)
        data["Муниципалитет"].append(muni)
        data["ОО"].append(name)
        for col, c in zip(cell_names, cells, strict=True):
            data[col].append(c)
        data["Количество маркеров"].append(count)
    return pl.DataFrame(data, schema=schema).sort("Муниципалитет", "Логин", nulls_last=True)
