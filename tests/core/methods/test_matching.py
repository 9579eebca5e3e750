"""Partner (leader) schools: optimality against brute force, capacity, reach, demo region."""

from __future__ import annotations

import itertools
import json

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.methods import matching
from shnor.core.store import schema

CFG = default_config()["matching"]


def brute_force(cost: np.ndarray, feasible: np.ndarray, caps: list[int]) -> tuple[int, float]:
    """Best (paired count, then least cost) over every assignment."""
    n, m = cost.shape
    best = (-1, 0.0)
    for choice in itertools.product(range(-1, m), repeat=n):
        used = np.zeros(m, dtype=int)
        ok = True
        total = 0.0
        for r, c in enumerate(choice):
            if c < 0:
                continue
            if not feasible[r, c]:
                ok = False
                break
            used[c] += 1
            total += cost[r, c]
        if not ok or (used > np.asarray(caps)).any():
            continue
        paired = sum(c >= 0 for c in choice)
        if paired > best[0] or (paired == best[0] and total < best[1] - 1e-12):
            best = (paired, total)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_solver_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    cost = rng.uniform(0, 5, size=(n, m))
    feasible = rng.uniform(size=(n, m)) < 0.7
    caps = rng.integers(0, 3, size=m).tolist()
    got = matching.solve_assignment(cost, feasible, caps)
    assert matching.assignment_cost(cost, got) == pytest.approx(brute_force(cost, feasible, caps))
    # the capacity and the reach hold
    counts = np.bincount(got[got >= 0], minlength=m)
    assert (counts <= np.asarray(caps)).all()
    assert all(feasible[r, c] for r, c in enumerate(got) if c >= 0)


def test_capacity_and_optimal_beats_greedy():
    # two supported schools, two leaders with capacity 1: greedy takes the cheapest pair first
    cost = np.array([[1.0, 2.0], [1.1, 10.0]])
    feasible = np.ones_like(cost, dtype=bool)
    opt = matching.solve_assignment(cost, feasible, 1)
    greedy = matching.greedy_assignment(cost, feasible, 1)
    assert opt.tolist() == [1, 0]
    assert greedy.tolist() == [0, 1]
    assert matching.assignment_cost(cost, opt)[1] == pytest.approx(3.1)
    assert matching.assignment_cost(cost, greedy)[1] == pytest.approx(11.0)
    # capacity 2: both go to leader 0
    assert matching.solve_assignment(cost, feasible, 2).tolist() == [0, 0]


def test_more_schools_paired_before_cheaper():
    # school 0 could take leader 0 cheaply, but then school 1 (reaches only leader 0) is unpaired
    cost = np.array([[0.1, 5.0], [3.0, 0.0]])
    feasible = np.array([[True, True], [True, False]])
    assert matching.solve_assignment(cost, feasible, 1).tolist() == [1, 0]


def test_haversine_known_distance():
    # Moscow (55.7558, 37.6173) to Saint Petersburg (59.9343, 30.3351): ≈ 634 km
    d = float(matching.haversine_km(55.7558, 37.6173, 59.9343, 30.3351))
    assert d == pytest.approx(634, abs=3)
    assert float(matching.haversine_km(53.0, 83.0, 53.0, 83.0)) == 0.0


def _schools(rows):
    return schema.conform(pl.DataFrame(rows), schema.SCHOOLS)


