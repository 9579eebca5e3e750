"""FIOKO's published school lists: schools with signs of non-objective ВПР results and ШНОР login lists.

Two layouts (FORMATS.md, ``shnor import fioko-list``):

* the objectivity-marker layout of ``real/fioko_objectivity_markers_dagestan_2023.xlsx`` (and of
  :func:`shnor.core.reports.fioko_list.fioko_list_xlsx`): Год | Логин | Муниципалитет | ОО | a column per
  test («4 РУ», «5 МА» …) holding 1 (marker), 0 (took part, no marker) or empty | Количество маркеров;
* a plain list of logins (CSV or XLSX) with, optionally, the school's name, municipality and year.

The year comes from the «Год» column when there is one, else from ``year``, else from the file name.
A row repeating an earlier row of the same year cell for cell is skipped with a warning (FIOKO's own
Dagestan file repeats its whole 2024 block); the same login twice with different cells is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from shnor.core.ingest.common import find_column, header_of
from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import Sheet, norm, read_tables

KINDS = ("objectivity", "low_results")

LOGIN_NAMES = ("Логин", "Логин ОО", "school_id", "Код ОО", "login", "Код школы", "Идентификатор ОО")
NAME_NAMES = ("ОО", "Наименование ОО", "name", "Название ОО", "Наименование", "Образовательная организация")
MUNICIPALITY_NAMES = ("Муниципалитет", "МО", "municipality", "Муниципальное образование", "Район")
YEAR_NAMES = ("Год", "year")
COUNT_NAME = "Количество маркеров"
COUNT_NAMES = (COUNT_NAME, "Кол-во маркеров")
#: A test column: grade and subject abbreviation, «4 РУ», «5 МА», «11 ИСТ».
TEST_HEADER = re.compile(r"^(\d{1,2})\s*([A-ZА-ЯЁ]{2,6})$")
_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_MAX_ERRORS_SHOWN = 5


@dataclass(frozen=True)
class FiokoListRow:
    """One school of the list in one year."""

    year: int
    school_id: str
    name: str  # "" when absent
    municipality: str  # "" when absent
    markers: dict[str, int | None]  # test column label as written ("4 РУ") -> 1/0/None; {} for plain lists
    count: int | None  # «Количество маркеров» when present
    source_row: int  # spreadsheet row number (header is row 1)


@dataclass(frozen=True)
class FiokoList:
    """A read list: where it came from, its kind, its rows and what was skipped."""

    file: str
    sheet: str
    kind: str  # one of KINDS
    rows: list[FiokoListRow]
    tests: list[str]  # marker column labels in file order
    warnings: list[str] = field(default_factory=list)

    def years(self) -> list[int]:
        """The distinct years of the rows, sorted."""
        return sorted({r.year for r in self.rows})


class FiokoListError(IngestError):
    """A list with bad rows; ``errors`` holds every problem found, the message the first few."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:_MAX_ERRORS_SHOWN])
        more = len(errors) - _MAX_ERRORS_SHOWN
        tail = f"; и ещё {more} {_plural(more, 'ошибка', 'ошибки', 'ошибок')}" if more > 0 else ""
        super().__init__(f"Список ФИОКО не импортирован — ошибок: {len(errors)}. {shown}{tail}")


@dataclass(frozen=True)
class _Layout:
    """Which frame column (c0, c1, …) holds what."""

    login: str
    name: str | None
    municipality: str | None
    year: str | None
    count: str | None
    tests: tuple[tuple[str, str], ...]  # (label as written, frame column)

    @property
    def markers(self) -> bool:
        return bool(self.tests) or self.count is not None


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _where(sheet: Sheet) -> str:
    return sheet.file + (f", лист «{sheet.name}»" if sheet.name else "")


def _layout(sheet: Sheet) -> _Layout | None:
    """The sheet's columns, or None when it has no login column."""
    login = find_column(sheet, *LOGIN_NAMES)
    if login is None:
        return None
    taken = {login}

    def pick(*names: str) -> str | None:
        for j, h in enumerate(sheet.header):
            if f"c{j}" not in taken and norm(h) in {norm(n) for n in names}:
                taken.add(f"c{j}")
                return f"c{j}"
        return None

    name, municipality, year, count = (
        pick(*NAME_NAMES),
        pick(*MUNICIPALITY_NAMES),
        pick(*YEAR_NAMES),
        pick(*COUNT_NAMES),
    )
    tests = tuple(
        (h.strip(), f"c{j}")
        for j, h in enumerate(sheet.header)
        if f"c{j}" not in taken and TEST_HEADER.match(h.strip().replace("\xa0", " "))
    )
    return _Layout(login, name, municipality, year, count, tests)


