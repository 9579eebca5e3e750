"""The method's settings: shipped defaults merged with a caller's section, and the checked choices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shnor.core.methods.deficits.schemas import NAME


def _section(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The method's settings: shipped defaults with ``config`` merged over them (missing keys → defaults)."""
    from shnor.core.config import default_config

    base: dict[str, Any] = default_config()[NAME]
    if not config:
        return base
    merged = dict(base)
    for key, value in config.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _comparison_group(cmp: Mapping[str, Any]) -> tuple[str, str]:
    """``comparison.by`` checked, and the membership column that holds its groups."""
    by = str(cmp.get("by", "cluster"))
    if by not in ("cluster", "municipality", "region"):
        raise ValueError(
            f"comparison.by: неизвестная группа сравнения {by!r} (cluster, municipality, region)"
        )
    return by, {"cluster": "cluster", "municipality": "municipality_id", "region": "region"}[by]


def _rule(sec: Mapping[str, Any]) -> str:
    """``rule`` checked."""
    rule = str(sec.get("rule", "relative"))
    if rule not in ("relative", "absolute", "either", "both"):
        raise ValueError(f"rule: неизвестное правило {rule!r} (relative, absolute, either, both)")
    return rule
