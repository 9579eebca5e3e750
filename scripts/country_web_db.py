"""Build the database the web is load-tested on at national scale: a synthetic country's three years
(2022–2024) with a stored methodology run for each year, the approved lists of every kind and year,
and school roadmaps (with the municipal ones) for every school on the 2024 ШНОР list.

Run in the Django database of ``DATABASE_URL`` (PostgreSQL for the issue's figures) and SHNOR_HOME;
generated data are cached in ``$SHNOR_HOME/bench/data`` as ``shnor bench`` caches them:

    psql -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE shnor_country"
    export SHNOR_HOME=/work/shb/pg3 DATABASE_URL=postgres://postgres@127.0.0.1:5432/shnor_country
    PYTHONPATH=src .venv/bin/python scripts/country_web_db.py
    shnor loadtest --reuse --sessions 100 --seconds 60

Each stage prints its wall time and the process's peak RSS; stages already done (the registry
loaded, a year's run stored, a list approved, roadmaps made) are skipped on a second start.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path


def say(msg: str, t0: float) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    took = time.perf_counter() - t0
    print(f"[{time.strftime('%H:%M:%S')}] {msg}: {took:.1f} s, peak {peak:,.0f} MB", flush=True)


def main() -> None:
    from shnor import console

    console.django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from shnor.web.identification import decisions
    from shnor.web.identification.membership import LISTS
    from shnor.web.identification.models import ListVersion, MethodologyRun
    from shnor.web.identification.services import methodology_run_create
    from shnor.web.registry.models import School
    from shnor.web.support.models import Roadmap
    from shnor.web.support.services.bulk import bulk_create, bulk_plan
    from shnor_bench.country import Plan, bulk_import, generate_cached, registry_load

    plan = Plan(size="country", years=3, pandas=False, duckdb=False)
    home = Path(os.environ["SHNOR_HOME"])
    t0 = time.perf_counter()
    folder, _ = generate_cached(plan, home / "bench" / "data")
    say(f"данные {folder}", t0)
    if not School.objects.exists():
        t0 = time.perf_counter()
        registry_load(folder)
        say("реестр", t0)
        t0 = time.perf_counter()
        bulk_import(folder)
        say("импорт трёх лет", t0)
    for year in plan.year_list:
        if MethodologyRun.objects.filter(year=year, status=MethodologyRun.DONE).exists():
            continue
        t0 = time.perf_counter()
        run, frames = methodology_run_create(year=year, label=f"страна {year}", keep_evidence=False)
        del frames
        say(f"расчёт {year} (№{run.pk})", t0)
    admin = get_user_model().objects.filter(is_superuser=True).first()
    if admin is None:
        admin = get_user_model().objects.create_superuser("country_admin", password=os.urandom(12).hex())
    for year in plan.year_list:
        for kind in LISTS:
            if decisions.version_approved(kind=kind, year=year) is not None:
                continue
            t0 = time.perf_counter()
            draft = decisions.version_draft(kind=kind, year=year) or decisions.draft_create(
                actor=admin, kind=kind, year=year
            )
            decisions.version_approve(
                actor=admin,
                version=draft,
                order_number=f"{year}-{kind}",
                order_date=dt.date(year, 12, 1),
                signatory="Министр образования",
            )
            say(f"список {kind} {year}: {draft.entries.count()} школ", t0)
    if not Roadmap.objects.filter(year=2025).exists():
        t0 = time.perf_counter()
        today = dt.date(2025, 1, 20)
        p = bulk_plan(actor=admin, year=2025, kind="low_results", today=today, list_year=2024)
        params = p.params()
        params["today"] = today.isoformat()
        res = bulk_create(actor=admin, plan_params=params, progress=lambda _m: None)
        made = {k: v for k, v in res.items() if not k.endswith("_ids")}  # (not the thousands of ids)
        say(f"дорожные карты: {made}", t0)
    print(
        f"ListVersion {ListVersion.objects.count()}, Roadmap {Roadmap.objects.count()}, "
        f"runs {MethodologyRun.objects.count()}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
