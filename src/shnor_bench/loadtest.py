"""The web under load: N concurrent sessions of mixed page views and API calls for a bounded time.

Only loopback addresses are ever contacted. The server under test is the real deployment shape:
gunicorn (gthread workers) serving ``shnor.web.wsgi`` on the database named by DATABASE_URL
(PostgreSQL in the measured runs), with the demo region loaded.
"""

from __future__ import annotations

import http.cookiejar
import json
import random
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

LOOPBACK = re.compile(r"^http://(127\.\d+\.\d+\.\d+|localhost)(:\d+)?/")


@dataclass
class Sample:
    """One request: what kind, how long, what status."""

    kind: str
    seconds: float
    status: int


@dataclass
class LoadReport:
    """Latencies and errors of a load run."""

    sessions: int
    seconds: float
    think: tuple[float, float] = (0.0, 0.0)
    samples: list[Sample] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    def percentile(self, q: float, kind: str | None = None) -> float:
        """The q-quantile of latency in milliseconds (all requests or one kind)."""
        xs = sorted(s.seconds for s in self.samples if kind is None or s.kind == kind)
        if not xs:
            return float("nan")
        return 1000 * xs[min(len(xs) - 1, int(q * len(xs)))]

    @property
    def errors(self) -> int:
        """Requests that failed (status ≥ 400 or no answer)."""
        return sum(1 for s in self.samples if s.status >= 400 or s.status == 0)

    def table(self) -> str:
        """A Markdown table per request kind."""
        kinds = sorted({s.kind for s in self.samples})
        lines = ["| запрос | число | ошибок | p50, мс | p95, мс | p99, мс |", "|---|---|---|---|---|---|"]
        for k in [*kinds, None]:
            group = [s for s in self.samples if k is None or s.kind == k]
            errs = sum(1 for s in group if s.status >= 400 or s.status == 0)
            lines.append(
                f"| {k or 'всего'} | {len(group)} | {errs} | {self.percentile(0.5, k):.0f} | "
                f"{self.percentile(0.95, k):.0f} | {self.percentile(0.99, k):.0f} |"
            )
        rate = len(self.samples) / self.seconds if self.seconds else 0.0
        mean = statistics.fmean(s.seconds for s in self.samples) * 1000 if self.samples else float("nan")
        lines.append("")
        lines.append(
            f"{self.sessions} сессий (пауза между запросами {self.think[0]:g}–{self.think[1]:g} с), "
            f"{self.seconds:.0f} с, {len(self.samples)} запросов ({rate:.1f} в секунду), "
            f"среднее {mean:.0f} мс, ошибок {self.errors}"
        )
        return "\n".join(lines)


class Session:
    """One browser-like user: its own cookies, logged in once, then clicking around."""

    def __init__(self, base: str, username: str, password: str, timeout: float = 30.0) -> None:
        if not LOOPBACK.match(base):
            raise ValueError(f"нагрузочный тест обращается только к адресам на этой машине, а не к {base}")
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.username, self.password = username, password

    def get(self, path: str) -> tuple[int, bytes]:
        """GET a path; status 0 when there was no answer."""
        try:
            with self.opener.open(self.base + path, timeout=self.timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, b""
        except OSError:
            return 0, b""

    def login(self) -> bool:
        """Log in through the form, with its CSRF token."""
        status, _ = self.get("/accounts/login/")
        token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        data = urllib.parse.urlencode(
            {"username": self.username, "password": self.password, "csrfmiddlewaretoken": token}
        ).encode()
        req = urllib.request.Request(
            self.base + "/accounts/login/", data=data, headers={"Referer": self.base + "/accounts/login/"}
        )
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                resp.read()
        except urllib.error.HTTPError:
            return False
        return status == 200 and any(c.name == "sessionid" for c in self.jar)


def _paths(session: Session) -> dict[str, list[str]]:
    """What this user can look at: school ids, a region and lists, from the API."""
    status, body = session.get("/api/schools?limit=500")
    page = json.loads(body) if status == 200 else []
    items = page.get("items", []) if isinstance(page, dict) else page
    schools = [s["school_id"] for s in items]
    status, body = session.get("/api/regions")
    regions = [r["id"] for r in json.loads(body)] if status == 200 else []
    return {"schools": schools, "regions": [str(r) for r in regions]}


MIX: list[tuple[str, int]] = [
    ("school_card", 30),
    ("school_list", 12),
    ("search", 8),
    ("list_low_results", 10),
    ("list_objectivity", 8),
    ("dashboard", 7),
    ("api_schools", 10),
    ("api_outcomes", 10),
    ("api_list", 5),
]


def _request(kind: str, known: dict[str, list[str]], rnd: random.Random) -> str:
    school = rnd.choice(known["schools"]) if known["schools"] else "none"
    return {
        "school_card": f"/schools/{school}/",
        "school_list": "/schools/",
        "search": "/schools/?q="
        + urllib.parse.quote(rnd.choice(["школа", "СОШ", "лицей", "гимназия", "№1"])),
        "list_low_results": "/lists/low_results/",
        "list_objectivity": "/lists/objectivity/",
        "dashboard": f"/regions/{known['regions'][0]}/" if known["regions"] else "/",
        "api_schools": "/api/schools?limit=50",
        "api_outcomes": f"/api/schools/{school}/outcomes",
        "api_list": "/api/lists/low_results",
    }[kind]


def run_load(
    *,
    base: str,
    username: str,
    password: str,
    sessions: int = 50,
    seconds: float = 60.0,
    max_requests: int = 2000,
    seed: int = 1,
    think: tuple[float, float] = (1.0, 3.0),
) -> LoadReport:
    """Drive ``sessions`` concurrent logged-in sessions for ``seconds`` (each at most ``max_requests``).

    Each session pauses a uniform ``think`` interval (seconds) between clicks, as a person reading a
    page does; ``think=(0, 0)`` turns the run into a saturation test.
    """
    report = LoadReport(sessions=sessions, seconds=seconds, think=think)
    lock = threading.Lock()
    kinds = [k for k, w in MIX for _ in range(w)]
    ready = threading.Barrier(sessions + 1)
    go = threading.Event()
    deadline = [0.0]

    def worker(i: int) -> None:
        rnd = random.Random(seed * 1000 + i)
        s = Session(base, username, password)
        known: dict[str, list[str]] = {"schools": [], "regions": []}
        try:
            ok = s.login()
            known = _paths(s) if ok else known
        except (
            OSError,
            ValueError,
            KeyError,
        ) as exc:  # a session that cannot start is a failure, not a crash
            ok = False
            with lock:
                report.failures[f"подготовка сессии: {exc.__class__.__name__}"] += 1
        ready.wait()
        go.wait()
        if not ok:
            with lock:
                report.failures["вход не удался"] += 1
            return
        for _ in range(max_requests):
            if time.monotonic() >= deadline[0]:
                break
            kind = rnd.choice(kinds)
            t0 = time.monotonic()
            status, _ = s.get(_request(kind, known, rnd))
            with lock:
                report.samples.append(Sample(kind, time.monotonic() - t0, status))
            pause = rnd.uniform(*think)
            if pause > 0:
                time.sleep(min(pause, max(0.0, deadline[0] - time.monotonic())))

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(sessions)]
    for t in threads:
        t.start()
    ready.wait()
    t0 = time.monotonic()
    deadline[0] = t0 + seconds
    go.set()
    for t in threads:
        t.join(timeout=seconds + 120)
    report.seconds = time.monotonic() - t0
    return report
