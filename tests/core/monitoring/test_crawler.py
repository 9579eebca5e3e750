"""The polite crawler against local sites served on 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shnor.core.monitoring import crawler, documents
from shnor.core.monitoring.crawler import CrawlSettings, crawl_site

PAGES: dict[str, tuple[int, str, bytes]] = {}


def html(title: str, body: str, charset: str = "utf-8") -> bytes:
    return (
        f'<html><head><meta charset="{charset}"><title>{title}</title></head><body>{body}</body></html>'
    ).encode(charset)


class Site:
    """A tiny school website with every case the crawler must handle."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, str, str]] = []  # (time, method, path, user agent)
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, head: bool) -> None:
                with site.lock:
                    site.log.append(
                        (time.monotonic(), self.command, self.path, self.headers.get("User-Agent", ""))
                    )
                path = self.path
                if path == "/slow.html":
                    time.sleep(1.0)
                if path == "/old/":
                    self.send_response(301)
                    self.send_header("Location", "/new/")
                    self.end_headers()
                    return
                if path == "/away/":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{site.other_port}/")
                    self.end_headers()
                    return
                if path not in site.pages:
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    if not head:
                        self.wfile.write(b"not found")
                    return
                status, ctype, body = site.pages[path]
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    # the crawler may have given up already (timeout)
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
        self.port = self.server.server_address[1]
        self.other_port = 0
        self.url = f"http://127.0.0.1:{self.port}/"
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def paths(self, method: str = "GET") -> list[str]:
        return [p for _, m, p, _ in self.log if m == method]


H = "text/html; charset=utf-8"
PDF = "application/pdf"


def build(site: Site, other: Site) -> None:
    other_url = other.url
    site.other_port = other.port
    site.pages = {
        "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
        "/": (
            200,
            H,
            html(
                "МБОУ СОШ №1",
                '<a href="/shnor/">Школа с низкими результатами</a>'
                '<a href="/private/secret.html">Закрытый раздел</a>'
                '<a href="/slow.html">Медленная страница</a>'
                '<a href="/old/">Старый раздел</a>'
                '<a href="/missing.html">Битая ссылка</a>'
                '<a href="/deep/1.html">Глубже</a>'
                '<a href="/away/">Уходит на другой сайт</a>'
                f'<a href="{other_url}dk.pdf">Дорожная карта на чужом сайте</a>'
                '<a href="mailto:school@example.invalid">Почта</a>'
                '<a href="/cp1251.html">Документы</a>'
                '<a href="/рекомендации.html">Рекомендации</a>',
            ),
        ),
        "/shnor/": (
            200,
            H,
            html(
                "Школы с низкими образовательными результатами (ШНОР)",
                '<a href="/docs/prikaz112.pdf">Приказ от 01.02.2021 № 112</a>'
                '<a href="/docs/%D0%B4%D0%BE%D1%80%D0%BE%D0%B6%D0%BD%D0%B0%D1%8F_'
                '%D0%BA%D0%B0%D1%80%D1%82%D0%B0.docx">'
                "Скачать (DOCX)</a>"
                '<a href="/docs/analiz.pdf" title="Анализ мероприятий дорожной карты">Анализ</a>'
                '<a href="/docs/plan.docx">План мероприятий на 2024 год</a>'
                '<a href="/docs/photo.pdf">Фотоотчёт</a>'
                '<a href="/shnor/#top">Наверх</a>',
            ),
        ),
        "/docs/prikaz112.pdf": (200, PDF, b"%PDF-1.4"),
        "/docs/%D0%B4%D0%BE%D1%80%D0%BE%D0%B6%D0%BD%D0%B0%D1%8F_%D0%BA%D0%B0%D1%80%D1%82%D0%B0.docx": (
            200,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"PK",
        ),
        "/docs/analiz.pdf": (200, PDF, b"%PDF-1.4"),
        "/docs/photo.pdf": (200, PDF, b"%PDF-1.4"),
        # /docs/plan.docx is missing: a broken document link
        "/private/secret.html": (
            200,
            H,
            html("Секрет", '<a href="/private/dk.pdf">Дорожная карта (скрытая)</a>'),
        ),
        "/slow.html": (200, H, html("Медленно", '<a href="/docs/slowplan.pdf">План мероприятий</a>')),
        "/new/": (
            200,
            H,
            html(
                "Новый раздел", '<a href="/files/programma.pdf">Программа повышения качества образования</a>'
            ),
        ),
        "/files/programma.pdf": (200, PDF, b"%PDF"),
        "/deep/1.html": (200, H, html("Уровень 1", '<a href="/deep/2.html">дальше</a>')),
        "/deep/2.html": (200, H, html("Уровень 2", '<a href="/deep/3.html">дальше</a>')),
        "/deep/3.html": (200, H, html("Дорожная карта", '<a href="/deep/dk.pdf">Дорожная карта</a>')),
        "/deep/dk.pdf": (200, PDF, b"%PDF"),
        "/cp1251.html": (
            200,
            "text/html",
            html(
                "Документы",
                '<a href="/docs/rec.pdf">Адресные рекомендации школам</a>',
                charset="windows-1251",
            ),
        ),
        "/docs/rec.pdf": (200, PDF, b"%PDF"),
        "/%D1%80%D0%B5%D0%BA%D0%BE%D0%BC%D0%B5%D0%BD%D0%B4%D0%B0%D1%86%D0%B8%D0%B8.html": (
            200,
            H,
            html("Методические рекомендации", ""),
        ),
    }
    other.pages = {
        "/robots.txt": (200, "text/plain", b""),
        "/": (200, H, html("Чужой", "")),
        "/dk.pdf": (200, PDF, b"x"),
    }


