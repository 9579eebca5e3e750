"""CPU of each request of ``shnor loadtest``'s mix in the Django process, and the mix's mean.

    SHNOR_HOME=… [DATABASE_URL=…] DJANGO_SETTINGS_MODULE=shnor.web.settings .venv/bin/python -W ignore \\
        scripts/request_cpu.py [--user demo_region] [--each 15]

Django's test client as ``--user`` (the load test's region analyst by default), ``--each`` requests of
every kind of the load test's ``MIX`` (the same URLs, schools drawn from the ones the user sees, seed 1),
``time.process_time`` (this process's CPU) and the wall time (with the database's own work) around
each; the first request of a kind fills what its page caches. The mix's mean weighs each kind's mean
by its share of the mix: 2 cores give at most ≈ 2 / mean requests a second (less under gunicorn). The
answers' mean size is printed beside (kB, as the client received them, uncompressed).
"""

from __future__ import annotations

import argparse
import random
import time

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from shnor.web.accounts.selectors import regions_visible_to  # noqa: E402
from shnor.web.registry.models import School  # noqa: E402
from shnor_bench.loadtest import MIX, _request  # noqa: E402


def main() -> None:
    """Time ``--each`` requests of every kind of the mix."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--user", default="demo_region")
    ap.add_argument("--each", type=int, default=15)
    args = ap.parse_args()
    user = get_user_model().objects.get(username=args.user)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    known = {
        "schools": list(School.objects.visible_to(user).values_list("school_id", flat=True)[:500]),
        "regions": [str(r.pk) for r in regions_visible_to(user=user)],
    }
    rnd = random.Random(1)
    client.get("/schools/")  # (loads the code)
    weighted, weights = 0.0, 0
    for kind, weight in MIX:
        spent, walls, sizes = [], [], []
        for _ in range(args.each):
            url = _request(kind, known, rnd)
            t, w = time.process_time(), time.perf_counter()
            response = client.get(url)
            spent.append(time.process_time() - t)
            walls.append(time.perf_counter() - w)
            sizes.append(len(response.content))
            assert response.status_code == 200, (url, response.status_code)
        mean = sum(spent) / len(spent)
        weighted += weight * mean
        weights += weight
        first, avg, wall = spent[0] * 1000, mean * 1000, sum(walls) / len(walls) * 1000
        share = f"{kind:18s} {weight:3d} % of the mix"
        size = sum(sizes) / len(sizes) / 1000
        print(f"{share}: first {first:6.1f}, mean {avg:6.1f} ms CPU; wall {wall:6.1f} ms; {size:7.1f} kB")
    print(f"the mix's mean: {weighted / weights * 1000:.1f} ms CPU a request")


if __name__ == "__main__":
    main()
