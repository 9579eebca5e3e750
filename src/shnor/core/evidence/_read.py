"""Tolerant readers of stored JSON: a missing or odd value gives the field's default, never an error."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: A headline value as stored: a text, a number, a flag, an interval, or a small mapping (a statistic).
Value = str | int | float | bool | tuple[Any, ...] | Mapping[str, Any] | None


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON object from a dict or a JSON string (evidence is stored either way); {} otherwise."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def is_num(value: Any) -> bool:
    """A real number (an int or a float, not a flag)."""
    t = type(value)
    if t is float or t is int:  # (the JSON's own: no isinstance for them)
        return True
    return t is not bool and isinstance(value, int | float)


def num(value: Any) -> int | float | None:
    """The number as stored (an int stays an int), or None."""
    return value if is_num(value) else None


def integer(value: Any) -> int | None:
    """An integer (an integral float too), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def text(value: Any) -> str:
    """The text, '' for None."""
    return "" if value is None else str(value)


def opt_text(value: Any) -> str | None:
    """The text, or None when absent."""
    return None if value is None else str(value)


def seq(value: Any) -> tuple[Any, ...] | None:
    """A JSON array as a tuple, or None when it is not an array."""
    return tuple(value) if isinstance(value, list | tuple) else None


def dicts(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of an array (other items skipped); [] when it is not an array."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list | tuple) else []


def value(raw: Any) -> Value:
    """A headline value: arrays become tuples, mappings are kept (key order matters for the words)."""
    if raw is None:
        return raw
    if isinstance(raw, list):
        return tuple(raw)
    if isinstance(raw, str | int | float | bool | dict):
        return raw
    return str(raw)


def plain(raw: Any) -> Any:
    """The JSON form of a parsed value (tuples back to arrays)."""
    if isinstance(raw, tuple):
        return [plain(v) for v in raw]
    if isinstance(raw, Mapping):
        return {k: plain(v) for k, v in raw.items()}
    return raw
