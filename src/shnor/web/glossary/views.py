"""The glossary page (thin): the terms by section, each with its anchor for the tooltips' links."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shnor.web.glossary.terms import SECTIONS, by_section


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """«Словарь терминов»: every term in plain words, grouped (lists and support, data, statistics)."""
    return render(request, "glossary/index.html", {"sections": by_section(), "names": SECTIONS})
