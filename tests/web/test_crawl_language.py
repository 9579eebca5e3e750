"""Every page each role can reach, in real Chromium: Russian visible text and no serious accessibility fault.

For each role of the test region the crawler starts at the home page and follows the same-site links it
finds (breadth first; downloads, the admin, the API, logout and other users' actions left out; at most two
pages of one URL shape, e.g. two school cards). On every page it reads the visible text and fails on any
Latin word or identifier outside a short allow-list (file types, ВПР/ОГЭ codes written the official way,
the user's own login, ФИС ОКО school logins, e-mail and web addresses), and runs axe-core, failing on any
violation of impact «serious» or «critical»."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

from tests.web.test_browser import login

ROLES = ("region", "municipality", "school", "teacher", "curator", "observer")
MAX_PAGES = 90  # per role; the region reaches the most
SAME_SHAPE = 2  # pages of one URL shape (digits and logins replaced) visited per role

SKIP_PREFIXES = ("/admin/", "/api/", "/accounts/logout", "/static/", "/media/")
SKIP_PARTS = ("export", "download", ".xlsx", ".docx", ".pdf", ".csv", ".zip", "/file", "report.", "format=")

# Latin words a Russian page may show: file types, units and formats, the official ВПР subject codes
# are Russian; ФИС ОКО school logins (sch123456), web and e-mail addresses are removed before the check.
ALLOWED = {
    "XLSX", "XLS", "CSV", "DOCX", "DOC", "PDF", "PNG", "ZIP", "JPG", "ODS", "ODT", "PPTX", "TXT", "HTML",
    "UTF-8", "Windows-1251", "robots.txt", "Excel", "Word", "Ctrl", "Enter", "API", "ID", "IP", "URL",
    "SD", "EBLUP", "FDR", "BH", "IQR", "Q1", "Q3", "CI",
    "p", "q", "z", "n", "N", "k", "K", "s", "r", "rs", "d", "t", "x", "y", "df",
}  # fmt: skip
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]")
STRIP = (
    re.compile(r"https?://\S+|www\.\S+|\b[\w.-]+\.(?:ru|рф|su|com|org|net)\b"),
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    re.compile(r"\bsch\d+\b"),  # ФИС ОКО logins of schools
    re.compile(r"\b(?:u|demo)_[a-z]+\b"),  # test and demo logins (a person with no name)
    re.compile(r"[\w.-]+\.(?:xlsx|xls|csv|docx|pdf|zip|txt)\b", re.IGNORECASE),  # the user's own file names
    re.compile(r"\(X\)"),  # «DOC(X)»
)
# Text a user types or copies literally (commands, HTTP headers) is code, not wording: left out of the check.
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("code, pre, kbd, samp, script, style, template").forEach(e => e.remove());
  document.documentElement.appendChild(body); body.style.display = "block";
  const text = body.innerText; body.remove(); return text;
}"""


def _shape(path: str) -> str:
    return re.sub(r"sch\d+|\d+", "N", path)


def latin_words(text: str, allowed: set[str]) -> list[str]:
    """The Latin words of ``text`` not in the allow-list (addresses and school logins removed first)."""
    for pattern in STRIP:
        text = pattern.sub(" ", text)
    return sorted({w for w in LATIN.findall(text) if w not in allowed and w.rstrip(".") not in allowed})


def _links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        url = urljoin(page.url, href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != base:
            continue
        path = parts.path
        if path.startswith(SKIP_PREFIXES) or any(p in url for p in SKIP_PARTS):
            continue
        out.append(path + (f"?{parts.query}" if parts.query else ""))
    return out


def crawl(page, base: str, allowed: set[str]) -> tuple[list[str], list[str], int]:
    """Visit what one role reaches; the Latin-word findings, the accessibility findings, pages seen."""
    axe = Axe()
    queue, seen, shapes = deque(["/"]), {"/"}, {}
    latin: list[str] = []
    a11y: list[str] = []
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.popleft()
        try:
            response = page.goto(base + path)
        except PlaywrightError as exc:  # a link that downloads a file is not a page
            if "Download is starting" in str(exc):
                continue
            raise
        if (
            response is None
            or response.status >= 400
            or "text/html" not in response.headers.get("content-type", "")
        ):
            continue
        visited += 1
        page.wait_for_load_state("load")
        text = page.evaluate(VISIBLE_TEXT)
        words = latin_words(text, allowed)
        if words:
            latin.append(f"{path}: {', '.join(words[:15])}")
        result = axe.run(page)
        for v in result.response["violations"]:
            if v["impact"] in ("serious", "critical"):
                where = v["nodes"][0]["target"] if v["nodes"] else ""
                a11y.append(f"{path}: {v['id']} ({v['impact']}, {len(v['nodes'])}) {where}")
        for link in _links(page, base):
            shape = _shape(urlsplit(link).path)
            if link in seen or shapes.get(shape, 0) >= SAME_SHAPE:
                continue
            seen.add(link)
            shapes[shape] = shapes.get(shape, 0) + 1
            queue.append(link)
    return latin, a11y, visited


@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_is_russian_and_accessible(browser, live_server, live_support, role) -> None:
    user = live_support.users[role]
    context, page = login(browser, live_server, user.username)
    try:
        allowed = ALLOWED | {user.username}
        latin, a11y, visited = crawl(page, live_server.url, allowed)
    finally:
        context.close()
    assert visited >= 5, f"{role}: the crawler reached only {visited} pages"
    problems = [f"латиница — {x}" for x in latin] + [f"доступность — {x}" for x in a11y]
    assert not problems, f"{role}: {visited} страниц\n" + "\n".join(problems)


def test_latin_words_finds_identifiers_and_keeps_allowed() -> None:
    text = "Показатель min_3 и school_level_sd; файл XLSX, школа sch220001, сайт https://x.ru/a, q = 0,01"
    assert latin_words(text, ALLOWED) == ["min_3", "school_level_sd"]
