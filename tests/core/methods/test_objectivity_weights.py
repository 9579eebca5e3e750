"""The weighted Bonferroni over the signs (objectivity version 2026.3): equal weights give today's
decisions exactly; unequal weights hold each sign to its own threshold alpha · share, stated in the
evidence."""

from __future__ import annotations

import copy
import json

import numpy as np
import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.evidence.plain import plain_signs_of
from shnor.core.methods import objectivity
from shnor.core.methods.objectivity.fdr import combine_many, sign_shares, sign_weights, weighted_bonferroni
from tests.core.methods.conftest_objectivity import inputs_for, simulate_school, synthetic_region

SIGNS = ["bunching", "task_pattern", "person_fit", "similarity", "fluctuation"]


def test_equal_weights_are_bonferroni_exactly() -> None:
    rng = np.random.default_rng(5)
    groups = [
        {s: float(p) for s, p in zip(SIGNS[: k + 1], rng.uniform(0, 1, k + 1) ** 4, strict=True)}
        for k in rng.integers(0, len(SIGNS), 500)
    ]
    plain = combine_many([list(g.values()) for g in groups], "bonferroni")
    for weights in ({s: 1 / 9 for s in SIGNS}, {s: 1.0 for s in SIGNS}, {s: 0.3 for s in SIGNS}):
        got = np.array([weighted_bonferroni(g, weights) for g in groups])
        assert np.array_equal(got, plain)  # the same floats, not merely close


def test_unequal_weights_give_each_sign_its_share() -> None:
    weights = {"bunching": 0.2, "fluctuation": 0.6, "similarity": 0.2}
    assert sign_shares(["bunching", "fluctuation"], weights) == pytest.approx(
        {"bunching": 0.25, "fluctuation": 0.75}
    )
    # fluctuation's p 0.004 passes alpha · 0.75 = 0.0056 (alpha 0.0075); plain Bonferroni's 2p = 0.008 fails
    ps = {"bunching": 0.5, "fluctuation": 0.004}
    assert weighted_bonferroni(ps, weights) == pytest.approx(0.004 / 0.75)
    assert weighted_bonferroni(ps, weights) <= 0.0075 < combine_many([list(ps.values())], "bonferroni")[0]
    # a sign of weight 0 never flags
    assert (
        weighted_bonferroni({"bunching": 1e-9, "fluctuation": 0.5}, {"bunching": 0.0, "fluctuation": 1.0})
        == 0.5
    )


def test_weights_are_checked_with_a_russian_message() -> None:
    cfg = copy.deepcopy(default_config()["objectivity"])
    del cfg["sign_weights"]["fluctuation"]
    with pytest.raises(ValueError, match="вес признака «fluctuation» не задан"):
        sign_weights(cfg)
    cfg = copy.deepcopy(default_config()["objectivity"])
    cfg["sign_weights"]["bunching"] = -0.1
    with pytest.raises(ValueError, match="неотрицательным"):
        sign_weights(cfg)


def test_default_weights_sum_to_one_over_the_enabled_signs() -> None:
    cfg = default_config()["objectivity"]
    assert cfg["version"] == "2026.4"
    assert sum(sign_weights(cfg).values()) == pytest.approx(1.0, abs=1e-3)


@pytest.fixture(scope="module")
def region() -> object:
    rng = np.random.default_rng(31)
    res, _ = synthetic_region(31, 120)
    extra = [
        simulate_school(rng, "sch39001", 60, -0.6, behaviour="bunching", strength=1.0),
        simulate_school(rng, "sch39002", 40, 0.2, behaviour="copying", strength=0.5),
        simulate_school(rng, "sch39003", 50, 0.0, behaviour="hard_leak", strength=1.0),
    ]
    return inputs_for(pl.concat([res, *extra]), 2021)


def _run(inputs: object, weights: dict[str, float] | None) -> pl.DataFrame:
    cfg = copy.deepcopy(default_config()["objectivity"])
    if weights is None:
        cfg["sign_weights"] = {}
    else:
        cfg["sign_weights"] = weights
    return objectivity.run(inputs, cfg)  # type: ignore[arg-type]


def test_equal_weights_reproduce_the_decisions_and_evidence(region) -> None:
    plain = _run(region, None)  # no weights: the unweighted combination
    equal = _run(region, {s: 1 / 9 for s in default_config()["objectivity"]["signs"]})
    assert plain.height > 100
    assert plain["flagged"].sum() >= 2
    assert plain.equals(equal)


def test_unequal_weights_state_each_signs_own_threshold(region) -> None:
    signs = default_config()["objectivity"]["signs"]
    weights = {s: (0.5 if s == "task_pattern" else 0.05) for s in signs}
    out = _run(region, weights)
    alpha = 0.0075
    checked = 0
    for row in out.iter_rows(named=True):
        ev = json.loads(row["evidence"])
        ps = ev["sign_p_values"]
        if not ps:
            continue
        total = sum(weights[s] for s in ps)
        shares = {s: weights[s] / total for s in ps}
        # flagged exactly when some sign is at most its own threshold alpha · share
        assert row["flagged"] == any(p <= alpha * shares[s] for s, p in ps.items())
        thr = ev["threshold"]
        if len(ps) > 1:
            assert thr["sign_weights"] == pytest.approx(shares)
            assert thr["sign_p_value_at_most"] == pytest.approx({s: alpha * w for s, w in shares.items()})
            checked += 1
        if row["flagged"]:
            named = {s.split(":")[0] for s in row["signs"].split("; ")}
            assert named <= {s for s, p in ps.items() if p <= alpha * shares[s]} | {min(ps, key=ps.get)}
    assert checked > 100


def test_plain_words_hold_each_sign_to_its_own_threshold(region) -> None:
    signs = default_config()["objectivity"]["signs"]
    weights = {s: (0.5 if s == "task_pattern" else 0.05) for s in signs}
    out = _run(region, weights)
    seen = set()
    for row in out.filter(pl.col("flagged")).iter_rows(named=True):
        ev = json.loads(row["evidence"])
        by_sign = ev["threshold"]["sign_p_value_at_most"]
        for plain in plain_signs_of({**row, "evidence": ev}):
            sign = plain.code.split(":")[0]
            if sign in by_sign:
                assert plain.threshold == pytest.approx(by_sign[sign])
                seen.add(sign)
    assert {"task_pattern", "bunching"} <= seen  # two signs, two different cut-offs read
