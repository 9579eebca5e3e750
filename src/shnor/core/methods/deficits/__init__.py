"""Learning deficits by task, level, skill, КЭС and КТ, with targeted recommendations.

Everything starts from pupil-level ВПР (and other) results: ``task_scores`` (aligned with
``task_no``) is read against the task structure, which maps every task onto the groupings
("elements") of each *dimension*: the task itself, its level (Б/П/В), its skill (умение), each of
its КЭС and КТ codes (a task listing "1; 2; 4" counts fully towards each code). For every pupil
and element the pupil's *share* = points / maximum points of the element's tasks. Pupils are the
units of analysis:

* success of a class, school, municipality or region = mean of its pupils' shares (= points /
  maximum points, since every pupil of a test has the same tasks);
* the school's (class's) interval is computed from the pupil shares (Wilson with an effective
  number of observations, or t; see ``defaults/deficits.toml``).

Aggregation is additive: the one pass over pupils produces per-class sums (n, Σs, Σs²) from
which schools, municipalities, regions and leave-one-out comparison groups are rolled up. The
pupil-level work runs one test at a time, without exploding: a pupils × tasks Int8 matrix times
the tasks × elements incidence matrix gives every pupil's points per element; class sums are
sparse products (exact integers). The straightforward explode → join → group-by definition is
the oracle in ``tests/core/methods/deficits_oracle.py``, and the tests require both to agree.

A *deficit* is an element whose success is significantly below the comparison group (similar
schools: the same cluster, else the region; the school itself left out), by at least a minimum
gap; or, as options, below FIOKO-style absolute thresholds. Deficits are tracked across years
(same grade) and cohorts (grade g−1 in year Y−1 → grade g in Y). Pupils at risk of failure in
each class are listed by pseudonymous ``pupil_key`` with their weakest skills. Recommendations
from the configurable library (``shnor.core.recommendations``) are attached to every deficit.

Pure functions over frames; no Django, no file I/O. The modules, in the order of the work:

* ``schemas`` — names, labels, output columns; ``settings`` — the method's section of the config;
* ``elements`` — task structure → elements; ``pupils`` — present pupils with full score lists;
* ``blocks`` — one test's pupils × tasks matrix and its class sums; ``shares`` — pupil shares and
  class sums over all tests; ``intervals`` — mean, SD and interval; ``membership`` — schools' groups;
* ``success_tables`` — success per unit; ``block_table`` and ``table`` — the deficit table;
* ``tracking`` — persistence across years; ``evidence`` — the evidence text; ``method`` — ``run``;
* ``risk`` — pupils at risk and their groups.
"""

from __future__ import annotations

from shnor.core.methods.deficits.elements import element_info, element_map, normalise_skill
from shnor.core.methods.deficits.evidence import _evidence_column
from shnor.core.methods.deficits.intervals import interval
from shnor.core.methods.deficits.method import deficits, run
from shnor.core.methods.deficits.pupils import class_key
from shnor.core.methods.deficits.risk import pupils_at_risk, risk_groups
from shnor.core.methods.deficits.schemas import (
    DIMENSION_LABELS,
    DIMENSIONS,
    KEYS,
    LEVEL_LABELS,
    NAME,
    NO_CLASS,
    OUTPUT_SCHEMA,
    REASON_LABELS,
    RISK_SCHEMA,
    STATUSES,
    SUCCESS_SCHEMA,
    TABLE_SCHEMA,
    UNITS,
)
from shnor.core.methods.deficits.settings import _section
from shnor.core.methods.deficits.shares import class_sums, pupil_shares
from shnor.core.methods.deficits.success_tables import success
from shnor.core.methods.deficits.table import deficit_table
from shnor.core.methods.deficits.tracking import track

__all__ = [
    "DIMENSIONS",
    "DIMENSION_LABELS",
    "KEYS",
    "LEVEL_LABELS",
    "NAME",
    "NO_CLASS",
    "OUTPUT_SCHEMA",
    "REASON_LABELS",
    "RISK_SCHEMA",
    "STATUSES",
    "SUCCESS_SCHEMA",
    "TABLE_SCHEMA",
    "UNITS",
    "_evidence_column",
    "_section",
    "class_key",
    "class_sums",
    "deficit_table",
    "deficits",
    "element_info",
    "element_map",
    "interval",
    "normalise_skill",
    "pupil_shares",
    "pupils_at_risk",
    "risk_groups",
    "run",
    "success",
    "track",
]
