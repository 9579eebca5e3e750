"""Backup and restore of everything under SHNOR_HOME that matters: the database and the warehouse.

A backup is one ``.tar.gz``: ``manifest.json`` (format, version, counts), ``db.json`` (Django
``dumpdata`` of every application table, portable between SQLite and PostgreSQL), the live
Parquet batches under ``warehouse/`` and the pseudonym key (without it new imports would give
the same pupils other pseudonyms). Restore checks the archive before it touches anything, loads
the database in one transaction and puts the warehouse files in place by rename.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from shnor import __version__
from shnor.web.assessments.models import ImportBatch

FORMAT = "shnor-backup/1"
EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


class BackupError(ValueError):
    """A backup archive that cannot be restored (message in Russian)."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds."""

    path: Path
    batches: int
    files: int
    objects: int


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def backup_create(*, path: Path) -> BackupInfo:
    """Write a backup archive of the database and the warehouse files (live batches and the earlier versions
    still stored) to ``path``."""
    path = Path(path)
    buf = io.StringIO()
    call_command(
        "dumpdata", exclude=EXCLUDE, natural_foreign=True, natural_primary=True, stdout=buf, indent=None
    )
    db = buf.getvalue().encode("utf-8")
    objects = len(json.loads(db))
    live = list(ImportBatch.objects.filter(status=ImportBatch.ACTIVE).values_list("path", flat=True))
    root = settings.HOME / "warehouse"
    missing = [p for p in live if not (root / p).exists()]
    if missing:
        raise BackupError(f"в хранилище нет файлов действующих загрузок: {', '.join(missing[:5])}")
    # earlier versions of files travel too, so that they can still be brought back after a restore
    earlier = sorted(
        {
            p
            for p in ImportBatch.objects.exclude(status=ImportBatch.ACTIVE).values_list("path", flat=True)
            if (root / p).exists()
        }
        - set(live)
    )
    key_file = settings.HOME / "pseudonym_key"
    manifest = {
        "format": FORMAT,
        "version": __version__,
        "batches": live,
        "earlier_versions": earlier,
        "objects": objects,
        "pseudonym_key": key_file.exists(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False).encode())
        _add_bytes(tar, "db.json", db)
        for rel in [*live, *earlier]:
            tar.add(root / rel, arcname=f"warehouse/{rel}")
        if key_file.exists():
            _add_bytes(tar, "pseudonym_key", key_file.read_bytes())
    tmp.replace(path)
    path.chmod(0o600)
    return BackupInfo(path=path, batches=len(live), files=len(live) + len(earlier), objects=objects)


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    for m in members:
        name = Path(m.name)
        if name.is_absolute() or ".." in name.parts or not (m.isfile() or m.isdir()):
            raise BackupError(f"недопустимый путь в архиве: {m.name}")
    return members


def backup_restore(*, path: Path) -> BackupInfo:
    """Replace the database and the warehouse with the contents of a backup archive."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"архив не найден: {path}")
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by the with-block below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path.name}: не архив резервной копии shnor ({exc})") from exc
    with tar, tempfile.TemporaryDirectory(dir=settings.HOME, prefix=".restore-") as tmpdir:
        members = _safe_members(tar)
        names = {m.name for m in members}
        if "manifest.json" not in names or "db.json" not in names:
            raise BackupError(f"{path.name}: в архиве нет manifest.json или db.json")
        tar.extractall(tmpdir, members=members, filter="data")
        tmp = Path(tmpdir)
        manifest = json.loads((tmp / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path.name}: неизвестный формат архива {manifest.get('format')!r}")
        absent = [b for b in manifest["batches"] if not (tmp / "warehouse" / b).exists()]
        if absent:
            raise BackupError(f"{path.name}: архив неполон, нет файлов: {', '.join(absent[:5])}")
        with transaction.atomic():
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(tmp / "db.json"), verbosity=0)
        old = settings.HOME / "warehouse"
        staged = tmp / "warehouse"
        staged.mkdir(exist_ok=True)
        trash = tmp / "old-warehouse"
        if old.exists():
            old.rename(trash)
        staged.rename(old)
        if (tmp / "pseudonym_key").exists():
            shutil.copyfile(tmp / "pseudonym_key", settings.HOME / "pseudonym_key")
            (settings.HOME / "pseudonym_key").chmod(0o600)
    return BackupInfo(
        path=path,
        batches=len(manifest["batches"]),
        files=len(manifest["batches"]),
        objects=manifest["objects"],
    )
