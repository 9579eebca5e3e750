"""A polite website crawler that looks for the documents on ШНОР a site must publish (seed 003 §3.6).

Politeness rules, all enforced here (not left to the caller):

* only ``http``/``https``, only the start URL's host (``www.`` ignored), links elsewhere are not
  fetched;
* ``robots.txt`` is read first (``urllib.robotparser``) and obeyed for every request, including
  its ``Crawl-delay`` when longer than ours; an unreachable robots.txt (5xx, network error,
  timeout) means the site is not crawled; 401/403 mean "everything disallowed", other 4xx
  "everything allowed" (the convention of ``RobotFileParser.read``);
* a clear User-Agent, a timeout per request, a delay between requests to the same host,
  redirects followed one hop at a time through the same checks, limited depth, pages, bytes per
  response and seconds per site.

Standard library only (``urllib``). The result is a ``SiteReport``: pages visited, documents found
per kind (link URL, link text, page it was found on, time found, availability), errors in Russian.
"""

from __future__ import annotations

import re
import time
import urllib.error
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from shnor.core.monitoring.documents import DocumentRules, classify, default_rules, is_document_url
from shnor.core.monitoring.fetching import (
    LinkParser,
    Response,
    Session,
    clean_url,
    decode_body,
    error_of,
    host_of,
)

#: HTTP headers are Latin-1, so the User-Agent is ASCII: product, version and purpose.
DEFAULT_USER_AGENT = (
    "ShnorSiteMonitor/1.0 (+school website monitoring for required documents; polite, robots.txt)"
)

DOCUMENT_CONTENT_TYPES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument",
    "application/vnd.oasis.opendocument",
    "application/rtf",
    "application/vnd.ms-excel",
)


@dataclass(frozen=True)
class CrawlSettings:
    """Limits of one site crawl; the defaults are gentle on small school servers."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 10.0  # seconds per request (connect and each read)
    delay: float = 1.0  # seconds between requests to the same host (robots Crawl-delay wins if longer)
    max_depth: int = 2  # link depth from the start page (0 = the start page only)
    max_pages: int = 40  # HTML pages fetched per site
    max_document_checks: int = 60  # document links checked for availability (HEAD) per site
    max_bytes: int = 2_000_000  # bytes read per response (the rest is not downloaded)
    max_seconds: float = 300.0  # wall time per site
    max_redirects: int = 5
    check_documents: bool = True  # HEAD every found document link to see that it opens


@dataclass
class PageVisit:
    """One HTML page fetched."""

    url: str
    depth: int
    status: int
    title: str
    fetched_at: str


@dataclass
class FoundDocument:
    """One required document found: kind, where it is, where it was linked from and when."""

    kind: str
    label: str
    url: str
    link_text: str
    found_on: str
    found_at: str
    source: str  # "link" (a PDF/DOCX… link) | "page" (an HTML page whose title names the document)
    available: bool | None = None  # the link opens (None = not checked)
    status: int | None = None


@dataclass
class CrawlError:
    """A problem met while crawling (message in Russian)."""

    url: str
    kind: str  # timeout | http | network | robots | redirect | too_large | scheme | limit
    message: str
    status: int | None = None
    at: str = ""


@dataclass
class SiteReport:
    """What one crawl of one site found."""

    start_url: str
    host: str
    user_agent: str
    started_at: str
    finished_at: str = ""
    robots: str = ""
    pages: list[PageVisit] = field(default_factory=list)
    documents: list[FoundDocument] = field(default_factory=list)
    errors: list[CrawlError] = field(default_factory=list)
    skipped_by_robots: list[str] = field(default_factory=list)
    limits_hit: list[str] = field(default_factory=list)
    rules_version: str | None = None

    def documents_by_kind(self) -> dict[str, list[FoundDocument]]:
        """Found documents grouped by kind code."""
        out: dict[str, list[FoundDocument]] = {}
        for d in self.documents:
            out.setdefault(d.kind, []).append(d)
        return out

    def found_kinds(self, *, available_only: bool = False) -> list[str]:
        """Kind codes with at least one document (optionally only links that open)."""
        return sorted({d.kind for d in self.documents if not available_only or d.available is not False})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for storing with a monitoring run)."""
        return asdict(self)


def _now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Item(NamedTuple):
    """A queued page: its URL, link depth, the text of the link to it, the linking page's title,
    redirect hops."""

    url: str
    depth: int
    via_text: str
    parent_title: str
    hops: int


