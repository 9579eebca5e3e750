"""Extended detector of non-objective results (DOMAIN.md §3.2): signs per school, combined, FDR-controlled.

For every procedure (procedure/subject/grade) a school took in ``inputs.year`` the detector tests:

* ``bunching`` — excess of pupils at/just above a cut score against the region's smooth shape tilted
  to the school's own level (``objectivity_signs.bunching``);
* ``task_pattern`` — hard (П/В) task points beyond those of the region's pupils with the same total;
* ``person_fit`` — Guttman errors beyond the region's pupils with the same total;
* ``similarity`` — identical task-score vectors beyond the region's vector frequencies for the same total;
* ``homogeneity`` — a spread of scores too low for the school's mean;
* ``journal`` — «повысили» (ВПР mark above the journal mark) beyond the region's rate for the same
  journal marks, and a weak journal–score correlation;
* ``fluctuation`` — an unexpected gain against the school's earlier years and its own cohort, or a
  gain followed by a fall (needs earlier years);
* ``vpr_vs_gia`` — the school's ВПР standing far above what its externally controlled ОГЭ/ЕГЭ
  standing predicts (regression across the region's schools).

``bunching`` and ``fluctuation`` are also tested once per school over all its ВПР tests (and, for
bunching, the earlier years): ``bunching_pooled`` sums the counts at the cut against the exact
convolution of their null distributions, ``fluctuation_pooled`` averages the school's standing over
its tests per year. The pooled p-value replaces the combination of the per-test ones (TOML ``pool``);
the per-test records stay in the evidence for the charts.

Each test gives a one-sided p-value under a null that conditions on the school's level. Tests with a
theoretical null can be recalibrated to the spread seen across the region's schools (empirical null,
only ever more conservative). Per school, a sign's p-values over the procedures are combined first
(default Fisher: different tests, nearly independent under the null, and a behaviour repeated in
every procedure adds up), then the signs' p-values (default Bonferroni: valid whatever the dependence
between signs); Benjamini–Hochberg controls the false discovery rate across schools. Pure functions:
no Django, no file I/O.

Modules: ``spec`` (name, signs, labels, output columns), ``units`` (one procedure's pupils as
arrays), ``signs`` (the per-procedure tests), ``standing`` (fluctuation, ВПР vs ГИА), ``pooled``
(pooled bunching), ``procedure`` (every sign of one procedure: a worker's job), ``records`` (the
records as columns), ``collection`` (workers, ``start``/``collect``/``evaluate``), ``fdr``
(empirical null, combination, Benjamini–Hochberg), ``evidence`` (a school's output row) and
``runner`` (``run``).
"""

from __future__ import annotations

from shnor.core.methods.objectivity.collection import (
    PARALLEL_MIN_PUPILS,
    Started,
    collect,
    evaluate,
    start,
    workers_for,
)
from shnor.core.methods.objectivity.fdr import combine, combine_many, empirical_null
from shnor.core.methods.objectivity.pooled import NullPmfs, PooledBunching, bunching_pooled
from shnor.core.methods.objectivity.runner import SINK_SCHOOLS, Sink, region_bunching, run
from shnor.core.methods.objectivity.signs import Unit, not_tested
from shnor.core.methods.objectivity.spec import CHART_TWINS, NAME, OUTPUT_SCHEMA, SIGNS, sign_label
from shnor.core.methods.objectivity.standing import fluctuation, fluctuation_pooled, vpr_vs_gia
from shnor.core.methods.objectivity.units import _units, build_unit

__all__ = [
    "CHART_TWINS",
    "NAME",
    "OUTPUT_SCHEMA",
    "PARALLEL_MIN_PUPILS",
    "SIGNS",
    "SINK_SCHOOLS",
    "NullPmfs",
    "PooledBunching",
    "Sink",
    "Started",
    "Unit",
    "_units",
    "build_unit",
    "bunching_pooled",
    "collect",
    "combine",
    "combine_many",
    "empirical_null",
    "evaluate",
    "fluctuation",
    "fluctuation_pooled",
    "not_tested",
    "region_bunching",
    "run",
    "sign_label",
    "start",
    "vpr_vs_gia",
    "workers_for",
]
