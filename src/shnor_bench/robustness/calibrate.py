"""The signs' weights of the weighted Bonferroni (objectivity version 2026.3) chosen on regions with
nothing planted only, by one of two rules, each weight kept within [lo, hi] × the equal weight 1/k:

- ``equal_rate``: every sign flags about the same share of honest schools at its own threshold
  alpha · w_s (a sign that never gives an honest school a small p-value, such as similarity, would
  otherwise take all of alpha);
- ``used_share``: w_s ∝ the sign's honest rate at p ≤ 0.05 over 0.05 — a sign conservative on honest
  schools spends little of its share, which goes to the signs whose p-values are nominal.

``python -m shnor_bench.robustness.calibrate --seeds 101,102,103`` prints both rules' weights (as an
``[objectivity.sign_weights]`` TOML table for ``shnor robustness --config``) and each sign's honest
rate at its threshold, over the suite's four variants' nothing-planted regions of those seeds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import click
import numpy as np
import polars as pl

from shnor.core.config import default_config
from shnor_bench.robustness.evaluate import measure_region
from shnor_bench.robustness.generator import generate
from shnor_bench.robustness.variants import VARIANTS


def honest_sign_p(seeds: Iterable[int], config: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Each sign's p-values over the honest schools of every variant's nothing-planted region of ``seeds``."""
    config = config or default_config()
    out: dict[str, list[float]] = {}
    for v in VARIANTS.values():
        for s in seeds:
            rows = measure_region(generate(replace(v, share=0.0), s), config)
            for raw in rows.filter(pl.col("group") == "honest")["sign_p"].to_list():
                for sign, p in (json.loads(raw) if raw else {}).items():
                    out.setdefault(sign, []).append(float(p))
    return {sign: np.sort(np.asarray(p)) for sign, p in out.items()}


def rate(p: np.ndarray, t: float) -> float:
    """Share of ``p`` at most ``t``."""
    return float(np.searchsorted(p, t, side="right") / len(p)) if len(p) else 0.0


def equalising_weights(
    honest: Mapping[str, np.ndarray], alpha: float, lo: float = 0.5, hi: float = 2.0
) -> dict[str, float]:
    """Weights (sum 1) giving every sign about the same honest rate at alpha · w_s, each within
    [lo/k, hi/k]: the common rate r is found by bisection so that Σ clip(Q_s(r)/alpha) = 1, Q_s the
    empirical quantile of the sign's honest p-values."""
    signs = sorted(honest)
    k = len(signs)

    def weights(r: float) -> np.ndarray:
        q = np.array([np.quantile(honest[s], r) for s in signs]) / alpha
        return np.clip(q, lo / k, hi / k)

    a, b = 0.0, 1.0
    for _ in range(80):
        mid = (a + b) / 2
        if weights(mid).sum() > 1.0:
            b = mid
        else:
            a = mid
    w = weights(a)
    w = w / w.sum()
    return {s: round(float(x), 4) for s, x in zip(signs, w, strict=True)}


def used_share_weights(
    honest: Mapping[str, np.ndarray], level: float = 0.05, lo: float = 0.5, hi: float = 2.0
) -> dict[str, float]:
    """Weights (sum 1) ∝ each sign's honest rate at p ≤ ``level`` over ``level``, within [lo/k, hi/k]."""
    signs = sorted(honest)
    k = len(signs)
    used = np.array([rate(honest[s], level) / level for s in signs])
    w = used / used.sum() if used.sum() > 0 else np.full(k, 1.0 / k)
    for _ in range(50):  # clip and renormalise until the bounds hold
        w = np.clip(w, lo / k, hi / k)
        w = w / w.sum()
    return {s: round(float(x), 4) for s, x in zip(signs, w, strict=True)}


@click.command("calibrate")
@click.option("--seeds", default="101,102,103", show_default=True, help="Зёрна регионов без нарушений.")
@click.option("--alpha", default=0.0075, show_default=True, help="Уровень значимости для школы.")
def calibrate(seeds: str, alpha: float) -> None:
    """Веса признаков по регионам без нарушений: равная доля честных школ на пороге каждого признака."""
    honest = honest_sign_p(tuple(int(s) for s in seeds.split(",")))
    k = len(honest)
    for name, w in (
        ("equal_rate", equalising_weights(honest, alpha)),
        ("used_share", used_share_weights(honest)),
    ):
        click.echo(f"== {name}")
        for sign, p in sorted(honest.items()):
            click.echo(
                f"{sign:18s} школ {len(p):5d}  вес {w[sign]:.4f}  честных на пороге: "
                f"{100 * rate(p, alpha * w[sign]):.2f} % (равный вес: {100 * rate(p, alpha / k):.2f} %); "
                f"p ≤ 0,05: {100 * rate(p, 0.05):.2f} %"
            )
        click.echo("[objectivity.sign_weights]\n" + "\n".join(f"{sign} = {x}" for sign, x in w.items()))


if __name__ == "__main__":
    calibrate()
