"""CPU of a school's outcomes answer made afresh (``/api/schools/<id>/outcomes``, the kept answers cleared).

    SHNOR_HOME=/tmp/demo DJANGO_SETTINGS_MODULE=shnor.web.settings .venv/bin/python -W ignore \\
        scripts/api_outcomes_cpu.py [--user demo_region] [--schools 40] [--passes 3]

Django's test client as ``--user``; the first ``--schools`` schools of the registry (one more before,
to load the code), each pass after the cache is cleared, ``time.process_time`` over the pass. Prints
the mean CPU of a call per pass; run it with the old code by ``PYTHONPATH=<checkout>/src`` to compare.
"""

from __future__ import annotations

import argparse
import time

import django


def main() -> None:
    """Print the mean CPU of a first call, per pass."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--user", default="demo_region")
    ap.add_argument("--schools", type=int, default=40)
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import setup_test_environment

    from shnor.web.registry.models import School

    setup_test_environment()
    client = Client()
    client.force_login(get_user_model().objects.get(username=args.user))
    ids = list(School.objects.order_by("school_id").values_list("school_id", flat=True)[: args.schools + 1])
    client.get(f"/api/schools/{ids[0]}/outcomes")  # (loads the code)
    means = []
    for _ in range(args.passes):
        cache.clear()
        t = time.process_time()
        for sid in ids[1:]:
            assert client.get(f"/api/schools/{sid}/outcomes").status_code == 200, sid
        means.append((time.process_time() - t) * 1000 / max(len(ids) - 1, 1))
    print(f"{len(ids) - 1} schools, a first call: " + " / ".join(f"{m:.1f}" for m in means) + " ms CPU")


if __name__ == "__main__":
    main()
