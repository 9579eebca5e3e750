"""Method cards: what each method is, what its flag means and does not mean, its measured error rates.

The text is data (``cards.toml`` beside this module, shipped in the wheel); this module only reads it.
A card's ``version`` is not in that file: it is read from the method's settings defaults
(``core/config/defaults/<settings>.toml``, key ``version``), so a card always names the settings
version the product actually runs. Error rates measured on verdicts (confirmed after review) are not
here: they depend on the region's cases and the web fills them at request time.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from shnor.core.config import default_config

CARDS_PACKAGE = "shnor.core.method_cards"
CARDS_FILE = "cards.toml"

#: The list fields of a card, in the order a card shows them.
LIST_FIELDS = (
    "inputs",
    "how",
    "flag_means",
    "flag_does_not_mean",
    "review",
    "synthetic_rates",
    "sources",
)


class MethodCardError(ValueError):
    """``cards.toml`` cannot be used (message in Russian, names the card and the field)."""


@dataclass(frozen=True)
class MethodCard:
    """One method described for a methodologist (every text in Russian)."""

    code: str
    title: str
    purpose: str
    inputs: list[str]
    how: list[str]
    flag_means: list[str]
    flag_does_not_mean: list[str]
    review: list[str]
    synthetic_rates: list[str]
    sources: list[str]
    version: str


def _text(code: str, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MethodCardError(f"{CARDS_FILE}, карточка «{code}»: поле «{key}» должно быть непустой строкой")
    return value.strip()


def _lines(code: str, raw: dict[str, Any], key: str) -> list[str]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        raise MethodCardError(
            f"{CARDS_FILE}, карточка «{code}»: поле «{key}» должно быть непустым списком строк"
        )
    out = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item.strip():
            raise MethodCardError(
                f"{CARDS_FILE}, карточка «{code}», поле «{key}»: пункт {i} пуст или не строка"
            )
        out.append(item.strip())
    return out


def _version(code: str, settings: str, defaults: dict[str, Any]) -> str:
    section = defaults.get(settings)
    if not isinstance(section, dict) or "version" not in section:
        raise MethodCardError(
            f"{CARDS_FILE}, карточка «{code}»: в настройках методик нет раздела «{settings}» с версией"
        )
    return str(section["version"])


def cards_parse(text: str, defaults: dict[str, Any]) -> dict[str, MethodCard]:
    """Cards from the TOML ``text``, versions from the settings ``defaults`` (one section per method)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MethodCardError(f"{CARDS_FILE} не читается как TOML: {exc}") from exc
    cards: dict[str, MethodCard] = {}
    for code, raw in data.items():
        if not isinstance(raw, dict):
            raise MethodCardError(f"{CARDS_FILE}: «{code}» должно быть разделом карточки")
        settings = _text(code, raw, "settings")
        cards[code] = MethodCard(
            code=code,
            title=_text(code, raw, "title"),
            purpose=_text(code, raw, "purpose"),
            **{key: _lines(code, raw, key) for key in LIST_FIELDS},
            version=_version(code, settings, defaults),
        )
    return cards


def cards_load() -> dict[str, MethodCard]:
    """Every shipped card by method code, in the order of ``cards.toml`` (read afresh: a few kilobytes)."""
    text = resources.files(CARDS_PACKAGE).joinpath(CARDS_FILE).read_text(encoding="utf-8")
    return cards_parse(text, default_config())


__all__ = ["LIST_FIELDS", "MethodCard", "MethodCardError", "cards_load", "cards_parse"]