class _Crawl:
    """One crawl of one site: the session, the robots rules, the queue and the documents found so far."""

    def __init__(
        self,
        report: SiteReport,
        rules: DocumentRules,
        settings: CrawlSettings,
        session: Session,
        clock: Callable[[], float],
    ) -> None:
        self.report = report
        self.rules = rules
        self.st = settings
        self.session = session
        self.clock = clock
        self.started = clock()
        self.host = report.host
        self.rp = RobotFileParser()
        self.seen_docs: dict[tuple[str, str], FoundDocument] = {}
        self.doc_status: dict[str, tuple[bool | None, int | None]] = {}
        self.queue: deque[_Item] = deque()
        self.queued: set[str] = set()
        self.fetched = 0

    # --- robots.txt -----------------------------------------------------------------------------

    def read_robots(self, scheme: str, start_url: str) -> bool:
        """Read and obey robots.txt; False (with the error recorded) when the site must not be crawled."""
        report = self.report
        robots_url = f"{scheme}://{urlsplit(start_url).netloc}/robots.txt"
        self.rp = rp = RobotFileParser(robots_url)
        robots_text = ""
        try:
            r = self.session.request(robots_url)
            if r.status == 200:
                robots_text = decode_body(r.body, r.headers.get("content-type", ""))
                rp.parse(robots_text.splitlines())
                report.robots = "прочитан"
            elif r.status in (401, 403):
                rp.disallow_all = True  # type: ignore[attr-defined]  # set by read(); typeshed omits it
                report.robots = f"доступ запрещён ({r.status}): обход запрещён"
            elif 400 <= r.status < 500:
                rp.allow_all = True  # type: ignore[attr-defined]  # (as disallow_all)
                report.robots = f"нет файла ({r.status}): ограничений нет"
            else:
                report.robots = f"недоступен ({r.status}): обход не выполнялся"
                report.errors.append(
                    CrawlError(
                        robots_url, "robots", "robots.txt недоступен — сайт не обходился", r.status, _now()
                    )
                )
                return False
        except (urllib.error.URLError, OSError) as exc:
            _kind, msg = error_of(exc)
            report.robots = "недоступен: обход не выполнялся"
            report.errors.append(
                CrawlError(
                    robots_url, "robots", f"robots.txt недоступен ({msg}) — сайт не обходился", at=_now()
                )
            )
            return False
        self._apply_crawl_delay(robots_text)
        return True

    def _apply_crawl_delay(self, robots_text: str) -> None:
        """Slow down to the robots Crawl-delay when it is longer than ours (at most 60 s)."""
        # RobotFileParser reads whole seconds only; fractional values ("Crawl-delay: 0.5") are taken from
        # the text, the largest one in the file (the polite reading when groups differ).
        delays = [
            float(x) for x in re.findall(r"(?im)^\s*crawl-delay\s*:\s*([0-9]+(?:\.[0-9]+)?)", robots_text)
        ]
        parsed = self.rp.crawl_delay(self.st.user_agent)
        if parsed is not None:
            delays.append(float(parsed))
        if delays:
            self.session.delay = max(self.st.delay, min(max(delays), 60.0))

    # --- rules of the crawl ---------------------------------------------------------------------

    def allowed(self, url: str) -> bool:
        """robots.txt lets us fetch the URL."""
        return self.rp.can_fetch(self.st.user_agent, url)

    def same_site(self, url: str) -> bool:
        """An http(s) URL on the start URL's host."""
        return urlsplit(url).scheme.lower() in ("http", "https") and host_of(url) == self.host

    def _limit(self, name: str) -> None:
        """Note a limit hit (once)."""
        if name not in self.report.limits_hit:
            self.report.limits_hit.append(name)

    def out_of_time(self) -> bool:
        """The wall time per site is spent (noted as a limit hit)."""
        if self.clock() - self.started > self.st.max_seconds:
            self._limit("max_seconds")
            return True
        return False

    # --- documents ------------------------------------------------------------------------------

    def add_doc(self, kind: str, url: str, text: str, found_on: str, source: str) -> FoundDocument | None:
        """Record a document of a kind at a URL; None when that pair is already recorded."""
        if (kind, url) in self.seen_docs:
            return None
        d = FoundDocument(kind, self.rules.label(kind), url, text, found_on, _now(), source)
        self.seen_docs[(kind, url)] = d
        self.report.documents.append(d)
        return d

    def check_document(self, url: str) -> tuple[bool | None, int | None]:
        """Whether a document link opens and its status (None, None when not checked); once per URL."""
        if url in self.doc_status:
            return self.doc_status[url]
        if not self.st.check_documents or not self.allowed(url) or self.out_of_time():
            self.doc_status[url] = (None, None)
            return self.doc_status[url]
        if len(self.doc_status) >= self.st.max_document_checks:
            self._limit("max_document_checks")
            self.doc_status[url] = (None, None)
            return self.doc_status[url]
        result = self._probe_document(url)
        self.doc_status[url] = result
        return result

    def _probe_document(self, url: str) -> tuple[bool | None, int | None]:
        """HEAD (GET where HEAD is refused) a document link, following same-site redirects."""
        target = url
        result: tuple[bool | None, int | None] = (None, None)
        for _ in range(self.st.max_redirects + 1):
            try:
                r = self.session.request(target, "HEAD")
                if r.status in (405, 501):
                    r = self.session.request(target, "GET")
            except (urllib.error.URLError, OSError) as exc:
                kind, msg = error_of(exc)
                self.report.errors.append(CrawlError(url, kind, f"Документ не открылся: {msg}", at=_now()))
                result = (False, None)
                break
            if r.status in (301, 302, 303, 307, 308) and r.headers.get("location"):
                nxt = clean_url(urljoin(target, r.headers["location"]))
                if not self.same_site(nxt) or not self.allowed(nxt):
                    result = (None, r.status)
                    break
                target = nxt
                continue
            if r.status >= 400:
                self.report.errors.append(
                    CrawlError(
                        url, "http", f"Ссылка на документ не работает (код {r.status})", r.status, _now()
                    )
                )
                result = (False, r.status)
            else:
                result = (True, r.status)
            break
        return result

    # --- pages ----------------------------------------------------------------------------------

    def run(self, start_url: str) -> None:
        """Breadth-first over the site's pages from the start URL, within the limits."""
        self.queue.append(_Item(start_url, 0, "", "", 0))
        self.queued.add(clean_url(start_url))
        while self.queue:
            item = self.queue.popleft()
            if self.out_of_time():
                break
            if not self.allowed(item.url):
                self.report.skipped_by_robots.append(item.url)
                continue
            if self.fetched >= self.st.max_pages:
                self._limit("max_pages")
                break
            self.fetched += 1
            self.visit(item)

    def visit(self, item: _Item) -> None:
        """Fetch one page: follow a redirect, record a document served directly, or read an HTML page."""
        url = item.url
        try:
            r = self.session.request(url)
        except (urllib.error.URLError, OSError) as exc:
            kind, msg = error_of(exc)
            self.report.errors.append(CrawlError(url, kind, msg, at=_now()))
            return
        if r.status in (301, 302, 303, 307, 308):
            self._redirect(item, r)
            return
        if r.status >= 400:
            self.report.errors.append(
                CrawlError(url, "http", f"Страница не открылась (код {r.status})", r.status, _now())
            )
            return
        ctype = r.headers.get("content-type", "").lower()
        if r.truncated:
            self.report.errors.append(
                CrawlError(
                    url,
                    "too_large",
                    f"Ответ больше {self.st.max_bytes} байт: прочитано только начало",
                    r.status,
                    _now(),
                )
            )
        if any(ctype.startswith(t) for t in DOCUMENT_CONTENT_TYPES):
            for kind in classify(self.rules, link_text=item.via_text, url=url, context=item.parent_title):
                d = self.add_doc(kind, url, item.via_text, item.parent_title or url, "link")
                if d is not None:
                    d.available, d.status = True, r.status
            return
        if ctype and "html" not in ctype:
            return
        self._read_page(item, r, ctype)

    def _redirect(self, item: _Item, r: Response) -> None:
        """Queue a same-site redirect target first (one hop at a time); report the others."""
        url = item.url
        loc = r.headers.get("location")
        nxt = clean_url(urljoin(url, loc)) if loc else ""
        if not loc:
            self.report.errors.append(
                CrawlError(url, "redirect", "Перенаправление без адреса", r.status, _now())
            )
        elif not self.same_site(nxt):
            self.report.errors.append(
                CrawlError(
                    url,
                    "redirect",
                    f"Перенаправление на другой сайт не отслеживается: {nxt}",
                    r.status,
                    _now(),
                )
            )
        elif item.hops >= self.st.max_redirects:
            self.report.errors.append(
                CrawlError(url, "redirect", "Слишком много перенаправлений", r.status, _now())
            )
        elif nxt not in self.queued:
            self.queued.add(nxt)
            self.queue.appendleft(_Item(nxt, item.depth, item.via_text, item.parent_title, item.hops + 1))

    def _read_page(self, item: _Item, r: Response, ctype: str) -> None:
        """Record an HTML page, the document its title names, and the links on it."""
        url = item.url
        parser = LinkParser()
        try:
            parser.feed(decode_body(r.body, ctype))
            parser.close()
        except Exception as exc:  # malformed markup must not stop the crawl
            self.report.errors.append(
                CrawlError(url, "network", f"Страница не разобрана: {exc}", r.status, _now())
            )
        title = re.sub(r"\s+", " ", parser.title).strip()
        self.report.pages.append(PageVisit(url, item.depth, r.status, title, _now()))
        for kind in classify(self.rules, link_text=item.via_text, title=title, url=url):
            d = self.add_doc(kind, url, item.via_text or title, url, "page")
            if d is not None:
                d.available, d.status = True, r.status
        base = urljoin(url, parser.base) if parser.base else url
        for href, text, link_title in parser.links:
            self._follow_link(item, title, base, href, " ".join(t for t in (text, link_title) if t))

    def _follow_link(self, item: _Item, title: str, base: str, href: str, own: str) -> None:
        """A same-site link: a document link is classified and checked, a page link queued within depth."""
        if href.strip().lower().startswith(("mailto:", "javascript:", "tel:", "#")):
            return
        target = clean_url(urljoin(base, href.strip()))
        if not self.same_site(target):
            return
        if is_document_url(target, self.rules):
            kinds = classify(self.rules, link_text=own, url=target, context=title)
            for kind in kinds:
                d = self.add_doc(kind, target, own, item.url, "link")
                if d is not None:
                    d.available, d.status = self.check_document(target)
            return
        depth = item.depth
        if depth + 1 > self.st.max_depth or target in self.queued:
            if (
                depth + 1 > self.st.max_depth
                and "max_depth" not in self.report.limits_hit
                and target not in self.queued
            ):
                self.report.limits_hit.append("max_depth")
            return
        self.queued.add(target)
        self.queue.append(_Item(target, depth + 1, own, title, 0))


