"""Small helpers shared by the readers: column lookup, number parsing, pseudonyms, file-name hints."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import TypedDict

import polars as pl

from shnor.core.ingest.errors import IngestError
from shnor.core.ingest.tables import Sheet, norm
from shnor.core.store.schema import SUBJECTS

#: Cell values meaning "the pupil did not attempt the task" (Latin and Cyrillic X, «не пройд.»).
NOT_ATTEMPTED = ("x", "х", "не пройд.", "не пройд", "не пройдено")

SUBJECT_BY_NAME = {norm(v): k for k, v in SUBJECTS.items()} | {
    "математика": "ma",
    "русский": "ru",
    "окружающий мир": "ok",
    "английский": "en",
    "немецкий": "de",
    "французский": "fr",
}


def find_column(sheet: Sheet, *names: str, prefix: bool = False) -> str | None:
    """The frame column (c0, c1, …) whose header matches one of ``names`` (normalised)."""
    wanted = [norm(n) for n in names]
    for j, h in enumerate(sheet.header):
        nh = norm(h)
        for w in wanted:
            if nh == w or (prefix and nh.startswith(w)):
                return f"c{j}"
    return None


def header_of(sheet: Sheet, column: str) -> str:
    """The header text of a frame column, as written in the file."""
    return sheet.header[int(column[1:])]


def number(expr: pl.Expr) -> pl.Expr:
    """Text to Float64: decimal comma allowed, spaces ignored; null when not a number."""
    return (
        expr.str.strip_chars()
        .str.replace_all(r"[\s\xa0]", "")
        .str.replace(",", ".", literal=True)
        .cast(pl.Float64, strict=False)
    )


def is_whole(expr: pl.Expr) -> pl.Expr:
    """True where a Float64 expression holds a whole number."""
    return expr.is_not_null() & (expr == expr.floor())


def pseudonym(key: bytes, school_id: str | None, code: str | None) -> str:
    """Keyed hash (HMAC-SHA256, 20 hex digits) of a pupil's code within a school."""
    msg = f"{school_id or ''}|{code or ''}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:20]


def pseudonymise(key: bytes, schools: Iterable[str | None], codes: Iterable[str | None]) -> pl.Series:
    """Pseudonyms for aligned school ids and pupil codes."""
    return pl.Series(
        "pupil_key", [pseudonym(key, s, c) for s, c in zip(schools, codes, strict=True)], pl.String
    )


_LATIN = re.compile(r"(?:vpr|впр)[ _-]*(\d{4})[a-zа-я]*[ _-]*([a-z]{2})[ _-]*(\d{1,2})(?!\d)")
_GIA = re.compile(r"(oge|ege|огэ|егэ)[ _-]*(\d{4})")


class NameHints(TypedDict, total=False):
    """What a file name says about its test."""

    year: int
    subject: str
    grade: int


def hints_from_name(name: str) -> NameHints:
    """Year, subject and grade read from a file name such as ``vpr_2021_ma4_altai.xlsx``."""
    low = norm(name)
    m = _LATIN.search(low)
    if m and m.group(2) in SUBJECTS:
        return {"year": int(m.group(1)), "subject": m.group(2), "grade": int(m.group(3))}
    out: NameHints = {}
    short = re.search(r"(?:vpr|впр)[ _-]*([a-z]{2})[ _-]*(\d{1,2})(?!\d)", low)
    if short and short.group(1) in SUBJECTS:
        out["subject"], out["grade"] = short.group(1), int(short.group(2))
    y = re.search(r"(?<!\d)(20\d\d)(?!\d)", low)
    if y:
        out["year"] = int(y.group(1))
    for subj_name, code in sorted(SUBJECT_BY_NAME.items(), key=lambda kv: -len(kv[0])):
        pos = low.find(subj_name)
        if pos >= 0 and "subject" not in out:
            out["subject"] = code
            g = re.match(r"\s*[_-]?\s*(\d{1,2})(?!\d)", low[pos + len(subj_name) :])
            if g:
                out["grade"] = int(g.group(1))
            break
    if "grade" not in out:
        g = re.search(r"(?<!\d)(\d{1,2})\s*(?:класс|кл)", low)
        if g:
            out["grade"] = int(g.group(1))
    return out


def resolve_target(
    file: str, year: int | None, subject: str | None, grade: int | None
) -> tuple[int, str, int]:
    """Year, subject and grade from the options, else from the file name, else an error asking for them."""
    hints = hints_from_name(file)
    y = year if year is not None else hints.get("year")
    s = subject if subject is not None else hints.get("subject")
    g = grade if grade is not None else hints.get("grade")
    if y is None or s is None or g is None:
        missing = [n for n, v in (("--year", y), ("--subject", s), ("--grade", g)) if v is None]
        raise IngestError(
            f"{file}: не удалось определить год, предмет и класс по имени файла; укажите {', '.join(missing)}"
        )
    if s not in SUBJECTS:
        raise IngestError(f"{file}: неизвестный код предмета «{s}»; допустимы: {', '.join(SUBJECTS)}")
    return int(y), str(s), int(g)
