"""``{% school_resources_block school %}`` (the «Потребности и поддержка» block of the school card) and
the filters of the resources pages: ``rub`` (money), ``rates`` (ставки), ``share``, ``get``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from shnor.web.resources import selectors as sel

register = template.Library()


def _grouped(value: Decimal | float | int, places: int) -> str:
    return f"{value:,.{places}f}".replace(",", "\u00a0").replace(".", ",")


@register.filter
def rub(value: Any) -> str:
    """«1 234 567,00 ₽» (non-breaking thousands, decimal comma); «—» for nothing."""
    if value is None or value == "":
        return "—"
    return f"{_grouped(Decimal(value), 2)}\u00a0₽"


@register.filter
def rates(value: Any) -> str:
    """Rates as «1,5» (no trailing zeros)."""
    if value is None:
        return "—"
    d = Decimal(value).normalize()
    text = f"{d:f}"
    return text.replace(".", ",")


@register.filter
def share(value: Any) -> str:
    """A share 0..1 as «45,0 %»; «—» when not defined."""
    if value is None:
        return "—"
    return f"{100 * float(value):.1f}".replace(".", ",") + "\u00a0%"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.inclusion_tag("resources/_school_block.html", takes_context=True)
def school_resources_block(context: template.Context, school: Any) -> dict:
    """The school's vacancies, equipment cost and support decisions of the latest year the user sees."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"school": None}
    known = sel.years(user=user)
    year = known[0] if known else timezone.localdate().year
    return {"school": school, "year": year, **sel.school_view(user=user, school=school, year=year)}
