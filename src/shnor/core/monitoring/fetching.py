"""HTTP plumbing of the site crawler: URLs, one polite session per host, page decoding and link parsing.

Standard library only (``urllib``, ``html.parser``); the crawl itself is in :mod:`.crawler`.
"""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urldefrag, urlsplit, urlunsplit

if TYPE_CHECKING:
    from shnor.core.monitoring.crawler import CrawlSettings


def host_of(url: str) -> str:
    """The site a URL belongs to: lower-case host without ``www.``, the port when not the default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if port is None or port == default else f"{host}:{port}"


def clean_url(url: str) -> str:
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


class LinkParser(HTMLParser):
    """Title and links (href, text, title attribute) of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.base: str | None = None
        self.links: list[tuple[str, str, str]] = []
        self._in_title = False
        self._a: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Enter a title or link; remember the page's ``<base href>``."""
        a = {k: (v or "") for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"]
        elif tag == "a" and a.get("href"):
            self._a = [a["href"], [], a.get("title", "")]

    def handle_endtag(self, tag: str) -> None:
        """Leave a title; a finished link is recorded with its whitespace-collapsed text."""
        if tag == "title":
            self._in_title = False
        elif tag == "a" and self._a is not None:
            href, parts, title = self._a
            self.links.append((href, re.sub(r"\s+", " ", "".join(parts)).strip(), title))
            self._a = None

    def handle_data(self, data: str) -> None:
        """Text of the title or of the open link."""
        if self._in_title:
            self.title += data
        if self._a is not None:
            self._a[1].append(data)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are returned to the crawler, which checks and follows them itself."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        """Never follow: the 3xx response reaches the caller."""
        return


@dataclass
class Response:
    """One HTTP response as the crawler needs it (body cut at the byte limit)."""

    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool


def decode_body(body: bytes, content_type: str) -> str:
    """Text of a response: the declared charset (header, then ``<meta>``), else UTF-8, else cp1251."""
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


class Session:
    """Requests to one host with the politeness delay, the timeout and the byte limit."""

    def __init__(
        self, settings: CrawlSettings, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self.settings = settings
        self.delay = settings.delay
        self.sleep = sleep
        self.clock = clock
        self.last: float | None = None
        self.opener = urllib.request.build_opener(NoRedirect())

    def request(self, url: str, method: str = "GET") -> Response:
        """One request after the politeness delay; HTTP errors come back as responses."""
        if self.last is not None:
            wait = self.delay - (self.clock() - self.last)
            if wait > 0:
                self.sleep(wait)
        req = urllib.request.Request(url, method=method, headers={"User-Agent": self.settings.user_agent})
        try:
            with self.opener.open(req, timeout=self.settings.timeout) as resp:
                body = resp.read(self.settings.max_bytes + 1) if method == "GET" else b""
                return Response(
                    resp.status,
                    {k.lower(): v for k, v in resp.headers.items()},
                    body[: self.settings.max_bytes],
                    len(body) > self.settings.max_bytes,
                )
        except urllib.error.HTTPError as exc:
            headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
            exc.close()
            return Response(exc.code, headers, b"", False)
        finally:
            self.last = self.clock()


def error_of(exc: BaseException) -> tuple[str, str]:
    """Kind (``timeout`` or ``network``) and Russian message of a failed request."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timeout", "Сайт не ответил за отведённое время"
    return "network", f"Ошибка соединения: {reason}"
