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
import socket
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urldefrag, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from shnor.core.monitoring.documents import DocumentRules, classify, default_rules, is_document_url

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
    return datetime.now(UTC).isoformat(timespec="seconds")


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if port is None or port == default else f"{host}:{port}"


def _clean(url: str) -> str:
    """Without the fragment, non-ASCII characters percent-encoded (Cyrillic links are common)."""
    url = urldefrag(url)[0]
    if url.isascii():
        return url
    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except UnicodeError:
        host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    safe = "/%:@!$&'()*+,;=-._~"
    return urlunsplit(
        (parts.scheme, netloc, quote(parts.path, safe=safe), quote(parts.query, safe=safe + "?"), "")
    )


class _Links(HTMLParser):
    """Title and links (href, text, title attribute) of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.base: str | None = None
        self.links: list[tuple[str, str, str]] = []
        self._in_title = False
        self._a: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"]
        elif tag == "a" and a.get("href"):
            self._a = [a["href"], [], a.get("title", "")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "a" and self._a is not None:
            href, parts, title = self._a
            self.links.append((href, re.sub(r"\s+", " ", "".join(parts)).strip(), title))
            self._a = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._a is not None:
            self._a[1].append(data)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are returned to the crawler, which checks and follows them itself."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool


def _decode(body: bytes, content_type: str) -> str:
    m = re.search(r"charset=([\w-]+)", content_type, re.I)
    enc = m.group(1) if m else None
    if enc is None:
        m2 = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", body[:4096], re.I)
        enc = m2.group(1).decode("ascii") if m2 else None
    for candidate in [enc, "utf-8", "cp1251"]:
        if not candidate:
            continue
        try:
            return body.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace")


class _Session:
    """Requests to one host with the politeness delay, the timeout and the byte limit."""

    def __init__(
        self, settings: CrawlSettings, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self.settings = settings
        self.delay = settings.delay
        self.sleep = sleep
        self.clock = clock
        self.last: float | None = None
        self.opener = urllib.request.build_opener(_NoRedirect())

    def request(self, url: str, method: str = "GET") -> _Response:
        if self.last is not None:
            wait = self.delay - (self.clock() - self.last)
            if wait > 0:
                self.sleep(wait)
        req = urllib.request.Request(url, method=method, headers={"User-Agent": self.settings.user_agent})
        try:
            with self.opener.open(req, timeout=self.settings.timeout) as resp:
                body = resp.read(self.settings.max_bytes + 1) if method == "GET" else b""
                return _Response(
                    resp.status,
                    {k.lower(): v for k, v in resp.headers.items()},
                    body[: self.settings.max_bytes],
                    len(body) > self.settings.max_bytes,
                )
        except urllib.error.HTTPError as exc:
            headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
            exc.close()
            return _Response(exc.code, headers, b"", False)
        finally:
            self.last = self.clock()


def _error_of(exc: BaseException) -> tuple[str, str]:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timeout", "Сайт не ответил за отведённое время"
    return "network", f"Ошибка соединения: {reason}"


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
    report = SiteReport(start_url, _host(start_url), st.user_agent, _now(), rules_version=rules.version)
    scheme = urlsplit(start_url).scheme.lower()
    if scheme not in ("http", "https") or not urlsplit(start_url).hostname:
        report.errors.append(
            CrawlError(start_url, "scheme", "Адрес сайта должен начинаться с http:// или https://", at=_now())
        )
        report.finished_at = _now()
        return report
    session = _Session(st, sleep, clock)
    started = clock()
    host = report.host

    # robots.txt
    robots_url = f"{scheme}://{urlsplit(start_url).netloc}/robots.txt"
    rp = RobotFileParser(robots_url)
    robots_text = ""
    try:
        r = session.request(robots_url)
        if r.status == 200:
            robots_text = _decode(r.body, r.headers.get("content-type", ""))
            rp.parse(robots_text.splitlines())
            report.robots = "прочитан"
        elif r.status in (401, 403):
            rp.disallow_all = True
            report.robots = f"доступ запрещён ({r.status}): обход запрещён"
        elif 400 <= r.status < 500:
            rp.allow_all = True
            report.robots = f"нет файла ({r.status}): ограничений нет"
        else:
            report.robots = f"недоступен ({r.status}): обход не выполнялся"
            report.errors.append(
                CrawlError(
                    robots_url, "robots", "robots.txt недоступен — сайт не обходился", r.status, _now()
                )
            )
            report.finished_at = _now()
            return report
    except (urllib.error.URLError, OSError) as exc:
        kind, msg = _error_of(exc)
        report.robots = "недоступен: обход не выполнялся"
        report.errors.append(
            CrawlError(robots_url, "robots", f"robots.txt недоступен ({msg}) — сайт не обходился", at=_now())
        )
        report.finished_at = _now()
        return report
    # RobotFileParser reads whole seconds only; fractional values ("Crawl-delay: 0.5") are taken from
    # the text, the largest one in the file (the polite reading when groups differ).
    delays = [float(x) for x in re.findall(r"(?im)^\s*crawl-delay\s*:\s*([0-9]+(?:\.[0-9]+)?)", robots_text)]
    parsed = rp.crawl_delay(st.user_agent)
    if parsed is not None:
        delays.append(float(parsed))
    if delays:
        session.delay = max(st.delay, min(max(delays), 60.0))

    def allowed(url: str) -> bool:
        return rp.can_fetch(st.user_agent, url)

    def same_site(url: str) -> bool:
        return urlsplit(url).scheme.lower() in ("http", "https") and _host(url) == host

    def out_of_time() -> bool:
        if clock() - started > st.max_seconds:
            if "max_seconds" not in report.limits_hit:
                report.limits_hit.append("max_seconds")
            return True
        return False

    seen_docs: dict[tuple[str, str], FoundDocument] = {}
    doc_status: dict[str, tuple[bool | None, int | None]] = {}

    def add_doc(kind: str, url: str, text: str, found_on: str, source: str) -> FoundDocument | None:
        if (kind, url) in seen_docs:
            return None
        d = FoundDocument(kind, rules.label(kind), url, text, found_on, _now(), source)
        seen_docs[(kind, url)] = d
        report.documents.append(d)
        return d

    def check_document(url: str) -> tuple[bool | None, int | None]:
        if url in doc_status:
            return doc_status[url]
        if not st.check_documents or not allowed(url) or out_of_time():
            doc_status[url] = (None, None)
            return doc_status[url]
        if len(doc_status) >= st.max_document_checks:
            if "max_document_checks" not in report.limits_hit:
                report.limits_hit.append("max_document_checks")
            doc_status[url] = (None, None)
            return doc_status[url]
        target = url
        result: tuple[bool | None, int | None] = (None, None)
        for _ in range(st.max_redirects + 1):
            try:
                r = session.request(target, "HEAD")
                if r.status in (405, 501):
                    r = session.request(target, "GET")
            except (urllib.error.URLError, OSError) as exc:
                kind, msg = _error_of(exc)
                report.errors.append(CrawlError(url, kind, f"Документ не открылся: {msg}", at=_now()))
                result = (False, None)
                break
            if r.status in (301, 302, 303, 307, 308) and r.headers.get("location"):
                nxt = _clean(urljoin(target, r.headers["location"]))
                if not same_site(nxt) or not allowed(nxt):
                    result = (None, r.status)
                    break
                target = nxt
                continue
            if r.status >= 400:
                report.errors.append(
                    CrawlError(
                        url, "http", f"Ссылка на документ не работает (код {r.status})", r.status, _now()
                    )
                )
                result = (False, r.status)
            else:
                result = (True, r.status)
            break
        doc_status[url] = result
        return result

    start_url = _clean(start_url)
    queue: deque[tuple[str, int, str, str, int]] = deque([(start_url, 0, "", "", 0)])
    queued = {_clean(start_url)}
    fetched = 0
    while queue:
        url, depth, via_text, parent_title, hops = queue.popleft()
        if out_of_time():
            break
        if not allowed(url):
            report.skipped_by_robots.append(url)
            continue
        if fetched >= st.max_pages:
            if "max_pages" not in report.limits_hit:
                report.limits_hit.append("max_pages")
            break
        fetched += 1
        try:
            r = session.request(url)
        except (urllib.error.URLError, OSError) as exc:
            kind, msg = _error_of(exc)
            report.errors.append(CrawlError(url, kind, msg, at=_now()))
            continue
        if r.status in (301, 302, 303, 307, 308):
            loc = r.headers.get("location")
            nxt = _clean(urljoin(url, loc)) if loc else ""
            if not loc:
                report.errors.append(
                    CrawlError(url, "redirect", "Перенаправление без адреса", r.status, _now())
                )
            elif not same_site(nxt):
                report.errors.append(
                    CrawlError(
                        url,
                        "redirect",
                        f"Перенаправление на другой сайт не отслеживается: {nxt}",
                        r.status,
                        _now(),
                    )
                )
            elif hops >= st.max_redirects:
                report.errors.append(
                    CrawlError(url, "redirect", "Слишком много перенаправлений", r.status, _now())
                )
            elif nxt not in queued:
                queued.add(nxt)
                queue.appendleft((nxt, depth, via_text, parent_title, hops + 1))
            continue
        if r.status >= 400:
            report.errors.append(
                CrawlError(url, "http", f"Страница не открылась (код {r.status})", r.status, _now())
            )
            continue
        ctype = r.headers.get("content-type", "").lower()
        if r.truncated:
            report.errors.append(
                CrawlError(
                    url,
                    "too_large",
                    f"Ответ больше {st.max_bytes} байт: прочитано только начало",
                    r.status,
                    _now(),
                )
            )
        if any(ctype.startswith(t) for t in DOCUMENT_CONTENT_TYPES):
            for kind in classify(rules, link_text=via_text, url=url, context=parent_title):
                d = add_doc(kind, url, via_text, parent_title or url, "link")
                if d is not None:
                    d.available, d.status = True, r.status
            continue
        if ctype and "html" not in ctype:
            continue
        parser = _Links()
        try:
            parser.feed(_decode(r.body, ctype))
            parser.close()
        except Exception as exc:  # malformed markup must not stop the crawl
            report.errors.append(
                CrawlError(url, "network", f"Страница не разобрана: {exc}", r.status, _now())
            )
        title = re.sub(r"\s+", " ", parser.title).strip()
        report.pages.append(PageVisit(url, depth, r.status, title, _now()))
        for kind in classify(rules, link_text=via_text, title=title, url=url):
            d = add_doc(kind, url, via_text or title, url, "page")
            if d is not None:
                d.available, d.status = True, r.status
        base = urljoin(url, parser.base) if parser.base else url
        for href, text, link_title in parser.links:
            if href.strip().lower().startswith(("mailto:", "javascript:", "tel:", "#")):
                continue
            target = _clean(urljoin(base, href.strip()))
            if not same_site(target):
                continue
            own = " ".join(t for t in (text, link_title) if t)
            if is_document_url(target, rules):
                kinds = classify(rules, link_text=own, url=target, context=title)
                for kind in kinds:
                    d = add_doc(kind, target, own, url, "link")
                    if d is not None:
                        d.available, d.status = check_document(target)
                continue
            if depth + 1 > st.max_depth or target in queued:
                if depth + 1 > st.max_depth and "max_depth" not in report.limits_hit and target not in queued:
                    report.limits_hit.append("max_depth")
                continue
            queued.add(target)
            queue.append((target, depth + 1, own, title, 0))
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
