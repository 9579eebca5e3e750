"""Configuration of the synthetic region: size, years, tests and the planted behaviours."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

SIZES = ("municipality", "region", "country")


@dataclass(frozen=True)
class Behaviour:
    """One planted behaviour.

    ``share``: share of eligible schools given the behaviour (at least ``min_count`` schools when
    enabled and the region has eligible schools). ``strength``: the behaviour's own effect size (see
    the module docstring of :mod:`shnor.core.demo` and docs/demo.md for its unit).
    """

    enabled: bool = True
    share: float = 0.03
    strength: float = 0.5
    min_count: int = 1

    def off(self) -> Behaviour:
        return replace(self, enabled=False)


@dataclass(frozen=True)
class DemoConfig:
    """Everything the generator needs; equal configs give identical data."""

    seed: int = 2024
    size: str = "region"  # municipality | region | country
    years: tuple[int, ...] = (2022, 2023, 2024)
    subjects: tuple[str, ...] = ("ma", "ru")
    grades: tuple[int, ...] = (4, 5, 6, 7, 8)
    gia: bool = True  # ОГЭ (grade 9) and ЕГЭ (grade 11) for the same years
    # size overrides (None = from the size preset)
    n_schools: int | None = None  # per region (the country preset has 85 regions)
    n_municipalities: int | None = None
    n_regions: int | None = None
    region_code: int = 22  # first two digits of the ФИС ОКО logins (sch22XXXX)
    # population model
    absent_share: float = 0.065  # real ma4 2021: 6.5 %
    churn: float = 0.06  # yearly share of pupils leaving a school-grade (replaced by newcomers)
    ability_persistence: float = 0.9  # year-to-year correlation of a pupil's general ability
    context_effect: float = 0.25  # ability shift per unit of latent disadvantage (negative)
    effectiveness_sd: float = 0.22  # spread of true school effectiveness (pupil-SD units)
    journal_rho: float = 0.90  # correlation of the teacher's view with true ability
    journal_score_weight: float = 0.55  # weight of the pupil's test-day form in the teacher's view
    journal_leniency_sd: float = 0.10  # school-to-school spread of marking leniency
    x_propensity_shape: float = 0.35  # Gamma shape of pupils' propensity to leave tasks as "X"
    # planted behaviours
    low_effectiveness: Behaviour = field(
        default_factory=lambda: Behaviour(share=0.05, strength=0.6, min_count=4)
    )
    boundary_inflation: Behaviour = field(
        default_factory=lambda: Behaviour(share=0.04, strength=0.8, min_count=2)
    )
    inflation_window: int = 3  # points below min_3 that are pushed up to min_3
    hard_task_help: Behaviour = field(
        default_factory=lambda: Behaviour(share=0.03, strength=0.5, min_count=2)
    )
    answer_copying: Behaviour = field(
        default_factory=lambda: Behaviour(share=0.03, strength=0.5, min_count=2)
    )
    journal_adjusted: Behaviour = field(
        default_factory=lambda: Behaviour(share=0.03, strength=0.9, min_count=2)
    )
    gain_then_fall: Behaviour = field(
        default_factory=lambda: Behaviour(share=0.03, strength=0.8, min_count=2)
    )
    strong_lyceum: Behaviour = field(default_factory=lambda: Behaviour(share=1.0, strength=0.5, min_count=1))
    # output
    keep_results: bool | None = None  # cache generated results in memory (default: not for "country")

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"size должен быть одним из {SIZES}, получено {self.size!r}")
        if not self.years:
            raise ValueError("нужен хотя бы один год")
        if sorted(self.years) != list(self.years) or len(set(self.years)) != len(self.years):
            raise ValueError("годы должны идти по возрастанию без повторов")
        for s in self.subjects:
            if s not in ("ma", "ru"):
                raise ValueError(f"предмет {s!r} не поддерживается генератором (ma, ru)")
        for g in self.grades:
            if g not in (4, 5, 6, 7, 8):
                raise ValueError(f"класс {g} не поддерживается генератором ВПР (4..8)")
        if not 0 <= self.absent_share < 0.5:
            raise ValueError("absent_share вне [0, 0.5)")

    BEHAVIOURS = (
        "low_effectiveness",
        "boundary_inflation",
        "hard_task_help",
        "answer_copying",
        "journal_adjusted",
        "gain_then_fall",
        "strong_lyceum",
    )

    def behaviour(self, name: str) -> Behaviour:
        """The planted behaviour of that name."""
        found: Behaviour = getattr(self, name)
        return found

    def honest(self) -> DemoConfig:
        """The same region with every planted behaviour switched off."""
        off: dict[str, Any] = {b: self.behaviour(b).off() for b in self.BEHAVIOURS}
        return replace(self, **off)

    @property
    def cache(self) -> bool:
        return self.size != "country" if self.keep_results is None else self.keep_results


#: (regions, municipalities per region, schools per region) of each size preset.
SIZE_PRESETS: dict[str, tuple[int, int, int]] = {
    "municipality": (1, 1, 30),
    "region": (1, 10, 300),
    "country": (85, 26, 470),
}
