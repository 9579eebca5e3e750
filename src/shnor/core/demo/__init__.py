"""Synthetic region generator: schools, cohorts, ВПР/ОГЭ/ЕГЭ results and planted behaviours.

Pure Python (numpy, polars, the standard library; xlsxwriter optional): never imports Django.
Everything is deterministic from ``DemoConfig.seed`` (numpy ``Generator(PCG64)`` streams derived
from the seed with ``SeedSequence``). Full description and measured figures: ``docs/demo.md``.

Model
-----
* Region → municipalities (cities and rural districts) → schools of kinds СОШ, ООШ, НОШ, лицей,
  гимназия, коррекционная, кадетская, вечерняя; sizes from 5–15 pupils per grade (village НОШ/ООШ)
  to 100+ (lyceums). Each school has a latent disadvantage ``D`` (villages higher on average) from
  which the yearly ``context.csv`` indicators are drawn.
* Pupils enter at the lowest simulated grade and move up one grade a year; each year ≈6 % leave a
  school-grade and are replaced by newcomers, ≈45 % leave after grade 9. General ability follows an
  AR(1) process (ρ = 0.9); subject abilities are persistent.
* Ability in a test: θ = 0.80·g + 0.45·s_subject + effectiveness + intake(kind) − 0.30·D + shock.
* Scores: graded-response IRT item by item; ma4 items reproduce the real Altai 2021 per-task
  marginals and score SD, other tests are calibrated to documented target mark distributions.
  Marks by the scales; "X" for some zero scores; ≈6.5 % absent; journal marks from the teacher's
  noisy view of true ability, cut at the real journal-mark shares.

Planted behaviours (``DemoConfig`` fields, each a :class:`Behaviour` with ``enabled``, ``share``,
``strength``, ``min_count``; ground truth in ``DemoData.truth`` / ``truth.csv``)
-----------------------------------------------------------------------------------------------
``low_effectiveness``   true effectiveness = −strength (pupil-SD units, default 0.6), spread over the
                        four context cells city/village × advantaged/disadvantaged; all years.
``boundary_inflation``  a present pupil whose honest total lies 1..``inflation_window`` (3) points
                        below min_3 is pushed exactly to min_3 with probability ``strength`` (0.8),
                        points added to the easiest unsolved tasks; all ВПР tests, all years.
``hard_task_help``      every unsolved point of a П/В task is filled to the maximum with probability
                        ``strength`` (0.5).
``answer_copying``      in every class of ≥5 present pupils, each pupil except the top scorer copies
                        the top scorer's task vector (and X cells) with probability ``strength`` (0.5).
``journal_adjusted``    the teacher's view correlates (1 − 2·strength)·ρ with ability: 0.5 unrelated,
                        1 inverted; default 0.9 (strongly inverted journal marks).
``gain_then_fall``      θ + strength (0.8) in the gain year (the last-but-one year; the next year is the
                        fall back to normal); journal marks stay honest.
``strong_lyceum``       lyceums/gymnasiums (``share`` of them, default all) with effectiveness
                        +strength (0.6) and no manipulation.
Manipulating schools get exactly one behaviour; low-effectiveness and strong schools never
manipulate. ``DemoConfig.honest()`` switches every behaviour off.
"""

from shnor.core.demo.config import Behaviour, DemoConfig
from shnor.core.demo.data import VPR_HEADER, DemoData, generate, vpr_header, write_files

__all__ = ["VPR_HEADER", "Behaviour", "DemoConfig", "DemoData", "generate", "vpr_header", "write_files"]
