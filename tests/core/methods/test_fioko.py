"""FIOKO's reference markers: independent recomputations, the quartile rule, published layout, real data."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from scipy import stats

from shnor.core.config import default_config
from shnor.core.methods import fioko
from shnor.core.methods.base import Inputs
from shnor.core.store import schema
from tests.core.methods.conftest_objectivity import (
    ALTAI_MA4,
    altai_inputs,
    altai_results,
    inputs_for,
    load_altai_raw,
    simulate_school,
    synthetic_region,
)


@pytest.fixture(scope="module")
def cfg() -> dict:
    return default_config()["fioko"]


def _numpy_inflated(results: pl.DataFrame, regions: dict[str, str] | None = None) -> set[str]:
    """Independent recomputation: plain numpy over present pupils, per region."""
    df = results.filter(~pl.col("absent") & pl.col("primary_score").is_not_null())
    sid = np.array(df["school_id"].to_list())
    x = df["primary_score"].to_numpy().astype(float)
    reg = np.array([(regions or {}).get(s, "") for s in sid])
    marked = set()
    for r in np.unique(reg):
        xr = x[reg == r]
        r_hi = xr.mean() + 1.96 * xr.std(ddof=1) / np.sqrt(len(xr))
        for s in np.unique(sid[reg == r]):
            xs = x[sid == s]
            if len(xs) < 2:
                continue
            lo = xs.mean() - 1.96 * xs.std(ddof=1) / np.sqrt(len(xs))
            if lo > r_hi:
                marked.add(str(s))
    return marked


def test_inflated_mean_matches_independent_numpy(cfg):
    res, truth = synthetic_region(11, 60, planted={"sch22003": "inflated", "sch22007": "inflated"})
    # two regions: the first 30 schools in "01", the rest in "02"
    ids = sorted(truth)
    regions = {s: ("01" if i < 30 else "02") for i, s in enumerate(ids)}
    schools = schema.conform(
        pl.DataFrame({"school_id": ids, "region_id": [regions[s] for s in ids]}), schema.SCHOOLS
    )
    out = fioko.run(inputs_for(res, 2021, schools), cfg)
    got = set(out.filter(pl.col("marker") == "inflated_mean")["school_id"].to_list())
    assert got == _numpy_inflated(res, regions)
    assert {"sch22003", "sch22007"} <= got
    # value/threshold are the school's lower and the region's upper CI bounds
    row = out.filter(pl.col("marker") == "inflated_mean").row(0, named=True)
    ev = json.loads(row["evidence"])
    assert row["value"] == pytest.approx(ev["school"]["ci"][0], abs=1e-3)
    assert row["threshold"] == pytest.approx(ev["region"]["ci"][1], abs=1e-3)
    assert row["value"] > row["threshold"]


def _school_rows(
    sid: str, journal: list[int], scores: list[int], year: int = 2021, grade: int = 4
) -> pl.DataFrame:
    n = len(scores)
    return schema.conform(
        pl.DataFrame(
            {
                "procedure": ["vpr"] * n,
                "year": [year] * n,
                "subject": ["ma"] * n,
                "grade": [grade] * n,
                "school_id": [sid] * n,
                "absent": [False] * n,
                "journal_mark": journal,
                "primary_score": scores,
            }
        ),
        schema.RESULTS,
    )


def test_journal_mismatch_sign_of_spearman(cfg):
    rng = np.random.default_rng(5)
    frames, expected = [], {}
    for k in range(40):
        j = rng.integers(2, 6, 15).tolist()
        s = rng.integers(0, 21, 15).tolist()
        frames.append(_school_rows(f"s{k:02d}", j, s))
        expected[f"s{k:02d}"] = stats.spearmanr(j, s).statistic
    frames.append(_school_rows("reversed", [5, 5, 4, 4, 3, 3, 2], [2, 4, 8, 9, 14, 15, 19]))
    frames.append(_school_rows("aligned", [5, 5, 4, 4, 3, 3, 2], [19, 15, 14, 9, 8, 4, 2]))
    res = pl.concat(frames)
    ranks_cfg = {**cfg, "journal_mismatch": {**cfg["journal_mismatch"], "formula": "ranks"}}
    out = fioko.run(Inputs(year=2021, results=res.lazy()), ranks_cfg).filter(
        pl.col("marker") == "journal_mismatch"
    )
    got = set(out["school_id"].to_list())
    assert "reversed" in got
    assert "aligned" not in got
    assert got - {"reversed"} == {s for s, r in expected.items() if r < 0}
    for sid, v in out.select("school_id", "value").iter_rows():
        if sid in expected:
            assert v == pytest.approx(expected[sid])
    # the PDF's formula without ties equals scipy's rs
    x, y = np.array([1.0, 2, 3, 4, 5]), np.array([2.0, 1, 4, 3, 5])
    assert fioko.spearman_pdf(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)
    pdf_out = fioko.run(Inputs(year=2021, results=res.lazy()), cfg)
    assert "reversed" in set(pdf_out["school_id"].to_list())


def test_cohort_quartile_rule(cfg):
    rng = np.random.default_rng(8)
    frames, s4, s5 = [], {}, {}
    for k in range(30):
        sid = f"c{k:02d}"
        a = rng.integers(8, 16, 20)
        b = np.clip(a + rng.integers(-1, 2, 20), 0, 20)
        if sid == "c00":
            b = np.full(20, 3)  # sharp fall: grade 5 far below grade 4
        if sid == "c01":
            a = np.full(20, 3)  # sharp rise
        frames += [
            _school_rows(sid, [4] * 20, a.tolist(), 2020, 4),
            _school_rows(sid, [4] * 20, b.tolist(), 2021, 5),
        ]
        s4[sid], s5[sid] = (a / 20).mean() * 100, (b / 20).mean() * 100
    res = pl.concat(frames)
    scales = schema.conform(
        pl.DataFrame(
            {
                "procedure": ["vpr", "vpr"],
                "year": [2020, 2021],
                "subject": ["ma", "ma"],
                "grade": [4, 5],
                "max_score": [20, 20],
            }
        ),
        schema.SCALES,
    )
    out = fioko.run(Inputs(year=2021, results=res.lazy(), scales=scales), cfg)
    k = {s: s4[s] / s5[s] for s in s4}
    q1, q3 = np.percentile(list(k.values()), [25, 75])
    upper, lower = q3 + 3 * (q3 - q1), q1 - 3 * (q3 - q1)
    falls = set(out.filter(pl.col("marker") == "cohort_fall")["school_id"].to_list())
    rises = set(out.filter(pl.col("marker") == "cohort_rise")["school_id"].to_list())
    assert falls == {s for s, v in k.items() if v > upper}
    assert "c00" in falls
    assert rises == {s for s, v in k.items() if v < lower}
    assert "c01" in rises
    row = out.filter(pl.col("school_id") == "c00").row(0, named=True)
    assert row["grade"] == 5
    assert row["value"] == pytest.approx(k["c00"])
    assert row["threshold"] == pytest.approx(upper)


def test_published_list_and_index(cfg):
    rng = np.random.default_rng(3)
    frames = [simulate_school(rng, f"sch22{k:04d}", 30, 0.0) for k in range(20)]
    frames.append(simulate_school(rng, "sch229999", 60, 0.3, behaviour="inflated", strength=1.0))
    frames.append(simulate_school(rng, "sch229999", 40, 0.0, subject="ru"))
    res = pl.concat(frames)
    schools = schema.conform(
        pl.DataFrame(
            {
                "school_id": ["sch229999"],
                "name": ["МБОУ СОШ №1"],
                "municipality": ["Город"],
                "region_id": ["22"],
            }
        ),
        schema.SCHOOLS,
    )
    inp = inputs_for(res, 2021)
    inp = Inputs(year=2021, results=inp.results, tasks=inp.tasks, scales=inp.scales, schools=schools)
    cfg1 = {**cfg, "region_key": "municipality_id"}  # one region for all
    markers = fioko.run(inp, cfg1)
    pub = fioko.published_list(inp, cfg1, markers)
    assert tuple(pub.columns) == fioko.PUBLISHED_COLUMNS
    row = pub.filter(pl.col("Логин") == "sch229999").row(0, named=True)
    assert row["4 МА"] == 1
    assert row["4 РУ"] == 0
    assert row["5 РУ"] is None
    assert row["5 МА"] is None
    assert row["Количество маркеров"] == 1
    assert row["ОО"] == "МБОУ СОШ №1"
    assert row["Год"] == 2021
    assert (pub["Количество маркеров"] >= 1).all()
    idx = fioko.objectivity_index(inp, cfg1, markers)
    n_marked = markers["school_id"].n_unique()
    assert idx["n_schools"][0] == 21
    assert idx["index"][0] == pytest.approx(100 - 100 * n_marked / 21)


def test_output_schema_and_determinism(cfg):
    res, _ = synthetic_region(2, 40, planted={"sch22001": "inflated"})
    a = fioko.run(inputs_for(res, 2021), cfg)
    b = fioko.run(inputs_for(res.sample(fraction=1.0, shuffle=True, seed=1), 2021), cfg)
    assert a.columns == [
        "year",
        "school_id",
        "procedure",
        "subject",
        "grade",
        "marker",
        "value",
        "threshold",
        "evidence",
    ]
    assert a.equals(fioko.run(inputs_for(res, 2021), cfg))
    assert a.drop("evidence").equals(b.drop("evidence"))
    assert set(a["marker"].to_list()) <= set(fioko.MARKERS)


def test_no_django_no_io():
    import inspect

    for mod in (fioko,):
        src = inspect.getsource(mod)
        assert "import django" not in src
        assert "from django" not in src
        assert "open(" not in src
        assert "read_excel" not in src


# ------------------------------------------------------------------------------------------------
# real data: Altai 2021 maths grade 4


@pytest.fixture(scope="module")
def altai_raw():
    if not ALTAI_MA4.exists():
        pytest.skip("real Altai file not available")
    return load_altai_raw()


def _raw_inflated(rows: list[list]) -> set[str]:
    """FIOKO's inflated-mean marker straight from the raw spreadsheet rows, in plain Python/numpy."""
    head = [str(h).strip().lower() for h in rows[0]]
    i_school, i_var, i_total = head.index("логин школы"), head.index("вариант"), head.index("всего баллов")
    i_tasks = [head.index(f"балл за {k}") for k in range(1, 16)]
    maxp = [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]
    by_school: dict[str, list[int]] = {}
    for r in rows[1:]:
        if str(r[i_var]).strip().lower() in ("отсутствовал", ""):
            continue
        cells = [str(r[j]).strip().lower() for j in i_tasks]
        pts = [0 if c in ("x", "х", "не пройд.", "") else int(float(c)) for c in cells]
        if str(r[i_total]).strip() == "":
            continue
        total = int(float(r[i_total]))
        if total > 20 or total != sum(pts) or any(p > m for p, m in zip(pts, maxp, strict=True)):
            continue
        by_school.setdefault(str(r[i_school]).strip(), []).append(total)
    allx = np.array([x for v in by_school.values() for x in v], float)
    r_hi = allx.mean() + 1.96 * allx.std(ddof=1) / np.sqrt(len(allx))
    out = set()
    for s, v in by_school.items():
        x = np.array(v, float)
        if len(x) >= 2 and x.mean() - 1.96 * x.std(ddof=1) / np.sqrt(len(x)) > r_hi:
            out.add(s)
    return out


def test_altai_inflated_mean_recomputed_from_raw_rows(cfg, altai_raw):
    """The product's importer (read_vpr) + fioko.run against a recomputation from the raw cells."""
    inp = altai_inputs()
    assert altai_results()["school_id"].n_unique() >= 631
    markers = fioko.run(inp, cfg)
    got = set(markers.filter(pl.col("marker") == "inflated_mean")["school_id"].to_list())
    assert got == _raw_inflated(altai_raw)
    assert len(got) == 79
    # no school of the file has a negative journal–score Spearman correlation
    assert markers.filter(pl.col("marker") == "journal_mismatch").height == 0
    idx = fioko.objectivity_index(inp, cfg, markers)
    assert idx["n_schools"][0] == 631
    assert idx["index"][0] == pytest.approx(100 - 100 * 79 / 631)
