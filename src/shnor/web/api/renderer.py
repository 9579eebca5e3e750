"""The API's JSON written by orjson: the same document Ninja's ``json.dumps`` renderer writes (dates and
times in Django's format, decimals and lazy texts as strings), as UTF-8 rather than ``\\u`` escapes, and
NaN as null rather than the ``NaN`` JSON does not have. A school's outcomes are about a megabyte of
evidence a call on a country's database, and ``json.dumps`` was a quarter of their cost
(docs/benchmarks.md, «The web under load»)."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

#: Dates and times go to ``NinjaJSONEncoder`` (ECMA-262 milliseconds, «Z» for UTC), as do dataclasses,
#: which ``json.dumps`` does not write either; keys that are not strings are written as strings.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS

_ENCODER = NinjaJSONEncoder()


def dumps(data: Any) -> bytes:
    """``data`` as the API's UTF-8 JSON."""
    return orjson.dumps(data, default=_ENCODER.default, option=OPTIONS)


class ORJSONRenderer(BaseRenderer):
    """Ninja's renderer for every API answer."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        """The answer's body."""
        return dumps(data)
