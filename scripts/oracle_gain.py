"""The best any test can do on the robustness suite's ``gain`` behaviour: an oracle that sees each pupil's
true ability (no test, no measurement error) and knows the generator's model.

    PYTHONPATH=src .venv/bin/python scripts/oracle_gain.py

In ``shnor_bench.robustness.generator`` a school's pupils in a year and grade have abilities
level + drift + N(0, 0.85²), drift ~ N(0, 0.12²) afresh each year and grade, and a ``gain`` school's
pupils of the target year get + δ in both grades. The school's level cancels in the difference of this
year's mean ability (two grades) and the two earlier years' (four grade-years), each grade-year's
mean weighted by its precision 1/(0.12² + 0.85²/present pupils); that difference is normal with a
known variance, so the one-sided z-test at 1 % is the most powerful test of δ > 0 at a 1 % false-positive
rate (Neyman–Pearson). Its power, averaged over each variant's school sizes (drawn as the generator
draws them: a size band by its share, a size within the band, × exp(N(0, 0.12²)) a year and grade,
absent at the variant's rate), bounds what any detector finds of the planted ``gain`` schools at
that false-positive rate. Monte Carlo over 200,000 schools a variant, seed 7.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from shnor_bench.robustness.variants import VARIANTS

DRIFT_SD, PUPIL_SD, FP = 0.12, 0.85, 0.01


def power(variant_name: str, n: int = 200_000, seed: int = 7) -> dict[str, float]:
    """The oracle's mean power per strength level, over all sizes and over schools under 10 a test."""
    v = VARIANTS[variant_name]
    rng = np.random.default_rng(seed)
    shares = np.array([s for s, _, _ in v.sizes])
    band = rng.choice(len(shares), n, p=shares / shares.sum())
    size = rng.integers(
        np.array([lo for _, lo, _ in v.sizes])[band], np.array([hi for *_, hi in v.sizes])[band] + 1
    )

    def precision(grade_years: int) -> np.ndarray:
        total = np.zeros(n)
        for _ in range(grade_years):
            pupils = np.maximum(1, np.round(size * np.exp(rng.normal(0, 0.12, n)))).astype(np.int64)
            present = np.maximum(1, rng.binomial(pupils, 1 - v.absent_rate))
            total += 1.0 / (DRIFT_SD**2 + PUPIL_SD**2 / present)
        return total

    sd = np.sqrt(1 / precision(2) + 1 / precision(4))
    z = stats.norm.isf(FP)
    out = {}
    for level, factor in (("strong", 1.0), ("weak", 0.5)):
        p = stats.norm.cdf(v.strong("gain") * factor / sd - z)
        out[level] = float(p.mean())
        out[f"{level}, under 10"] = float(p[size < 10].mean())
    return out


def main() -> None:
    print("| variant | δ strong | strong | strong, under 10 | weak | weak, under 10 |")
    print("|---|---|---|---|---|---|")
    for name in VARIANTS:
        p = power(name)
        d = VARIANTS[name].strong("gain")
        print(
            f"| `{name}` | {d:.2f} | {p['strong']:.2f} | {p['strong, under 10']:.2f} | "
            f"{p['weak']:.2f} | {p['weak, under 10']:.2f} |"
        )


if __name__ == "__main__":
    main()
