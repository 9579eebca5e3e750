"""The deployment files in deploy/: the systemd units pass `systemd-analyze verify` (with /opt/shnor
pointed at this checkout), their commands are ones `shnor` accepts, the backup wrapper makes a dated
archive and deletes old ones, and the nginx example passes what the application relies on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from shnor.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = ["shnor-web.service", "shnor-worker.service", "shnor-backup.service", "shnor-backup.timer"]
VENV_BIN = Path(sys.executable).parent  # this checkout's .venv/bin


def _installed_copy(tmp_path: Path) -> Path:
    """The units as installed on a server, with /opt/shnor's paths pointed at this checkout: verify checks
    that every command exists (docs/deployment.md says the same for a server with another layout)."""
    out = tmp_path / "units"
    out.mkdir()
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        text = text.replace("/opt/shnor/.venv/bin/", f"{VENV_BIN}/").replace(
            "/opt/shnor/bin/shnor-backup", str(DEPLOY / "shnor-backup")
        )
        assert "/opt/shnor" not in re.sub(r"(?m)^#.*$", "", text), name
        (out / name).write_text(text, encoding="utf-8")
    return out


def test_units_pass_systemd_analyze_verify(tmp_path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        message = "нет systemd-analyze (пакет Debian systemd, ставится scripts/setup)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    units = _installed_copy(tmp_path)
    result = subprocess.run(
        [analyze, "verify", *[str(units / name) for name in UNITS]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=units,
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # the machine's own units that verify loads as dependencies are not ours to judge
        if line.strip() and any(name in line for name in UNITS)
    ]
    assert result.returncode == 0, result.stdout + result.stderr
    assert problems == []


def _exec_lines(name: str) -> list[str]:
    text = (DEPLOY / name).read_text(encoding="utf-8")
    return re.findall(r"(?m)^ExecStart(?:Pre)?=(.+)$", text)


def test_unit_commands_are_ones_shnor_accepts() -> None:
    commands = {name: _exec_lines(name) for name in ("shnor-web.service", "shnor-worker.service")}
    assert (
        commands["shnor-web.service"][-1]
        == "/opt/shnor/.venv/bin/shnor serve --no-open --no-worker --port 8000"
    )
    assert commands["shnor-worker.service"] == ["/opt/shnor/.venv/bin/shnor worker"]
    for lines in commands.values():
        for line in lines:
            words = line.split()
            if words[0].endswith("/shnor"):
                result = CliRunner().invoke(main, [*words[1:], "--help"])
                assert result.exit_code == 0, (line, result.output)
    # the ExecStartPre names a function that exists
    pre = commands["shnor-web.service"][0]
    assert "from shnor.cli import django_setup; django_setup()" in pre
    # the web unit migrates before the worker starts
    worker = (DEPLOY / "shnor-worker.service").read_text(encoding="utf-8")
    assert re.search(r"(?m)^After=.*\bshnor-web\.service\b", worker)
    assert _exec_lines("shnor-backup.service") == ["/opt/shnor/bin/shnor-backup"]


def test_backup_wrapper_makes_a_dated_archive_and_deletes_old_ones(tmp_path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "shnor-20200101.tar.gz"
    old.write_bytes(b"old")
    stamp = time.time() - 20 * 86400
    os.utime(old, (stamp, stamp))
    recent = backups / "shnor-20991231.tar.gz"
    recent.write_bytes(b"recent")
    unrelated = backups / "notes.txt"
    unrelated.write_text("keep", encoding="utf-8")
    os.utime(unrelated, (stamp, stamp))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env |= {
        "SHNOR_HOME": str(tmp_path / "home"),
        "SHNOR_BACKUP_DIR": str(backups),
        "SHNOR_BACKUP_KEEP_DAYS": "14",
        "SHNOR_BIN": str(VENV_BIN / "shnor"),
    }
    result = subprocess.run(
        [str(DEPLOY / "shnor-backup")], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    made = backups / f"shnor-{time.strftime('%Y%m%d')}.tar.gz"
    assert made.is_file()
    assert made.stat().st_mode & 0o077 == 0  # holds the pseudonym key: for the service user only
    assert not old.exists()
    assert recent.exists()
    assert unrelated.exists()
    assert "Резервная копия" in result.stdout
    bad = subprocess.run(
        [str(DEPLOY / "shnor-backup")], env=env | {"SHNOR_BACKUP_KEEP_DAYS": "две недели"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "SHNOR_BACKUP_KEEP_DAYS" in bad.stderr


def test_nginx_example_passes_what_the_application_trusts() -> None:
    text = (DEPLOY / "nginx-shnor.conf").read_text(encoding="utf-8")
    assert text.count("{") == text.count("}")
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "proxy_pass http://shnor;" in text
    assert "server 127.0.0.1:8000;" in text
    env = (DEPLOY / "shnor.env.example").read_text(encoding="utf-8")
    assert "SHNOR_TRUSTED_PROXIES=127.0.0.1,::1" in env
    assert "SHNOR_HTTPS=1" in env
