"""Small input files built by code, in the real layouts, for the ingest tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

HEADER_2021 = [
    "логин школы",
    "регион",
    "номер обучающегося",
    "код обучающегося",
    "отметка за предыдущую четверть/триместр",
    "пол",
    "класс",
    "вариант",
    "всего баллов",
] + [f"балл за {k}" for k in range(1, 16)]

#: Task maxima of ВПР maths grade 4 (2021 specification): sum 20.
MAXIMA_MA4 = [1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2]


def pupil_row(
    school: str,
    n: int,
    tasks: Sequence[object],
    *,
    total: object = None,
    journal: object = "4",
    variant: object = "1",
    municipality: str = "Тестовый район",
) -> list[object]:
    """One row of the 2021 layout; ``total`` defaults to the sum of numeric task scores."""
    if total is None:
        total = sum(t for t in tasks if isinstance(t, int))
    return [
        school,
        municipality,
        str(n),
        str(40000 + n),
        journal,
        "м",
        "а",
        variant,
        str(total),
        *[str(t) for t in tasks],
    ]


def absent_row(school: str, n: int) -> list[object]:
    """An absent pupil in the 2021 layout."""
    return [school, "Тестовый район", str(n), str(40000 + n), "", "", "", "отсутствовал", "", *[""] * 15]


def good_tasks(k: int) -> list[int]:
    """A valid task vector scoring about k points."""
    out = []
    left = k
    for m in MAXIMA_MA4:
        v = min(m, left)
        out.append(v)
        left -= v
    return out


def write_xlsx(
    path: Path, rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER_2021, sheet: str = "Sheet"
) -> Path:
    """An XLSX file with one sheet: header then rows (all written as text, like ФИС ОКО exports)."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(sheet)
    for j, h in enumerate(header):
        ws.write_string(0, j, h)
    for i, r in enumerate(rows, start=1):
        for j, v in enumerate(r):
            if v is None or v == "":
                continue
            ws.write_string(i, j, str(v))
    book.close()
    return path


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    header: Sequence[str] = HEADER_2021,
    *,
    encoding: str = "cp1251",
    sep: str = ";",
) -> Path:
    """A CSV file in the given encoding and separator."""
    lines = [sep.join(header)] + [sep.join("" if v is None else str(v) for v in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def school_rows(school: str, scores: Sequence[int], start: int = 1) -> list[list[object]]:
    """Valid pupils of one school with the given totals."""
    return [pupil_row(school, start + i, good_tasks(s)) for i, s in enumerate(scores)]
