"""Writes for objectivity cases: the case's life (``lifecycle``), re-check imports and evidence
(``rechecks``), controlled procedures (``controlled``) and the proposed re-check sample (``sampling``).
Callers import ``cases.services``."""

from shnor.web.cases.services.controlled import controlled_compare, controlled_record
from shnor.web.cases.services.lifecycle import (
    ANSWER_EXTENSIONS,
    can_answer,
    can_appeal,
    can_decide,
    case_answer,
    case_appeal,
    case_decide,
    cases_open,
)
from shnor.web.cases.services.rechecks import flagged_ids, recheck_evidence, rechecks_import
from shnor.web.cases.services.sampling import sample_propose, sample_xlsx

__all__ = [
    "ANSWER_EXTENSIONS",
    "can_answer",
    "can_appeal",
    "can_decide",
    "case_answer",
    "case_appeal",
    "case_decide",
    "cases_open",
    "controlled_compare",
    "controlled_record",
    "flagged_ids",
    "recheck_evidence",
    "rechecks_import",
    "sample_propose",
    "sample_xlsx",
]
