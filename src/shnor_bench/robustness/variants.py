"""The generator variants of the robustness suite: school sizes, response model, effect sizes, villages.

Each variant is a recipe for a synthetic region written independently of ``shnor.core.demo`` (its
own tests, its own response models, its own planting), so that the detector is measured on data it
was not developed on. Strengths are in each behaviour's own unit (``planting`` says which); a
planted school is "strong" (``strength``) or "weak" (half of it), alternately.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Behaviours planted (``planting``), in the order of the tables.
BEHAVIOURS = (
    "answer_copying",
    "boundary_bunching",
    "journal_inflated",
    "lenient_checking",
    "selective_participation",
    "gain",
)

#: Strong-strength defaults, each in its behaviour's unit (see ``planting``).
STRONG = {
    "answer_copying": 0.5,  # share of a class's other pupils who copy its best pupil's answers
    "boundary_bunching": 0.8,  # chance a pupil 1–3 points below the «3» cut is pushed onto it
    "journal_inflated": 0.8,  # share of pupils whose journal mark is replaced by a random 4 or 5
    "lenient_checking": 0.5,  # chance a multi-point task below its maximum gets one point more
    "selective_participation": 0.8,  # chance a pupil of the school's weakest third is kept away
    "gain": 0.8,  # shift of the school's pupils this year, in pupil SDs
}


@dataclass(frozen=True)
class Variant:
    """One recipe. ``sizes``: (share, lowest, highest) participants per test of a school; the
    shares need not sum to 1 (they are normalised). ``model``: "2pl" (multi-point tasks as
    independent 2PL steps) or "graded" (Samejima's graded response model); discriminations drawn
    uniformly from ``discrimination``. ``village``: share of schools in villages (smaller, weaker
    on average). ``lyceums``: number of strong lyceums and their advantage (pupil SDs).
    ``strength``: × the strong defaults. ``share``: share of schools given each behaviour."""

    name: str
    description: str
    sizes: tuple[tuple[float, int, int], ...]
    model: str = "2pl"
    discrimination: tuple[float, float] = (0.8, 2.0)
    village: float = 0.5
    lyceums: int = 8
    lyceum_advantage: float = 1.2
    strength: float = 1.0
    share: float = 0.04
    n_schools: int = 400
    school_sd: float = 0.35
    absent_rate: float = 0.06
    journal_rho: float = 0.75
    years: tuple[int, ...] = (2022, 2023, 2024)
    grades: tuple[int, ...] = (4, 5)
    subjects: tuple[str, ...] = ("ma", "ru")
    strengths: dict[str, float] = field(default_factory=lambda: dict(STRONG))

    def strong(self, behaviour: str) -> float:
        """The strong strength of ``behaviour`` in this variant."""
        s = self.strengths[behaviour] * self.strength
        return s if behaviour == "gain" else min(1.0, s)


#: Sizes like the real Altai ВПР ma4 2021 file (participants per school and test; measured: 21.6 %
#: under 10, 45 % under 20), and a few schools too small to test (2–4).
REAL_LIKE = ((0.04, 2, 4), (0.18, 5, 9), (0.23, 10, 19), (0.35, 20, 49), (0.20, 50, 110))

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant(
            name="real_sizes_2pl",
            description="размеры школ как в реальном файле Алтая, 2PL, дискриминации 0,8–2,0, половина сёл",
            sizes=REAL_LIKE,
        ),
        Variant(
            name="small_graded",
            description="много малых школ (40 % по 5–9 участников), модель градуированных ответов, "
            "низкие дискриминации 0,5–1,2, 70 % сёл, сильные лицеи +1,6, поведение 0,8×",
            sizes=((0.05, 2, 4), (0.40, 5, 9), (0.30, 10, 19), (0.17, 20, 49), (0.08, 50, 100)),
            model="graded",
            discrimination=(0.5, 1.2),
            village=0.7,
            lyceum_advantage=1.6,
            strength=0.8,
        ),
        Variant(
            name="city_strong_lyceums",
            description="в основном крупные городские школы, 2PL с высокими дискриминациями 1,2–2,8, "
            "20 % сёл, 12 очень сильных лицеев (+2,0), поведение 1,2×",
            sizes=((0.02, 2, 4), (0.08, 5, 9), (0.15, 10, 19), (0.40, 20, 49), (0.35, 50, 130)),
            discrimination=(1.2, 2.8),
            village=0.2,
            lyceums=12,
            lyceum_advantage=2.0,
            strength=1.2,
        ),
        Variant(
            name="weak_effects_graded",
            description="размеры как в реальном файле, модель градуированных ответов, дискриминации "
            "0,7–1,6, поведение 0,6× (слабые эффекты), разброс школ 0,45",
            sizes=REAL_LIKE,
            model="graded",
            discrimination=(0.7, 1.6),
            strength=0.6,
            school_sd=0.45,
        ),
    )
}
