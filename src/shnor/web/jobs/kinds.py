"""Job kinds: each app registers how its own kinds are executed (in its ``AppConfig.ready``).

The jobs app knows no other app: the worker looks the kind's handler up here. A handler takes the
job's params and a callback for the visible stage, and returns the result stored on the job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: the visible stage of a running job, as text
Stage = Callable[[str], None]
#: executes one job: (params, stage) -> the result stored on the job (JSON)
Handler = Callable[[dict[str, Any], Stage], dict[str, Any]]

_HANDLERS: dict[str, Handler] = {}


def job_kind_register(*, kind: str, handler: Handler) -> None:
    """Make ``handler`` execute the jobs of ``kind`` (a value of ``Job.KINDS``)."""
    _HANDLERS[kind] = handler


def job_kind_handler(*, kind: str) -> Handler:
    """The handler registered for ``kind``; ValueError (in Russian) for a kind no app registered."""
    handler = _HANDLERS.get(kind)
    if handler is None:
        raise ValueError(f"неизвестный вид задачи {kind!r}")
    return handler


__all__ = ["Handler", "Stage", "job_kind_handler", "job_kind_register"]
