"""Expert re-checks of ВПР works: the school's score and the expert's score of every task of every work.

Two layouts, CSV (UTF-8 or Windows-1251, ``,`` or ``;``) or XLSX — the first sheet that has a school column:

* long — one row per task of a work: ``year, school_id, subject, grade, work, task, school_score,
  expert_score`` (or «Год», «Логин ОО», «Предмет», «Класс», «Код участника»/«Номер работы», «Задание»,
  «Балл ОО»/«Балл школы», «Балл эксперта»);
* wide — one row per work: ``year, school_id, subject, grade, work``, then a pair of columns per task,
  ``<task> ОО`` and ``<task> эксперт`` («1 ОО», «1 эксперт», «2(1) ОО», «2(1) эксперт»).

The subject is a code (``ru``, ``ma`` …) or its Russian name («Математика»); the procedure is always ВПР.
Scores are non-negative numbers (decimal comma allowed; «X» — the pupil did not attempt the task — counts
as 0). An empty expert score means the task was not re-checked: the row (the pair, in the wide layout) is
skipped and counted in a warning. Any bad cell rejects the whole file (:class:`RecheckError` lists every
problem with its file, sheet, row and column); the same task of the same work twice is an error naming the
first row. Pupil codes and work numbers are kept as written — the web layer pseudonymises them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from shnor.core.ingest.common import NOT_ATTEMPTED, SUBJECT_BY_NAME, find_column, header_of
from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import Sheet, norm, read_tables
from shnor.core.store.schema import SUBJECTS

#: The read frame's columns.
RECHECKS: dict[str, pl.DataType] = {
    "year": pl.Int16(),
    "school_id": pl.String(),
    "subject": pl.String(),
    "grade": pl.Int8(),
    "work": pl.String(),
    "task": pl.String(),
    "school_score": pl.Float64(),
    "expert_score": pl.Float64(),
    "source_row": pl.Int32(),
}

YEAR_NAMES = ("year", "Год")
SCHOOL_NAMES = ("school_id", "Логин ОО", "Логин", "Код ОО")
SUBJECT_NAMES = ("subject", "Предмет")
GRADE_NAMES = ("grade", "Класс")
WORK_NAMES = ("work", "Код участника", "Номер работы", "Код работы", "Работа")
TASK_NAMES = ("task", "Задание", "Номер задания")
SCHOOL_SCORE_NAMES = ("school_score", "Балл ОО", "Балл школы")
EXPERT_SCORE_NAMES = ("expert_score", "Балл эксперта")
#: A wide-layout task column: «1 ОО», «2(1) эксперт».
PAIR_HEADER = re.compile(r"^(.+?)\s+(оо|школа|эксперт)$")
_WHOLE_FLOAT = re.compile(r"^(\d+)\.0+$")
_MAX_ERRORS_SHOWN = 5


@dataclass(frozen=True)
class RecheckFile:
    """A read re-check file: its name, the rows (``RECHECKS``) and what was skipped."""

    file: str
    rows: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


class RecheckError(IngestError):
    """A re-check file with bad rows; ``errors`` holds every problem, the message the first few."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:_MAX_ERRORS_SHOWN])
        more = len(errors) - _MAX_ERRORS_SHOWN
        tail = f"; и ещё {more}" if more > 0 else ""
        super().__init__(f"Файл перепроверки не импортирован — ошибок: {len(errors)}. {shown}{tail}")


@dataclass(frozen=True)
class _Layout:
    """Which frame column (c0, c1, …) holds what; ``pairs`` for the wide layout."""

    year: str
    school: str
    subject: str
    grade: str
    work: str
    task: str | None = None
    school_score: str | None = None
    expert_score: str | None = None
    pairs: tuple[tuple[str, str, str], ...] = ()  # (task as written, school column, expert column)


def _where(sheet: Sheet) -> str:
    return sheet.file + (f", лист «{sheet.name}»" if sheet.name else "")


def _pairs(sheet: Sheet) -> tuple[tuple[str, str, str], ...]:
    """The wide layout's task columns, in file order: (task as written, school column, expert column)."""
    school: dict[str, str] = {}
    expert: dict[str, str] = {}
    labels: dict[str, str] = {}  # normalised task -> as written; insertion order is file order
    for j, h in enumerate(sheet.header):
        m = PAIR_HEADER.match(norm(h))
        if not m:
            continue
        task = " ".join(h.replace("\xa0", " ").split()[:-1])
        key = norm(task)
        labels.setdefault(key, task)
        (expert if m.group(2) == "эксперт" else school).setdefault(key, f"c{j}")
    return tuple((labels[k], school[k], expert[k]) for k in labels if k in school and k in expert)


