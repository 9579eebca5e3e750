"""Required documents on school and municipality websites: kinds, patterns and classification.

The kinds and their Russian keyword patterns are configuration (``document_kinds.toml`` next to
this module, overridable by a mapping of the same shape). A kind matches a link when every group
of patterns is found, the first group in the link itself (text, title attribute, decoded URL),
the others in the link or in the title of the page holding it. Pure functions, standard library.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_EXTENSIONS = ("pdf", "doc", "docx", "odt", "rtf", "xls", "xlsx", "ods")


@dataclass(frozen=True)
class DocumentKind:
    """One kind of required document: a code, a Russian label and groups of patterns."""

    code: str
    label: str
    groups: tuple[tuple[re.Pattern[str], ...], ...]

    def matches(self, own_text: str, context: str = "") -> bool:
        """True when the first group is in ``own_text`` and every other group in it or ``context``."""
        own, ctx = normalise(own_text), normalise(context)
        if not self.groups:
            return False
        first, *rest = self.groups
        if not any(p.search(own) for p in first):
            return False
        both = own + " \n " + ctx
        return all(any(p.search(both) for p in group) for group in rest)


@dataclass(frozen=True)
class DocumentRules:
    """The configured kinds and the file extensions that make a link a document."""

    kinds: tuple[DocumentKind, ...]
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    version: str | None = None

    def label(self, code: str) -> str:
        """The Russian label of a kind code (the code itself when unknown)."""
        return next((k.label for k in self.kinds if k.code == code), code)


def normalise(text: str) -> str:
    """Lower case, «ё» → «е», runs of whitespace (and _ or -) collapsed to one space."""
    t = text.lower().replace("ё", "е").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", t).strip()


def _pattern(p: str) -> str:
    return str(p).replace("ё", "е").replace("Ё", "Е")


def rules_from_config(config: Mapping[str, Any]) -> DocumentRules:
    """Build ``DocumentRules`` from a mapping shaped like ``document_kinds.toml``."""
    kinds = []
    for code, spec in dict(config.get("kinds", {})).items():
        groups = spec.get("groups")
        if not groups or not all(isinstance(g, list) and g for g in groups):
            raise ValueError(f"document_kinds.{code}: нужны непустые группы шаблонов (groups)")
        try:
            compiled = tuple(tuple(re.compile(_pattern(p), re.IGNORECASE) for p in g) for g in groups)
        except re.error as exc:
            raise ValueError(f"document_kinds.{code}: неверный шаблон: {exc}") from exc
        kinds.append(DocumentKind(str(code), str(spec.get("label", code)), compiled))
    exts = tuple(str(e).lower().lstrip(".") for e in config.get("document_extensions", DEFAULT_EXTENSIONS))
    version = config.get("version")
    return DocumentRules(tuple(kinds), exts, None if version is None else str(version))


def default_config() -> dict[str, Any]:
    """The shipped ``document_kinds.toml`` as a mapping."""
    text = (
        resources.files("shnor.core.monitoring").joinpath("document_kinds.toml").read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def default_rules() -> DocumentRules:
    """The shipped document kinds."""
    return rules_from_config(default_config())


def url_text(url: str) -> str:
    """The readable part of a URL for matching: decoded path and query, separators as spaces."""
    parts = urlsplit(url)
    raw = unquote(parts.path + " " + parts.query, errors="replace")
    return re.sub(r"[/_.\-+=&?%]+", " ", raw)


def file_extension(url: str) -> str:
    """Lower-case extension of the URL path (without the dot), '' when none."""
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def is_document_url(url: str, rules: DocumentRules) -> bool:
    """True when the URL points to a file of a document extension (PDF, DOCX…)."""
    return file_extension(url) in rules.extensions


def classify(
    rules: DocumentRules, *, link_text: str = "", url: str = "", title: str = "", context: str = ""
) -> list[str]:
    """Codes of the kinds a link (or page) matches, in configuration order."""
    own = " \n ".join(t for t in (link_text, title, url_text(url) if url else "") if t)
    return [k.code for k in rules.kinds if k.matches(own, context)]


def missing_kinds(
    found: Iterable[str], rules: DocumentRules, required: Sequence[str] | None = None
) -> list[str]:
    """Kinds (codes) required but not found; ``required`` defaults to every configured kind."""
    have = set(found)
    wanted = list(required) if required is not None else [k.code for k in rules.kinds]
    return [c for c in wanted if c not in have]


__all__ = [
    "DEFAULT_EXTENSIONS",
    "DocumentKind",
    "DocumentRules",
    "classify",
    "default_config",
    "default_rules",
    "file_extension",
    "is_document_url",
    "missing_kinds",
    "normalise",
    "rules_from_config",
    "url_text",
]
