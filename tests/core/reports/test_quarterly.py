"""The quarterly report on the management cycle and the combined document of a report request (pure
renderers): quarter bounds, every section's figures in DOCX, the events section with and without the events
app, charts in the PDF and its pages not blank."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from docx import Document
from PIL import Image

from shnor.core.reports import combined, quarterly

EVENTS = {
    "events": 4,
    "by_kind": {"Вебинар": 3, "Методический десант": 1},
    "schools_targeted": 20,
    "schools_attended": 17,
    "people": 55,
}


def data(events: dict | None = EVENTS) -> quarterly.QuarterlyData:
    return quarterly.QuarterlyData(
        unit_name="Тестовый край",
        year=2025,
        quarter=3,
        n_schools=218,
        lists=[
            {
                "title": "Школы с низкими образовательными результатами (ШНОР)",
                "short": "ШНОР",
                "basis": "Утверждённый список 2025 г. (приказ № 12 от 01.08.2025, версия 2)",
                "at_start": 30,
                "at_end": 31,
                "entered": ["МБОУ СОШ №1", "МБОУ СОШ №7"],
                "left": ["МКОУ ООШ №3"],
            }
        ],
        tracks={"Индивидуальное сопровождение": 9, "Сетевые методические объединения": 22},
        roadmaps=[
            {"level": "Региональная", "roadmaps": 1, "total": 20, "done": 12, "overdue": 1, "percent": 60},
            {"level": "Школьная", "roadmaps": 31, "total": 400, "done": 150, "overdue": 35, "percent": 38},
        ],
        requests=[
            {
                "title": "Отчёт о выполнении плана мероприятий",
                "requester": "Тестовый край",
                "deadline": dt.date(2025, 8, 15),
                "total": 31,
                "submitted": 28,
                "accepted": 25,
                "returned": 2,
                "late": 3,
            }
        ],
        events=events,
        indicators=[
            {
                "name": "Доля школ ШНОР",
                "display": "14,2 %",
                "numerator": 31.0,
                "denominator": 218.0,
                "unit": "%",
                "source": "computed",
            }
        ],
        effectiveness={
            "start_year": 2023,
            "estimate": 0.12,
            "lower": -0.05,
            "upper": 0.29,
            "conclusions": ["Вывод."],
        },
        generated=dt.date(2025, 10, 3),
    )


@pytest.mark.parametrize(
    ("quarter", "start", "end"),
    [(1, dt.date(2025, 1, 1), dt.date(2025, 3, 31)), (4, dt.date(2025, 10, 1), dt.date(2025, 12, 31))],
)
def test_quarter_bounds(quarter, start, end) -> None:
    assert quarterly.quarter_bounds(2025, quarter) == (start, end)


def test_quarter_outside_one_to_four_is_refused() -> None:
    with pytest.raises(ValueError, match="квартал"):
        quarterly.quarter_bounds(2025, 5)


def _docx_text(blob: bytes) -> tuple[str, str, int]:
    doc = Document(io.BytesIO(blob))
    body = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    return body, cells, len(doc.inline_shapes)


def test_docx_holds_every_section() -> None:
    name, _, blob = quarterly.QuarterlyReportExporter(data()).render({"format": "docx"})
    assert name == "Квартальный_отчёт_2025_III.docx"
    body, cells, images = _docx_text(blob)
    assert "III квартал 2025 г. (01.07.2025 – 30.09.2025)" in body
    assert "Включены: МБОУ СОШ №1, МБОУ СОШ №7. Исключены: МКОУ ООШ №3." in body
    assert "Сетевые методические объединения" in cells
    assert "38 %" in cells  # school roadmaps' execution
    assert "Отчёт о выполнении плана мероприятий" in cells
    assert "15.08.2025" in cells
    assert "школ приглашено: 20, из них участвовали: 17" in body
    assert "Методический десант" in cells
    assert "31 / 218" in cells
    assert "+0,12 SD" in body
    assert images == 3  # list movements, roadmaps, events by kind


def test_without_the_events_app_the_report_says_so() -> None:
    _, _, blob = quarterly.QuarterlyReportExporter(data(events=None)).render({"format": "docx"})
    body, _, images = _docx_text(blob)
    assert quarterly.NO_EVENTS in body
    assert images == 2


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="docx или pdf"):
        quarterly.QuarterlyReportExporter(data()).render({"format": "xlsx"})


def test_pdf_pages_render_with_their_charts(tmp_path) -> None:
    _, _, blob = quarterly.QuarterlyReportExporter(data()).render({"format": "pdf"})
    assert blob.count(b"/Subtype /Image") >= 3
    pdf = tmp_path / "q.pdf"
    pdf.write_bytes(blob)
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is installed by scripts/setup"
    subprocess.run([pdftoppm, "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    for page in pages:
        lo, hi = Image.open(page).convert("L").getextrema()
        assert hi - lo > 100


def test_combined_docx_has_the_table_and_the_accepted_parts() -> None:
    blob = combined.combined_docx(
        {
            "title": "Отчёт о реализации плана",
            "kind": "Отчёт о выполнении дорожной карты",
            "requester": "Тестовый край",
            "deadline": dt.date(2025, 8, 15),
            "instruction": "До 15 августа",
            "year": 2025,
            "rows": [
                {"recipient": "МБОУ СОШ №1", "status": "Принят", "submitted": "10.08.2025"},
                {"recipient": "МБОУ СОШ №2", "status": "Просрочен", "submitted": "—"},
            ],
            "accepted": [
                {
                    "recipient": "МБОУ СОШ №1",
                    "text": "Первый абзац.\n\nВторой абзац.",
                    "file_name": "",
                    "report_attached": True,
                    "summary": {
                        "title": "Дорожная карта школы",
                        "counts": {"total": 4, "done": 3, "in_progress": 1, "planned": 0, "overdue": 0},
                        "percent": 75,
                        "rows": [{"number": "1", "title": "Семинар", "period": "май", "status": "Выполнено"}],
                    },
                }
            ],
            "generated": dt.date(2025, 8, 20),
        }
    )
    body, cells, _ = _docx_text(blob)
    assert "Получателей: 2; принято частей: 1." in body
    assert "Первый абзац." in body
    assert "Второй абзац." in body
    assert "Выполнение: 75 %" in body
    assert "Просрочен" in cells
    assert "Семинар" in cells
    assert "сформированный отчёт о выполнении дорожной карты" in body
