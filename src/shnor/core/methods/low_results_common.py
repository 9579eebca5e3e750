"""The low-results methods' names and labels, and the number formats their evidence texts use."""

from __future__ import annotations

import functools

from shnor.core.labels import LOW_RESULTS_METHOD_LABELS
from shnor.core.labels import PROCEDURE_LABELS as _ALL_PROCEDURE_LABELS
from shnor.core.store.schema import PROCEDURES, SUBJECTS

METHODS = ("value_added", "cluster", "indicators", "risk_rule")
METHOD_LABELS = LOW_RESULTS_METHOD_LABELS
#: the stored procedures' labels (core.labels also names «ГИА», which results never carry)
PROCEDURE_LABELS = {p: _ALL_PROCEDURE_LABELS[p] for p in PROCEDURES}


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
