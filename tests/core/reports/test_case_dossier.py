"""The dossier of a school's objectivity case: DOCX and PDF in plain Russian."""

from __future__ import annotations

import io
import re

import pytest

from shnor.core.evidence.plain import plain_signs_of
from shnor.core.reports.case_dossier import (
    CaseDossier,
    DossierSection,
    case_dossier_docx,
    case_dossier_filename,
    case_dossier_pdf,
)
from tests.core.test_plain_evidence import _flagged


def _dossier() -> CaseDossier:
    return CaseDossier(
        school_id="sch0001",
        school_name="МБОУ «Средняя школа № 1»",
        municipality="Городской округ Первый",
        year=2024,
        signs=plain_signs_of(_flagged()),
        sections=[
            DossierSection("Повторная проверка работ", ["Перепроверено 24 работы, отметки подтверждены."]),
            DossierSection("Ответ школы", ["Школа объяснила рост подготовкой к ВПР."]),
            DossierSection("Решение", ["Признаки не подтверждены."]),
        ],
        status="на рассмотрении",
    )


def test_docx_opens_and_reads_in_plain_russian() -> None:
    from docx import Document

    doc = Document(io.BytesIO(case_dossier_docx(_dossier())))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Материалы по признакам необъективности результатов ВПР" in text
    assert "а не доказательство нарушения" in text
    assert "Скопление у порога отметки (ВПР, математика, 4 кл.)" in text
    assert "Повторная проверка работ" in text
    assert "Ответ школы" in text
    assert not re.search(r"\b[a-z]+_[a-z_0-9]+\b", text)  # no keys such as min_3, school_level_sd
    assert "e-0" not in text
    assert len(doc.inline_shapes) >= 2  # the histogram and the task profile


def test_pdf_is_a_pdf() -> None:
    pytest.importorskip("weasyprint")
    assert case_dossier_pdf(_dossier()).startswith(b"%PDF")


def test_filename() -> None:
    assert case_dossier_filename(_dossier(), "docx") == "признаки_необъективности_sch0001_2024.docx"
    with pytest.raises(ValueError, match="docx или pdf"):
        case_dossier_filename(_dossier(), "xls")
