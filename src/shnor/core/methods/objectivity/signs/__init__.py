"""Statistical tests behind the objectivity signs: one function per sign over one procedure's pupils.

Every test returns, per school, a p-value under a null hypothesis that conditions on the school's
own level (so a strong school with a normal shape is not flagged), the statistic, the comparison
group and chart data. Pure numpy/scipy: no Django, no I/O. Used by ``objectivity.run``.

Modules: ``base`` (the ``Unit`` of pupils, rounding, binomial tails), ``level_model`` (the null
models: smooth counterfactual, tilt, latent normal), ``distribution`` (``bunching``,
``homogeneity``), ``items`` (``task_signs``: task pattern and person fit), ``vectors``
(``similarity``), ``marks`` (``journal``: journal marks against ВПР marks).
"""

from __future__ import annotations

from shnor.core.methods.objectivity.signs.base import (
    NOT_TESTED,
    Unit,
    not_tested,
    reliability,
    robust_standardise,
    upper_tail,
)
from shnor.core.methods.objectivity.signs.distribution import bunching, homogeneity
from shnor.core.methods.objectivity.signs.items import lenient_checking, task_signs
from shnor.core.methods.objectivity.signs.level_model import smooth_counterfactual, tilted_moments
from shnor.core.methods.objectivity.signs.marks import LOCAL_LINEAR_EXACT_MAX, journal
from shnor.core.methods.objectivity.signs.vectors import similarity

__all__ = [
    "LOCAL_LINEAR_EXACT_MAX",
    "NOT_TESTED",
    "Unit",
    "bunching",
    "homogeneity",
    "journal",
    "lenient_checking",
    "not_tested",
    "reliability",
    "robust_standardise",
    "similarity",
    "smooth_counterfactual",
    "task_signs",
    "tilted_moments",
    "upper_tail",
]
