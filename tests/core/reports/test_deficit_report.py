"""The school's deficit report: exporter interface, DOCX content (python-docx), PDF bytes."""

from __future__ import annotations

import io

import numpy as np
import polars as pl
import pytest

from shnor.core.reports.deficit_report import (
    DOCX_MIME,
    PDF_MIME,
    DeficitReportExporter,
    build_report,
    render_html,
)
from shnor.core.store import schema
from tests.core.methods.test_deficits_builders import SKILL_B, inputs, planted_region


@pytest.fixture(scope="module")
def region():
    planted = {"S03": np.array([0.75, 0.75, 0.1, 0.1, 0.75, 0.75])}
    frame = planted_region(seed=12, n_schools=12, n_pupils=24, p=0.75, planted=planted)
    schools = schema.conform(
        pl.DataFrame(
            {
                "school_id": [f"S{k:02d}" for k in range(12)],
                "name": [f"МБОУ СОШ №{k}" for k in range(12)],
                "municipality": ["Бийск"] * 12,
            }
        ),
        schema.SCHOOLS,
    )
    return inputs(frame, schools=schools)


def _docx_text(data: bytes):
    from docx import Document

    doc = Document(io.BytesIO(data))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return paragraphs, tables


def test_exporter_interface() -> None:
    assert DeficitReportExporter.identifier == "deficit_report"
    assert DeficitReportExporter.label
    assert "school_id" in DeficitReportExporter.params


def test_docx_contains_title_deficit_table_groups_and_recommendations(region) -> None:
    name, mime, data = DeficitReportExporter(region).render({"school_id": "S03"})
    assert name == "deficits_S03_2024.docx"
    assert mime == DOCX_MIME
    text, tables = _docx_text(data)
    assert "Дефициты предметных умений" in text
    assert "МБОУ СОШ №3" in text
    assert "Бийск" in text
    skills = next(t for t in tables if t[0][0] == "Умение / задание" and any(SKILL_B in r[0] for r in t[1:]))
    assert skills[0] == [
        "Умение / задание",
        "Уровень",
        "Участников",
        "Школа, %",
        "Интервал, %",
        "Сравнение, %",
        "Разница, п. п.",
        "Вывод",
    ]
    row = next(r for r in skills[1:] if r[0].startswith(SKILL_B))
    assert row[-1] == "дефицит"
    assert row[1] == "Б/П"
    assert "–" in row[4]
    assert int(row[3]) < int(row[5])
    # at-risk pupils by pseudonym (shortened pupil_key), never anything else
    risk = next(t for t in tables if t[0][0] == "Псевдоним")
    assert all(r[0].startswith("S03-2024") for r in risk[1:])
    # recommendations for the text-problem deficit and the school-wide measures
    assert "Текстовые задачи" in text
    assert "Управленческие меры школы" in text
    assert "стартового набора" in text


def test_school_without_deficits_says_so(region) -> None:
    data = build_report(region, "S05")
    html = render_html(data)
    assert "дефицитов — 0" in html
    _name, _mime, docx_bytes = DeficitReportExporter(region).render({"school_id": "S05"})
    text, _tables = _docx_text(docx_bytes)
    assert "Дефицитов, требующих адресных рекомендаций, не выявлено." in text


def test_pdf(region) -> None:
    pytest.importorskip("weasyprint")
    name, mime, data = DeficitReportExporter(region).render({"school_id": "S03", "format": "pdf"})
    assert name.endswith(".pdf")
    assert mime == PDF_MIME
    assert data.startswith(b"%PDF")


def test_bad_params(region) -> None:
    ex = DeficitReportExporter(region)
    with pytest.raises(ValueError, match="логин"):
        ex.render({})
    with pytest.raises(ValueError, match="формат"):
        ex.render({"school_id": "S03", "format": "odt"})
