"""The scoped queryset every app's models use: ``Model.objects.visible_to(user)`` narrows the rows to what
a user (or a ready scope) may see, as netbox's ``RestrictedQuerySet.restrict``.

This module knows no app. The rule itself (how a user becomes a scope, and which schools a scope sees)
belongs to accounts (``shnor.web.accounts.scope``), whose app config registers it with
``scope_rule_register`` when Django starts; so registry, at the bottom of the apps' layers, declares
scoped models without importing accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

#: ``scope_of(user)``: the user's scope (any object with ``sees_rows``); ``root_rule(scope)``: the filter
#: on the root scoped model (the one whose ``scope_field`` is ``"pk"``), None for nothing, ``Q()`` for all.
_rule: dict[str, Callable[[Any], Any]] = {}


def scope_rule_register(*, scope_of: Callable[[Any], Any], root_rule: Callable[[Any], Q | None]) -> None:
    """Install how a user becomes a scope and the rule on the root scoped model (accounts does, on start)."""
    _rule["scope_of"] = scope_of
    _rule["root_rule"] = root_rule


def _registered(name: str) -> Callable[[Any], Any]:
    try:
        return _rule[name]
    except KeyError:
        raise ImproperlyConfigured("no scope rule registered (the accounts app registers it)") from None


def _path_target(model: Any, path: str) -> tuple[Any, bool]:
    """The model at the end of ``path`` and whether the path crosses a to-many relation."""
    many = False
    for part in path.split("__"):
        field = model._meta.get_field(part)
        many = many or bool(field.one_to_many or field.many_to_many)
        model = field.related_model
    return model, many


class ScopedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what a user or a ``Scope`` may see (``visible_to``).

    The model declares ``scope_field``: ``"pk"`` (the model the ladder is about: School), a path to
    another scoped model, a tuple of such paths (a row is visible through any of them), or pairs
    ``(Q(...), path)`` where the path counts only for rows matching the condition.
    """

    def visible_to(self, user: Any) -> ScopedQuerySet:
        """The rows of this queryset that ``user`` (or a ready ``Scope``) may see."""
        scope = _registered("scope_of")(user)
        spec = self.model.scope_field
        if spec == "pk":
            rule = _registered("root_rule")(scope)
            return self.none() if rule is None else self.filter(rule)
        if not scope.sees_rows:
            return self.none()
        items = (spec,) if isinstance(spec, str) else tuple(spec)
        wanted = Q()
        for item in items:
            cond, path = item if isinstance(item, tuple) else (Q(), item)
            target, crosses = _path_target(self.model, path)
            through = cond & Q(**{f"{path}__in": target._default_manager.visible_to(scope)})
            # a to-many path would repeat rows: select the keys instead, one subquery per path (joining
            # two to-many paths in one query multiplies their rows: a region's schools × the schools of
            # its municipalities, seconds per request on a country's registry)
            wanted |= Q(pk__in=self.model._base_manager.filter(through).values("pk")) if crosses else through
        return self.filter(wanted)
