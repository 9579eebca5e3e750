"""Files uploaded from the browser, and files jobs keep for downloads, are removed once nobody needs them.

A browser import or a run with its own settings file stores the upload under
``SHNOR_HOME/uploads/<YYYYmmdd-HHMMSS>-<token>/<name>`` and hands the path to a job. The folder is
removed when it is older than ``SHNOR_UPLOAD_KEEP_HOURS`` (72) and no queued or running job points
into it: the job is done or failed, or it never got one. (A refused new version waits for its
confirmation that long; after it the user uploads the file again.) Other folders under ``uploads/``
(``users/`` of the user import, anything else) are left alone.

The files background jobs keep for later downloads under ``SHNOR_HOME/reports/<subfolder>/`` (every
folder named by :func:`~shnor.web.jobs.kept.kept_folder`: the :class:`~shnor.web.jobs.kept.KeptFiles`
stores — territory reports in ``registry``, case dossiers in ``dossiers`` — and the deficit PDFs in
``deficits``, ``<key>.pdf``) are removed when neither written nor downloaded for
``SHNOR_REPORT_KEEP_DAYS`` (30): a kept file goes with its description, a partial file
(``<key>.<pid>.part``, left by a writer that died) after a day. Only names of the folder's own key
pattern are touched; a key a queued or running job names in its parameters is kept. A job that writes a
file makes it new, so it is not old; a download refreshes the file's age (``kept_open``); a download
under way reads an open file, which on POSIX stays readable after its removal; a later download finds
no file, and its page offers to make it again. A job that finds an old file and reuses it in the very
instant it is removed fails (rare: its age is looked at again just before the removal); asked again, it
makes the file anew.

``shnor worker`` calls :func:`uploads_cleanup` and :func:`kept_cleanup` every hour (through
``shnor.serving.uploads_cleanup_once``), ``shnor serve`` once at start-up.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path

from django.conf import settings

from shnor.web.jobs.kept import kept_folders
from shnor.web.jobs.models import Job

logger = logging.getLogger("shnor.jobs")

#: the folders the upload views create: a timestamp and a random hexadecimal token
UPLOAD_FOLDER = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4,64}$")
#: how often the worker looks
CLEANUP_EVERY_SECONDS = 3600.0
#: a partial file older than this was left by a writer that is gone
PARTIAL_KEEP_SECONDS = 86400.0
#: a partial file of ``write_whole``: the key and the writer's process number
_PARTIAL = re.compile(r"^(?P<key>.+)\.\d+\.part$")


def uploads_root() -> Path:
    """The folder of browser uploads."""
    return Path(settings.HOME) / "uploads"


def _newest_mtime(folder: Path) -> float:
    newest = folder.stat().st_mtime
    for item in folder.rglob("*"):
        try:
            newest = max(newest, item.lstat().st_mtime)
        except FileNotFoundError:  # removed meanwhile
            continue
    return newest


def _busy_folders() -> set[Path]:
    """Upload folders that a queued or running job still reads."""
    busy: set[Path] = set()
    pending = Job.objects.exclude(status__in=[Job.DONE, Job.FAILED]).values_list("params", flat=True)
    for params in pending:
        for key in ("path", "config_path"):
            value = (params or {}).get(key)
            if value:
                busy.add(Path(value).parent.resolve())
    return busy


def uploads_cleanup(*, keep_hours: float | None = None, now: float | None = None) -> list[Path]:
    """Remove the upload folders older than ``keep_hours`` (default ``SHNOR_UPLOAD_KEEP_HOURS``) that no
    unfinished job uses; return the removed folders."""
    root = uploads_root()
    if not root.is_dir():
        return []
    keep = settings.UPLOAD_KEEP_HOURS if keep_hours is None else keep_hours
    cutoff = (time.time() if now is None else now) - keep * 3600
    old = [
        d
        for d in sorted(root.iterdir())
        if UPLOAD_FOLDER.match(d.name) and d.is_dir() and not d.is_symlink() and _newest_mtime(d) < cutoff
    ]
    if not old:
        return []
    busy = _busy_folders()
    removed = []
    for folder in old:
        if folder.resolve() in busy:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    if removed:
        logger.info("removed %d upload folder(s) older than %s h", len(removed), keep)
    return removed


def _unused_since(paths: list[Path], cutoff: float) -> bool:
    """Whether none of ``paths`` was accessed or modified (a download refreshes both) since ``cutoff``;
    False when all are gone (nothing to remove)."""
    times = []
    for path in paths:
        try:
            st = path.lstat()
        except FileNotFoundError:  # removed meanwhile
            continue
        times.append(max(st.st_atime, st.st_mtime))
    return bool(times) and max(times) < cutoff


def _busy_keys() -> set[str]:
    """Keys of kept files that a queued or running job names in its parameters."""
    pending = Job.objects.exclude(status__in=[Job.DONE, Job.FAILED]).values_list("params", flat=True)
    return {str(p["key"]) for p in pending if isinstance(p, dict) and p.get("key")}


def _folder_items(
    folder: Path, pattern: re.Pattern[str], suffixes: tuple[str, ...]
) -> tuple[dict[str, list[Path]], list[Path]]:
    """The folder's kept files by key (each key's files in the order of ``suffixes``) and its partial files;
    other names, folders and links are left out."""
    entries: dict[str, list[Path]] = {}
    partials: list[Path] = []
    for item in sorted(folder.iterdir()):
        if item.is_symlink() or not item.is_file():
            continue
        partial = _PARTIAL.match(item.name)
        if partial is not None:
            if pattern.match(partial["key"]):
                partials.append(item)
            continue
        key, dot, suffix = item.name.rpartition(".")
        if dot and suffix in suffixes and pattern.match(key):
            entries.setdefault(key, []).append(item)
    for files in entries.values():
        files.sort(key=lambda p: suffixes.index(p.suffix[1:]))
    return entries, partials


def kept_cleanup(*, keep_days: float | None = None, now: float | None = None) -> list[Path]:
    """Remove the kept files neither written nor downloaded for ``keep_days`` (default
    ``SHNOR_REPORT_KEEP_DAYS``) with their descriptions, and partial files older than a day (see the module's
    text); return the removed files, one per kept file (its first existing name: the file, else its
    description) and each partial file."""
    keep = settings.REPORT_KEEP_DAYS if keep_days is None else keep_days
    moment = time.time() if now is None else now
    cutoff, partial_cutoff = moment - keep * 86400, moment - PARTIAL_KEEP_SECONDS
    busy: set[str] | None = None
    removed: list[Path] = []
    for folder, pattern, suffixes in kept_folders():
        if not folder.is_dir() or folder.is_symlink():
            continue
        entries, partials = _folder_items(folder, pattern, suffixes)
        for partial in partials:
            if _unused_since([partial], partial_cutoff):
                partial.unlink(missing_ok=True)
                removed.append(partial)
        old = {key: files for key, files in entries.items() if _unused_since(files, cutoff)}
        if old and busy is None:
            busy = _busy_keys()
        for key, files in old.items():
            if key in (busy or set()):
                continue
            # looked at again just before the removal: a download may have refreshed it meanwhile
            if not _unused_since(files, cutoff):
                continue
            for path in files:  # the file first: a description without a file is never read
                path.unlink(missing_ok=True)
            removed.append(files[0])
    if removed:
        logger.info("removed %d kept file(s) unused for %s day(s)", len(removed), keep)
    return removed
