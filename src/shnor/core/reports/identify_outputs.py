"""The files ``shnor identify`` writes (FORMATS.md): five CSVs and one XLSX workbook with Russian headers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl
import xlsxwriter

#: file stem → (exact CSV columns of FORMATS.md, Russian headers, sheet name)
OUTPUTS: dict[str, tuple[list[str], list[str], str]] = {
    "fioko_markers": (
        ["year", "school_id", "procedure", "subject", "grade", "marker", "value", "threshold"],
        ["Год", "Логин ОО", "Процедура", "Предмет", "Класс", "Маркер", "Значение", "Порог"],
        "Маркеры ФИОКО",
    ),
    "objectivity": (
        ["school_id", "flagged", "n_signs", "signs", "strongest_sign", "q_value", "evidence"],
        [
            "Логин ОО",
            "Признаки необъективности",
            "Число признаков",
            "Признаки",
            "Сильнейший признак",
            "q-значение",
            "Доказательства",
        ],
        "Необъективность",
    ),
    "low_results": (
        ["school_id", "low_results", "years_in_list", "first_year", "indicators", "cluster"],
        ["Логин ОО", "ШНОР", "Лет в списке", "Первый год", "Показатели", "Кластер"],
        "ШНОР",
    ),
    "social_index": (
        ["school_id", "index", "rank", "social_risk"],
        ["Логин ОО", "Индекс", "Место", "ШНСУ"],
        "ШНСУ",
    ),
    "tracks": (
        ["school_id", "track", "reasons"],
        ["Логин ОО", "Вариант сопровождения", "Основания"],
        "Сопровождение",
    ),
}

MARKERS_RU = {
    "inflated_mean": "завышенный средний балл",
    "journal_mismatch": "несоответствие отметкам по журналу",
    "cohort_fall": "резкое падение результатов",
    "cohort_rise": "резкий рост результатов",
}


def _exact(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    frame = frame.with_columns([pl.lit(None).alias(c) for c in missing])
    return frame.select(columns)


def write_outputs(
    out_dir: Path, frames: Mapping[str, pl.DataFrame], *, workbook: str = "identify.xlsx"
) -> list[Path]:
    """Write every output present in ``frames`` as CSV (UTF-8, exact columns) and all of them as one XLSX."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, (cols, _ru, _sheet) in OUTPUTS.items():
        if stem in frames:
            path = out_dir / f"{stem}.csv"
            _exact(frames[stem], cols).write_csv(path)
            written.append(path)
    path = out_dir / workbook
    book = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}
    )
    head = book.add_format(
        {"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    for stem, (cols, ru, sheet_name) in OUTPUTS.items():
        if stem not in frames:
            continue
        frame = _exact(frames[stem], cols)
        if stem == "fioko_markers":
            frame = frame.with_columns(pl.col("marker").replace(MARKERS_RU))
        ws = book.add_worksheet(sheet_name)
        for j, h in enumerate(ru):
            ws.write(0, j, h, head)
        for i, row in enumerate(frame.iter_rows(), start=1):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, bool):
                    ws.write_string(i, j, "да" if v else "нет")
                elif isinstance(v, int | float):
                    ws.write_number(i, j, v)
                else:
                    text = str(v)
                    ws.write_string(i, j, text if len(text) < 32000 else text[:31990] + "…")
        ws.freeze_panes(1, 1)
        ws.autofilter(0, 0, max(frame.height, 1), len(cols) - 1)
        ws.set_column(0, 0, 14)
        ws.set_column(1, len(cols) - 1, 18)
    book.close()
    written.append(path)
    return written
