"""The extended objectivity detector: planted behaviours found, strong honest schools spared, FDR on nulls."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.evidence.objectivity import records_of
from shnor.core.methods import objectivity
from shnor.core.methods.base import Inputs
from shnor.core.methods.objectivity import runner as objectivity_runner
from shnor.core.methods.objectivity.signs import reliability
from tests.core.methods.conftest_objectivity import (
    ALTAI_MA4,
    altai_inputs,
    inputs_for,
    simulate_school,
    synthetic_region,
)

PLANTED = {"sch22001": "bunching", "sch22002": "copying", "sch22003": "hard_leak", "sch22004": "honest"}
MUS = {"sch22001": -0.9, "sch22004": 2.6}  # sch22004: a strong honest school (lyceum)


@pytest.fixture(scope="module")
def cfg() -> dict:
    return default_config()["objectivity"]


@pytest.fixture(scope="module")
def planted_run(cfg):
    rng = np.random.default_rng(21)
    res, truth = synthetic_region(21, 150)
    extra = [
        simulate_school(rng, "sch29001", 90, -0.9, behaviour="bunching", strength=1.0),
        simulate_school(rng, "sch29002", 45, 0.3, behaviour="copying", strength=0.5),
        simulate_school(rng, "sch29003", 45, 0.3, behaviour="hard_leak", strength=0.6),
        simulate_school(rng, "sch29004", 80, 2.6),  # strong honest school
        simulate_school(rng, "sch29005", 12, 0.0),  # too small for histograms
    ]
    res = pl.concat([res, *extra])
    return res, objectivity.run(inputs_for(res, 2021), cfg)


def _row(out: pl.DataFrame, sid: str) -> dict:
    return out.filter(pl.col("school_id") == sid).row(0, named=True)


def test_output_columns_one_row_per_school(planted_run):
    res, out = planted_run
    assert out.columns == [
        "school_id",
        "flagged",
        "n_signs",
        "signs",
        "strongest_sign",
        "q_value",
        "evidence",
    ]
    assert out.height == res.filter(~pl.col("absent"))["school_id"].n_unique()
    assert out["school_id"].is_unique().all()


def test_flags_planted_schools_and_spares_strong_one(planted_run):
    _, out = planted_run
    bunch = _row(out, "sch29001")
    assert bunch["flagged"]
    assert "bunching:vpr:ma:4" in bunch["signs"]
    copy = _row(out, "sch29002")
    assert copy["flagged"]
    assert "similarity:vpr:ma:4" in copy["signs"]
    leak = _row(out, "sch29003")
    assert leak["flagged"]
    assert "task_pattern:vpr:ma:4" in leak["signs"]
    strong = _row(out, "sch29004")
    assert not strong["flagged"]
    assert strong["q_value"] > 0.05
    # honest ordinary schools: at most a stray false discovery
    honest_flags = out.filter(pl.col("school_id").str.starts_with("sch22") & pl.col("flagged")).height
    assert honest_flags <= 2


def test_evidence_has_statistic_group_threshold_and_charts(planted_run):
    _, out = planted_run
    ev = json.loads(_row(out, "sch29001")["evidence"])
    assert ev["combine"] == "bonferroni"
    assert ev["decision"] == "alpha"
    assert ev["p_combined"] <= ev["alpha"] == 0.0075
    assert ev["format"] == 2
    # format 2: the standard comparison group and what the id says are not stored on the record
    assert not any("sign" in r or "procedure" in r for r in ev["signs"])
    assert not any("comparison_group" in r for r in ev["signs"] if r["id"] != "vpr_vs_gia")
    signs = {s["sign"]: s for s in records_of(ev)}
    b = signs["bunching"]
    assert b["tested"]
    assert b["p_value"] < 1e-4
    assert b["comparison_group"]
    assert "threshold" not in b  # the school's threshold, once for all its signs
    # a sign counts when k·p ≤ alpha: the per-sign threshold is alpha over the signs tested
    assert ev["threshold"]["alpha"] == 0.0075
    assert ev["threshold"]["sign_p_value_at_most"] == pytest.approx(0.0075 / len(ev["sign_p_values"]))
    # a chart two signs share is written once, and the other record points to it
    assert "chart" not in signs["person_fit"]
    assert signs["person_fit"]["chart_of"] == "task_pattern:vpr:ma:4"
    # the journal «повысили» sign is off by default: the journal correlation keeps its own table
    assert "journal" not in signs
    assert np.array(signs["journal_corr"]["chart"]["journal_vs_vpr"]["school"]).shape == (4, 4)
    assert len(b["chart"]["histogram"]) == 21
    assert len(b["chart"]["expected"]) == 21
    assert len(signs["task_pattern"]["chart"]["task_success"]["school"]) == 15
    assert signs["fluctuation"]["tested"] is False  # one year only
    assert "region_bunching" not in ev  # the region's rows: region_bunching(), not in every school
    # the signs pooled over the school's tests and years say which years they used
    pooled = ev["pooled_signs"]
    assert pooled["journal_corr"]["statistic"]["years"] == [2021]
    assert pooled["lenient_checking"]["statistic"]["anchor"] == "one_point"


def test_small_school_not_tested_and_says_so(planted_run):
    _, out = planted_run
    ev = json.loads(_row(out, "sch29005")["evidence"])
    b = next(s for s in records_of(ev) if s["sign"] == "bunching")
    assert b["tested"] is False
    assert "< 20" in b["reason"]
    assert reliability(12) == "limited"
    assert reliability(30) == "rough"
    assert reliability(50) == "informative"


def test_deterministic(cfg, planted_run):
    res, out = planted_run
    again = objectivity.run(inputs_for(res, 2021), cfg)
    assert again.equals(out)


def test_a_sink_receives_the_same_rows_in_parts(cfg, planted_run, monkeypatch):
    """With a sink the output comes in parts of SINK_SCHOOLS schools, evidence included, and the
    returned frame is the same without its evidence."""
    res, out = planted_run
    monkeypatch.setattr(objectivity_runner, "SINK_SCHOOLS", 40)
    parts: list[pl.DataFrame] = []

    def sink(part: pl.DataFrame, evidence: list[bytes]) -> None:
        assert all(isinstance(e, bytes) for e in evidence)
        parts.append(
            part.with_columns(pl.Series("evidence", [e.decode() for e in evidence], dtype=pl.String))
        )

    rest = objectivity.run(inputs_for(res, 2021), cfg, sink=sink)
    assert [p.height for p in parts] == [40] * (out.height // 40) + (
        [out.height % 40] if out.height % 40 else []
    )
    assert pl.concat(parts).equals(out)
    assert rest.equals(out.drop("evidence"))


@pytest.mark.parametrize("seed", [101, 102, 103])
def test_fdr_controlled_on_honest_region(cfg, seed):
    res, _ = synthetic_region(seed, 200, size=(15, 90))
    out = objectivity.run(inputs_for(res, 2021), cfg)
    share = out["flagged"].mean()
    # all null: BH at q keeps P(any flag) ≤ q, so the flagged share is tiny
    assert share <= cfg["q"]
    assert out["flagged"].sum() <= 2


def test_fdr_controlled_without_empirical_null(cfg):
    """The theoretical nulls alone are honest on data that follow them."""
    raw = json.loads(json.dumps(cfg))
    for sign in raw["signs"].values():
        sign["empirical_null"] = False
    res, _ = synthetic_region(104, 200, size=(15, 90))
    out = objectivity.run(inputs_for(res, 2021), raw)
    assert out["flagged"].sum() <= 2


def test_fluctuation_flags_a_sudden_gain(cfg):
    rng = np.random.default_rng(7)
    frames = []
    for k in range(60):
        sid = f"sch23{k:04d}"
        mu = float(rng.normal(0.3, 0.45))
        for year in (2019, 2020, 2021):
            bump = 2.5 if (sid == "sch230000" and year == 2021) else 0.0
            frames.append(simulate_school(rng, sid, 40, mu + bump, year=year))
    res = pl.concat(frames)
    out = objectivity.run(inputs_for(res, 2021), cfg)
    row = _row(out, "sch230000")
    assert row["flagged"]
    assert "fluctuation:vpr:ma:4" in row["signs"]
    ev = json.loads(row["evidence"])
    fl = next(s for s in records_of(ev) if s["sign"] == "fluctuation")
    assert fl["statistic"]["z_gain"] > 3


def test_combine_methods():
    ps = [0.01, 0.5, 0.9]
    assert objectivity.combine(ps, "bonferroni") == pytest.approx(0.03)
    for m in ("cauchy", "fisher", "stouffer"):
        assert 0 < objectivity.combine(ps, m) <= 1
    with pytest.raises(ValueError, match="неизвестный"):
        objectivity.combine(ps, "nope")


def test_no_django_no_io():
    import importlib
    import inspect
    import pkgutil

    from shnor.core.methods import objectivity_signs

    prefix = "shnor.core.methods.objectivity."
    package = [importlib.import_module(m.name) for m in pkgutil.walk_packages(objectivity.__path__, prefix)]
    assert len(package) > 10  # (the package's modules, each checked)
    for mod in (objectivity, objectivity_signs, *package):
        src = inspect.getsource(mod)
        assert "import django" not in src
        assert "from django" not in src
        assert "open(" not in src


# ------------------------------------------------------------------------------------------------
# the demo region (shnor.core.demo): strong lyceums, pooled bunching, ВПР vs ГИА

DEMO_SEEDS = (3, 7)


def _demo(seed: int, *, honest: bool = False, lyceum_strength: float = 1.0, n_schools: int = 120):
    from dataclasses import replace

    from shnor.core.demo import DemoConfig, generate

    c = DemoConfig(seed=seed, size="region", n_schools=n_schools, grades=(4, 5), years=(2022, 2023, 2024))
    if honest:
        c = c.honest()
    c = replace(c, strong_lyceum=replace(c.strong_lyceum, enabled=True, strength=lyceum_strength))
    data = generate(c)
    fr = data.frames()
    return data, fr


def _demo_inputs(fr: dict) -> Inputs:
    return Inputs(
        year=2024, results=fr["results"].lazy(), tasks=fr["tasks"], scales=fr["scales"], schools=fr["schools"]
    )


@pytest.fixture(scope="module")
def demo_runs(cfg):
    """Two demo regions (120 schools, ВПР 4–5 and ОГЭ/ЕГЭ, 2022–2024) with every behaviour planted and
    lyceums twice the demo's default strength (+1 pupil-SD effectiveness on top of their intake)."""
    runs = []
    for seed in DEMO_SEEDS:
        data, fr = _demo(seed)
        runs.append((data, fr, objectivity.run(_demo_inputs(fr), cfg)))
    return runs


