"""Response headers beside Django's SecurityMiddleware and django-csp: Permissions-Policy on every page,
and ``Cache-Control: no-store`` on everything a signed-in user (or an API token holder) gets, so that pages
with schools' and pupils' data stay out of shared and browser caches. Static files never reach it:
whitenoise answers them earlier in the chain, with their own long-lived caching."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    """Permissions-Policy (``settings.PERMISSIONS_POLICY``) and no-store for authenticated responses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Add the headers to the view's response."""
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.headers.get("Authorization"):
            add_never_cache_headers(response)
        return response
