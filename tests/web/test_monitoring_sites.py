"""Website monitoring: crawls of local sites (127.0.0.1 only), history per site, missing documents."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse

from shnor.web.jobs.models import Job
from shnor.web.jobs.services import job_execute
from shnor.web.monitoring.models import MunicipalityWebsite, SiteCheck, SiteResult
from shnor.web.registry.models import School

ROLES = ["region", "municipality", "school", "teacher", "curator", "observer"]
PAGE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>"""


class Sites:
    """Two tiny sites on 127.0.0.1, a school (/school/…) and a municipality (/mun/…); pages may change."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, head: bool) -> None:
                if self.path == "/robots.txt":
                    ctype, body = "text/plain", b"User-agent: *\nAllow: /\n"
                elif self.path in sites.pages:
                    ctype, body = sites.pages[self.path]
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)

            def do_GET(self) -> None:
                self._serve(False)

            def do_HEAD(self) -> None:
                self._serve(True)

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def page(self, path: str, title: str, body: str) -> None:
        self.pages[path] = ("text/html; charset=utf-8", PAGE.format(title=title, body=body).encode())

    def pdf(self, path: str) -> None:
        self.pages[path] = ("application/pdf", b"%PDF-1.4 test")


@pytest.fixture
def sites(settings) -> Iterator[Sites]:
    settings.MONITORING_CRAWL = {"delay": 0.0, "timeout": 5.0, "max_pages": 10, "max_seconds": 20.0}
    s = Sites()
    s.page(
        "/school/",
        "МБОУ СОШ №1",
        '<a href="/school/docs/dk.pdf">Дорожная карта по работе со ШНОР на 2024 год</a>'
        '<a href="/school/docs/prikaz.pdf">Приказ о работе со ШНОР</a>',
    )
    s.pdf("/school/docs/dk.pdf")
    s.pdf("/school/docs/prikaz.pdf")
    s.page("/mun/", "Управление образования", '<a href="/mun/plan.pdf">План мероприятий на 2024 год</a>')
    s.pdf("/mun/plan.pdf")
    s.thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_check(client: Client, capture) -> SiteCheck:
    with capture(execute=True):
        resp = client.post(reverse("monitoring:sites"))
    assert resp.status_code == 302
    check = SiteCheck.objects.order_by("-pk").first()
    assert check is not None
    job = job_execute(job_id=check.job_id)
    assert job.status == Job.DONE, job.error
    assert job.kind == Job.SITE_CRAWL
    return check


def test_crawl_stores_history_and_highlights_missing_documents(
    world, sites, django_capture_on_commit_callbacks
) -> None:
    School.objects.filter(pk=world.school.pk).update(website=f"{sites.base}/school/")
    mun_client = login(world.users["municipality"])
    page = mun_client.post(
        reverse("monitoring:site_municipality", args=[world.mun.pk]), {"url": f"{sites.base}/mun/"}
    )
    assert page.status_code == 302
    assert MunicipalityWebsite.objects.get(municipality=world.mun).url == f"{sites.base}/mun/"
    region = login(world.users["region"])
    check = run_check(region, django_capture_on_commit_callbacks)
    assert len(check.targets) == 2
    found = dict(SiteResult.objects.filter(school=world.school).values_list("kind", "found"))
    assert found["roadmap"] is True
    assert found["order"] is True
    assert found["analysis"] is False
    assert SiteResult.objects.get(municipality=world.mun, kind="action_plan").found is True
    html = region.get(reverse("monitoring:site_school", args=["sch0001"])).content.decode()
    assert "Не найдены обязательные документы" in html
    assert "Анализ мероприятий / результатов" in html
    assert "dk.pdf" in html
    # the school publishes its analysis; the next check records the change, the history keeps both
    sites.page(
        "/school/",
        "МБОУ СОШ №1",
        '<a href="/school/docs/dk.pdf">Дорожная карта по работе со ШНОР</a>'
        '<a href="/school/docs/analiz.pdf">Анализ мероприятий дорожной карты</a>',
    )
    sites.pdf("/school/docs/analiz.pdf")
    run_check(region, django_capture_on_commit_callbacks)
    page = region.get(reverse("monitoring:site_school", args=["sch0001"]))
    history = page.context["history"]
    assert len(history["checks"]) == 2
    latest = {r.kind: r.found for r in history["latest"]}
    assert latest["analysis"] is True
    assert latest["order"] is False
    overview = region.get(reverse("monitoring:sites")).content.decode()
    assert "Приказ (распоряжение) о работе со ШНОР / ШНСУ" in overview
    # the indicator of published documents now has a denominator
    rows = {r["code"]: r for r in region.get(reverse("monitoring:indicators")).context["rows"]}
    assert rows["sites_documents"]["denominator"] == 1


@pytest.mark.parametrize("role", ROLES)
def test_site_pages_are_scoped(world, role) -> None:
    client = login(world.users[role])
    assert client.get(reverse("monitoring:sites")).status_code == 200
    schools = {
        "region": {"sch0001", "sch0002", "sch0003"},
        "observer": {"sch0001", "sch0002", "sch0003"},
        "municipality": {"sch0001", "sch0002"},
        "school": {"sch0001"},
        "teacher": {"sch0001"},
        "curator": {"sch0001", "sch0003"},
    }[role]
    for sid in ("sch0001", "sch0002", "sch0003", "sch0009"):
        assert client.get(reverse("monitoring:site_school", args=[sid])).status_code == (
            200 if sid in schools else 404
        ), (role, sid)
    muns = {
        "region": {"mun", "mun2"},
        "observer": {"mun", "mun2"},
        "municipality": {"mun"},
        "school": {"mun"},
        "teacher": {"mun"},
        "curator": {"mun", "mun2"},
    }[role]
    for name in ("mun", "mun2", "other_mun"):
        url = reverse("monitoring:site_municipality", args=[getattr(world, name).pk])
        assert client.get(url).status_code == (200 if name in muns else 404), (role, name)
    # setting a municipality website: region analysts and the municipality itself only
    url = reverse("monitoring:site_municipality", args=[world.mun.pk])
    status = client.post(url, {"url": "https://example.test/"}).status_code
    assert status == (302 if role in ("region", "municipality") else 403), role
    # starting a crawl: region analysts and municipality coordinators (nothing to crawl here -> message,
    # redirect back)
    status = client.post(reverse("monitoring:sites")).status_code
    assert status == (403 if role in ("school", "teacher", "curator", "observer") else 302), role


def test_crawl_refuses_nothing_to_check(world) -> None:
    page = login(world.users["region"]).post(reverse("monitoring:sites"), follow=True)
    assert "проверять нечего" in page.content.decode()
    assert not SiteCheck.objects.exists()
