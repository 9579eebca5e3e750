"""Typed evidence: every kind a real run stores parses, round-trips through its stored form, and older
stored runs (missing keys, older layouts) read with defaults instead of failing."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from shnor.core.config import default_config
from shnor.core.evidence import (
    KINDS,
    DeficitsEvidence,
    FiokoEvidence,
    LowResultsEvidence,
    ObjectivityEvidence,
    SocialIndexEvidence,
    TracksEvidence,
    parse_evidence,
)
from shnor.core.pipeline import identify
from tests.core.methods.contract_region import region_inputs

#: The deficit columns a run keeps on the school's outcome (``identification.store.DEFICIT_FIELDS``).
DEFICIT_FIELDS = (
    "procedure",
    "subject",
    "grade",
    "unit",
    "class_name",
    "element",
    "element_label",
    "n_pupils",
    "success",
    "lower",
    "upper",
    "comparison_kind",
    "comparison_success",
    "gap",
    "topic",
)
METHOD_OF = {
    "fioko": "fioko",
    "fioko_markers": "fioko",
    "objectivity": "objectivity",
    "low_results": "low_results",
    "social_index": "social_index",
    "tracks": "tracks",
    "deficits": "deficits",
}


def _row(r: dict[str, Any], evidence: Any) -> dict[str, Any]:
    """An outcome's ``data`` as the run stores it: the row's columns with its evidence parsed."""
    ev = json.loads(evidence) if isinstance(evidence, str | bytes) and evidence else evidence
    return {**{k: v for k, v in r.items() if k != "evidence"}, "evidence": ev}


@pytest.fixture(scope="module")
def stored() -> dict[str, list[dict[str, Any]]]:
    """Every outcome's ``data`` of a run over the small generated region, by method."""
    got: dict[str, pl.DataFrame] = {}

    def sink(name: str, frame: pl.DataFrame, evidence: list[bytes] | None = None) -> None:
        if evidence is not None:
            frame = frame.with_columns(pl.Series("evidence", [e.decode() for e in evidence]))
        got[name] = pl.concat([got[name], frame], how="diagonal") if name in got else frame

    identify(region_inputs(), default_config(), sink=sink)
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in KINDS}
    for name, frame in got.items():
        method = METHOD_OF.get(name)
        if method == "fioko":
            for (_sid,), group in frame.group_by(["school_id"], maintain_order=True):
                out[method].append(
                    {"markers": [_row(r, r.get("evidence")) for r in group.iter_rows(named=True)]}
                )
        elif method == "deficits":
            for (_sid,), group in frame.group_by(["school_id"], maintain_order=True):
                rows = [{k: r.get(k) for k in DEFICIT_FIELDS} for r in group.iter_rows(named=True)]
                n_school = sum(r["unit"] == "school" for r in rows)
                out[method].append(
                    {"deficits": rows, "school_deficits": n_school, "class_deficits": len(rows) - n_school}
                )
        elif method is not None:
            out[method] += [_row(r, r.get("evidence")) for r in frame.iter_rows(named=True)]
    return out


def test_every_stored_kind_parses_and_round_trips(stored: dict[str, list[dict[str, Any]]]) -> None:
    for method, kind in KINDS.items():
        assert stored[method], f"the run stored no {method} outcome"
        for data in stored[method]:
            ev = parse_evidence(method, data)
            assert isinstance(ev, kind)
            # objectivity's evidence is written in its compact format 2, the others' in their first
            assert ev.version == (2 if method == "objectivity" else 1)
            assert type(ev).parse(ev.to_dict()) == ev, method
            assert type(ev).parse(json.dumps(data)) == ev  # stored as JSON text too


