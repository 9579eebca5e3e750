"""Row-level and file-level problems found while reading input files (messages in Russian)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RowError:
    """One problem with one cell or row: where it is and what is wrong."""

    file: str
    sheet: str
    row: int  # as a spreadsheet shows it (header is row 1)
    column: str
    message: str
    value: str = ""

    def as_dict(self) -> dict[str, object]:
        """Plain dict for reports."""
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.sheet:
            where += f", лист «{self.sheet}»"
        where += f", строка {self.row}"
        if self.column:
            where += f", столбец «{self.column}»"
        return f"{where}: {self.message}"


class IngestError(ValueError):
    """A file that cannot be imported at all; the message says what and where, in Russian."""
