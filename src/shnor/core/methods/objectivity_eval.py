"""Evaluation of the objectivity detector and FIOKO's markers on the synthetic region with planted behaviours.

``evaluate(seeds, strength_factors)`` generates regions with ``shnor.core.demo`` (ВПР and, by
default, ОГЭ/ЕГЭ of the same schools), runs both methods for the last simulated year and returns
recall by behaviour and strength and the false-positive rate among schools without a planted
manipulation. Pure computation (no files written).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import polars as pl

from shnor.core.config import default_config
from shnor.core.methods import fioko, objectivity
from shnor.core.methods.base import Inputs

if TYPE_CHECKING:
    from shnor.core.demo import DemoData

#: Planted behaviours that make results non-objective (the rest are honest schools).
MANIPULATIONS = (
    "boundary_inflation",
    "hard_task_help",
    "answer_copying",
    "journal_adjusted",
    "gain_then_fall",
)


def _region(
    seed: int,
    factor: float,
    n_schools: int,
    years: tuple[int, ...],
    grades: tuple[int, ...],
    gia: bool = True,
) -> DemoData:
    from shnor.core.demo import DemoConfig, generate

    base = DemoConfig(
        seed=seed, size="municipality", n_schools=n_schools, years=years, grades=grades, gia=gia
    )
    changes: dict[str, Any] = {}
    for b in MANIPULATIONS:
        beh = base.behaviour(b)
        strength = beh.strength * factor
        if b != "gain_then_fall":
            strength = min(1.0, strength)
        changes[b] = replace(beh, strength=strength, share=max(beh.share, 0.05))
    return generate(replace(base, **changes))


def evaluate(
    seeds: Iterable[int] = (1, 2, 3),
    strength_factors: Iterable[float] = (0.5, 1.0),
    *,
    n_schools: int = 200,
    years: tuple[int, ...] = (2022, 2023, 2024),
    grades: tuple[int, ...] = (4, 5),
    config: Mapping[str, Any] | None = None,
    gia: bool = True,
) -> pl.DataFrame:
    """Recall by behaviour × strength factor, and the false-positive rate among honest schools.

    Rows: ``method`` (objectivity | fioko), ``strength_factor`` (× the demo's default strength),
    ``group`` (a behaviour, ``honest`` or ``strong_lyceum``), ``schools``, ``flagged``, ``rate``
    (recall for behaviours, false-positive rate for honest groups). ``gia``: the demo also generates
    ОГЭ/ЕГЭ of the same schools (needed by the ``vpr_vs_gia`` sign; FIOKO's markers then include ОГЭ).
    """
    config = config or default_config()
    rows = []
    for factor in strength_factors:
        for seed in seeds:
            data = _region(seed, factor, n_schools, years, grades, gia)
            frames = data.frames()
            year = max(years)
            inputs = Inputs(
                year=year,
                results=frames["results"].lazy(),
                tasks=frames["tasks"],
                scales=frames["scales"],
                schools=frames["schools"],
            )
            obj = objectivity.run(inputs, config["objectivity"])
            fio = fioko.run(inputs, config["fioko"])
            flagged = {
                "objectivity": set(obj.filter(pl.col("flagged"))["school_id"].to_list()),
                "fioko": set(fio["school_id"].to_list()),
            }
            tested = set(obj["school_id"].to_list())
            truth = data.truth.filter(pl.col("school_id").is_in(list(tested)))
            groups: dict[str, set[str]] = {}
            for sid, b, yrs in truth.select("school_id", "behaviour", "years").iter_rows():
                if b in MANIPULATIONS and str(year) not in (yrs or "").split(";") and b != "gain_then_fall":
                    continue
                groups.setdefault(b, set()).add(sid)
            manip = set().union(*(groups.get(b, set()) for b in MANIPULATIONS))
            groups["honest"] = tested - manip - groups.get("strong_lyceum", set())
            for method, f in flagged.items():
                for g, members in groups.items():
                    if g == "low_effectiveness":
                        continue
                    rows.append(
                        {
                            "method": method,
                            "strength_factor": factor,
                            "seed": seed,
                            "group": g,
                            "schools": len(members),
                            "flagged": len(members & f),
                        }
                    )
    df = pl.DataFrame(rows)
    return (
        df.group_by("method", "strength_factor", "group")
        .agg(pl.col("schools").sum(), pl.col("flagged").sum())
        .with_columns(rate=pl.col("flagged") / pl.col("schools"))
        .sort("method", "strength_factor", "group")
    )
