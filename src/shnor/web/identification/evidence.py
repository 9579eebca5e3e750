"""The evidence helpers' old import path: figures (``figures.py``), words and blocks (``presenters.py``),
labels (``core.labels``). New code imports from those modules."""

from __future__ import annotations

from typing import Any

from shnor.core import evidence as E
from shnor.core.evidence import as_dict
from shnor.core.evidence.base import Headline
from shnor.core.labels import PROCEDURE_LABELS, SIGN_LABELS, SUBJECT_LABELS, sign_label
from shnor.web.identification.figures import (
    BASE_LAYOUT,
    COLORS,
    caterpillar_figure,
    evidence_of,
    histogram_figure,
    interval_figure,
    journal_tables,
    shares_figure,
    task_profile_figure,
)
from shnor.web.identification.presenters import (
    FACT_LABELS,
    KEY_LABELS,
    DeficitsPresenter,
    Fact,
    headline_facts,
    humanize,
    marker_blocks_of,
    sign_blocks,
)


def facts(evidence: Any) -> list[Fact]:
    """The headline facts of an evidence object (statistic, comparison group, threshold, p/q, n …)."""
    return headline_facts(Headline.parse(evidence))


def marker_blocks(data: Any) -> list[dict]:
    """FIOKO markers of an outcome's ``data`` as sign-like blocks."""
    return marker_blocks_of(E.FiokoEvidence.parse(data))


def deficit_blocks(data: Any) -> tuple[list[Fact], list[dict]]:
    """Facts and charts of a school's skill deficits."""
    p = DeficitsPresenter()
    facts_, charts, _ = p.body(p.parse(data))
    return facts_, charts


__all__ = [
    "BASE_LAYOUT",
    "COLORS",
    "FACT_LABELS",
    "KEY_LABELS",
    "PROCEDURE_LABELS",
    "SIGN_LABELS",
    "SUBJECT_LABELS",
    "as_dict",
    "caterpillar_figure",
    "deficit_blocks",
    "evidence_of",
    "facts",
    "histogram_figure",
    "humanize",
    "interval_figure",
    "journal_tables",
    "marker_blocks",
    "shares_figure",
    "sign_blocks",
    "sign_label",
    "task_profile_figure",
]