def crawl_site(
    start_url: str,
    *,
    rules: DocumentRules | None = None,
    settings: CrawlSettings | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SiteReport:
    """Crawl one site from ``start_url`` and report the required documents found on it."""
    rules = rules or default_rules()
    st = settings or CrawlSettings()
    report = SiteReport(start_url, host_of(start_url), st.user_agent, _now(), rules_version=rules.version)
    scheme = urlsplit(start_url).scheme.lower()
    if scheme not in ("http", "https") or not urlsplit(start_url).hostname:
        report.errors.append(
            CrawlError(start_url, "scheme", "Адрес сайта должен начинаться с http:// или https://", at=_now())
        )
        report.finished_at = _now()
        return report
    crawl = _Crawl(report, rules, st, Session(st, sleep, clock), clock)
    if crawl.read_robots(scheme, start_url):
        crawl.run(clean_url(start_url))
    report.finished_at = _now()
    return report


def crawl_sites(
    urls: Iterable[str],
    *,
    rules: DocumentRules | None = None,
    settings: CrawlSettings | None = None,
    progress: Callable[[int, SiteReport], None] | None = None,
) -> list[SiteReport]:
    """Crawl several sites one after another (``progress(i, report)`` after each)."""
    rules = rules or default_rules()
    out = []
    for i, url in enumerate(urls):
        rep = crawl_site(url, rules=rules, settings=settings)
        out.append(rep)
        if progress is not None:
            progress(i, rep)
    return out


def summary_rows(reports: Sequence[SiteReport], rules: DocumentRules | None = None) -> list[dict[str, Any]]:
    """One row per site × kind: ``start_url, host, kind, label, found, n_documents, urls,
    n_available, first_found_at, checked_at, pages_visited, n_errors`` (plain dicts for storage).
    """
    rules = rules or default_rules()
    rows = []
    for rep in reports:
        by = rep.documents_by_kind()
        for k in rules.kinds:
            docs = by.get(k.code, [])
            rows.append(
                {
                    "start_url": rep.start_url,
                    "host": rep.host,
                    "kind": k.code,
                    "label": k.label,
                    "found": bool(docs),
                    "n_documents": len(docs),
                    "urls": [d.url for d in docs],
                    "n_available": sum(d.available is True for d in docs),
                    "first_found_at": min((d.found_at for d in docs), default=None),
                    "checked_at": rep.finished_at,
                    "pages_visited": len(rep.pages),
                    "n_errors": len(rep.errors),
                }
            )
    return rows


__all__ = [
    "DEFAULT_USER_AGENT",
    "CrawlError",
    "CrawlSettings",
    "FoundDocument",
    "PageVisit",
    "SiteReport",
    "crawl_site",
    "crawl_sites",
    "summary_rows",
]