def test_the_parsed_evidence_carries_what_the_pages_show(stored: dict[str, list[dict[str, Any]]]) -> None:
    objectivity = [ObjectivityEvidence.parse(d) for d in stored["objectivity"]]
    tested = [r for ev in objectivity for r in ev.signs if r.tested]
    assert tested
    assert all(r.id and r.headline.comparison_group for r in tested)
    assert any(r.charts.histogram or r.charts.profiles or r.charts.journals for r in tested)
    assert all(ev.threshold is not None for ev in objectivity if any(r.tested for r in ev.signs))
    markers = [m for d in stored["fioko"] for m in FiokoEvidence.parse(d).markers]
    assert markers
    assert all(m.marker and m.value is not None and m.threshold is not None for m in markers)
    low = [LowResultsEvidence.parse(d) for d in stored["low_results"]]
    assert all(ev.headline.statistic and ev.headline.threshold for ev in low)
    assert any(ev.value_added.interval for ev in low)
    assert any(ev.risk_units for ev in low)
    assert all(set(ev.methods) >= {"risk_rule", "value_added"} for ev in low)
    social = [SocialIndexEvidence.parse(d) for d in stored["social_index"]]
    assert all(ev.criteria and ev.rank is not None for ev in social)
    assert all(TracksEvidence.parse(d).label for d in stored["tracks"])
    deficits = [DeficitsEvidence.parse(d) for d in stored["deficits"]]
    assert any(ev.school_level for ev in deficits)


@pytest.mark.parametrize("method", list(KINDS))
@pytest.mark.parametrize(
    "data", [{}, None, "", "not json", {"evidence": None}, {"evidence": "{"}, {"evidence": []}]
)
def test_missing_or_broken_evidence_reads_as_defaults(method: str, data: Any) -> None:
    ev = parse_evidence(method, data)
    assert ev == KINDS[method]()
    assert type(ev).parse(ev.to_dict()) == ev


def test_older_runs_read_with_their_layout_version() -> None:
    # objectivity: the threshold on each sign record, none at the top
    old = ObjectivityEvidence.parse(
        {
            "n_signs": 1,
            "signs": "bunching:vpr:ma:4",
            "evidence": {
                "signs": [
                    {
                        "id": "bunching:vpr:ma:4",
                        "tested": True,
                        "p_value": 0.001,
                        "threshold": {"q": 0.05},
                        "chart": {"histogram": [1, 2, 3], "expected": [1.0, 2.0, 2.5]},
                    }
                ],
                "significant": ["bunching:vpr:ma:4"],
            },
        }
    )
    assert old.version == 0
    assert old.threshold is None
    (rec,) = old.signs
    assert rec.headline.threshold == {"q": 0.05}
    assert rec.charts.histogram is not None
    assert rec.charts.histogram.flat
    assert old.sign_ids == ("bunching:vpr:ma:4",)
    # FIOKO: marker codes with one evidence object (its charts at the top)
    fioko = FiokoEvidence.parse(
        {
            "markers": ["inflated_mean"],
            "evidence": {
                "histogram": {"score": [0, 1], "observed": [3, 4], "expected": [3.5, 3.5]},
                "task_profile": {"task": ["1"], "school": [80.0], "region": [60.0]},
                "statistic": "x",
            },
        }
    )
    assert fioko.version == 0
    assert fioko.marker_codes == ("inflated_mean",)
    assert fioko.charts.histogram is not None
    assert fioko.charts.histogram.scores == (0, 1)
    assert [p.key for p in fioko.charts.profiles] == ["task_profile"]
    assert fioko.headline.statistic == "x"
    assert FiokoEvidence.parse(fioko.to_dict()) == fioko
    # low results without the list history columns, the value added only at the top
    low = LowResultsEvidence.parse({"evidence": {"effect": -0.5, "interval": [-0.7, -0.3]}})
    assert low.years_in_list is None
    assert low.category is None
    assert low.risk_units == ()
    assert low.charts.interval is not None
    assert low.charts.interval.lower == -0.7
    # a track without its label reads the shared one
    assert TracksEvidence.parse({"track": "network"}).label == "Сетевые методические объединения"
