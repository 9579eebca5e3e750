"""Methodology settings: versioned TOML defaults per method, overridable by a region's file.

Each method owns ``defaults/<method>.toml`` with a ``version`` key and comments that explain
every default. A region's file may override any key of any section; the merged settings and
their SHA-256 are stored with every methodology run.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULTS_PACKAGE = "shnor.core.config.defaults"


class ConfigError(ValueError):
    """A methodology settings file that cannot be used (message in Russian)."""


def default_config() -> dict[str, Any]:
    """All shipped method defaults, one section per method file."""
    merged: dict[str, Any] = {}
    for entry in sorted(resources.files(DEFAULTS_PACKAGE).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            merged[entry.name.removesuffix(".toml")] = tomllib.loads(entry.read_text(encoding="utf-8"))
    return merged


def _merge(base: dict[str, Any], override: Mapping[str, Any], where: str) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in out:
            raise ConfigError(f"{where}: неизвестный параметр «{key}»")
        if isinstance(out[key], dict):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}.{key}: ожидается раздел, получено значение {value!r}")
            out[key] = _merge(out[key], value, f"{where}.{key}")
        else:
            out[key] = value
    return out


def load_config(path: Path | None = None) -> dict[str, Any]:
    """Shipped defaults, with a region's TOML file merged over them when given."""
    config = default_config()
    if path is None:
        return config
    try:
        override = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Файл настроек методики не найден: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Файл настроек методики {path} не читается как TOML: {exc}") from exc
    return _merge(config, override, Path(path).name)


def config_digest(config: Mapping[str, Any]) -> str:
    """A stable SHA-256 of the settings, recorded with every run."""
    text = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