def _choose_sheet(path: Path) -> tuple[Sheet, _Layout, list[str]]:
    """The first table with a login column; an error naming the columns found when none has one."""
    sheets = read_tables(path)
    if not sheets:
        raise IngestError(f"{path.name}: в файле нет ни одного непустого листа")
    found = [(s, lay) for s in sheets if (lay := _layout(s)) is not None]
    if not found:
        seen = "; ".join(
            f"{_where(s)}: " + (", ".join(f"«{h}»" for h in s.header if h) or "заголовков нет")
            for s in sheets
        )
        raise IngestError(
            f"{path.name}: нет столбца с логином ОО (ожидается «Логин», «Логин ОО», «Код ОО» или "
            f"«school_id»); найдены столбцы — {seen}"
        )
    sheet, layout = found[0]
    notes = [
        f"{_where(s)}: лист тоже похож на список ОО, но прочитан только лист «{sheet.name}»"
        for s, _ in found[1:]
    ]
    return sheet, layout, notes


def _whole(text: str) -> int | None:
    """'2' / '2.0' / '2,0' → 2; anything else → None."""
    try:
        value = float(text.replace(",", ".").replace(" ", ""))
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def _cell(row: tuple[str | None, ...], column: str | None) -> str:
    if column is None:
        return ""
    value = row[int(column[1:])]
    return "" if value is None else value.replace("\xa0", " ").strip()


def _resolve_kind(path: Path, sheet: Sheet, layout: _Layout, kind: str | None) -> str:
    if kind is not None and kind not in KINDS:
        raise IngestError(f"{path.name}: неизвестный вид списка «{kind}»; допустимы: {', '.join(KINDS)}")
    marker_layout = layout.markers or "необъектив" in norm(sheet.name)
    if kind == "low_results" and marker_layout:
        raise IngestError(
            f"{_where(sheet)}: файл похож на список ОО с признаками необъективности результатов (есть "
            f"столбцы маркеров или «{COUNT_NAME}»), а не на список ШНОР — выберите вид «objectivity»"
        )
    if kind is not None:
        return kind
    return "objectivity" if marker_layout else "low_results"


def _resolve_year(path: Path, layout: _Layout, year: int | None) -> int | None:
    """The list's one year when the file has no «Год» column (None when it has one)."""
    if layout.year is not None:
        return None
    if year is not None:
        return year
    m = _YEAR_IN_NAME.search(path.name)
    if m:
        return int(m.group(1))
    raise IngestError(
        f"{path.name}: не указан год списка: в файле нет столбца «Год», в имени файла нет года — "
        "укажите год (--year)"
    )


