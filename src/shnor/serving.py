"""What ``shnor serve`` and ``shnor worker`` run beside their main work: child processes that stop
cleanly on Ctrl+C or SIGTERM, the periodic removal of old browser uploads, and the collection of the static
files (hashed names, compressed copies) when they changed."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

#: seconds a child gets to finish after SIGTERM before it is killed (gunicorn's graceful_timeout is 20 s;
#: the worker finishes the task it is running)
STOP_GRACE_SECONDS = 60.0


class _Stop(Exception):
    """Raised in the main thread by SIGTERM/SIGINT while the children run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def gunicorn_command(port: int) -> list[str]:
    """gunicorn on 127.0.0.1:port with the defaults of ``shnor.web.gunicorn_conf`` (GUNICORN_CMD_ARGS and
    WEB_CONCURRENCY override them)."""
    return [
        sys.executable, "-m", "gunicorn", "shnor.web.wsgi:application",
        "-c", "python:shnor.web.gunicorn_conf", "-b", f"127.0.0.1:{port}",
    ]  # fmt: skip


def runserver_command(port: int) -> list[str]:
    """Django's development server (``shnor serve --dev``): no reloader, threads."""
    return [
        sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}",
        "--noreload", "--settings", "shnor.web.settings",
    ]  # fmt: skip


def worker_command() -> list[str]:
    """``shnor worker`` as a child process."""
    return [sys.executable, "-m", "shnor.cli", "worker"]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM when ``shnor serve`` dies, even by SIGKILL (no orphaned gunicorn
    holding the port)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def children_stop(children: Sequence[subprocess.Popen], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to every running child, wait for each, SIGKILL whoever is still there after ``grace``."""
    for child in children:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, process_group=0, preexec_fn=_die_with_parent)  # noqa: PLW1509


def supervise(main: list[str], beside: list[list[str]], on_start: Callable[[], None] | None = None) -> int:
    """Run ``main`` and the ``beside`` commands as children until ``main`` exits or this process gets
    SIGTERM or SIGINT (Ctrl+C); then stop every child and wait for it. Returns ``main``'s exit code, or 0
    after a stop signal.

    The children run in process groups of their own: Ctrl+C in the terminal reaches only this process,
    which sends each child exactly one SIGTERM (a second signal would make the worker abandon the task it
    is finishing, and gunicorn stop without its graceful timeout)."""
    env = os.environ.copy()
    children: list[subprocess.Popen] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for cmd in beside:
            children.append(_start(cmd, env))
        server = _start(main, env)
        children.insert(0, server)
        if on_start is not None:
            on_start()
        code = server.wait()
    except _Stop:
        code = 0
    finally:
        # a second Ctrl+C while waiting must not leave the children behind: ignore it until they are gone
        for s in previous:
            signal.signal(s, signal.SIG_IGN)
        try:
            children_stop(children)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    return code


def uploads_cleanup_once(report: Callable[[str], None] | None = None) -> int:
    """Remove old browser uploads and the kept report files nobody downloaded for a while now (see
    ``shnor.web.jobs.cleanup``); print a line when some went."""
    from django.conf import settings

    from shnor.web.jobs.cleanup import kept_cleanup, uploads_cleanup

    removed = uploads_cleanup()
    if removed and report is not None:
        report(f"Удалены старые загрузки из браузера: {len(removed)}")
    kept = kept_cleanup()
    if kept and report is not None:
        days = settings.REPORT_KEEP_DAYS
        report(f"Удалены готовые отчёты и досье, которые не скачивали {days} дн. и дольше: {len(kept)}")
    return len(removed) + len(kept)


def uploads_cleanup_loop(
    stop: threading.Event,
    every: float,
    report: Callable[[str], None] | None = None,
    clean: Callable[[Callable[[str], None] | None], int] = uploads_cleanup_once,
) -> None:
    """Clean now and then every ``every`` seconds until ``stop`` is set; a failure is reported and the
    loop goes on. Runs in a thread of ``shnor worker``: its database connection is closed after each
    round."""
    from django.db import connection

    while True:
        try:
            clean(report)
        except Exception as exc:  # a broken round must not stop the next ones
            if report is not None:
                report(f"Очистка загрузок не удалась: {exc.__class__.__name__}: {exc}")
        finally:
            connection.close()
        if stop.wait(every):
            return


def uploads_cleanup_thread(every: float, report: Callable[[str], None] | None = None) -> threading.Event:
    """Start :func:`uploads_cleanup_loop` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=uploads_cleanup_loop, args=(stop, every, report), name="shnor-uploads-cleanup", daemon=True
    ).start()
    return stop


#: the file in STATIC_ROOT that remembers which static files the last collection was made of
STATIC_STAMP = ".collected"


def static_fingerprint() -> str:
    """A hash of every static file the finders offer (name, size, modification time) and of the storage:
    a collection made from the same files need not be made again."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    h = hashlib.sha256(str(settings.STORAGES["staticfiles"]["BACKEND"]).encode())
    seen = set()
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            name = os.path.join(getattr(storage, "prefix", None) or "", path)
            if name in seen:
                continue
            seen.add(name)
            stat = os.stat(storage.path(path))
            h.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()


def static_collect(report: Callable[[str], None] | None = None) -> bool:
    """``collectstatic`` into STATIC_ROOT unless it already holds a collection of the same files (names with
    a content hash, gzip/Brotli copies: ``shnor.web.staticfinders``); then tell the children started next
    to use it. True when it collected."""
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command

    from shnor.web.staticfinders import COLLECTED_ENV

    root = Path(settings.STATIC_ROOT)
    stamp = root / STATIC_STAMP
    fingerprint = static_fingerprint()
    fresh = (root / "staticfiles.json").exists() and stamp.exists() and stamp.read_text() == fingerprint
    if not fresh:
        if report is not None:
            report("Подготовка статических файлов (сжатие; только после обновления, до минуты)…")
        stamp.unlink(missing_ok=True)
        call_command("collectstatic", interactive=False, clear=True, verbosity=0)
        stamp.write_text(fingerprint)
    os.environ[COLLECTED_ENV] = "1"  # the web server started next (a child) names the hashed files
    return not fresh
