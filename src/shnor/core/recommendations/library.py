"""Loading and validating the recommendations library (TOML text → typed entries)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

LEVELS = ("Б", "П", "В")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_KES = re.compile(r"^\d{1,2}:[0-9A-Za-zА-Яа-я.]+$")


class LibraryError(ValueError):
    """A recommendations library that cannot be used (message in Russian)."""


@dataclass(frozen=True)
class Entry:
    """One recommendation: where it applies (subject, grades, КЭС, keywords, levels) and what to do."""

    id: str
    subject: str  # subject code, or "*" for a school-wide recommendation
    grades: tuple[int, ...]
    topic: str
    title: str
    keywords: tuple[str, ...]
    kes: tuple[str, ...]  # "grade:code"
    levels: tuple[str, ...]  # empty = any level
    actions: tuple[str, ...]
    audience: str = "учитель"
    fallback: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON evidence and reports)."""
        return {
            "id": self.id,
            "topic": self.topic,
            "title": self.title,
            "audience": self.audience,
            "actions": list(self.actions),
        }


@dataclass(frozen=True)
class Library:
    """All entries of one library file, in file order, with its version and status."""

    version: str
    status: str
    entries: tuple[Entry, ...]

    def by_id(self, entry_id: str) -> Entry:
        """The entry with this id (KeyError if absent)."""
        for e in self.entries:
            if e.id == entry_id:
                return e
        raise KeyError(entry_id)


def _strings(raw: Any, where: str, field: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise LibraryError(f"{where}: поле «{field}» должно быть списком строк")
    return tuple(x.strip() for x in raw if x.strip())


def _entry(raw: Any, n: int) -> Entry:
    where = f"запись №{n}"
    if not isinstance(raw, dict):
        raise LibraryError(f"{where}: ожидается таблица [[entry]]")
    for key in ("id", "subject", "topic", "title"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise LibraryError(f"{where}: не заполнено обязательное поле «{key}»")
    entry_id = raw["id"].strip()
    where = f"запись «{entry_id}»"
    if not _ID.match(entry_id):
        raise LibraryError(f"{where}: код записи может содержать только латиницу, цифры, «-», «_» и «.»")
    grades = raw.get("grades", [])
    if (
        not isinstance(grades, list)
        or not grades
        or not all(isinstance(g, int) and 1 <= g <= 11 for g in grades)
    ):
        raise LibraryError(f"{where}: поле «grades» должно быть непустым списком классов 1–11")
    levels = _strings(raw.get("levels"), where, "levels")
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise LibraryError(f"{where}: неизвестный уровень сложности {bad[0]!r} (допустимы Б, П, В)")
    kes = _strings(raw.get("kes"), where, "kes")
    bad = [k for k in kes if not _KES.match(k)]
    if bad:
        raise LibraryError(f"{where}: код КЭС {bad[0]!r} нужно записать как «класс:код», например «4:2»")
    actions = _strings(raw.get("actions"), where, "actions")
    if not actions:
        raise LibraryError(f"{where}: нужен хотя бы один шаг в поле «actions»")
    fallback = raw.get("fallback", False)
    if not isinstance(fallback, bool):
        raise LibraryError(f"{where}: поле «fallback» должно быть true или false")
    audience = raw.get("audience", "учитель")
    if not isinstance(audience, str):
        raise LibraryError(f"{where}: поле «audience» должно быть строкой")
    keywords = tuple(k.lower().replace("ё", "е") for k in _strings(raw.get("keywords"), where, "keywords"))
    return Entry(
        id=entry_id,
        subject=raw["subject"].strip(),
        grades=tuple(sorted(set(grades))),
        topic=raw["topic"].strip(),
        title=raw["title"].strip(),
        keywords=keywords,
        kes=kes,
        levels=levels,
        actions=actions,
        audience=audience.strip() or "учитель",
        fallback=fallback,
    )


def load_library(text: str | None = None) -> Library:
    """Parse a library from TOML text (the shipped starter set when ``text`` is None)."""
    if text is None:
        return shipped_library()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LibraryError(f"Библиотека рекомендаций не читается как TOML: {exc}") from exc
    raw_entries = data.get("entry", [])
    if not isinstance(raw_entries, list) or not raw_entries:
        raise LibraryError("В библиотеке рекомендаций нет ни одной записи [[entry]]")
    entries = tuple(_entry(raw, i) for i, raw in enumerate(raw_entries, start=1))
    seen: set[str] = set()
    for e in entries:
        if e.id in seen:
            raise LibraryError(f"Код записи «{e.id}» встречается в библиотеке дважды")
        seen.add(e.id)
    return Library(version=str(data.get("version", "")), status=str(data.get("status", "")), entries=entries)


@lru_cache(maxsize=1)
def shipped_library() -> Library:
    """The starter library shipped with the product (``library.toml``)."""
    text = resources.files("shnor.core.recommendations").joinpath("library.toml").read_text(encoding="utf-8")
    return load_library(text)


@lru_cache(maxsize=1)
def topic_titles() -> dict[str, str]:
    """The shipped library's topic codes (``ru.advanced``) and the titles a report shows for them."""
    out: dict[str, str] = {}
    for e in shipped_library().entries:
        out.setdefault(e.topic, e.title)
    return out
