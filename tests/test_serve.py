"""`shnor serve` runs gunicorn with the worker beside it and stops both cleanly on SIGTERM and Ctrl+C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env |= {"SHNOR_HOME": str(home), "WEB_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1"}
    return env


def _wait_for(url: str, proc: subprocess.Popen, seconds: float = 90) -> urllib.request.addinfourl:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"shnor serve завершился с кодом {proc.returncode}"
        try:
            return urllib.request.urlopen(url, timeout=5)
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} не ответил за {seconds} с")


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children, their children)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = {int(x) for x in (task / "children").read_text().split()}
            except (FileNotFoundError, ProcessLookupError):
                continue
            todo += list(kids - found)
            found |= kids
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, int, Path]:
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "shnor.cli", "serve", "--no-open", "--port", str(port), *args],
        env=_env(tmp_path / "home"),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a terminal of its own: Ctrl+C is sent to its process group
    )
    return proc, port, log


def _stopped(proc: subprocess.Popen, children: set[int], log: Path) -> str:
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("shnor serve не остановился за 60 с:\n" + log.read_text(errors="replace"))
    text = log.read_text(errors="replace")
    assert code == 0, text
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in children if _alive(p)], "дочерние процессы остались:\n" + text
    return text


def test_serve_runs_gunicorn_and_the_worker_and_stops_on_sigterm(tmp_path) -> None:
    proc, port, log = _start(tmp_path)
    try:
        with _wait_for(f"http://127.0.0.1:{port}/accounts/login/", proc) as response:
            assert response.status == 200
            assert "gunicorn" in response.headers["Server"].lower()
            assert "WSGIServer" not in response.headers["Server"]
            assert "Вход" in response.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/shnor/style.css", timeout=10) as css:
            assert css.status == 200  # whitenoise inside gunicorn
        children = _descendants(proc.pid)
        # gunicorn's master and its worker, and `shnor worker`
        assert len(children) >= 3, children
        commands = " ".join(
            Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace") for p in children
        )
        assert "gunicorn" in commands
        assert "worker" in commands
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    text = _stopped(proc, children, log)
    assert "Веб-приложение остановлено" in text
    with pytest.raises(urllib.error.URLError, match="refused"):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)


def test_ctrl_c_stops_gunicorn(tmp_path) -> None:
    proc, port, log = _start(tmp_path, "--no-worker")
    try:
        _wait_for(f"http://127.0.0.1:{port}/accounts/login/", proc).close()
        children = _descendants(proc.pid)
        assert children
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl+C
    _stopped(proc, children, log)
