"""Query-string values made safe for the database."""

from __future__ import annotations

from typing import Any

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def db_int(value: Any) -> int | None:
    """An integer that fits a database BIGINT, or None for anything else (text, overflow, empty)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if BIGINT_MIN <= number <= BIGINT_MAX else None
