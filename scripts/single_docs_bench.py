"""Single documents downloaded inside the request: how long each takes, on a demo region.

    SHNOR_HOME=/tmp/demo .venv/bin/shnor demo --size region
    SHNOR_HOME=/tmp/demo DJANGO_SETTINGS_MODULE=shnor.web.settings .venv/bin/python -W ignore \
        scripts/single_docs_bench.py [--repeat 3] [--user demo_region]

Every download that renders its file in the request rather than in a background job (the reports
page's exporters, the deficit PDF and the case dossier are jobs: ``scripts/report_jobs_bench.py``):
each list's XLSX, the order approving the lists, a roadmap's DOCX/XLSX and its order, a council's
protocol, a report's combined DOCX, an evaluation's conclusion, the practices' and resources'
registers. Each through Django's test client as ``--user`` (the region analyst by default), ``--repeat``
times, wall time by ``time.perf_counter``; the size of the file. A document with nothing to download
on the database (no roadmap, no meeting, …) is reported as such. The first request of each includes
what the page caches (a list's rows, per scope and run, for five minutes). A list above
``list_export_job.DIRECT_ROWS`` schools answers with its job: the job is executed here as the worker
would, and the time is the request, the job and the download of the kept file together.
"""

from __future__ import annotations

import argparse
import time

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from shnor.web.councils.models import Meeting  # noqa: E402
from shnor.web.evaluation.models import Evaluation  # noqa: E402
from shnor.web.identification.list_export_job import LIST_EXPORT_KIND  # noqa: E402
from shnor.web.identification.models import ListVersion, MethodologyRun  # noqa: E402
from shnor.web.jobs.models import Job  # noqa: E402
from shnor.web.jobs.services import job_execute  # noqa: E402
from shnor.web.submissions.models import Submission  # noqa: E402
from shnor.web.support.models import Roadmap  # noqa: E402


def _url(name: str, pk: int | None, *more: str) -> str | None:
    """The URL of ``name`` for the object ``pk``; None when the database has no such object."""
    return reverse(name, args=[pk, *more]) if pk else None


def _documents() -> list[tuple[str, str | None]]:
    """(what, URL or None when the database has nothing of that kind)."""
    docs: list[tuple[str, str | None]] = []
    for kind, label in (
        ("low_results", "список ШНОР, XLSX"),
        ("social_risk", "список ШНСУ, XLSX"),
        ("objectivity", "список необъективности, XLSX"),
        ("fioko", "список ФИОКО, XLSX"),
    ):
        docs.append((label, reverse("identification:export", args=[kind])))
    year = (
        ListVersion.objects.order_by("-year").values_list("year", flat=True).first()
        or MethodologyRun.objects.order_by("-year").values_list("year", flat=True).first()
    )
    docs.append(
        ("приказ об утверждении списков, DOCX", reverse("identification:decision_order", args=[year]))
        if year
        else ("приказ об утверждении списков, DOCX", None)
    )
    by_size = Roadmap.objects.annotate(n=Count("activities")).order_by("-n", "pk")
    rm = by_size.values_list("pk", flat=True).first()
    for fmt in ("docx", "xlsx"):
        docs.append((f"дорожная карта, {fmt.upper()}", _url("support:roadmap_export", rm, fmt)))
    docs.append(("приказ о дорожной карте, DOCX", _url("support:roadmap_order", rm)))
    meeting = Meeting.objects.order_by("pk").values_list("pk", flat=True).first()
    docs.append(("протокол заседания, DOCX", _url("councils:protocol", meeting)))
    sub = Submission.objects.order_by("pk").values_list("pk", flat=True).first()
    docs.append(("сводный отчёт школы, DOCX", _url("submissions:combined", sub)))
    ev = Evaluation.objects.order_by("pk").values_list("pk", flat=True).first()
    for fmt in ("xlsx", "docx"):
        docs.append((f"заключение об эффективности, {fmt.upper()}", _url("evaluation:export", ev, fmt)))
    docs.append(("реестр практик, XLSX", reverse("practices:export")))
    docs.append(("реестр ресурсов, XLSX", reverse("resources:export")))
    docs.append(("кадры и диагностика, XLSX", reverse("diagnostics:people_export")))
    return docs


def main() -> None:
    """Time each single document ``--repeat`` times for ``--user``."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--user", default="demo_region")
    args = ap.parse_args()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=args.user))
    for what, url in _documents():
        if url is None:
            print(f"{what:40s} нет на этой базе")
            continue
        times, size, status, job_note = [], 0, 0, ""
        for _ in range(args.repeat):
            t = time.perf_counter()
            resp = client.get(url)
            if resp.status_code == 302 and "/export/" in resp["Location"]:  # a large list: its job
                job = Job.objects.filter(kind=LIST_EXPORT_KIND).latest("pk")
                done = job_execute(job_id=job.pk)
                job_note = f" (задача: {done.result.get('rows')} школ, файл записан за "
                job_note += f"{time.perf_counter() - t:.2f} с с запросом)"
                resp = client.get(url)
            body = b"".join(resp.streaming_content) if resp.streaming else resp.content
            times.append(time.perf_counter() - t)
            size, status = len(body), resp.status_code
        ms = " / ".join(f"{x * 1000:,.0f}" for x in times)
        print(f"{what:40s} {status} {ms} ms  {size:,} B{job_note}")


if __name__ == "__main__":
    main()
