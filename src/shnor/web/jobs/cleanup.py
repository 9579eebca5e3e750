"""Files uploaded from the browser are removed once nobody needs them.

A browser import or a run with its own settings file stores the upload under
``SHNOR_HOME/uploads/<YYYYmmdd-HHMMSS>-<token>/<name>`` and hands the path to a job. The folder is
removed when it is older than ``SHNOR_UPLOAD_KEEP_HOURS`` (72) and no queued or running job points
into it: the job is done or failed, or it never got one. (A refused new version waits for its
confirmation that long; after it the user uploads the file again.) Other folders under ``uploads/``
(``users/`` of the user import, anything else) are left alone.

``shnor worker`` calls :func:`uploads_cleanup` every hour, ``shnor serve`` once at start-up.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path

from django.conf import settings

from shnor.web.jobs.models import Job

logger = logging.getLogger("shnor.jobs")

#: the folders the upload views create: a timestamp and a random hexadecimal token
UPLOAD_FOLDER = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4,64}$")
#: how often the worker looks
CLEANUP_EVERY_SECONDS = 3600.0


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
