"""SQLite in WAL mode (``settings.SQLITE_OPTIONS``) and backups of a database the server writes meanwhile: a
backup holds exactly the committed rows — those still in the ``-wal`` included, another connection's open
transaction left out — and a restore leaves no ``-wal`` behind."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from contextlib import closing
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from shnor.web import settings as web_settings


@pytest.fixture(autouse=True)
def _own_files(django_db_blocker):
    """These tests open SQLite files of their own, never the test database."""
    with django_db_blocker.unblock():
        yield


def _django_sqlite(path: Path):
    """A Django connection to the SQLite file ``path`` with the product's options."""
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": web_settings.SQLITE_OPTIONS,
            }
        }
    )
    return handler["default"]


def test_a_fresh_connection_is_in_wal_mode_with_16_kb_pages(tmp_path) -> None:
    conn = _django_sqlite(tmp_path / "shnor.sqlite3")
    with conn.cursor() as c:
        c.execute("CREATE TABLE t (x integer)")
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert c.execute("PRAGMA page_size").fetchone()[0] == 16384
    conn.close()
    # the mode is kept in the file: a plain connection (sqlite3 without the options) finds it too
    with closing(sqlite3.connect(tmp_path / "shnor.sqlite3")) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


SCRIPT = r"""
import json, os, sqlite3, tarfile
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0)
from shnor.web.backup import backup_create, backup_restore
from shnor.web.registry.models import Region

db = str(settings.DATABASES["default"]["NAME"])
with connection.cursor() as c:
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
Region.objects.create(code="r01", name="Зафиксирован до копии")
wal_before = os.path.getsize(db + "-wal")
writer = sqlite3.connect(db, isolation_level=None, timeout=0)
writer.execute("BEGIN IMMEDIATE")
writer.execute("INSERT INTO registry_region (code, name) VALUES ('r02', 'Не зафиксирован во время копии')")
import shnor.web.backup as backup
dump = backup.call_command


def dump_while_another_commits(*args, **kwargs):
    # the writer commits while the dump is read (its open transaction, then a rename): the dump is still
    # of the moment the backup began
    writer.execute("COMMIT")
    writer.execute("UPDATE registry_region SET name = 'Переименован во время копии' WHERE code = 'r01'")
    return dump(*args, **kwargs)


backup.call_command = dump_while_another_commits
info = backup_create(path=settings.HOME / "b.tar.gz")
backup.call_command = dump
writer.close()
Region.objects.create(code="r03", name="После копии")
with tarfile.open(info.path) as tar:
    dumped = json.load(tar.extractfile("db.json"))
regions = [o["fields"] for o in dumped if o["model"] == "registry.region"]
in_archive = sorted((r["code"], r["name"]) for r in regions)
before_restore = sorted(Region.objects.values_list("code", flat=True))
backup_restore(path=info.path)
with connection.cursor() as c:
    mode = c.execute("PRAGMA journal_mode").fetchone()[0]
    integrity = c.execute("PRAGMA integrity_check").fetchone()[0]
print(json.dumps({
    "wal_before": wal_before,
    "in_archive": in_archive,
    "before_restore": before_restore,
    "after_restore": sorted(Region.objects.values_list("code", flat=True)),
    "wal_after": os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0,
    "mode": mode,
    "integrity": integrity,
    "left": sorted(p for p in os.listdir(settings.HOME) if p.startswith(".backup-")),
}))
"""


def test_backup_while_the_server_writes_and_restore(tmp_path) -> None:
    """End to end on a real SQLite file (the test database is in memory): ``backup_create`` while another
    connection holds a write transaction open and commits it (and more) during the dump, then
    ``backup_restore`` over later changes."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SHNOR_HOME": str(tmp_path / "home"), "DJANGO_SETTINGS_MODULE": "shnor.web.settings"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["wal_before"] > 0  # the committed region was in the -wal when the backup was taken
    # committed before: in, as it was when the backup began; another connection's open transaction: out
    assert got["in_archive"] == [["r01", "Зафиксирован до копии"]]
    assert got["before_restore"] == ["r01", "r02", "r03"]
    assert got["after_restore"] == ["r01"]
    assert got["wal_after"] == 0  # checkpointed and truncated: no -wal left as large as the restore
    assert (got["mode"], got["integrity"]) == ("wal", "ok")
    assert got["left"] == []  # the temporary copy is gone
    assert tarfile.is_tarfile(tmp_path / "home" / "b.tar.gz")
