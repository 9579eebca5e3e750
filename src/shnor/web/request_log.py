"""Request ids and the logging configuration.

Every request gets an id: the incoming ``X-Request-ID`` when a trusted reverse proxy
(``SHNOR_TRUSTED_PROXIES``) sent it and it is a short safe token, else a new uuid4 hex. The id is kept in a
context variable for the request's duration, put on ``request.request_id``, returned in the ``X-Request-ID``
response header, shown on the 500 page and added to every log record (``%(request_id)s``) by
:class:`RequestIdFilter` — so a user who quotes the id from the error page leads the administrator to the
traceback in ``SHNOR_HOME/logs/shnor.log``.

This module is imported by ``settings.py``: it must not touch Django settings at import time.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("shnor_request_id", default="-")


def request_id() -> str:
    """The id of the request being handled in this thread/task, ``-`` outside a request."""
    return _current.get()


def request_id_from(incoming: str | None) -> str:
    """The incoming id if a short safe token (letters, digits, ``.``, ``_``, ``-``; ≤ 64), else a new one."""
    if incoming and _SAFE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Assign the request id (first in ``MIDDLEWARE``: everything after it, error pages included, sees it)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        """Set the id for the request, answer with it in the ``X-Request-ID`` header."""
        from shnor.web.accounts.middleware import from_trusted_proxy

        # only a trusted proxy names the id: a client could otherwise fill the log with ids of its choosing
        rid = request_id_from(request.headers.get(HEADER) if from_trusted_proxy(request) else None)
        request.request_id = rid
        token = _current.set(rid)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Put ``request_id`` on every record (the current request's, or ``-``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Never drops a record."""
        if not getattr(record, "request_id", None):
            # Django logs a 4xx answer after the middleware returned: the request it passes along has the id
            record.request_id = getattr(getattr(record, "request", None), "request_id", None) or request_id()
        return True


class NoClientTracebacks(logging.Filter):
    """Drop the traceback of a 4xx answer (a bad parameter, a foreign object): the line alone says enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Never drops a record, only its traceback."""
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def log_file(home: Path) -> Path:
    """``SHNOR_HOME/logs/shnor.log`` (the folder is created)."""
    folder = Path(home) / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "shnor.log"


def logging_config(
    *, home: Path, level: str = "WARNING", mail_admins: bool = False, max_mb: int = 10, backups: int = 5
) -> dict:
    """The ``LOGGING`` dict: records of ``level`` and above with the request id to the console (stderr: the
    journal under systemd) and to a rotating file; errors also to the administrators by e-mail when
    ``mail_admins``. Tracebacks are kept for server errors, not for 4xx answers."""
    handlers = ["console", "file"] + (["mail_admins"] if mail_admins else [])
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "shnor.web.request_log.RequestIdFilter"},
            "no_client_tracebacks": {"()": "shnor.web.request_log.NoClientTracebacks"},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id", "no_client_tracebacks"],
                "formatter": "plain",
            },
            "file": {
                "class": "logging.handlers.RotatingFileHandler",
                "filename": str(log_file(home)),
                "maxBytes": max_mb * 1024 * 1024,
                "backupCount": backups,
                "encoding": "utf-8",
                "delay": True,
                "filters": ["request_id", "no_client_tracebacks"],
                "formatter": "plain",
            },
        },
        "root": {"handlers": handlers, "level": level},
        "loggers": {
            # Django's own default sends these to the console only with DEBUG:
            # here they go where the rest goes
            "django": {"handlers": handlers, "level": level, "propagate": False},
            # runserver's request lines stay as Django prints them
            "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        },
    }
    config["handlers"]["django.server"] = {
        "class": "logging.StreamHandler",
        "formatter": "django.server",
    }
    config["formatters"]["django.server"] = {
        "()": "django.utils.log.ServerFormatter",
        "format": "[{server_time}] {message}",
        "style": "{",
    }
    if mail_admins:
        config["handlers"]["mail_admins"] = {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "request_id"],
            "formatter": "plain",  # the letter's first line carries the request id
        }
    return config
