"""The API's documentation page: django-ninja's Swagger UI (local files, no CDN) inside the site's own page —
the menu, a Russian introduction (what the API gives, how to get a key) and a link to the OpenAPI schema."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger, _csrf_needed


class SiteSwagger(Swagger):
    """Swagger UI rendered by ``templates/api/docs.html`` (extends ``base.html``)."""

    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        """The page with the schema's address, the Swagger settings and the CSRF flag."""
        url = self.get_openapi_url(api, kwargs)
        settings = {**self.settings, "url": url}
        context = {
            "swagger_settings": json.dumps(settings),
            "openapi_url": url,
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, self.template, context)
