"""Reports as background jobs: a first render against the kept file, on a demo region.

    SHNOR_HOME=/tmp/demo .venv/bin/shnor demo --size region
    SHNOR_HOME=/tmp/demo DJANGO_SETTINGS_MODULE=shnor.web.settings .venv/bin/python -W ignore \
        scripts/report_jobs_bench.py [--dossiers]

For each exporter of the reports page (the region, or the first municipality for the municipality's
summary; the latest year): a forced job of ``demo_region`` started and executed as the worker does
(``report_start`` + ``job_execute``, the render's own seconds from the job's result), the same request
again (it returns the finished job), and the same report for ``demo_observer`` (a new job served from
the kept file), each timed with ``time.perf_counter``; and the data version alone. It adds jobs and kept
files to that SHNOR_HOME. ``--dossiers``: instead, the dossiers (DOCX, PDF) of the first four
objectivity cases (opened from the 2024 run if there are none): the first request through its job, then
the same request answered from the kept file.
"""

from __future__ import annotations

import sys
import time

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from shnor.web.jobs.services import job_execute  # noqa: E402
from shnor.web.monitoring import report_jobs as rj  # noqa: E402
from shnor.web.monitoring import reports as rep  # noqa: E402
from shnor.web.monitoring import selectors as sel  # noqa: E402


def main() -> None:
    """Time every exporter's first render, its reuse by the same user and by another of the same scope."""
    users = get_user_model().objects
    region_user, observer = users.get(username="demo_region"), users.get(username="demo_observer")
    year = sel.indicator_years()[-1]
    units = rep.report_units(user=region_user)
    region = next(u for u in units if u.level == "region")
    mun = next(u for u in units if u.level == "municipality")
    print(f"year {year}; {region.label}; {mun.label}")
    cases = [
        ("annual_report", region, "docx"),
        ("annual_report", region, "pdf"),
        ("fioko_list", region, "docx"),
        ("municipality_summary", mun, "docx"),
        ("protocol_draft", region, "docx"),
    ]
    for ident, unit, fmt in cases:
        t = time.perf_counter()
        rj.data_version(identifier=ident)
        version = time.perf_counter() - t
        t = time.perf_counter()
        job, _ = rj.report_start(
            user=region_user, identifier=ident, unit=unit, year=year, fmt=fmt, force=True
        )
        done = job_execute(job_id=job.pk)
        first = time.perf_counter() - t
        assert done.result.get("rendered"), done.error
        t = time.perf_counter()
        again, existing = rj.report_start(user=region_user, identifier=ident, unit=unit, year=year, fmt=fmt)
        same = time.perf_counter() - t
        assert existing
        assert again.pk == job.pk
        t = time.perf_counter()
        theirs, _ = rj.report_start(user=observer, identifier=ident, unit=unit, year=year, fmt=fmt)
        kept = job_execute(job_id=theirs.pk)
        other = time.perf_counter() - t
        assert kept.result.get("rendered") is False
        print(
            f"{ident:21s} {fmt:4s} first {first:5.2f} s (render {done.result['seconds']:.2f} s) | "
            f"same user again {same * 1000:4.0f} ms | other user, kept file {other * 1000:4.0f} ms | "
            f"data version {version * 1000:3.0f} ms | {done.result['size']:,} B"
        )


def dossiers() -> None:
    """Time each dossier's first request (a job executed as the worker does) and the kept file's."""
    from django.test import RequestFactory
    from django.urls import resolve

    from shnor.web.cases import services as cases
    from shnor.web.cases.dossier_job import dossier_response
    from shnor.web.cases.models import ObjectivityCase

    user = get_user_model().objects.get(username="demo_region")
    if not ObjectivityCase.objects.exists():
        cases.cases_open(actor=user, year=2024, run=sel.runs_by_year()[2024])
    request = RequestFactory().get("/")
    request.user = user
    for case in ObjectivityCase.objects.order_by("pk")[:4]:
        for fmt in ("docx", "pdf"):
            t = time.perf_counter()
            answer = dossier_response(request, case=case, fmt=fmt)
            rendered = answer.status_code == 302
            if rendered:
                job_execute(job_id=resolve(answer["Location"]).kwargs["job"])
            first = time.perf_counter() - t
            t = time.perf_counter()
            assert dossier_response(request, case=case, fmt=fmt).status_code == 200
            kept = time.perf_counter() - t
            how = "job" if rendered else "kept already"
            print(f"case {case.pk} {fmt:4s} first ({how}) {first:5.2f} s | kept file {kept * 1000:3.0f} ms")


if __name__ == "__main__":
    dossiers() if "--dossiers" in sys.argv else main()