def test_propose_pairs_statuses_and_capacity():
    # municipality m1: two leaders (capacity 1 each) and three supported schools; m2 is far away
    rows = [
        {
            "school_id": "L1",
            "municipality_id": "m1",
            "latitude": 53.00,
            "longitude": 83.00,
            "locality": "город",
            "kind": "СОШ",
            "pupils": 500,
        },
        {
            "school_id": "L2",
            "municipality_id": "m1",
            "latitude": 53.10,
            "longitude": 83.00,
            "locality": "село",
            "kind": "СОШ",
            "pupils": 120,
        },
        {
            "school_id": "S1",
            "municipality_id": "m1",
            "latitude": 53.01,
            "longitude": 83.00,
            "locality": "город",
            "kind": "СОШ",
            "pupils": 450,
        },
        {
            "school_id": "S2",
            "municipality_id": "m1",
            "latitude": 53.11,
            "longitude": 83.00,
            "locality": "село",
            "kind": "ООШ",
            "pupils": 100,
        },
        {
            "school_id": "S3",
            "municipality_id": "m1",
            "latitude": 53.05,
            "longitude": 83.00,
            "locality": "село",
            "kind": "СОШ",
            "pupils": 90,
        },
        {
            "school_id": "S4",
            "municipality_id": "m2",
            "latitude": 58.00,
            "longitude": 90.00,
            "locality": "село",
            "kind": "СОШ",
            "pupils": 90,
        },
    ]
    cfg = {**CFG, "capacity": 1}
    out = matching.propose_pairs(["S1", "S2", "S3", "S4"], ["L1", "L2"], _schools(rows), cfg)
    assert out.columns == list(matching.OUTPUT_SCHEMA)
    by = {r["school_id"]: r for r in out.iter_rows(named=True)}
    assert by["S1"]["leader_id"] == "L1"
    assert by["S2"]["leader_id"] == "L2"
    assert by["S3"]["status"] == matching.CAPACITY_EXHAUSTED
    assert by["S3"]["n_reachable"] == 2
    assert by["S4"]["status"] == matching.NO_LEADER_IN_REACH
    assert by["S4"]["leader_id"] is None
    assert "ближайшая школа-лидер" in by["S4"]["note"]
    assert by["S1"]["distance_km"] == pytest.approx(1.11, abs=0.01)
    ev = json.loads(by["S2"]["evidence"])
    assert ev["components"]["locality"] == 0.0
    assert ev["components"]["kind"] == 0.0  # СОШ and ООШ are both общеобразовательная
    assert ev["alternatives"][0]["leader_id"] == "L2"
    # capacity 2 pairs S3 too
    out2 = matching.propose_pairs(["S1", "S2", "S3", "S4"], ["L1", "L2"], _schools(rows), CFG)
    assert out2.filter(pl.col("status") == matching.ASSIGNED).height == 3
    assert out2.group_by("leader_id").len().filter(pl.col("leader_id").is_not_null())["len"].max() <= 2


def test_select_leaders_rules():
    schools = _schools(
        [
            {"school_id": f"s{i}", "kind": "коррекционная" if i == 9 else "СОШ", "municipality_id": "m"}
            for i in range(10)
        ]
    )
    perf = pl.DataFrame(
        {
            "school_id": [f"s{i}" for i in range(10)],
            "lower": [-0.5, -0.2, -0.1, 0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.9],
            "effect": [0.0] * 10,
            "n_pupils": [100] * 7 + [10, 100, 100],
        }
    )
    cfg = {**CFG, "leaders": {**CFG["leaders"], "top_percent": 50}}
    lead = matching.select_leaders(perf, schools, cfg, exclude=["s8"])
    # top 50 % by the lower bound (cut 0.075): s7 has too few pupils, s8 is excluded,
    # s9 is коррекционная; s3 (0.0) and s4 (0.05) are below the cut
    assert lead.filter(pl.col("is_leader"))["school_id"].to_list() == ["s5", "s6"]
    assert lead.filter(pl.col("school_id") == "s9")["reason"][0].startswith("вид школы")
    assert lead.filter(pl.col("school_id") == "s7")["reason"][0].startswith("мало результатов")
    with pytest.raises(ValueError, match="неизвестная мера"):
        matching.select_leaders(perf, schools, {"leaders": {"measure": "x"}})


@pytest.fixture(scope="module")
def region():
    from shnor.core.demo import DemoConfig, generate

    return generate(DemoConfig(seed=11, years=(2024,), gia=False, subjects=("ma",), grades=(4, 5)))


def test_demo_region_pairs_optimal_and_report(region):
    from shnor.core.methods.base import Inputs

    eff = region.effects
    # leaders from the true effectiveness (the method itself is tested above)
    perf = eff.select(
        "school_id", pl.col("effectiveness").alias("effect"), pl.col("effectiveness").alias("lower")
    )
    supported = eff.sort("effectiveness").head(25)["school_id"].to_list()
    inputs = Inputs(year=2024, results=region.results.lazy(), schools=region.schools, context=region.context)
    out = matching.run(inputs, CFG, supported=supported, performance=perf)
    assert out.height == 25
    assigned = out.filter(pl.col("status") == matching.ASSIGNED)
    assert assigned.height >= 20
    far = assigned.filter(pl.col("distance_km") > CFG["max_distance_km"])
    assert all(json.loads(e)["same_municipality"] for e in far["evidence"])  # reach by municipality only
    assert assigned.group_by("leader_id").len()["len"].max() <= CFG["capacity"]
    ev = json.loads(out["evidence"][0])
    totals = ev["totals"]
    # the optimum never costs more than the greedy baseline with as many pairs
    assert totals["paired"] >= totals["greedy_paired"]
    if totals["paired"] == totals["greedy_paired"]:
        assert totals["total_cost"] <= totals["greedy_total_cost"] + 1e-9
    # every unpaired school is reported with a reason
    assert (
        out.filter(pl.col("leader_id").is_null())["status"]
        .is_in([matching.NO_LEADER_IN_REACH, matching.CAPACITY_EXHAUSTED])
        .all()
    )
    # deterministic
    assert out.equals(matching.run(inputs, CFG, supported=supported, performance=perf))
