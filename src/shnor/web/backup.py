"""Backup and restore of everything under SHNOR_HOME that matters: the database and the warehouse.

A backup is one ``.tar.gz``: ``manifest.json`` (format, version, counts), ``db.json`` (Django
``dumpdata`` of every application table, portable between SQLite and PostgreSQL), the live
Parquet batches under ``warehouse/`` and the pseudonym key (without it new imports would give
the same pupils other pseudonyms). Restore checks the archive before it touches anything, loads
the database in one transaction and puts the warehouse files in place by rename.

The dump is read from one consistent state of the database while the server keeps writing: on SQLite
(a WAL database: ``shnor.sqlite3`` plus its ``-wal``) and on PostgreSQL in one read-only transaction —
the transactions committed when it began, the ``-wal``'s included, never another connection's open one
nor what is committed during the dump. Restore writes through the database connection and never
puts a file in the database's place, so no stale ``-wal``/``-shm`` can be left beside it; afterwards the
``-wal`` is checkpointed and truncated.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction

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


@contextmanager
def _consistent_read() -> Iterator[None]:
    """Every read of the block sees one state of the database, whatever the server writes meanwhile: one
    read-only transaction — ``REPEATABLE READ`` on PostgreSQL; on SQLite a deferred one (``BEGIN IMMEDIATE``,
    the product's mode for writes, would hold off every writer for the whole dump), which in WAL mode
    reads the committed state of its first read, the ``-wal``'s pages included, while writers go on."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.in_atomic_block:  # inside a caller's transaction its view is kept as it is
        yield
        return
    if conn.vendor != "sqlite":
        with transaction.atomic():
            with conn.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    with conn.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
        cursor.execute("SELECT count(*) FROM sqlite_master")  # the transaction's view is fixed here
    try:
        yield
    finally:
        with conn.cursor() as cursor:
            cursor.execute("ROLLBACK")


def backup_create(*, path: Path) -> BackupInfo:
    """Write a backup archive of the database (one consistent state of it, while the server may write) and
    the warehouse files (live batches and the earlier versions still stored) to ``path``."""
    path = Path(path)
    buf = io.StringIO()
    with _consistent_read():
        call_command(
            "dumpdata", exclude=EXCLUDE, natural_foreign=True, natural_primary=True, stdout=buf, indent=None
        )
        batches = ImportBatch.objects.all()
        live = list(batches.filter(status=ImportBatch.ACTIVE).values_list("path", flat=True))
        stored = set(batches.exclude(status=ImportBatch.ACTIVE).values_list("path", flat=True))
    db = buf.getvalue().encode("utf-8")
    objects = len(json.loads(db))
    root = settings.HOME / "warehouse"
    missing = [p for p in live if not (root / p).exists()]
    if missing:
        raise BackupError(f"в хранилище нет файлов действующих загрузок: {', '.join(missing[:5])}")
    # earlier versions of files travel too, so that they can still be brought back after a restore
    earlier = sorted({p for p in stored if (root / p).exists()} - set(live))
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


def _wal_truncate() -> None:
    """After a restore on SQLite: the restored rows moved from the ``-wal`` into the database file and the
    ``-wal`` emptied (a whole database's restore would otherwise leave a ``-wal`` as large as the
    database)."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor == "sqlite" and not conn.in_atomic_block:
        with conn.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


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
        _wal_truncate()
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
