"""Query-string and form values made safe: the one place where the web views parse what a user typed.

Every view reads ``request.GET`` / ``request.POST`` values through these helpers. A value that is present but
malformed (text for a number, a number out of range, an unknown choice, a NUL character, a bad date) raises
:class:`BadParameter`, a :class:`django.core.exceptions.BadRequest`: Django answers 400 through
``shnor.web.errors.bad_request``, which shows the Russian message naming the parameter and what was expected.
An absent or empty value gives the default. Path values are parsed by the URL converters (``<int:pk>``) and
looked up through the scoped selectors: an unknown or foreign object is a 404, never a 500 (Django turns an
integer too large for the database into "no rows").

Labels name the parameter as the user knows it («муниципалитет»), the URL name follows in parentheses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import BadRequest

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
YEAR_MIN, YEAR_MAX = 2000, 2100
TEXT_MAX = 200

# What the user knows a query parameter as (the default label of a helper; a call may give a better one).
LABELS: dict[str, str] = {
    "a": "первый расчёт для сравнения",
    "b": "второй расчёт для сравнения",
    "days": "срок, дней",
    "evidence": "подтверждение",
    "format": "формат файла",
    "kind": "вид",
    "level": "уровень",
    "list": "список",
    "locality": "местность",
    "min_years": "лет в списке, не меньше",
    "municipality": "муниципалитет",
    "page": "номер страницы",
    "q": "строка поиска",
    "run": "расчёт",
    "status": "графа исполнения",
    "target": "объект",
    "track": "вариант сопровождения",
    "unit": "территория",
    "year": "год",
}


class BadParameter(BadRequest):
    """A malformed query or form value: answered with 400 and a Russian explanation."""

    def __init__(self, name: str, value: Any, expected: str, label: str | None = None) -> None:
        self.name = name
        self.value = "" if value is None else str(value)
        self.expected = expected
        self.label = label or LABELS.get(name, name)
        super().__init__(self.message)

    @property
    def shown_value(self) -> str:
        """The value as typed, shortened and with control characters made visible."""
        text = self.value if len(self.value) <= 40 else self.value[:40] + "…"
        return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)

    @property
    def message(self) -> str:
        """«Параметр «год» (year=abc) задан неверно: ожидается год четырьмя цифрами, например 2024.»"""
        if not self.value:
            return f"Не задан параметр «{self.label}» ({self.name}): ожидается {self.expected}."
        return (
            f"Параметр «{self.label}» ({self.name}={self.shown_value}) задан неверно: "
            f"ожидается {self.expected}."
        )


def db_int(value: Any) -> int | None:
    """An integer that fits a database BIGINT, or None for anything else (text, overflow, empty)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if BIGINT_MIN <= number <= BIGINT_MAX else None


def _raw(source: Mapping[str, Any], name: str, required: str = "", label: str | None = None) -> str | None:
    """The stripped value of ``name`` (the last one if repeated), or None when absent or empty; when
    ``required`` (what is expected) an absent value is a :class:`BadParameter`."""
    value = source.get(name)
    value = "" if value is None else str(value).strip()
    if not value and required:
        raise BadParameter(name, "", required, label)
    return value or None


def _range_text(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"целое число от {minimum} до {maximum}"
    if minimum is not None:
        return f"целое число не меньше {minimum}"
    if maximum is not None:
        return f"целое число не больше {maximum}"
    return "целое число"


def integer(
    source: Mapping[str, Any],
    name: str,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    label: str | None = None,
    expected: str | None = None,
    required: bool = False,
) -> int | None:
    """An integer within ``minimum``..``maximum`` (and a database BIGINT); ``default`` if absent or empty."""
    expected = expected or _range_text(minimum, maximum)
    raw = _raw(source, name, expected if required else "", label)
    if raw is None:
        return default
    low = BIGINT_MIN if minimum is None else max(minimum, BIGINT_MIN)
    high = BIGINT_MAX if maximum is None else min(maximum, BIGINT_MAX)
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", raw) or not low <= int(raw) <= high:
        raise BadParameter(name, raw, expected, label)
    return int(raw)


def identifier(
    source: Mapping[str, Any], name: str, *, label: str | None = None, required: bool = False
) -> int | None:
    """The number of a record (positive, fits the database); None when absent or empty."""
    return integer(
        source,
        name,
        minimum=1,
        maximum=BIGINT_MAX,
        label=label,
        required=required,
        expected="номер записи — целое положительное число (выберите значение из списка на странице)",
    )


def year(
    source: Mapping[str, Any], name: str = "year", *, default: int | None = None, label: str | None = None
) -> int | None:
    """A calendar year between 2000 and 2100; ``default`` when absent or empty."""
    return integer(
        source,
        name,
        default=default,
        minimum=YEAR_MIN,
        maximum=YEAR_MAX,
        label=label,
        expected=f"год четырьмя цифрами от {YEAR_MIN} до {YEAR_MAX}, например 2024",
    )


def choice(
    source: Mapping[str, Any],
    name: str,
    choices: Mapping[str, str] | Iterable[str],
    *,
    default: str = "",
    label: str | None = None,
    required: bool = False,
) -> str:
    """One of ``choices`` (codes; a mapping's values are the Russian names shown in the message)."""
    allowed = dict(choices) if isinstance(choices, Mapping) else {c: c for c in choices}
    expected = "одно из значений: " + ", ".join(f"«{v}»" for v in allowed.values())
    raw = _raw(source, name, expected if required else "", label)
    if raw is None:
        return default
    if raw not in allowed:
        raise BadParameter(name, raw, expected, label)
    return raw


def text(
    source: Mapping[str, Any],
    name: str,
    *,
    default: str = "",
    max_length: int = TEXT_MAX,
    label: str | None = None,
    required: bool = False,
) -> str:
    """Free text (a search string, a login): stripped, ≤ ``max_length`` characters, no control characters."""
    expected = f"текст не длиннее {max_length} знаков без служебных символов"
    raw = _raw(source, name, expected if required else "", label)
    if raw is None:
        return default
    if len(raw) > max_length or any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise BadParameter(name, raw, expected, label)
    return raw


def date(
    source: Mapping[str, Any], name: str, *, default: dt.date | None = None, label: str | None = None
) -> dt.date | None:
    """A date as ``ГГГГ-ММ-ДД`` or ``ДД.ММ.ГГГГ`` within 2000–2100; ``default`` when absent or empty."""
    raw = _raw(source, name)
    if raw is None:
        return default
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            value = dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        if YEAR_MIN <= value.year <= YEAR_MAX:
            return value
    raise BadParameter(name, raw, "дата в виде ДД.ММ.ГГГГ или ГГГГ-ММ-ДД, например 01.09.2024", label)


def flag(source: Mapping[str, Any], name: str, *, label: str | None = None) -> bool:
    """A check box: ``1`` is yes, ``0`` or absent is no."""
    return choice(source, name, {"1": "1 (да)", "0": "0 (нет)"}, default="0", label=label) == "1"
