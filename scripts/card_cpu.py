"""The school card's cost in the Django process: CPU and queries a card, first views then the same cards.

    SHNOR_HOME=/tmp/demo DJANGO_SETTINGS_MODULE=shnor.web.settings .venv/bin/python -W ignore \\
        scripts/card_cpu.py [--user demo_region] [--cards 40] [--by-tag]

Django's test client as ``--user``, the first ``--cards`` schools the user sees (one more before, to load
the code), ``time.process_time`` around each request. ``--by-tag``: also the CPU of each inclusion or
simple template tag and each ``{% include %}`` a card, without what they call of each other.
"""

from __future__ import annotations

import argparse
import collections
import time
from collections.abc import Callable
from typing import Any

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import library, loader_tags  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from shnor.web.registry.models import School  # noqa: E402

_own: collections.Counter[str] = collections.Counter()
_calls: collections.Counter[str] = collections.Counter()
_stack: list[float] = []


def _timed(render: Callable[..., Any], name_of: Callable[[Any], str]) -> Callable[..., Any]:
    def wrapper(node: Any, context: Any) -> Any:
        name = name_of(node)
        t = time.process_time()
        _stack.append(0.0)
        try:
            return render(node, context)
        finally:
            spent = time.process_time() - t
            inner = _stack.pop()
            _own[name] += spent - inner
            _calls[name] += 1
            if _stack:
                _stack[-1] += spent

    return wrapper


def _by_tag() -> None:
    loader_tags.IncludeNode.render = _timed(
        loader_tags.IncludeNode.render, lambda n: "include " + str(getattr(n.template, "var", n.template))
    )
    library.InclusionNode.render = _timed(library.InclusionNode.render, lambda n: "tag " + n.func.__name__)
    library.SimpleNode.render = _timed(library.SimpleNode.render, lambda n: "tag " + n.func.__name__)


def main() -> None:
    """Time the cards' first views and the same cards again."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--user", default="demo_region")
    ap.add_argument("--cards", type=int, default=40)
    ap.add_argument("--by-tag", action="store_true")
    args = ap.parse_args()
    user = get_user_model().objects.get(username=args.user)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    ids = list(
        School.objects.visible_to(user).order_by("pk").values_list("school_id", flat=True)[: args.cards + 1]
    )
    client.get(reverse("identification:school", args=[ids[0]]))
    if args.by_tag:
        _by_tag()
    for label in ("first views", "again"):
        _own.clear()
        _calls.clear()
        cpu, queries = 0.0, 0
        for sid in ids[1:]:
            t = time.process_time()
            with CaptureQueriesContext(connection) as q:
                response = client.get(reverse("identification:school", args=[sid]))
            cpu += time.process_time() - t
            queries += len(q)
            assert response.status_code == 200, response.status_code
        n = len(ids) - 1
        print(f"{label}: {cpu / n * 1000:.1f} ms CPU, {queries / n:.1f} queries a card ({n} cards)")
        for name, spent in _own.most_common(20):
            print(f"  {spent / n * 1000:6.2f} ms  {_calls[name] / n:5.1f}×  {name}")


if __name__ == "__main__":
    main()