def _members(data, behaviour: str) -> set[str]:
    return set(data.truth.filter(pl.col("behaviour") == behaviour)["school_id"].to_list())


def test_strong_lyceums_not_flagged_on_demo(demo_runs):
    n_lyceums = 0
    for data, _, out in demo_runs:
        lyc = _members(data, "strong_lyceum")
        rows = out.filter(pl.col("school_id").is_in(list(lyc)))
        n_lyceums += rows.height
        assert not rows["flagged"].any(), rows.filter(pl.col("flagged")).select("school_id", "signs").rows()
        # they are strong: far above the region (FIOKO's inflated-mean rule marks them)
        for r in rows.iter_rows(named=True):
            ev = json.loads(r["evidence"])
            hom = [x for x in records_of(ev) if x["sign"] == "homogeneity" and x["tested"]]
            assert all("variance_ratio" in x["statistic"] for x in hom)
    assert n_lyceums >= 10


def test_pooled_bunching_finds_boundary_inflation(demo_runs):
    found = total = 0
    for data, _, out in demo_runs:
        infl = _members(data, "boundary_inflation")
        rows = out.filter(pl.col("school_id").is_in(list(infl)))
        total += rows.height
        found += rows["flagged"].sum()
        for r in rows.filter(pl.col("flagged")).iter_rows(named=True):
            ev = json.loads(r["evidence"])
            pooled = ev["pooled_signs"]["bunching"]
            assert pooled["p_value"] == ev["sign_p_values"]["bunching"]
            b = pooled["boundaries"][0]
            assert b["boundary"] == "min_3"
            assert b["at_or_above"] > b["expected_at_or_above"]
            years = set(b["tests"]["year"])  # (format 2: the tests as columns)
            assert years == {2022, 2023, 2024}  # pooled over the school's tests and years
            assert set(b["tests"]["procedure"]) == {"vpr"}
    assert found >= 0.6 * total


