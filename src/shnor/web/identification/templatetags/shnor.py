"""Template helpers: JSON for chart attributes, number formatting, query strings."""

from __future__ import annotations

import json
from typing import Any

from django import template

from shnor.core.evidence.plain import ru_number
from shnor.core.labels import SUBJECT_NAMES

register = template.Library()


@register.filter
def tojson(value: Any) -> str:
    """JSON text (autoescaped by the template when put into an attribute)."""
    return json.dumps(value, ensure_ascii=False, default=str)


@register.filter
def pct(value: Any) -> str:
    """A 0..1 share as «12,5 %»; other values unchanged."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    try:
        return f"{100 * float(value):.1f} %".replace(".", ",")
    except (TypeError, ValueError):
        return str(value)


@register.filter
def num(value: Any) -> str:
    """A number in Russian format (decimal comma, never e-notation: a tiny value is «< 0,001»); «—» for
    empty."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return ru_number(value, 3)
    return str(value)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def query_items(params: Any) -> list[tuple[str, str]]:
    """The (name, value) pairs of a query: ``params.items`` in a template would first look up a parameter
    named «items» (``?items=x`` then breaks the loop)."""
    try:
        return list(params.items())
    except AttributeError:
        return []


@register.simple_tag(takes_context=True)
def query(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (empty removes)."""
    params = context["request"].GET.copy()
    for k, v in changes.items():
        if v in (None, ""):
            params.pop(k, None)
        else:
            params[k] = v
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def not_significant(signs: Any) -> list:
    """The sign blocks that are not significant."""
    return [s for s in signs or [] if not s.get("significant")]


@register.inclusion_tag("includes/data_notices.html")
def data_notices(run: Any) -> dict[str, Any]:
    """Notices when the data around a run changed (see ``identification.data_changes``)."""
    from shnor.web.identification.data_changes import run_data_notices

    return {"notices": run_data_notices(run), "run": run}


@register.filter
def subject(code: Any) -> str:
    """«Математика» for ``ma``: a subject code as its name (the code itself when unknown)."""
    return SUBJECT_NAMES.get(str(code), str(code))
