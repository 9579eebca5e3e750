"""Remember who is acting in this request, for the audit log."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from shnor.web.accounts.audit import actor_reset, actor_set


def client_ip(request: HttpRequest) -> str:
    """The client address (REMOTE_ADDR; a reverse proxy must set it properly)."""
    return request.META.get("REMOTE_ADDR", "") or ""


class ActorMiddleware:
    """Set the acting user and IP for the audit signal handlers during one request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Wrap the request in an actor context."""
        token = actor_set(request.user if request.user.is_authenticated else None, client_ip(request))
        try:
            return self.get_response(request)
        finally:
            actor_reset(token)
