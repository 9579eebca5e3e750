"""Test structures, mark scales and calibration targets used by the synthetic region.

Real data (marked ``real``):
* ma4 task structure: the ФИС ОКО specification ``real/vpr_ma4_task_spec.xlsx`` (15 scored
  positions, maxima 1/1/2/1/1/1/1/1/1/2/1/1/2/2/2 = 20, levels Б/П, КЭС/КТ codes).
* ma4 per-position marginals (share of pupils scoring 0 and full points) and the share of "X"
  among zero scores: measured on ``real/vpr_2021_ma4_altai.xlsx`` (24,849 valid present pupils).
* Mark scales of ma4, ru4, ma5, ru5, ma6, ma8 (official 2021 descriptions, DOMAIN.md §4).

Everything else is synthetic (marked ``synthetic``): the task structures of the other tests
(maxima summing to the scale maximum, Б/П/В levels), the scales of ru6, ma7, ru7, ru8, the target
mark distributions of tests other than ma4, the ОГЭ/ЕГЭ structures and the ЕГЭ primary→test
conversion. They are plausible, not official.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np


@dataclass(frozen=True)
class Task:
    label: str
    max_points: int
    level: str
    kes: str | None = None
    kt: str | None = None
    skill: str | None = None


@dataclass(frozen=True)
class TestSpec:
    """One assessment: its scored positions, scale and calibration target."""

    procedure: str
    subject: str
    grade: int
    tasks: tuple[Task, ...]
    cuts: tuple[int, int, int]  # min_3, min_4, min_5 (for ЕГЭ: pseudo-cuts used for calibration)
    target: tuple[float, float, float, float]  # target shares of marks 2..5 (sum 1)
    source: str  # "real" | "synthetic"
    x_rate: tuple[float, ...] = ()  # P(X | score 0) per position; empty = by level

    @property
    def max_score(self) -> int:
        return sum(t.max_points for t in self.tasks)

    @property
    def maxima(self) -> np.ndarray:
        return np.array([t.max_points for t in self.tasks], dtype=np.int64)

    @property
    def levels(self) -> np.ndarray:
        return np.array([t.level for t in self.tasks])


def _t(spec: str) -> tuple[Task, ...]:
    """Tasks from a compact string: ``label:max:level`` separated by spaces."""
    out = []
    for item in spec.split():
        label, mx, lvl = item.split(":")
        out.append(Task(label, int(mx), lvl))
    return tuple(out)


# --- ma4: real specification -------------------------------------------------------------------
_MA4_TASKS = (
    Task(
        "1", 1, "Б", "2", "2.1", "Умение выполнять арифметические действия с числами и числовыми выражениями"
    ),
    Task(
        "2", 1, "Б", "2", "2.1", "Умение выполнять арифметические действия с числами и числовыми выражениями"
    ),
    Task("3", 2, "Б", "1;2;4", "1;2.2;4", "Использование начальных математических знаний"),
    Task("4", 1, "Б", "1;2", "1;4", "Использование начальных математических знаний"),
    Task("5.1", 1, "Б", "3", "3.1;3.2", "Умение исследовать, распознавать геометрические фигуры"),
    Task("5.2", 1, "Б", "3", "3.1;3.2", "Умение изображать геометрические фигуры"),
    Task("6.1", 1, "Б", "4", "5", "Умение работать с таблицами, схемами, графиками, диаграммами"),
    Task("6.2", 1, "Б", "4", "2.1;5;6", "Умение работать с таблицами, схемами, графиками, диаграммами"),
    Task(
        "7", 1, "Б", "2", "2.1", "Умение выполнять арифметические действия с числами и числовыми выражениями"
    ),
    Task("8", 2, "Б", "1;2", "1;2.2;4", "Умение решать текстовые задачи"),
    Task("9.1", 1, "Б", "1", "1;6", "Овладение основами логического и алгоритмического мышления"),
    Task("9.2", 1, "Б", "1", "1;6", "Овладение основами логического и алгоритмического мышления"),
    Task("10", 2, "П", "1;4", "1;6", "Овладение основами логического и алгоритмического мышления"),
    Task("11", 2, "Б", "1;3", "1", "Овладение основами пространственного воображения"),
    Task("12", 2, "П", "1;2;3", "2.2;6", "Овладение основами логического и алгоритмического мышления"),
)

#: real/vpr_2021_ma4_altai.xlsx, valid present pupils: share scoring 0 / full points per position.
MA4_REAL_ZERO = (
    0.078,
    0.195,
    0.126,
    0.461,
    0.357,
    0.468,
    0.066,
    0.155,
    0.395,
    0.557,
    0.476,
    0.592,
    0.327,
    0.271,
    0.847,
)
MA4_REAL_FULL = (
    0.922,
    0.805,
    0.795,
    0.539,
    0.643,
    0.532,
    0.934,
    0.845,
    0.605,
    0.378,
    0.524,
    0.408,
    0.511,
    0.582,
    0.104,
)
#: share of "X" among zero scores per position (same file).
MA4_REAL_X = (
    0.006,
    0.011,
    0.022,
    0.038,
    0.019,
    0.045,
    0.018,
    0.011,
    0.031,
    0.086,
    0.055,
    0.054,
    0.058,
    0.025,
    0.142,
)


class RealFigures(TypedDict):
    """Figures measured on a real file (calibration targets and test references)."""

    mark_shares: tuple[float, float, float, float]
    absent_share: float
    journal_shares: tuple[float, float, float, float]
    comparison: tuple[float, float, float]
    score_mean: float
    score_sd: float
    pupils_with_x: float


#: Real figures of the Altai maths-4 2021 file used as calibration targets and test references.
REAL_MA4: RealFigures = {
    "mark_shares": (0.0332, 0.2367, 0.4622, 0.2679),  # marks 2/3/4/5 among valid present pupils
    "absent_share": 0.0650,  # 1,732 of 26,666 rows
    "journal_shares": (0.0102, 0.2925, 0.5104, 0.1869),  # journal marks 2..5
    "comparison": (0.1290, 0.6540, 0.2170),  # понизили / подтвердили / повысили
    "score_mean": 12.0,
    "score_sd": 3.77,
    "pupils_with_x": 0.156,
}

# --- other ВПР tests: synthetic structures --------------------------------------------------------
_RU4 = _t(
    "1К1:4:Б 1К2:3:Б 2:3:Б 3(1):1:Б 3(2):3:Б 4:2:Б 5:1:Б 6:2:Б 7:3:П 8:2:Б 9:2:П 10:1:П "
    "11:2:П 12(1):1:Б 12(2):2:П 13(1):1:Б 13(2):2:П 14:3:П"
)
_MA5 = _t("1:1:Б 2:1:Б 3:1:Б 4:1:Б 5:1:Б 6:1:Б 7:1:Б 8:2:П 9:2:Б 10:2:П 11:1:Б 12:2:П 13:2:П 14:2:В")
_RU5 = _t(
    "1К1:4:Б 1К2:3:Б 1К3:2:Б 2К1:3:Б 2К2:3:П 2К3:3:П 2К4:3:П 3(1):1:Б 3(2):1:Б 4(1):1:Б 4(2):1:Б "
    "5(1):1:Б 5(2):1:Б 6:2:П 7(1):1:Б 7(2):1:П 8:2:П 9:2:П 10:2:П 11(1):2:П 11(2):2:В 12(1):2:П 12(2):2:В"
)
_MA6 = _t("1:1:Б 2:1:Б 3:1:Б 4:1:Б 5:1:Б 6:1:Б 7:1:Б 8:1:Б 9:1:П 10:2:П 11:1:Б 12:2:В 13:2:В")
_RU6 = _t(
    "1К1:4:Б 1К2:3:Б 1К3:2:Б 2К1:3:Б 2К2:3:П 2К3:3:П 2К4:3:П 3:2:Б 4(1):1:Б 4(2):1:П 5(1):1:Б 5(2):1:П "
    "6(1):1:Б 6(2):1:П 7(1):1:Б 7(2):2:П 8(1):1:Б 8(2):2:П 9:2:П 10:2:П 11(1):1:Б 11(2):2:П 12(1):1:Б "
    "12(2):2:П 13(1):2:П 13(2):2:В 14:2:В"
)
_MA7 = _t(
    "1:1:Б 2:1:Б 3:1:Б 4:1:Б 5:1:Б 6:1:Б 7:1:Б 8:1:Б 9:1:Б 10:1:Б 11:1:П 12:1:П 13:2:П 14:2:П 15:1:Б 16:2:В"
)
_RU7 = _t(
    "1К1:4:Б 1К2:3:Б 1К3:2:Б 2К1:3:Б 2К2:3:П 2К3:3:П 2К4:3:П 3:2:Б 4(1):1:Б 4(2):1:П 5(1):1:Б 5(2):1:П "
    "6(1):1:Б 6(2):1:П 7(1):1:Б 7(2):2:П 8(1):1:Б 8(2):2:П 9:2:П 10:2:П 11(1):2:П 11(2):2:В 12:2:В 13:2:В"
)
_MA8 = _t(
    "1:1:Б 2:1:Б 3:1:Б 4:1:Б 5:1:Б 6:1:Б 7:1:Б 8:1:Б 9:1:Б 10:1:Б 11:1:П 12:1:Б 13:1:П 14:1:П 15:1:Б "
    "16:2:П 17:2:В 18:2:П 19:2:В 20:2:В"
)
_RU8 = _RU6

VPR_SPECS: dict[tuple[str, int], TestSpec] = {
    ("ma", 4): TestSpec("vpr", "ma", 4, _MA4_TASKS, (6, 10, 15), REAL_MA4["mark_shares"], "real", MA4_REAL_X),
    ("ru", 4): TestSpec(
        "vpr", "ru", 4, _RU4, (14, 24, 33), (0.05, 0.27, 0.46, 0.22), "real scale, synthetic tasks"
    ),
    ("ma", 5): TestSpec(
        "vpr", "ma", 5, _MA5, (7, 11, 15), (0.08, 0.34, 0.38, 0.20), "real scale, synthetic tasks"
    ),
    ("ru", 5): TestSpec(
        "vpr", "ru", 5, _RU5, (18, 29, 39), (0.12, 0.38, 0.36, 0.14), "real scale, synthetic tasks"
    ),
    ("ma", 6): TestSpec(
        "vpr", "ma", 6, _MA6, (6, 10, 14), (0.10, 0.45, 0.35, 0.10), "real scale, synthetic tasks"
    ),
    ("ru", 6): TestSpec("vpr", "ru", 6, _RU6, (25, 35, 45), (0.14, 0.42, 0.34, 0.10), "synthetic"),
    ("ma", 7): TestSpec("vpr", "ma", 7, _MA7, (6, 12, 16), (0.10, 0.52, 0.30, 0.08), "synthetic"),
    ("ru", 7): TestSpec("vpr", "ru", 7, _RU7, (20, 29, 39), (0.15, 0.44, 0.32, 0.09), "synthetic"),
    ("ma", 8): TestSpec(
        "vpr", "ma", 8, _MA8, (8, 15, 21), (0.10, 0.55, 0.29, 0.06), "real scale, synthetic tasks"
    ),
    ("ru", 8): TestSpec("vpr", "ru", 8, _RU8, (25, 34, 44), (0.16, 0.45, 0.30, 0.09), "synthetic"),
}

# --- ГИА: synthetic structures (only totals are published) ---------------------------------------
_OGE_MA = _t(" ".join(f"{i}:1:Б" for i in range(1, 20)) + " 20:2:П 21:2:П 22:2:П 23:2:П 24:2:В 25:2:В")
_OGE_RU = _t("1:7:Б " + " ".join(f"{i}:1:Б" for i in range(2, 13)) + " 13:9:П ГК1:2:П ГК2:2:П ГК3:2:В")
_EGE_RU = _t(" ".join(f"{i}:{3 if i == 8 else 1}:Б" for i in range(1, 27)) + " 27:22:П")
_EGE_MA = _t(" ".join(f"{i}:1:Б" for i in range(1, 13)) + " 13:2:П 14:3:П 15:2:П 16:2:П 17:3:В 18:4:В 19:4:В")

GIA_SPECS: dict[tuple[str, str], TestSpec] = {
    ("oge", "ma"): TestSpec(
        "oge", "ma", 9, _OGE_MA, (8, 15, 22), (0.08, 0.45, 0.35, 0.12), "real scale, synthetic tasks"
    ),
    ("oge", "ru"): TestSpec(
        "oge", "ru", 9, _OGE_RU, (15, 23, 29), (0.05, 0.30, 0.40, 0.25), "real scale, synthetic tasks"
    ),
    # ЕГЭ: cuts are pseudo-cuts for calibration only (below minimum / middle / high scorers).
    ("ege", "ru"): TestSpec("ege", "ru", 11, _EGE_RU, (10, 30, 42), (0.02, 0.45, 0.38, 0.15), "synthetic"),
    ("ege", "ma"): TestSpec("ege", "ma", 11, _EGE_MA, (6, 12, 20), (0.07, 0.38, 0.45, 0.10), "synthetic"),
}

#: ЕГЭ minimum test scores (real) and the primary score that maps onto them (synthetic conversion).
EGE_MIN_TEST = {"ru": 24, "ma": 27}


def ege_test_score(subject: str, primary: np.ndarray) -> np.ndarray:
    """Synthetic monotone primary→test conversion: 0→0, pseudo min_3→minimum test score, max→100."""
    spec = GIA_SPECS[("ege", subject)]
    xs = [0, spec.cuts[0], spec.max_score]
    ys = [0, EGE_MIN_TEST[subject], 100]
    return np.rint(np.interp(primary, xs, ys)).astype(np.int64)


#: Journal mark shares 2..5 by grade (grade 4: the real Altai file; others synthetic, a bit stricter).
JOURNAL_SHARES: dict[int, tuple[float, float, float, float]] = {
    4: REAL_MA4["journal_shares"],
    5: (0.015, 0.33, 0.48, 0.175),
    6: (0.02, 0.37, 0.46, 0.15),
    7: (0.02, 0.40, 0.45, 0.13),
    8: (0.02, 0.42, 0.44, 0.12),
}

#: Share of "X" among zero scores by level, for tests without a measured profile (synthetic).
X_RATE_BY_LEVEL = {"Б": 0.02, "П": 0.06, "В": 0.10}


def vpr_spec(subject: str, grade: int) -> TestSpec:
    try:
        return VPR_SPECS[(subject, grade)]
    except KeyError:
        known = ", ".join(f"{s}{g}" for s, g in VPR_SPECS)
        raise ValueError(f"нет структуры ВПР для {subject}{grade}; известны: {known}") from None


def x_rates(spec: TestSpec) -> np.ndarray:
    if spec.x_rate:
        return np.array(spec.x_rate)
    rates = np.array([X_RATE_BY_LEVEL.get(t.level, 0.03) for t in spec.tasks])
    rates[-1] *= 2  # the last position is skipped most (as in the real file)
    return rates
