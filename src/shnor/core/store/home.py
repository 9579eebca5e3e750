"""The data folder (SHNOR_HOME) and the secrets kept in it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def shnor_home() -> Path:
    """The data folder from SHNOR_HOME (default ./var), created when missing."""
    home = Path(os.environ.get("SHNOR_HOME") or "var").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def stored_secret(home: Path, name: str) -> str:
    """A random secret generated once into ``home/name`` (mode 0600) and read back afterwards."""
    path = home / name
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value)
    return value
