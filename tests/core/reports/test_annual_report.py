"""Monitoring exporters: yearly report (DOCX, PDF), FIOKO list (XLSX), municipal summary, protocol draft."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import polars as pl
import pytest

from shnor.core.methods.fioko import PUBLISHED_COLUMNS
from shnor.core.reports import annual_report, fioko_list, municipality_summary, protocol_draft

CONCLUSIONS = [
    "Результаты измерены как средний стандартизованный балл учеников школы.",
    "Оценка эффекта сопровождения (разность разностей): +0,12 SD, 95 %-й интервал [−0,05; +0,29].",
    "Ограничения: это наблюдательное сравнение, а не эксперимент.",
]
INDICATORS = [
    {
        "code": "low_results",
        "name": "Доля школ ШНОР",
        "display": "12,5 %",
        "value": 12.5,
        "numerator": 5.0,
        "denominator": 40.0,
        "unit": "%",
        "source": "computed",
        "note": "",
    },
    {
        "code": "staff_shortage_measures",
        "name": "Меры поддержки при дефиците кадров",
        "display": "нет данных",
        "value": None,
        "numerator": None,
        "denominator": None,
        "unit": "шт.",
        "source": "manual",
        "note": "не внесено",
    },
]
EFFECT = {
    "start_year": 2023,
    "estimate": 0.12,
    "lower": -0.05,
    "upper": 0.29,
    "conclusions": CONCLUSIONS,
    "trajectory": [
        {"year": y, "supported_mean": s, "control_mean": c}
        for y, s, c in ((2021, -0.5, -0.45), (2022, -0.55, -0.5), (2023, -0.3, -0.42), (2024, -0.25, -0.4))
    ],
}


def annual_data() -> annual_report.AnnualData:
    return annual_report.AnnualData(
        unit_name="Тестовый край",
        level="region",
        year=2024,
        n_schools=40,
        lists_by_year=[
            {"year": 2023, "n_schools": 40, "low_results": 6, "social_risk": 4, "objectivity": 3},
            {"year": 2024, "n_schools": 40, "low_results": 5, "social_risk": 4, "objectivity": 2},
        ],
        dynamics={"low_results": {"entered": 1, "left": 2, "stayed": 4}},
        objectivity_index=[
            {"year": 2023, "n_schools": 40, "n_marked": 4, "index": 90.0},
            {"year": 2024, "n_schools": 40, "n_marked": 2, "index": 95.0},
        ],
        deficits=[
            {"subject": "Математика", "label": "Решать текстовые задачи в 3–4 действия", "n_schools": 7},
            {"subject": "Русский язык", "label": "Распознавать главные члены предложения", "n_schools": 4},
        ],
        schools_with_deficits=9,
        teachers={
            "n_teachers": 30,
            "n_diagnosed": 20,
            "n_with_deficits": 8,
            "n_completed": 3,
            "areas": [
                {"area": "Предметные знания", "n": 20, "n_deficit": 6},
                {"area": "Методика", "n": 20, "n_deficit": 3},
            ],
        },
        indicators=INDICATORS,
        effectiveness=EFFECT,
        municipalities=[
            {"name": "Город Первый", "n_schools": 20, "low_results": 2, "social_risk": 1, "objectivity": 1}
        ],
    )


def docx_text(blob: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(blob))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_annual_report_docx_has_sections_tables_and_charts() -> None:
    name, mime, blob = annual_report.AnnualReportExporter(annual_data()).render(
        {"format": "docx", "year": 2024}
    )
    assert name == "annual_report_region_2024.docx"
    assert mime == annual_report.DOCX_MIME
    text = docx_text(blob)
    for needle in (
        "Списки школ и их динамика",
        "Индекс объективности",
        "Решать текстовые задачи",
        "Показатели мониторинга",
        CONCLUSIONS[1],
        "Доля школ ШНОР",
        "5 / 40",
    ):
        assert needle in text
    media = [n for n in zipfile.ZipFile(io.BytesIO(blob)).namelist() if n.startswith("word/media/")]
    assert len(media) == 4  # lists, objectivity, deficits, trajectory


def test_annual_report_pdf_and_empty_data() -> None:
    _, mime, blob = annual_report.AnnualReportExporter(annual_data()).render({"format": "pdf"})
    assert mime == "application/pdf"
    assert blob.startswith(b"%PDF")
    assert len(blob) > 20_000
    empty = annual_report.AnnualData(unit_name="Пусто", level="municipality", year=2024, n_schools=0)
    text = docx_text(annual_report.render_docx(empty))
    assert "Расчётов по методике нет" in text
    assert "не выполнялся" in text
    with pytest.raises(ValueError, match="формат"):
        annual_report.AnnualReportExporter(empty).render({"format": "odt"})


def published() -> pl.DataFrame:
    schema = {"Год": pl.Int16(), "Логин": pl.String(), "Муниципалитет": pl.String(), "ОО": pl.String()}
    schema |= {c: pl.Int8() for c in PUBLISHED_COLUMNS[4:8]} | {"Количество маркеров": pl.Int8()}
    return pl.DataFrame(
        [
            (2023, "sch0001", "Город Первый", "МБОУ СОШ №1", None, 1, 0, 1, 2),
            (2023, "sch0002", "Город Первый", "МБОУ Лицей", 1, None, None, None, 1),
        ],
        schema=schema,
        orient="row",
    )


def test_fioko_list_matches_the_published_layout(real) -> None:
    from openpyxl import load_workbook

    name, mime, blob = fioko_list.FiokoListExporter(published(), 2023).render({})
    assert name == "fioko_markers_2023.xlsx"
    assert mime.endswith("spreadsheetml.sheet")
    ours = load_workbook(io.BytesIO(blob)).active
    real = load_workbook(real / "fioko_objectivity_markers_dagestan_2023.xlsx").active
    assert ours.title == "Признаки необъективности"  # FIOKO's sheet is «… папка »: the stray word dropped
    assert real.title.startswith(ours.title)
    assert [c.value for c in ours[1]] == [c.value for c in real[1]]
    assert [type(c.value) for c in ours[2]] == [str, str, str, str, type(None), int, int, int, int]
    assert type(real["A2"].value) is str  # the year is text in FIOKO's file as well
    for col in "ABCDEFGHI":
        assert ours.column_dimensions[col].width == pytest.approx(real.column_dimensions[col].width, abs=0.02)
    with pytest.raises(ValueError, match="нет столбцов"):
        fioko_list.fioko_list_xlsx(pl.DataFrame({"Год": [2023]}))


def test_municipality_summary_docx() -> None:
    data = municipality_summary.MunicipalitySummary(
        name="Город Первый",
        region="Тестовый край",
        year=2024,
        schools=[
            {
                "school_id": "sch0001",
                "name": "МБОУ СОШ №1",
                "lists": ["ШНОР", "Необъективность"],
                "track": "Индивидуальное сопровождение",
                "roadmap_done": 3,
                "roadmap_due": 5,
                "teachers": 10,
                "diagnosed": 8,
                "with_deficits": 3,
                "site": "Дорожная карта",
            },
            {"school_id": "sch0002", "name": "МБОУ Лицей №2", "lists": [], "site": "нет сайта"},
        ],
        indicators=INDICATORS,
        conclusions=CONCLUSIONS,
    )
    name, _, blob = municipality_summary.MunicipalitySummaryExporter(data).render({})
    text = docx_text(blob)
    assert name == "municipality_summary_2024.docx"
    assert "Справка о работе со ШНОР и ШНСУ: Город Первый" in text
    assert "3 из 5" in text
    assert "нет сайта" in text
    assert CONCLUSIONS[2] in text


def test_protocol_draft_follows_the_seed_structure() -> None:
    data = protocol_draft.ProtocolData(
        unit_name="Город Первый",
        authority="Отдел образования администрации",
        year=2024,
        lists={"n_schools": 20, "low_results": 2, "social_risk": 1, "objectivity": 1},
        dynamics={"low_results": {"entered": 0, "left": 1, "stayed": 1}},
        objectivity_index=95.0,
        fioko_marked=1,
        teachers={"n_teachers": 10, "n_diagnosed": 6, "n_with_deficits": 2, "n_completed": 1},
        roadmap={"done": 3, "due": 5, "overdue": 2},
        sites={"checked": 3, "complete": 1, "missing": 2},
        indicators=INDICATORS,
        effectiveness=EFFECT,
    )
    _, _, blob = protocol_draft.ProtocolDraftExporter(data).render({})
    text = docx_text(blob)
    order = [
        "ПРОТОКОЛ",
        "ЗАСЕДАНИЯ РАБОЧЕЙ ГРУППЫ",
        "Анализ эффективности реализации комплекса мер",
        "Присутствовали:",
        "Члены рабочей группы:",
        "ПОВЕСТКА ДНЯ:",
        "СЛУШАЛИ:",
        "Предложения по итогам управленческого цикла по всем системам:",
        "РЕШИЛИ:",
        "Председатель рабочей группы",
    ]
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions)
    assert "критериям оценивания ВПР" in text
    assert "просроченные мероприятия дорожных карт (2)" in text
    assert "не подтверждён" in text
    assert "Меры поддержки при дефиците кадров" in text


def test_annual_report_pdf_pages_render_with_their_charts(tmp_path) -> None:
    """The PDF a ministry files, as PNG pages (poppler's pdftoppm): charts embedded, pages not blank."""
    import shutil
    import subprocess

    from PIL import Image

    _, _, blob = annual_report.AnnualReportExporter(annual_data()).render({"format": "pdf"})
    assert blob.count(b"/Subtype /Image") >= 4  # lists, objectivity, deficits, trajectory charts
    pdf = tmp_path / "annual.pdf"
    pdf.write_bytes(blob)
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is installed by scripts/setup"
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    for page in pages:
        img = Image.open(page).convert("L")
        lo, hi = img.getextrema()
        assert hi - lo > 100  # text and charts, not an empty page
    shots = Path(os.environ.get("SHNOR_SCREENSHOTS", "/tmp/shnor-screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    for page in pages:
        shutil.copyfile(page, shots / f"annual_report_{page.name}")
