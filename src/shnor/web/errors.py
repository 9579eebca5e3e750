"""Error pages in Russian with the site's navigation: 400, 403, 404, 500 (``handler400`` … in ``urls.py``).

A malformed parameter (``shnor.web.params.BadParameter``) shows its own message: which parameter, what was
typed, what is expected. 403 and 404 show the view's message when it is Russian (the views raise them with
Russian text); Django's own English messages («No School matches the given query») are replaced by a general
one. The 500 page shows the request id the administrator finds in the log. Every page falls back to a plain
page without the menu when rendering with the user's context fails (the database may be the reason of the
error).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.html import escape

from shnor.web.params import BadParameter
from shnor.web.request_log import request_id

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")

TITLES = {
    400: "Неверный запрос",
    403: "Нет доступа",
    404: "Страница не найдена",
    500: "Ошибка на сервере",
}


def _russian(exception: Any) -> str:
    """The exception's message if it is written in Russian, else an empty string."""
    if exception is None:
        return ""
    message = exception.args[0] if getattr(exception, "args", None) else ""
    return message if isinstance(message, str) and _CYRILLIC.search(message) else ""


def _render(request: HttpRequest, status: int, context: dict[str, Any]) -> HttpResponse:
    rid = getattr(request, "request_id", None) or request_id()
    context = {"status": status, "title": TITLES[status], "request_id": rid, **context}
    try:
        body = loader.render_to_string(f"{status}.html", context, request=request)
    except Exception:  # the database, a context processor or the session may be what failed
        body = (
            '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
            f"<title>{TITLES[status]}</title></head>"
            f"<body><h1>{TITLES[status]}</h1><p>{escape(context.get('problem') or '')}</p>"
            f'<p>Номер запроса: <code>{escape(rid)}</code></p><p><a href="/">На главную</a></p></body></html>'
        )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    """400: a malformed parameter named with what it expects, or a request that could not be read."""
    context: dict[str, Any] = {}
    if isinstance(exception, BadParameter):
        context = {"problem": exception.message, "parameter": exception}
    else:
        context = {"problem": _russian(exception)}
    return _render(request, 400, context)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    """403: the page is outside the user's role."""
    return _render(request, 403, {"problem": _russian(exception)})


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    """404: no such page, or the object is outside the user's scope (never says which)."""
    return _render(request, 404, {"problem": _russian(exception), "request_path": request.path})


def server_error(request: HttpRequest) -> HttpResponse:
    """500: an apology and the request id to quote."""
    return _render(request, 500, {})
