"""Checking an answer the API builds itself against its Ninja schema, without Ninja's per-object cost.

Ninja's ``Schema`` wraps every object it validates in a ``DjangoGetter`` (a Python validator around
pydantic's own), so that a schema can be filled from a model's attributes or its ``resolve_…``
methods. A school's outcomes are a few thousand nested objects (facts, signs, charts), all plain
dicts made by the presenters, and that wrapper was a large share of the answer's CPU (measured in
docs/benchmarks.md, «A school's outcomes in the API»). ``plain_adapter`` checks the same fields, types
and defaults with plain pydantic models made from the schemas (their constraints too): the same
answer, the same errors for a wrong one. Only for schemas without ``resolve_…`` methods or aliases
(``plain_model`` refuses them).
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from ninja import Schema
from pydantic import BaseModel, TypeAdapter, create_model

#: The plain model made for each schema (one per schema class).
_MODELS: dict[type[Schema], type[BaseModel]] = {}


def plain_model(schema: type[Schema]) -> type[BaseModel]:
    """A plain pydantic model with ``schema``'s fields (nested schemas made plain too)."""
    made = _MODELS.get(schema)
    if made is not None:
        return made
    if any(name.startswith("resolve_") for name in dir(schema)):
        raise TypeError(f"{schema.__name__} fills fields by resolve_… methods: validate it with Ninja")
    fields: dict[str, Any] = {}
    for name, field in schema.model_fields.items():
        if field.alias is not None and field.alias != name:
            raise TypeError(f"{schema.__name__}.{name} has an alias: validate it with Ninja")
        default = ... if field.is_required() else field.get_default(call_default_factory=True)
        annotation = _plain_type(field.annotation)
        if field.metadata:  # (constraints such as ``Field(min_length=1)``)
            annotation = Annotated[(annotation, *field.metadata)]
        fields[name] = (annotation, default)
    made = _MODELS[schema] = create_model(f"{schema.__name__}Plain", __doc__=schema.__doc__, **fields)
    return made


def _plain_type(tp: Any) -> Any:
    """``tp`` with every Ninja schema in it replaced by its plain model (lists, dicts and unions kept)."""
    if isinstance(tp, type) and issubclass(tp, Schema):
        return plain_model(tp)
    origin = get_origin(tp)
    if origin is None:
        return tp
    args = tuple(_plain_type(a) for a in get_args(tp))
    if origin is Union or origin is types.UnionType:
        return Union[args]  # noqa: UP007 (built from a tuple)
    return origin[args]


def plain_adapter(tp: Any) -> TypeAdapter[Any]:
    """A ``TypeAdapter`` for ``tp`` (``list[OutcomeOut]``) whose schemas are plain models."""
    return TypeAdapter(_plain_type(tp))
