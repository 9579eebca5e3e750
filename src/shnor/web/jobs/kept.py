"""Files a background job keeps for later downloads (a report, a dossier, a school's PDF): written whole
or not at all, so a reader never sees half a file."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_whole(target: Path, data: bytes) -> None:
    """``data`` into ``target`` through a partial file of this process, renamed into place at the end."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(target)


def kept_write(body_path: Path, meta_path: Path, *, name: str, mime: str, body: bytes) -> None:
    """A kept file and its description (the download's name and type); the file last, so that it is
    there only when its description is."""
    write_whole(meta_path, json.dumps({"name": name, "mime": mime}, ensure_ascii=False).encode())
    write_whole(body_path, body)
