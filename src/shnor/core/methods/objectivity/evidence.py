"""Each school's row of the output: its significant signs and records, its strongest sign, and its
evidence as UTF-8 JSON (format 2, ``core.evidence.objectivity_format``) with the school's test records
spliced in as they were serialised."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shnor.core.evidence.objectivity_format import FORMAT, compact_pooled
from shnor.core.methods.objectivity.fdr import Combined, sign_shares, sign_weights
from shnor.core.methods.objectivity.records import _json, _Tests

#: Stands for the school's records in its evidence until they are spliced in (``school_row``).
_PLACEHOLDER = "\u0000signs\u0000"
_PLACEHOLDER_JSON = _json(_PLACEHOLDER)


def _significant_signs(
    ps: dict[str, float],
    flagged: bool,
    method: str,
    cutoff: float,
    q_level: float,
    shares: dict[str, float] | None = None,
) -> list[str]:
    """The signs that make a flagged school flagged (at least its strongest); none if not flagged.
    ``shares``: each sign's share of the cut-off (weighted Bonferroni), None when the shares are equal."""
    if not flagged:
        return []
    k = len(ps)
    if method == "bonferroni" and shares is not None:
        sig_signs = [sg for sg, p in ps.items() if p <= cutoff * shares[sg]]
    elif method == "bonferroni":
        sig_signs = [sg for sg, p in ps.items() if min(1.0, k * p) <= cutoff]
    else:
        sig_signs = [sg for sg, p in ps.items() if p <= q_level / k]
    return sig_signs or [min(ps, key=ps.__getitem__)]


def _significant_records(
    tests: _Tests, done: list[int], ps: dict[str, float], sig_signs: list[str]
) -> list[int]:
    """The rows of the significant signs' records: a sign's records with p ≤ 0.05, or its smallest."""
    signs, p_values = tests.signs, tests.p_values
    significant = []
    for sg in sorted(sig_signs, key=lambda g: ps[g]):
        units = sorted((j for j in done if signs[j] == sg), key=p_values.__getitem__)
        significant += [j for j in units if p_values[j] <= 0.05] or units[:1]
    return significant


def _strongest(tests: _Tests, done: list[int], ps: dict[str, float]) -> str | None:
    """The id of the record of the school's strongest sign (its pooled record when it has no other)."""
    if not ps:
        return None
    best = min(ps, key=ps.__getitem__)
    cands = [j for j in done if tests.signs[j] == best]
    return tests.ids[min(cands, key=tests.p_values.__getitem__)] if cands else f"{best}:pooled"


def _unequal_shares(ps: dict[str, float], config: Mapping[str, Any]) -> dict[str, float] | None:
    """Each tested sign's share of alpha (its weight over the tested signs' total) when the weights
    differ; None when they are equal (plain Bonferroni, alpha/k each)."""
    if not ps or not config.get("sign_weights"):
        return None
    shares = sign_shares(ps, sign_weights(config))
    return None if len(set(shares.values())) == 1 else shares


def school_row(
    tests: _Tests,
    i: int,
    comb: Combined,
    pooled: dict[str, dict[str, dict[str, Any]]],
    config: Mapping[str, Any],
    year: int,
) -> tuple[dict[str, Any], bytes]:
    """The output row of ``tests.schools[i]`` without its evidence, and the evidence as UTF-8 JSON
    (the school's pooled records are taken out of ``pooled``). Format 2: the school's own numbers
    (p, q, the signs' p-values, the threshold) exact, empty ones left out; the region's bunching rows,
    the same for every school, are not repeated here (``region_bunching``)."""
    sid = tests.schools[i]
    method = config["combine"]
    q_level = float(config["q"])
    any_flagged = comb.flagged.any()
    tested_rows = tests.tested
    done = [j for j in tests.rows(i) if tested_rows[j]]  # in record id order
    ps = comb.sign_p[i]
    k = len(ps)
    shares = _unequal_shares(ps, config) if method == "bonferroni" else None
    sig_signs = _significant_signs(ps, bool(comb.flagged[i]), method, comb.cutoff, q_level, shares)
    significant = _significant_records(tests, done, ps, sig_signs)
    tested = comb.tested[i]
    evidence: dict[str, Any] = {
        "format": FORMAT,
        "year": year,
        "combine_units": config["combine_units"],
        "combine": method,
        "fdr": config["fdr_method"],
        "q_level": q_level,
        "tests_performed": len(done),
        "sign_p_values": {sg: ps[sg] for sg in sorted(ps)},
        "p_combined": None if not tested else float(comb.p_comb[i]),
        "signs": _PLACEHOLDER,
        "significant": [tests.ids[j] for j in significant],
    }
    if tested:
        evidence["q_value"] = float(comb.q[i])
    by_alpha = config.get("decision", "bh") == "alpha"
    if by_alpha:
        evidence["decision"] = "alpha"
        evidence["alpha"] = float(config["alpha"])
    elif any_flagged:
        evidence["bh_cutoff"] = comb.cutoff
    school_pooled = pooled.pop(sid, None)
    if school_pooled:
        evidence["pooled_signs"] = compact_pooled(school_pooled)
    if done and by_alpha and shares is not None:  # weighted: a sign counts when p ≤ alpha · its share
        evidence["threshold"] = {
            "sign_p_value_at_most": {sg: comb.cutoff * shares[sg] for sg in sorted(shares)},
            "sign_weights": {sg: shares[sg] for sg in sorted(shares)},
            "alpha": float(config["alpha"]),
        }
    elif done and by_alpha:  # a sign counts when k·p ≤ alpha (Bonferroni over the school's k signs)
        evidence["threshold"] = {
            "sign_p_value_at_most": comb.cutoff / k if method == "bonferroni" and k else None,
            "alpha": float(config["alpha"]),
        }
    elif done:  # one threshold for every tested sign of the school (each record used to repeat it)
        evidence["threshold"] = {
            "sign_p_value_at_most": comb.cutoff / k if method == "bonferroni" and any_flagged else None,
            "q": q_level,
        }
    else:
        evidence["note"] = "ни один признак не проверен: мало участников или нет нужных данных"
    row = {
        "school_id": sid,
        "flagged": bool(comb.flagged[i]),
        "n_signs": len(sig_signs),
        "signs": "; ".join(tests.ids[j] for j in significant),
        "strongest_sign": _strongest(tests, done, ps),
        "q_value": None if not tested else float(comb.q[i]),
    }
    head, tail = _json(evidence).split(_PLACEHOLDER_JSON, 1)
    return row, b"".join([head, *tests.signs_parts(i), tail])
