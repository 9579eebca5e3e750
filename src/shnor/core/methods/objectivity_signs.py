"""The objectivity signs' old import path: the tests now live in ``shnor.core.methods.objectivity.signs``.

Re-exports what callers and tests use, the private helpers included, so that
``from shnor.core.methods import objectivity_signs`` keeps working.
"""

from __future__ import annotations

from scipy import stats  # noqa: F401  (tests reach scipy's binom through this module)

from shnor.core.methods.objectivity.signs import (
    LOCAL_LINEAR_EXACT_MAX,
    NOT_TESTED,
    Unit,
    bunching,
    homogeneity,
    journal,
    not_tested,
    reliability,
    robust_standardise,
    similarity,
    smooth_counterfactual,
    task_signs,
    tilted_moments,
    upper_tail,
)
from shnor.core.methods.objectivity.signs.base import _binom_pmf, _r, _rl, _rl_rows, _rv
from shnor.core.methods.objectivity.signs.items import _cell_sum_test, _Cells
from shnor.core.methods.objectivity.signs.level_model import _latent_posterior, _tilt_fit
from shnor.core.methods.objectivity.signs.marks import (
    _binom_pmf_exact,
    _binom_sum_sf,
    _group_average_ranks,
    _local_linear,
    _local_linear_solve,
    _up_given_level,
    _within_group_spearman,
)
from shnor.core.methods.objectivity.signs.vectors import (
    _p_at_least,
    _union_bound,
    _union_bound_direct,
)

__all__ = [
    "LOCAL_LINEAR_EXACT_MAX",
    "NOT_TESTED",
    "Unit",
    "bunching",
    "homogeneity",
    "journal",
    "not_tested",
    "reliability",
    "robust_standardise",
    "similarity",
    "smooth_counterfactual",
    "task_signs",
    "tilted_moments",
    "upper_tail",
    "_Cells",
    "_binom_pmf",
    "_binom_pmf_exact",
    "_binom_sum_sf",
    "_cell_sum_test",
    "_group_average_ranks",
    "_latent_posterior",
    "_local_linear",
    "_local_linear_solve",
    "_p_at_least",
    "_r",
    "_rl",
    "_rl_rows",
    "_rv",
    "_tilt_fit",
    "_union_bound",
    "_union_bound_direct",
    "_up_given_level",
    "_within_group_spearman",
]
