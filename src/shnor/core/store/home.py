"""The data folder (SHNOR_HOME) and the secrets kept in it."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path


def shnor_home() -> Path:
    """The data folder from SHNOR_HOME (default ./var), created when missing."""
    home = Path(os.environ.get("SHNOR_HOME") or "var").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def stored_secret(home: Path, name: str) -> str:
    """A random secret generated once into ``home/name`` (mode 0600) and read back afterwards.

    The secret is written whole under a temporary name and linked into place, so that of two workers
    generating it at once one wins and the other reads the winner's secret (never a half-written one)."""
    path = home / name
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    value = secrets.token_urlsafe(48)
    fd, tmp = tempfile.mkstemp(dir=home, prefix=f".{name}-")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(value)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        except OSError:  # a file system without hard links: created in place, as before
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(value)
    finally:
        os.unlink(tmp)
    return value