class _Reader:
    """Row-by-row parsing of one sheet, collecting rows, errors and skip counts."""

    def __init__(self, sheet: Sheet, layout: _Layout, fixed_year: int | None, only: int | None) -> None:
        self.sheet, self.layout, self.fixed_year, self.only = sheet, layout, fixed_year, only
        self.rows: list[FiokoListRow] = []
        self.errors: list[RowError] = []
        self.other_years: dict[int, int] = {}
        self.repeats: list[tuple[int, int]] = []  # (row, the earlier row it repeats)
        self._seen: dict[tuple[int, str], FiokoListRow] = {}

    def error(self, row: int, column: str | None, message: str, value: str = "") -> None:
        label = header_of(self.sheet, column) if column is not None else ""
        self.errors.append(RowError(self.sheet.file, self.sheet.name, row, label, message, value))

    def year_of(self, cells: tuple[str | None, ...], at: int) -> int | None:
        if self.fixed_year is not None:
            return self.fixed_year
        text = _cell(cells, self.layout.year)
        value = _whole(text) if text else None
        if value is None or not 2000 <= value <= 2100:
            what = "пустой год" if not text else "год должен быть целым числом от 2000 до 2100"
            self.error(at, self.layout.year, what, text)
            return None
        return value

    def markers_of(self, cells: tuple[str | None, ...], at: int) -> tuple[dict[str, int | None], bool]:
        markers: dict[str, int | None] = {}
        ok = True
        for label, column in self.layout.tests:
            text = _cell(cells, column)
            value = _whole(text) if text else None
            if text and value not in (0, 1):
                self.error(at, column, "ожидается 1 (маркер), 0 (участвовала, маркера нет) или пусто", text)
                ok = False
            markers[label] = value
        return markers, ok

    def count_of(self, cells: tuple[str | None, ...], at: int, markers: dict[str, int | None]) -> int | None:
        text = _cell(cells, self.layout.count)
        if not text:
            return None
        value = _whole(text)
        if value is None or value < 0:
            self.error(at, self.layout.count, "ожидается целое неотрицательное число маркеров", text)
            return None
        marked = [k for k, v in markers.items() if v == 1]
        if self.layout.tests and value != len(marked):
            where = f" ({', '.join(marked)})" if marked else ""
            self.error(
                at,
                self.layout.count,
                f"указано маркеров: {value}, а отмечено единицей в столбцах тестов: {len(marked)}{where}",
                text,
            )
        return value

    def read(self) -> None:
        for i, cells in enumerate(self.sheet.data.iter_rows()):
            at = i + 2
            if all(c is None or not str(c).strip() for c in cells):
                continue
            before = len(self.errors)
            year = self.year_of(cells, at)
            if year is None:
                continue
            if self.only is not None and year != self.only:
                self.other_years[year] = self.other_years.get(year, 0) + 1
                continue
            login = _cell(cells, self.layout.login)
            if not login:
                self.error(at, self.layout.login, "пустой логин ОО")
            markers, _ = self.markers_of(cells, at)
            count = self.count_of(cells, at, markers)
            if len(self.errors) > before:
                continue
            row = FiokoListRow(
                year=year,
                school_id=login,
                name=" ".join(_cell(cells, self.layout.name).split()),
                municipality=" ".join(_cell(cells, self.layout.municipality).split()),
                markers=markers,
                count=count,
                source_row=at,
            )
            self.add(row)

    def add(self, row: FiokoListRow) -> None:
        key = (row.year, row.school_id.lower())
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = row
            self.rows.append(row)
            return
        same = (first.school_id, first.name, first.municipality, first.markers, first.count) == (
            row.school_id,
            row.name,
            row.municipality,
            row.markers,
            row.count,
        )
        if same:
            self.repeats.append((row.source_row, first.source_row))
            return
        self.error(
            row.source_row,
            self.layout.login,
            f"ОО повторяется в списке {row.year} года с другими данными (первая запись в строке "
            f"{first.source_row})",
            row.school_id,
        )

    def notes(self) -> list[str]:
        out = []
        if self.other_years:
            n = sum(self.other_years.values())
            years = ", ".join(str(y) for y in sorted(self.other_years))
            out.append(
                f"{_where(self.sheet)}: пропущено {n} {_plural(n, 'строка', 'строки', 'строк')} "
                f"других лет: {years}"
            )
        if self.repeats:
            n = len(self.repeats)
            row, earlier = self.repeats[0]
            out.append(
                f"{_where(self.sheet)}: пропущено {n} {_plural(n, 'строка', 'строки', 'строк')}, слово в "
                f"слово повторяющих более ранние строки того же года (например, строка {row} повторяет "
                f"строку {earlier})"
            )
        return out


def read_fioko_list(path: Path, *, kind: str | None = None, year: int | None = None) -> FiokoList:
    """Read a FIOKO list (objectivity markers or a plain login list) from CSV or XLSX.

    ``kind`` forces the list's kind (``KINDS``); ``year`` keeps only that year's rows when the file has
    a «Год» column, and is the list's year when it has none (else the year in the file name).
    """
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise IngestError(f"{path.name}: неизвестный вид списка «{kind}»; допустимы: {', '.join(KINDS)}")
    sheet, layout, notes = _choose_sheet(path)
    resolved_kind = _resolve_kind(path, sheet, layout, kind)
    fixed_year = _resolve_year(path, layout, year)
    only = year if layout.year is not None else None
    reader = _Reader(sheet, layout, fixed_year, only)
    reader.read()
    if reader.errors:
        raise FiokoListError(sorted(reader.errors, key=lambda e: (e.row, e.column)))
    if not reader.rows:
        if reader.other_years:
            found = ", ".join(str(y) for y in sorted(reader.other_years))
            raise IngestError(f"{_where(sheet)}: нет строк {year} года; в файле есть годы: {found}")
        raise IngestError(f"{_where(sheet)}: список пуст — нет ни одной строки с логином ОО")
    return FiokoList(
        file=sheet.file,
        sheet=sheet.name,
        kind=resolved_kind,
        rows=reader.rows,
        tests=[label for label, _ in layout.tests],
        warnings=notes + reader.notes(),
    )


__all__ = ["KINDS", "FiokoList", "FiokoListError", "FiokoListRow", "read_fioko_list"]