def test_honest_demo_region_calibrated(cfg):
    """No planted behaviour (strong lyceums kept): flagged share ≤ q with pooled signs and ВПР vs ГИА."""
    flagged = tested = 0
    for seed in (5,):
        _, fr = _demo(seed, honest=True, n_schools=100)
        out = objectivity.run(_demo_inputs(fr), cfg)
        flagged += out["flagged"].sum()
        tested += out.height
        ev = json.loads(out["evidence"][0])
        assert "vpr_vs_gia" in {r["sign"] for r in records_of(ev)}
    assert flagged / tested <= cfg["q"]
    assert flagged <= 2


def test_vpr_vs_gia_flags_vpr_far_above_gia(cfg, demo_runs):
    data, fr, out = demo_runs[0]
    res = fr["results"]
    honest = set(out.filter(~pl.col("flagged"))["school_id"].to_list()) - _members(data, "strong_lyceum")
    gia_n = (
        res.filter(pl.col("procedure").is_in(["oge", "ege"]) & ~pl.col("absent"))
        .group_by("school_id")
        .len()
        .filter(pl.col("len") >= 40)
    )
    vpr = res.filter((pl.col("procedure") == "vpr") & ~pl.col("absent"))
    vpr_n = vpr.group_by("school_id").len().filter(pl.col("len") >= 60)
    cands = sorted(set(gia_n["school_id"].to_list()) & set(vpr_n["school_id"].to_list()) & honest)
    target = cands[0]
    source = sorted(_members(data, "strong_lyceum"))[0]
    # the target school's ВПР replaced by a strong lyceum's ВПР; its ОГЭ/ЕГЭ stay its own
    swapped = pl.concat(
        [
            res.filter(~((pl.col("procedure") == "vpr") & pl.col("school_id").is_in([target, source]))),
            res.filter((pl.col("procedure") == "vpr") & (pl.col("school_id") == source)),
            res.filter((pl.col("procedure") == "vpr") & (pl.col("school_id") == source)).with_columns(
                pl.lit(target).alias("school_id"), (pl.col("pupil_key") + "-copy").alias("pupil_key")
            ),
        ]
    )
    got = objectivity.run(_demo_inputs({**fr, "results": swapped}), cfg)
    ev = json.loads(got.filter(pl.col("school_id") == target)["evidence"][0])
    rec = next(r for r in records_of(ev) if r["sign"] == "vpr_vs_gia")
    assert rec["tested"]
    assert rec["p_value"] < 1e-4
    st = rec["statistic"]
    assert st["vpr_standing_sd"] > st["expected_vpr_standing_sd"] + 0.5
    assert rec["chart"]["standing"]["gia"] == st["gia_standing_sd"]
    # the lyceum itself (strong in ВПР and ГИА) is not suspicious by this sign
    ev_src = json.loads(got.filter(pl.col("school_id") == source)["evidence"][0])
    src = next(r for r in records_of(ev_src) if r["sign"] == "vpr_vs_gia")
    assert src["p_value"] > 0.01
    # switchable in the TOML
    off = json.loads(json.dumps(cfg))
    off["signs"]["vpr_vs_gia"]["enabled"] = False
    out_off = objectivity.run(
        _demo_inputs({**fr, "results": res.filter(pl.col("school_id").is_in(cands[:30] + [source]))}), off
    )
    assert all(r["sign"] != "vpr_vs_gia" for e in out_off["evidence"] for r in records_of(json.loads(e)))


