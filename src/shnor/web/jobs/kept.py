"""Files a background job keeps for later downloads (a report, a dossier, a school's PDF): written whole
or not at all, so a reader never sees half a file. Files nobody downloaded for ``SHNOR_REPORT_KEEP_DAYS``
are removed by :func:`shnor.web.jobs.cleanup.kept_cleanup`; a download refreshes a file's age."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.http import FileResponse


def write_whole(target: Path, data: bytes) -> None:
    """``data`` into ``target`` through a partial file of this process, renamed into place at the end."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(target)


def kept_open(path: Path) -> BinaryIO | None:
    """A kept file opened for a download, its age refreshed (the cleanup removes the files nobody downloaded
    for a while); None when it was removed meanwhile. On POSIX an open file stays readable after its removal,
    so the cleanup does not break a download under way."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with contextlib.suppress(OSError):  # not the owner, a read-only folder: the download goes on
        os.utime(handle.fileno() if os.utime in os.supports_fd else path)
    return handle


#: the stores made so far, by subfolder
_STORES: dict[str, KeptFiles] = {}
#: every folder of kept files the cleanup looks at: subfolder → (key pattern, suffixes in removal order)
_FOLDERS: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {}


def kept_folder(subfolder: str, pattern: re.Pattern[str], suffixes: tuple[str, ...]) -> None:
    """Name a folder of ``SHNOR_HOME/reports`` whose files ``<key>.<suffix>`` (a key of ``pattern``) the
    cleanup removes by age: a :class:`KeptFiles` store names its own; a job that writes files there with
    ``write_whole`` alone (the deficit PDFs) names its folder where it is defined."""
    _FOLDERS[subfolder] = (pattern, suffixes)


def kept_folders() -> list[tuple[Path, re.Pattern[str], tuple[str, ...]]]:
    """Every folder named by ``kept_folder``: (path, key pattern, suffixes)."""
    root = Path(settings.HOME) / "reports"
    return [(root / sub, pattern, suffixes) for sub, (pattern, suffixes) in _FOLDERS.items()]


class KeptFiles:
    """A folder of ``SHNOR_HOME/reports`` where each kept file ``<key>.file`` has its description
    ``<key>.json`` (the download's name and type). A key is ``<slot>-<data version>``: the slot names the
    document without its data (a report for a scope, a case's dossier in a format), so a file made on newer
    data replaces the slot's older ones. Only keys matching ``pattern`` are read or removed. Each store made
    is listed by :func:`kept_stores` (the apps make theirs when ``AppConfig.ready`` imports their jobs), so
    the cleanup of old files knows every folder without knowing the apps."""

    #: the suffixes of a kept file and of its description, in the order the cleanup removes them
    suffixes = ("file", "json")

    def __init__(self, subfolder: str, pattern: re.Pattern[str]) -> None:
        self.subfolder = subfolder
        self.pattern = pattern
        _STORES[subfolder] = self
        kept_folder(subfolder, pattern, self.suffixes)

    def folder(self) -> Path:
        return Path(settings.HOME) / "reports" / self.subfolder

    def paths(self, key: str) -> tuple[Path, Path]:
        """The kept file and its description."""
        return self.folder() / f"{key}.file", self.folder() / f"{key}.json"

    def get(self, key: str) -> tuple[Path, str, str] | None:
        """(path, file name, type) of the file kept under ``key``; None when it is not there."""
        if not self.pattern.match(key):
            return None
        body, meta = self.paths(key)
        if not body.is_file() or not meta.is_file():
            return None
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
        except FileNotFoundError:  # removed meanwhile by the cleanup
            return None
        return body, str(info["name"]), str(info["mime"])

    def download(self, key: str) -> FileResponse | None:
        """The file kept under ``key`` as an attachment under its name, its age refreshed (``kept_open``);
        None when it is not there or was removed meanwhile (the caller makes it again)."""
        kept = self.get(key)
        handle = kept_open(kept[0]) if kept is not None else None
        if kept is None or handle is None:
            return None
        _path, name, mime = kept
        return FileResponse(handle, content_type=mime, as_attachment=True, filename=name)

    def put(self, key: str, *, name: str, mime: str, body: bytes) -> None:
        """Keep ``body`` under ``key`` (the description first, the file last, so that the file is there
        only when its description is) and remove the slot's files made on older data."""
        body_path, meta_path = self.paths(key)
        write_whole(meta_path, json.dumps({"name": name, "mime": mime}, ensure_ascii=False).encode())
        write_whole(body_path, body)
        slot = key.rsplit("-", 1)[0]
        for suffix in self.suffixes:
            for other in self.folder().glob(f"{slot}-*.{suffix}"):
                if other.stem != key and self.pattern.match(other.stem):
                    other.unlink(missing_ok=True)


def kept_stores() -> list[KeptFiles]:
    """Every store of kept files made so far (see :class:`KeptFiles`)."""
    return list(_STORES.values())