@pytest.fixture(scope="module")
def crawled() -> Iterator[tuple[crawler.SiteReport, Site, Site]]:
    with Site() as site, Site() as other:
        build(site, other)
        settings = CrawlSettings(
            timeout=0.4, delay=0.05, max_depth=2, max_pages=30, user_agent="ShnorTestBot/1.0 (+test)"
        )
        report = crawl_site(site.url, settings=settings)
        yield report, site, other


def test_documents_found_per_kind(crawled):
    report, site, _ = crawled
    by = report.documents_by_kind()
    urls = {k: [d.url for d in v] for k, v in by.items()}
    assert urls["order"] == [site.url + "docs/prikaz112.pdf"]  # «ШНОР» from the page title
    assert any(u.endswith(".docx") for u in urls["roadmap"])  # «дорожная карта» from the URL
    assert site.url + "docs/analiz.pdf" in urls["analysis"]  # from the title attribute
    assert urls["action_plan"] == [site.url + "docs/plan.docx"]
    assert urls["programme"] == [site.url + "files/programma.pdf"]  # behind the redirect
    assert urls["recommendations"][0] == site.url + "docs/rec.pdf"  # windows-1251 page
    assert all("photo" not in d.url for d in report.documents)
    plan = by["action_plan"][0]
    assert plan.available is False
    assert plan.status == 404
    assert by["order"][0].available is True
    assert by["order"][0].found_on == site.url + "shnor/"
    assert by["order"][0].found_at
    assert "mentors" not in report.found_kinds()


def test_robots_respected(crawled):
    report, site, _ = crawled
    assert site.url + "private/secret.html" in report.skipped_by_robots
    assert not [p for p in site.paths() + site.paths("HEAD") if p.startswith("/private/")]
    assert site.paths()[0] == "/robots.txt"
    assert "roadmap" in report.found_kinds()
    assert all("private" not in d.url for d in report.documents)


def test_timeout_broken_link_redirect_and_depth(crawled):
    report, site, other = crawled
    errors = {(e.url.removeprefix(site.url), e.kind) for e in report.errors}
    assert ("slow.html", "timeout") in errors
    assert ("missing.html", "http") in errors
    assert ("away/", "redirect") in errors
    assert ("docs/plan.docx", "http") in errors
    assert "/new/" in site.paths()
    visited = {p.url.removeprefix(site.url) for p in report.pages}
    assert {"", "shnor/", "new/", "deep/1.html", "deep/2.html", "cp1251.html"} <= visited
    # a Cyrillic link is percent-encoded and its page (titled as a document) counts
    assert any(d.source == "page" and d.kind == "recommendations" for d in report.documents)
    assert "deep/3.html" not in visited  # depth 3 > max_depth 2
    assert "/deep/3.html" not in site.paths()
    assert "max_depth" in report.limits_hit
    assert all(p.depth <= 2 for p in report.pages)
    # other hosts are never contacted (a link to it and a redirect to it were both seen)
    assert other.log == []


def test_polite_delay_and_user_agent(crawled):
    _, site, _ = crawled
    times = [t for t, *_ in site.log]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # the slow page's handler kept sleeping after the crawler gave up, so gaps are measured on arrival
    assert min(gaps) >= 0.045
    assert {ua for *_, ua in site.log} == {"ShnorTestBot/1.0 (+test)"}


def test_page_limit_and_summary():
    with Site() as site, Site() as other:
        build(site, other)
        rep = crawl_site(
            site.url, settings=CrawlSettings(timeout=0.4, delay=0.0, max_pages=2, check_documents=False)
        )
        assert len(rep.pages) <= 2
        assert "max_pages" in rep.limits_hit
        assert site.paths("HEAD") == []
        rows = crawler.summary_rows([rep])
        assert {r["kind"] for r in rows} == {k.code for k in documents.default_rules().kinds}
        assert all(r["n_available"] == 0 for r in rows)


def test_robots_disallow_all_and_bad_scheme():
    with Site() as site:
        site.pages = {
            "/robots.txt": (200, "text/plain", b"User-agent: ShnorTestBot\nDisallow: /\n"),
            "/": (200, H, html("x", "")),
        }
        rep = crawl_site(
            site.url, settings=CrawlSettings(timeout=0.4, delay=0.0, user_agent="ShnorTestBot/1.0")
        )
        assert rep.pages == []
        assert rep.skipped_by_robots == [site.url]
        assert site.paths() == ["/robots.txt"]
    rep = crawl_site("ftp://127.0.0.1/", settings=CrawlSettings(timeout=0.4))
    assert rep.errors[0].kind == "scheme"
    assert rep.pages == []


def test_robots_crawl_delay_and_missing_robots():
    with Site() as site:
        site.pages = {
            "/robots.txt": (200, "text/plain", b"User-agent: *\nCrawl-delay: 0.2\n"),
            "/": (200, H, html("x", '<a href="/a.html">a</a>')),
            "/a.html": (200, H, html("a", "")),
        }
        crawl_site(site.url, settings=CrawlSettings(timeout=0.4, delay=0.0))
        times = [t for t, *_ in site.log]
        assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.19
    with Site() as site:
        site.pages = {"/": (200, H, html("Дорожная карта ШНОР", ""))}  # no robots.txt: 404 = allowed
        rep = crawl_site(site.url, settings=CrawlSettings(timeout=0.4, delay=0.0))
        assert rep.robots.startswith("нет файла")
        assert [d.source for d in rep.documents] == ["page"]
        assert rep.documents[0].kind == "roadmap"