# ------------------------------------------------------------------------------------------------
# real data: Altai 2021 maths grade 4


@pytest.fixture(scope="module")
def altai():
    if not ALTAI_MA4.exists():
        pytest.skip("real Altai file not available")
    return altai_inputs()


def test_altai_region_bunching_at_the_3_boundary(cfg, altai):
    inp = altai
    rb = objectivity.region_bunching(inp, cfg)
    row = rb.filter(pl.col("boundary") == "min_3").row(0, named=True)
    hist = row["histogram"]
    assert hist[5] == 302
    assert hist[6] in (1069, 1070)
    assert row["excess_ratio"] > 1.25
    assert row["p_value"] < 1e-20
    out = objectivity.run(inp, cfg)
    # a handful of schools, not a tenth of the region, are flagged
    assert 0 < out["flagged"].sum() < 0.05 * out.height


def test_upper_tail_is_exactly_one_at_zero_and_zero_beyond_the_support():
    from shnor.core.methods.objectivity_signs import upper_tail

    pmf = np.array([0.1, 0.2, 0.3, 0.4 - 1e-16])  # sums to 1 − an ulp
    assert upper_tail(pmf, 0) == 1.0
    assert upper_tail(pmf, -2) == 1.0
    assert upper_tail(pmf, 2) == pytest.approx(0.7)
    assert upper_tail(pmf, 4) == 0.0
    assert upper_tail(np.array([0.5, 0.6]), 1) == 0.6


