"""The low-results methods' names and labels, and the number formats their evidence texts use."""

from __future__ import annotations

import functools

from shnor.core.store.schema import SUBJECTS

METHODS = ("value_added", "cluster", "indicators", "risk_rule")
METHOD_LABELS = {
    "risk_rule": "правило Рособрнадзора (≥ 30 % «2»)",
    "indicators": "показатели (приказ, 2 года)",
    "cluster": "сравнение внутри кластера",
    "value_added": "добавленная ценность с учётом контекста",
}
PROCEDURE_LABELS = {"vpr": "ВПР", "oge": "ОГЭ", "ege": "ЕГЭ", "rdr": "РДР"}


@functools.lru_cache(maxsize=4096)
def unit_label(procedure: str, subject: str, grade: int | None) -> str:
    """«ВПР, Математика, 5 кл.»."""
    parts = [PROCEDURE_LABELS.get(procedure, procedure), SUBJECTS.get(subject, subject)]
    if grade is not None:
        parts.append(f"{grade} кл.")
    return ", ".join(parts)


def pct(x: float | None) -> str:
    """A share as «12,5 %»; a dash for None."""
    return "—" if x is None else f"{100 * x:.1f} %".replace(".", ",")


def num(x: float | None, nd: int = 2) -> str:
    """A number with a decimal comma and a true minus sign; a dash for None."""
    return "—" if x is None else f"{x:.{nd}f}".replace(".", ",").replace("-", "−")
