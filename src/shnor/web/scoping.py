"""The scoped queryset every app's models use: ``Model.objects.visible_to(user)`` narrows the rows to what
a user (or a ready scope) may see, as netbox's ``RestrictedQuerySet.restrict``.

This module knows no app. The rule itself (how a user becomes a scope, and which schools a scope sees)
belongs to accounts (``shnor.web.accounts.scope``), whose app config registers it with
``scope_rule_register`` when Django starts; so registry, at the bottom of the apps' layers, declares
scoped models without importing accounts.
"""

from __future__ import annotations

import functools
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
    _visible.cache_clear()


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
        wanted = _visible(self.model, _registered("scope_of")(user))
        return self.none() if wanted is None else self.filter(wanted)


@functools.lru_cache(maxsize=4096)
def _visible(model: Any, scope: Any) -> Q | None:
    """The filter of ``model``'s rows ``scope`` sees, None for none; made once per model and scope (a
    school card narrows some sixty querysets, each through a chain of subqueries, which were built again
    each time). The subqueries stay querysets inside the filter, evaluated by the database with each
    query, so what they select is never stale."""
    spec = model.scope_field
    if spec == "pk":
        return _registered("root_rule")(scope)
    if not scope.sees_rows:
        return None
    items = (spec,) if isinstance(spec, str) else tuple(spec)
    wanted = Q()
    for item in items:
        cond, path = item if isinstance(item, tuple) else (Q(), item)
        target, crosses = _path_target(model, path)
        through = cond & Q(**{f"{path}__in": target._default_manager.visible_to(scope)})
        # a to-many path would repeat rows: select the keys instead, one subquery per path (joining
        # two to-many paths in one query multiplies their rows: a region's schools × the schools of
        # its municipalities, seconds per request on a country's registry)
        wanted |= Q(pk__in=model._base_manager.filter(through).values("pk")) if crosses else through
    return wanted