@pytest.mark.parametrize(
    "variant", [{"level_model": "tilt"}, {"level_model": "tilt", "null_shape": "region"}]
)
def test_bunching_with_the_tilt_level_model_finds_the_planted_school(cfg, planted_run, variant):
    """The TOML's other level models (exponential tilt of the smoothed or of the region's own
    histogram): the planted school stands out, honest ones do not, and the chart's expected
    histogram matches the school outside the window, where the tilt was fitted."""
    from shnor.core.methods import objectivity_signs as signs

    res, _ = planted_run
    inputs = inputs_for(res, 2021)
    keys = objectivity._units(inputs, cfg)
    unit = objectivity.build_unit(inputs, keys[0][0], 2021, keys[0][1], keys[0][2])
    out, _ = signs.bunching(unit, {**cfg["signs"]["bunching"], **variant})
    rec = out["sch29001"]
    assert rec["tested"]
    assert rec["p_value"] < 1e-3
    honest = [
        r["p_value"]
        for sid, r in out.items()
        if r.get("tested") and sid in PLANTED and PLANTED[sid] == "honest"
    ]
    assert honest
    assert min(honest) > 0.01
    best = next(b for b in rec["boundaries"] if b["boundary"] == rec["statistic"]["boundary"])
    assert best["theta"] is not None
    lo, hi = best["window"]
    outside = [s for s in range(len(rec["chart"]["histogram"])) if s < lo or s > hi]
    assert sum(rec["chart"]["expected"][s] for s in outside) == pytest.approx(
        sum(rec["chart"]["histogram"][s] for s in outside),
        abs=0.05 * len(outside),  # kept to a tenth
    )


def test_the_order_of_the_pupils_changes_nothing(cfg, planted_run):
    """The same results, to the bit, whatever order the import files list the pupils in (a
    procedure's pupils are grouped by school but kept in their order within it): the signs sum
    pupils' whole-number values, exact in any order, and the region's moments come from integer sums
    (on a country procedure the journal's school level, from a float SD over the pupils as they
    came, had moved a p-value's last bit)."""
    res, out = planted_run
    shuffled = res.sample(fraction=1.0, shuffle=True, seed=5)
    assert not shuffled["school_id"].equals(res["school_id"])
    assert objectivity.run(inputs_for(shuffled, 2021), cfg).equals(out)


