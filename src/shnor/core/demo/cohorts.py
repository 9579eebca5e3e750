"""Pupils who move up a grade each year, with churn: one enrolment table per year, vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASS_SIZE = 25
#: share of grade-9 pupils who continue to grade 10 in the same school
STAY_AFTER_9 = 0.55


@dataclass
class Enrolment:
    """Pupils enrolled in one year (one row per pupil)."""

    pid: np.ndarray  # int64, persistent pupil id
    school: np.ndarray  # int32, school index
    grade: np.ndarray  # int8
    g: np.ndarray  # float32, general ability this year
    s_ma: np.ndarray  # float32, persistent maths-specific ability
    s_ru: np.ndarray  # float32, persistent Russian-specific ability
    u_class: np.ndarray  # float32, persistent position used for class assignment
    female: np.ndarray  # bool

    def take(self, idx: np.ndarray) -> Enrolment:
        return Enrolment(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    @property
    def size(self) -> int:
        return self.pid.size


def _concat(parts: list[Enrolment]) -> Enrolment:
    return Enrolment(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in Enrolment.__dataclass_fields__)
    )


class PupilFactory:
    def __init__(self) -> None:
        self.next_pid = 0

    def new(self, rng: np.random.Generator, school: np.ndarray, grade: np.ndarray) -> Enrolment:
        n = school.size
        pid = np.arange(self.next_pid, self.next_pid + n, dtype=np.int64)
        self.next_pid += n
        return Enrolment(
            pid=pid,
            school=school.astype(np.int32),
            grade=grade.astype(np.int8),
            g=rng.standard_normal(n, dtype=np.float32),
            s_ma=rng.standard_normal(n, dtype=np.float32),
            s_ru=rng.standard_normal(n, dtype=np.float32),
            u_class=rng.random(n, dtype=np.float32),
            female=rng.random(n) < 0.495,
        )


def _expected(size: np.ndarray, grade: int) -> np.ndarray:
    return size * (0.55 if grade >= 10 else 1.0)


def simulate(
    rng: np.random.Generator,
    size: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    n_years: int,
    g_min: int,
    g_max: int,
    churn: float,
    persistence: float,
) -> list[Enrolment]:
    """Enrolment of grades g_min..g_max for ``n_years`` consecutive years."""
    factory = PupilFactory()
    n_sch = size.size
    schools = np.arange(n_sch)
    cohort_noise = np.exp(rng.normal(0.0, 0.12, (n_sch, 12)))  # persistent size of each cohort

    def fresh(grade: int, year: int) -> Enrolment:
        has = (lo <= grade) & (hi >= grade)
        lam = _expected(size, grade) * cohort_noise[:, (year - grade) % 12] * has
        counts = rng.poisson(lam)
        school = np.repeat(schools, counts)
        return factory.new(rng, school, np.full(school.size, grade))

    first = _concat([fresh(g, 0) for g in range(g_min, g_max + 1)])
    years = [first]
    sd = np.float32(np.sqrt(1 - persistence**2))
    for y in range(1, n_years):
        prev = years[-1]
        nxt = prev.grade.astype(np.int64) + 1
        stay_p = np.where(prev.grade == 9, STAY_AFTER_9, 1.0 - churn)
        keep = (rng.random(prev.size) < stay_p) & (nxt <= hi[prev.school]) & (nxt <= g_max)
        stayed = prev.take(np.flatnonzero(keep))
        stayed.grade = (stayed.grade + 1).astype(np.int8)
        stayed.g = (
            np.float32(persistence) * stayed.g + sd * rng.standard_normal(stayed.size, dtype=np.float32)
        ).astype(np.float32)
        parts = [stayed]
        for g in range(g_min + 1, g_max + 1):
            has = (lo <= g) & (hi >= g)
            # newcomers replace leavers; schools whose first grade is g take a whole new cohort
            starts_here = has & (lo == g)
            lam = np.where(starts_here, _expected(size, g), churn * _expected(size, g)) * has
            counts = rng.poisson(lam)
            school = np.repeat(schools, counts)
            parts.append(factory.new(rng, school, np.full(school.size, g)))
        parts.append(fresh(g_min, y))
        years.append(_concat(parts))
    return years


def class_index(enr: Enrolment, n_schools: int) -> tuple[np.ndarray, np.ndarray]:
    """Class number (0-based) of every pupil and the number of classes of its school-grade."""
    key = enr.school.astype(np.int64) * 16 + enr.grade
    counts = np.bincount(key, minlength=n_schools * 16)
    k = np.maximum(1, np.ceil(counts / CLASS_SIZE)).astype(np.int64)[key]
    return np.minimum((enr.u_class * k).astype(np.int64), k - 1), k
