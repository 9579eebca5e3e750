"""Which ВПР works to send for an expert re-check: every test of the schools under suspicion, and a random
stratified control group of the other schools large enough to tell how often experts change scores anyway.

Flagged schools («проверяемая»): all their tests in ``participants``, up to ``per_school_max`` works each
(all of them when there are fewer). Control («контрольная»), per test: the share of changed works in the
control group should be known within ±``margin`` at the ``confidence`` level, so it needs
n = z²·p·(1−p)/margin² works (p — the expected share, rounded up), that is ⌈n / per_school_max⌉ schools,
drawn at random from the unflagged schools of the test in proportion to the strata (largest remainders),
with more schools added when the drawn ones together have fewer than n works. The works of a school are
random positions (1-based, without replacement) in the protocol's order. The same inputs and seed give
the same sample; each test draws from its own generator, so adding a test does not change the others.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import norm

from shnor.core.labels import SUBJECT_NAMES

FLAGGED = "проверяемая"
CONTROL = "контрольная"
REQUIRED = ("school_id", "year", "subject", "grade", "n")

SAMPLE: dict[str, pl.DataType] = {
    "school_id": pl.String(),
    "year": pl.Int16(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "group": pl.String(),  # FLAGGED | CONTROL
    "stratum": pl.String(),  # null when participants have no stratum
    "works_to_recheck": pl.Int32(),
    "participants": pl.Int32(),
    "positions": pl.List(pl.Int32()),  # 1-based positions in the protocol's order, ascending
}


@dataclass(frozen=True)
class SampleResult:
    """The works to re-check (``SAMPLE``) and, in Russian, how the sample was chosen."""

    schools: pl.DataFrame
    explanation: str
    control_works_required: int


def _num(x: float, nd: int) -> str:
    return f"{x:.{nd}f}".replace(".", ",")


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _pct(x: float) -> str:
    return f"{_num(100 * x, 1).removesuffix(',0')} %"


def _check(participants: pl.DataFrame, p: float, margin: float, confidence: float, per_school: int) -> None:
    missing = [c for c in REQUIRED if c not in participants.columns]
    if missing:
        raise ValueError(
            "В таблице участников нет столбцов: "
            + ", ".join(missing)
            + " (нужны: "
            + ", ".join(REQUIRED)
            + ")"
        )
    if not 0 < p < 1:
        raise ValueError(f"Ожидаемая доля изменённых работ должна быть между 0 и 1, а не {p}")
    if not 0 < margin < 1:
        raise ValueError(f"Допустимая погрешность должна быть между 0 и 1, а не {margin}")
    if not 0 < confidence < 1:
        raise ValueError(f"Доверительная вероятность должна быть между 0 и 1, а не {confidence}")
    if per_school < 1:
        raise ValueError(f"Число работ от школы должно быть не меньше 1, а не {per_school}")


def _prepared(participants: pl.DataFrame) -> pl.DataFrame:
    stratum = (
        pl.col("stratum").cast(pl.String) if "stratum" in participants.columns else pl.lit(None, pl.String)
    )
    frame = participants.select(
        pl.col("school_id").cast(pl.String),
        pl.col("year").cast(pl.Int16),
        pl.col("subject").cast(pl.String),
        pl.col("grade").cast(pl.Int8),
        pl.col("n").cast(pl.Int32),
        stratum.alias("stratum"),
    ).filter(pl.col("n") > 0)
    dup = frame.filter(pl.struct("school_id", "year", "subject", "grade").is_duplicated())
    if dup.height:
        r = dup.row(0, named=True)
        raise ValueError(
            f"Школа {r['school_id']} повторяется в таблице участников для теста {r['subject']}, "
            f"{r['grade']} кл., {r['year']}"
        )
    return frame.sort("year", "subject", "grade", "school_id")


def _allocate(sizes: dict[str, int], total: int) -> dict[str, int]:
    """``total`` schools spread over strata in proportion to their sizes (largest remainders)."""
    pool = sum(sizes.values())
    if total >= pool:
        return dict(sizes)
    quotas = {s: total * n / pool for s, n in sizes.items()}
    out = {s: math.floor(q) for s, q in quotas.items()}
    for s in sorted(sizes, key=lambda s: (-(quotas[s] - out[s]), s))[: total - sum(out.values())]:
        out[s] += 1
    return out


def _control(
    pool: pl.DataFrame, required: int, schools: int, per_school: int, rng: np.random.Generator
) -> list[str]:
    """The control schools of one test: proportional by stratum, topped up until ``required`` works."""
    strata: dict[str, list[str]] = {}
    works: dict[str, int] = {}
    for sid, n, stratum in pool.select("school_id", "n", "stratum").iter_rows():
        strata.setdefault(stratum or "", []).append(sid)
        works[sid] = min(n, per_school)
    order = {s: [ids[i] for i in rng.permutation(len(ids))] for s, ids in sorted(strata.items())}
    taken = _allocate({s: len(ids) for s, ids in order.items()}, schools)
    while sum(works[sid] for s in order for sid in order[s][: taken[s]]) < required:
        open_ = [s for s in order if taken[s] < len(order[s])]
        if not open_:
            break
        s = min(open_, key=lambda s: (taken[s] / len(order[s]), s))
        taken[s] += 1
    return [sid for s in order for sid in order[s][: taken[s]]]


def _positions(n: int, k: int, rng: np.random.Generator) -> list[int]:
    return sorted(int(i) + 1 for i in rng.choice(n, size=k, replace=False))


def recheck_sample(
    participants: pl.DataFrame,
    flagged: Sequence[str],
    *,
    control_share_expected: float = 0.1,
    margin: float = 0.05,
    confidence: float = 0.95,
    per_school_max: int = 20,
    seed: int = 0,
) -> SampleResult:
    """The works to send for an expert re-check (see the module's description).

    ``participants`` has ``school_id, year, subject, grade, n`` (participants of the school in the test)
    and optionally ``stratum`` (municipality, locality …). Raises ``ValueError`` (in Russian) on missing
    columns, parameters out of range or a school repeated within a test.
    """
    p = control_share_expected
    _check(participants, p, margin, confidence, per_school_max)
    frame = _prepared(participants)
    suspects = set(flagged)
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    exact = z * z * p * (1 - p) / (margin * margin)
    required = math.ceil(exact - 1e-9)
    schools_needed = math.ceil(required / per_school_max)
    out: list[dict[str, object]] = []
    lines: list[str] = []
    for key, test in frame.group_by("year", "subject", "grade", maintain_order=True):
        year, subject, grade = key
        rng = np.random.default_rng([seed, zlib.crc32(f"{year}|{subject}|{grade}".encode())])
        mine = test.filter(pl.col("school_id").is_in(sorted(suspects)))
        pool = test.filter(~pl.col("school_id").is_in(sorted(suspects)))
        control = set(_control(pool, required, schools_needed, per_school_max, rng))
        chosen = [(r, FLAGGED) for r in mine.iter_rows(named=True)] + [
            (r, CONTROL) for r in pool.iter_rows(named=True) if r["school_id"] in control
        ]
        for r, group in chosen:
            k = min(int(r["n"]), per_school_max)
            out.append(r | {"group": group, "works_to_recheck": k, "participants": r["n"]})
            out[-1]["positions"] = _positions(int(r["n"]), k, rng)
        control_works = sum(min(int(r["n"]), per_school_max) for r, g in chosen if g == CONTROL)
        flagged_works = sum(min(int(n), per_school_max) for n in mine["n"])
        short = " — меньше нужного: других школ без признаков нет" if control_works < required else ""
        lines.append(
            f"{SUBJECT_NAMES.get(str(subject), str(subject))}, {grade} кл., {year}: "
            f"проверяемых школ {mine.height} (работ {flagged_works}); контрольных школ {len(control)} "
            f"из {pool.height} без признаков (работ {control_works}{short})"
        )
    schools = pl.DataFrame(out, schema=SAMPLE) if out else pl.DataFrame(schema=SAMPLE)
    missing = sorted(suspects - set(frame["school_id"]))
    explanation = _explanation(p, margin, confidence, per_school_max, z, exact, required, lines, missing)
    return SampleResult(
        schools=schools.select(list(SAMPLE)), explanation=explanation, control_works_required=required
    )


def _explanation(
    p: float,
    margin: float,
    confidence: float,
    per_school: int,
    z: float,
    exact: float,
    required: int,
    lines: list[str],
    missing: list[str],
) -> str:
    schools = math.ceil(required / per_school)
    text = [
        f"Проверяемые школы (с признаками необъективности): все их работы ВПР, но не более {per_school} "
        "работ по каждому тесту; какие работы взять (их места по порядку в протоколе) выбрано случайно.",
        f"Контрольная группа по каждому тесту — школы без признаков, выбранные случайно "
        f"пропорционально числу школ в каждой страте (муниципалитете, типе местности). "
        "Её размер выбран так, чтобы долю работ, в которых эксперт изменит баллы, оценить с "
        f"точностью ±{_pct(margin)} при доверительной вероятности {_pct(confidence)}: при ожидаемой доле "
        f"{_pct(p)} нужно n = z²·p·(1−p)/Δ² = {_num(z, 2)}²·{_num(p, 2)}·{_num(1 - p, 2)}/{_num(margin, 2)}² "
        f"= {_num(exact, 1)}, с округлением вверх {required} "
        f"{_plural(required, 'работа', 'работы', 'работ')}, "
        f"то есть {schools} {_plural(schools, 'школа', 'школы', 'школ')} по {per_school} работ "
        "(если в выбранных школах работ меньше, добавляются ещё школы).",
        *lines,
    ]
    if missing:
        text.append("Нет данных об участниках, школы не включены: " + ", ".join(missing) + ".")
    return "\n".join(text)


__all__ = ["CONTROL", "FLAGGED", "SAMPLE", "SampleResult", "recheck_sample"]