def _latent_by_definition(shist, cut, lo, hi, g, tau):
    """``_latent_posterior`` school by school, as its docstring defines it (the oracle)."""
    from scipy import stats as st

    dl, sg = (
        a.ravel() for a in np.meshgrid(np.linspace(-4.0, 4.0, 121), np.linspace(0.3, 1.6, 14), indexing="ij")
    )
    edges = np.r_[-np.inf, st.norm.ppf(np.clip(np.cumsum(g) / g.sum(), 1e-9, 1 - 1e-9)[:-1]), np.inf]
    prob = np.maximum(np.diff(st.norm.cdf((edges[None, :] - dl[:, None]) / sg[:, None]), axis=1), 1e-300)
    p_win = prob[:, lo : hi + 1].sum(1)
    out_cols = np.r_[0:lo, hi + 1 : shist.shape[1]]
    p0 = np.clip(prob[:, cut : hi + 1].sum(1) / p_win, 1e-12, 1 - 1e-12)
    bins = np.unique(np.minimum((p0 * 400).astype(int), 399), return_inverse=True)[1].ravel()

    def post(c, prior):
        ll = c[out_cols] @ np.log(prob[:, out_cols]).T - c[out_cols].sum() * np.log(1 - p_win) + prior
        w = np.exp(ll - ll.max())
        return w / w.sum()

    big = [c for c in shist if c[out_cols].sum() >= 30]
    sigma0 = float(np.median([post(c, 0.0) @ sg for c in big])) if len(big) >= 5 else 1.0
    prior = -0.5 * ((np.log(sg) - np.log(sigma0)) / tau) ** 2
    res = []
    for c in shist:
        w = post(c, prior)
        m = int(c[lo : hi + 1].sum())
        pmf = None
        if m:
            mass = np.bincount(bins, w)
            pb = np.bincount(bins, w * p0) / np.maximum(mass, 1e-300)
            mass = np.where(mass > 1e-9, mass, 0.0)
            mass /= mass.sum()
            pmf = sum(mass[b] * st.binom.pmf(np.arange(m + 1), m, pb[b]) for b in np.flatnonzero(mass))
        fh = w @ prob  # the expected histogram, matching the school's count outside the window
        res.append((w @ p0, w @ dl, w @ sg, pmf, fh / fh[out_cols].sum() * c[out_cols].sum()))
    return sigma0, res


def test_latent_posterior_is_its_definition():
    """The blocked, unnormalised, batched posterior of bunching's level model gives, school by
    school, the definition's moments, expected histogram and null pmf: with blocks smaller than the
    data (so that their seams, and those of the window counts within them, are crossed) and as one
    block."""
    from shnor.core.methods.objectivity_signs import _latent_posterior

    rng = np.random.default_rng(7)
    width, cut, lo, hi = 31, 15, 12, 17
    g = np.exp(-0.5 * ((np.arange(width) - 16) / 6.0) ** 2) * 1000
    sizes = rng.integers(0, 90, 60)
    shist = np.stack(
        [
            np.bincount(
                np.clip(
                    np.round(rng.normal(16 + rng.normal(0, 3), rng.uniform(3, 8), n)), 0, width - 1
                ).astype(int),
                minlength=width,
            )
            for n in sizes
        ]
    )
    sigma0, want = _latent_by_definition(shist, cut, lo, hi, g, 0.15)
    for block in (7, 256):
        got = _latent_posterior(shist, cut, lo, hi, g, 0.15, block=block)
        assert got["sigma0"] == pytest.approx(sigma0, rel=1e-12)
        for i, (share, shift, sd, pmf, expected) in enumerate(want):
            assert (got["share"][i], got["shift"][i], got["sd"][i]) == pytest.approx(
                (share, shift, sd), rel=1e-10, abs=1e-12
            )
            np.testing.assert_allclose(got["expected"][i], expected, atol=0.0501)  # (kept to a tenth)
            if pmf is None:
                assert got["pmf"][i] is None
            else:
                np.testing.assert_allclose(got["pmf"][i], pmf, rtol=1e-9, atol=1e-15)


def test_latent_posterior_with_no_pupil_in_any_window_has_no_null_pmfs():
    """Schools whose pupils all score outside the window get moments but no null pmf (nothing to
    test), and no school at all gives empty results: neither is an error."""
    from shnor.core.methods.objectivity_signs import _latent_posterior

    width, cut, lo, hi = 31, 15, 12, 17
    g = np.exp(-0.5 * ((np.arange(width) - 16) / 6.0) ** 2) * 1000
    shist = np.zeros((5, width), dtype=np.int64)
    shist[:, :5], shist[:, 25:] = 10, 3
    got = _latent_posterior(shist, cut, lo, hi, g, 0.15)
    assert got["pmf"] == [None] * 5
    assert np.isfinite(got["share"]).all()
    assert len(got["expected"]) == 5
    assert _latent_posterior(shist[:0], cut, lo, hi, g, 0.15)["pmf"] == []
