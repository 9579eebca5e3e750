"""The case's dossier: its sections (re-check, controlled procedures, the school's answers, the decision,
the history) as plain paragraphs for ``core.reports.case_dossier``."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from shnor.core.evidence.plain import ru_number
from shnor.core.labels import SUBJECT_LABELS
from shnor.core.reports.case_dossier import (
    CaseDossier,
    DossierSection,
    case_dossier_docx,
    case_dossier_filename,
    case_dossier_pdf,
)
from shnor.web.cases import selectors as sel
from shnor.web.cases.models import ControlledProcedure, ObjectivityCase
from shnor.web.cases.services import controlled_compare, recheck_evidence

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def _pct(x: Any) -> str:
    return "—" if x is None else f"{ru_number(100 * float(x), 1)} %"


def _recheck_section(case: ObjectivityCase) -> DossierSection:
    ev = recheck_evidence(school=case.school, year=case.year)
    if not ev["works"]:
        return DossierSection("Перепроверка работ", ["Работы школы не перепроверялись: данных нет."])
    paras = [
        f"Перепроверено работ школы: {ev['works']}; для сравнения — работы {ev['control_schools']} "
        "школ без признаков, перепроверенные в том же году."
    ]
    for r in ev["by_school"]:
        subject = SUBJECT_LABELS.get(str(r["subject"]), r["subject"])
        paras.append(
            f"{subject}, {r['grade']} кл.: эксперт изменил балл в {r['works_changed']} из {r['works']} работ "
            f"({_pct(r['share_changed'])}); понижен — в {r['lowered']}, повышен — в {r['raised']}."
        )
    if ev["conclusion"]:
        paras.append(f"Вывод: {ev['conclusion']}")
    return DossierSection("Перепроверка работ", paras)


def _controlled_section(case: ObjectivityCase) -> DossierSection:
    procs = ControlledProcedure.objects.filter(school=case.school, year=case.year)
    paras = [
        f"{SUBJECT_LABELS.get(p.subject, p.subject)}, {p.grade} кл.: {p.get_kind_display()}"
        + (f" ({p.note})" if p.note else "")
        for p in procs
    ]
    paras.append(controlled_compare(school=case.school, year=case.year)["conclusion"])
    return DossierSection("Контролируемые процедуры", paras)


def _answers_section(case: ObjectivityCase) -> DossierSection:
    paras = [
        f"{timezone.localtime(a.created_at):%d.%m.%Y}: {a.text}"
        + (f" (приложен файл «{a.original_name}»)" if a.original_name else "")
        for a in case.answers.all()
    ]
    return DossierSection("Ответ школы", paras or ["Школа ещё не ответила."])


def _decision_section(case: ObjectivityCase) -> DossierSection:
    if not case.verdict:
        return DossierSection("Решение", ["Решение ещё не принято."])
    when = f"{timezone.localtime(case.decided_at):%d.%m.%Y}" if case.decided_at else ""
    return DossierSection(
        "Решение",
        [f"{when}: {case.get_verdict_display()}.", f"Основание: {case.verdict_reason}"],
    )


def _history_section(case: ObjectivityCase) -> DossierSection:
    return DossierSection(
        "История дела",
        [
            f"{timezone.localtime(e.created_at):%d.%m.%Y %H:%M} — {e.action}"
            + (f": {e.comment}" if e.comment else "")
            for e in case.events.all()
        ],
    )


def dossier_build(case: ObjectivityCase) -> CaseDossier:
    """The case as a ``CaseDossier``: plain signs and the sections in the order the region reads them."""
    school = case.school
    return CaseDossier(
        school_id=school.school_id,
        school_name=school.name or school.school_id,
        municipality=school.municipality.name if school.municipality else "",
        year=case.year,
        signs=sel.case_signs(case),
        sections=[
            _recheck_section(case),
            _controlled_section(case),
            _answers_section(case),
            _decision_section(case),
            _history_section(case),
        ],
        status=case.get_status_display(),
    )


def dossier_export(d: CaseDossier, fmt: str) -> tuple[bytes, str, str]:
    """The dossier's bytes, file name and content type for ``fmt`` (``docx`` or ``pdf``)."""
    content = case_dossier_docx(d) if fmt == "docx" else case_dossier_pdf(d)
    return content, case_dossier_filename(d, fmt), CONTENT_TYPES[fmt]
