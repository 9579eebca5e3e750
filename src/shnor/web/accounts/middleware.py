"""The client address (behind trusted proxies) and who is acting in this request, for the audit log."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from shnor.web.accounts.audit import actor_reset, actor_set


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def from_trusted_proxy(request: HttpRequest) -> bool:
    """True when the request comes straight from a trusted reverse proxy (``SHNOR_TRUSTED_PROXIES``)."""
    addr = _address(request.META.get("REMOTE_ADDR", "") or "")
    return addr is not None and any(addr in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The client address: REMOTE_ADDR, or, when REMOTE_ADDR is a trusted reverse proxy
    (``SHNOR_TRUSTED_PROXIES``), the nearest address in X-Forwarded-For that is not one. Anyone else's
    X-Forwarded-For is ignored: a client cannot choose the address its failed logins are counted on."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    if not trusted:
        return remote

    def is_proxy(addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return addr is not None and any(addr in net for net in trusted)

    if not is_proxy(_address(remote)):
        return remote
    client = remote
    # nginx appends the peer it saw: read from the right, past our own proxies, to the first stranger
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        addr = _address(hop)
        if addr is None:  # garbage (or empty): nothing left of it can be trusted
            break
        client = str(addr)
        if not is_proxy(addr):
            break
    return client


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