def _layout(sheet: Sheet) -> _Layout:
    """The sheet's columns; an error naming what is missing."""
    base = {
        "«year» («Год»)": find_column(sheet, *YEAR_NAMES),
        "«school_id» («Логин ОО»)": find_column(sheet, *SCHOOL_NAMES),
        "«subject» («Предмет»)": find_column(sheet, *SUBJECT_NAMES),
        "«grade» («Класс»)": find_column(sheet, *GRADE_NAMES),
        "«work» («Код участника» или «Номер работы»)": find_column(sheet, *WORK_NAMES),
    }
    missing = [k for k, v in base.items() if v is None]
    task = find_column(sheet, *TASK_NAMES)
    school_score = find_column(sheet, *SCHOOL_SCORE_NAMES)
    expert_score = find_column(sheet, *EXPERT_SCORE_NAMES)
    pairs = _pairs(sheet)
    long = task is not None or expert_score is not None or school_score is not None
    if long and not pairs:
        for label, col in (
            ("«task» («Задание»)", task),
            ("«school_score» («Балл ОО»)", school_score),
            ("«expert_score» («Балл эксперта»)", expert_score),
        ):
            if col is None:
                missing.append(label)
    elif not pairs:
        missing.append("баллов: «task», «school_score», «expert_score» или пар «1 ОО» и «1 эксперт»")
    if missing:
        seen = ", ".join(f"«{h}»" for h in sheet.header if h) or "заголовков нет"
        raise IngestError(f"{_where(sheet)}: нет столбцов {'; '.join(missing)}; найдены столбцы — {seen}")
    y, s, subj, g, w = (str(v) for v in base.values())
    if pairs:
        return _Layout(y, s, subj, g, w, pairs=pairs)
    return _Layout(y, s, subj, g, w, task, school_score, expert_score)


def _code(text: str) -> str:
    """A code as written, with a spreadsheet's «12.0» back to «12»."""
    text = " ".join(text.replace("\xa0", " ").split())
    m = _WHOLE_FLOAT.match(text)
    return m.group(1) if m else text


def _number(text: str) -> float | None:
    try:
        return float(text.replace("\xa0", "").replace(" ", "").replace(",", "."))
    except ValueError:
        return None


