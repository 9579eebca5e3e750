"""Bytes of objectivity evidence a school, on generated regions and the real Altai file, without Django.

    PYTHONPATH=src:. .venv/bin/python scripts/evidence_size.py [--compact-cost]

Runs ``objectivity.run`` with the default configuration on: the demo region (``DemoConfig(seed=2024,
size="region")``: 300 schools, ВПР ma/ru 4–8 and ОГЭ/ЕГЭ, 2022–2024), the same with 320 schools and
ВПР 4–5 only, the contract region of the tests (30 schools, ВПР ma/ru 4–5, no ГИА) and Altai ma4 2021
(``tests/core/methods/conftest_objectivity.altai_inputs``; skipped when the file is absent). Prints the
mean, total and largest evidence and the run's CPU time, then the bytes a school as the store keeps
them (format 3, ``core.evidence.objectivity_shared.share``): the school's evidence plus its share of
the run's ``evidence_shared`` (its bytes over the schools), and the CPU time of that rewrite. Run it
from another checkout (``git archive`` of an older commit) with the same command to compare formats.
``--compact-cost``: instead, the demo region's ``objectivity.run`` CPU time three times each,
alternating, with the records made compact (format 2) and with ``compact_record_in_place`` replaced
by a no-op.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson
from tests.core.methods.conftest_objectivity import ALTAI_MA4, altai_inputs
from tests.core.methods.contract_region import region_inputs

from shnor.core.config import default_config
from shnor.core.demo import DemoConfig, generate
from shnor.core.evidence.objectivity_shared import share
from shnor.core.methods import objectivity
from shnor.core.methods.base import Inputs


def _demo(**kw: object) -> Inputs:
    fr = generate(DemoConfig(seed=2024, size="region", **kw)).frames()  # type: ignore[arg-type]
    return Inputs(
        year=2024, results=fr["results"].lazy(), tasks=fr["tasks"], scales=fr["scales"], schools=fr["schools"]
    )


CASES: dict[str, Callable[[], Inputs]] = {
    "demo region (300 schools, ВПР ma/ru 4–8 + ОГЭ/ЕГЭ)": _demo,
    "demo region, 320 schools, ВПР ma/ru 4–5 + ОГЭ/ЕГЭ": lambda: _demo(n_schools=320, grades=(4, 5)),
    "contract region (30 schools, ВПР ma/ru 4–5, no ГИА)": region_inputs,
    "Altai ma4 2021 (real, 631 schools)": altai_inputs,
}


def compact_cost() -> None:
    """The demo region's run CPU with and without making the records compact (alternating runs)."""
    from shnor.core.methods.objectivity import records

    cfg = default_config()["objectivity"]
    inputs = _demo()
    made = records.compact_record_in_place
    cpu: dict[str, list[float]] = {"compact": [], "as made": []}

    def nothing(rec: dict[str, Any]) -> None:
        return None

    for mode in ["compact", "as made"] * 3:
        records.compact_record_in_place = made if mode == "compact" else nothing  # type: ignore[assignment]
        t = time.process_time()
        objectivity.run(inputs, cfg)
        cpu[mode].append(time.process_time() - t)
    records.compact_record_in_place = made  # type: ignore[assignment]
    for mode, times in cpu.items():
        print(f"{mode}: run CPU {', '.join(f'{x:.2f}' for x in times)} s (min {min(times):.2f})")


def main() -> None:
    if "--compact-cost" in sys.argv:
        compact_cost()
        return
    cfg = default_config()["objectivity"]
    for name, make in CASES.items():
        if make is altai_inputs and not ALTAI_MA4.exists():
            print(f"{name}: file not available")
            continue
        inputs = make()
        t = time.process_time()
        out = objectivity.run(inputs, cfg)
        cpu = time.process_time() - t
        b = out["evidence"].str.len_bytes()
        print(
            f"{name}: {b.mean():,.0f} B/school (total {b.sum() / 1e6:.2f} MB, max {b.max():,}); "
            f"run CPU {cpu:.1f} s"
        )
        shared: dict[str, Any] = {}
        t = time.process_time()
        stored = [len(orjson.dumps(share(json.loads(e), shared))) for e in out["evidence"]]
        cpu = time.process_time() - t
        run_part = len(orjson.dumps(shared))
        print(
            f"  stored (format 3): {(sum(stored) + run_part) / len(stored):,.0f} B/school "
            f"(schools {sum(stored) / len(stored):,.0f}, run {run_part:,} B, max {max(stored):,}); "
            f"rewrite CPU {cpu:.2f} s"
        )


if __name__ == "__main__":
    main()