class _Reader:
    """Row-by-row parsing of one sheet, collecting rows, errors and skip counts."""

    def __init__(self, sheet: Sheet, layout: _Layout) -> None:
        self.sheet, self.layout = sheet, layout
        self.rows: list[tuple[object, ...]] = []
        self.errors: list[RowError] = []
        self.skipped = 0
        self._seen: dict[tuple[object, ...], int] = {}

    def error(self, row: int, column: str, message: str, value: str = "") -> None:
        self.errors.append(
            RowError(self.sheet.file, self.sheet.name, row, header_of(self.sheet, column), message, value)
        )

    def cell(self, cells: tuple[str | None, ...], column: str) -> str:
        value = cells[int(column[1:])]
        return "" if value is None else value.replace("\xa0", " ").strip()

    def whole(self, cells: tuple[str | None, ...], at: int, column: str, low: int, high: int) -> int | None:
        text = self.cell(cells, column)
        value = _number(text) if text else None
        if value is None or not value.is_integer() or not low <= value <= high:
            what = "пустое значение" if not text else f"ожидается целое число от {low} до {high}"
            self.error(at, column, what, text)
            return None
        return int(value)

    def subject(self, cells: tuple[str | None, ...], at: int) -> str | None:
        text = self.cell(cells, self.layout.subject)
        key = norm(text)
        if key in SUBJECTS:
            return key
        if key in SUBJECT_BY_NAME:
            return SUBJECT_BY_NAME[key]
        what = "пустой предмет" if not text else "неизвестный предмет; ожидается код (ru, ma …) или название"
        self.error(at, self.layout.subject, what, text)
        return None

    def score(self, cells: tuple[str | None, ...], at: int, column: str, who: str) -> float | None:
        text = self.cell(cells, column)
        if norm(text) in NOT_ATTEMPTED:
            return 0.0
        value = _number(text)
        if value is None or value < 0 or value != value:
            what = f"пустой балл {who}" if not text else f"балл {who} должен быть неотрицательным числом"
            self.error(at, column, what, text)
            return None
        return value

    def identity(self, cells: tuple[str | None, ...], at: int) -> tuple[object, ...] | None:
        """(year, school, subject, grade, work) of a row, or None after recording its errors."""
        lay = self.layout
        before = len(self.errors)
        year = self.whole(cells, at, lay.year, 2000, 2100)
        school = self.cell(cells, lay.school)
        if not school:
            self.error(at, lay.school, "пустой логин ОО")
        subject = self.subject(cells, at)
        grade = self.whole(cells, at, lay.grade, 1, 11)
        work = _code(self.cell(cells, lay.work))
        if not work:
            self.error(at, lay.work, "пустой код участника (номер работы)")
        if len(self.errors) > before:
            return None
        return (year, school, subject, grade, work)

    def add(
        self, ident: tuple[object, ...], task: str, scores: tuple[float, float], at: int, col: str
    ) -> None:
        key = (*ident[:4], str(ident[4]).lower(), norm(task))
        first = self._seen.get(key)
        if first is not None:
            self.error(
                at, col, f"задание {task} работы {ident[4]} уже есть в строке {first}", f"{ident[4]}, {task}"
            )
            return
        self._seen[key] = at
        self.rows.append((*ident, task, *scores, at))

    def read_long(self, cells: tuple[str | None, ...], at: int) -> None:
        lay = self.layout
        assert lay.task is not None
        assert lay.school_score is not None
        assert lay.expert_score is not None
        ident = self.identity(cells, at)
        task = _code(self.cell(cells, lay.task))
        if not task:
            self.error(at, lay.task, "пустой номер задания")
        if not self.cell(cells, lay.expert_score):
            self.skipped += 1
            return
        school = self.score(cells, at, lay.school_score, "ОО")
        expert = self.score(cells, at, lay.expert_score, "эксперта")
        if ident is None or not task or school is None or expert is None:
            return
        self.add(ident, task, (school, expert), at, lay.task)

    def read_wide(self, cells: tuple[str | None, ...], at: int) -> None:
        ident = self.identity(cells, at)
        found: list[tuple[str, float, float]] = []
        for task, school_col, expert_col in self.layout.pairs:
            school_text, expert_text = self.cell(cells, school_col), self.cell(cells, expert_col)
            if not expert_text:
                self.skipped += bool(school_text)
                continue
            school = self.score(cells, at, school_col, "ОО")
            expert = self.score(cells, at, expert_col, "эксперта")
            if school is not None and expert is not None:
                found.append((task, school, expert))
        if ident is None:
            return
        key = (*ident[:4], str(ident[4]).lower())
        first = self._seen.get(key)
        if first is not None:
            self.error(at, self.layout.work, f"работа {ident[4]} уже есть в строке {first}", str(ident[4]))
            return
        self._seen[key] = at
        for task, school, expert in found:
            self.rows.append((*ident, task, school, expert, at))

    def read(self) -> None:
        wide = bool(self.layout.pairs)
        for i, cells in enumerate(self.sheet.data.iter_rows()):
            if all(c is None or not str(c).strip() for c in cells):
                continue
            (self.read_wide if wide else self.read_long)(cells, i + 2)


def _choose_sheet(path: Path) -> Sheet:
    sheets = read_tables(path)
    if not sheets:
        raise IngestError(f"{path.name}: в файле нет ни одного непустого листа")
    for sheet in sheets:
        if find_column(sheet, *SCHOOL_NAMES) is not None:
            return sheet
    return sheets[0]


def read_rechecks(path: Path) -> RecheckFile:
    """Read an expert re-check file (long or wide layout, CSV or XLSX) into ``RECHECKS`` rows."""
    path = Path(path)
    sheet = _choose_sheet(path)
    reader = _Reader(sheet, _layout(sheet))
    reader.read()
    if reader.errors:
        raise RecheckError(sorted(reader.errors, key=lambda e: (e.row, e.column)))
    if not reader.rows:
        raise IngestError(f"{_where(sheet)}: нет ни одной перепроверенной работы (нет баллов эксперта)")
    rows = pl.DataFrame(reader.rows, schema=RECHECKS, orient="row")
    warnings = []
    if reader.skipped:
        what = "заданий" if reader.layout.pairs else "строк"
        warnings.append(
            f"{_where(sheet)}: пропущено {what} без балла эксперта (не перепроверялись): {reader.skipped}"
        )
    return RecheckFile(file=sheet.file, rows=rows, warnings=warnings)


__all__ = ["RECHECKS", "RecheckError", "RecheckFile", "read_rechecks"]
