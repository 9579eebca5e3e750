"""Old browser uploads of finished jobs (or of none) are removed; those of waiting jobs, new ones and other
folders stay; the worker runs the cleanup."""

from __future__ import annotations

import os
import threading
import time

import pytest
from click.testing import CliRunner

from shnor.cli import main
from shnor.serving import uploads_cleanup_loop
from shnor.web.jobs.cleanup import uploads_cleanup
from shnor.web.jobs.models import Job

pytestmark = pytest.mark.django_db

HOUR = 3600


def _upload(home, name: str, hours_old: float, file: str = "vpr.xlsx"):
    folder = home / "uploads" / name
    folder.mkdir(parents=True)
    (folder / file).write_bytes(b"x")
    stamp = time.time() - hours_old * HOUR
    for p in (folder / file, folder):
        os.utime(p, (stamp, stamp))
    return folder


def test_old_uploads_of_finished_jobs_are_removed(home, settings) -> None:
    settings.UPLOAD_KEEP_HOURS = 72
    failed = _upload(home, "20240101-100000-aaaa0001", 100)
    done = _upload(home, "20240101-100000-aaaa0002", 100)
    orphan = _upload(home, "20240101-100000-aaaa0003", 100)  # the job was never created
    queued = _upload(home, "20240101-100000-aaaa0004", 100)
    running = _upload(home, "20240101-100000-aaaa0005", 100, "config.toml")
    recent = _upload(home, "20240101-100000-aaaa0006", 10)
    users = _upload(home, "users", 100)  # the user import's own folder, pruned by its own code
    other = _upload(home, "keep-me", 100)
    Job.objects.create(
        kind=Job.IMPORT_VPR, label="a", status=Job.FAILED, params={"path": str(failed / "vpr.xlsx")}
    )
    Job.objects.create(
        kind=Job.IMPORT_VPR, label="b", status=Job.DONE, params={"path": str(done / "vpr.xlsx")}
    )
    Job.objects.create(
        kind=Job.IMPORT_VPR, label="c", status=Job.QUEUED, params={"path": str(queued / "vpr.xlsx")}
    )
    Job.objects.create(
        kind=Job.IDENTIFY,
        label="d",
        status=Job.RUNNING,
        params={"year": 2024, "config_path": str(running / "config.toml")},
    )
    Job.objects.create(
        kind=Job.IMPORT_VPR, label="e", status=Job.DONE, params={"path": str(recent / "vpr.xlsx")}
    )

    removed = uploads_cleanup()

    assert sorted(p.name for p in removed) == [failed.name, done.name, orphan.name]
    assert not any(p.exists() for p in (failed, done, orphan))
    for kept in (queued, running, recent, users, other):
        assert kept.exists(), kept.name
    assert uploads_cleanup() == []  # nothing more to do


def test_keep_hours_setting_and_a_fresh_file_in_an_old_folder(home, settings) -> None:
    folder = _upload(home, "20240101-100000-bbbb0001", 5)
    settings.UPLOAD_KEEP_HOURS = 6
    assert uploads_cleanup() == []
    settings.UPLOAD_KEEP_HOURS = 4
    assert uploads_cleanup() == [folder]
    # a folder whose file was written recently is not old, whatever the folder's own time says
    again = _upload(home, "20240101-100000-bbbb0002", 100)
    (again / "second.xlsx").write_bytes(b"y")
    assert uploads_cleanup() == []
    assert uploads_cleanup(keep_hours=0, now=time.time() + 10) == [again]


def test_no_uploads_folder_is_fine(home) -> None:
    assert not (home / "uploads").exists()
    assert uploads_cleanup() == []


def test_worker_cleans_before_running_the_queue(home, settings, keep_db_connection) -> None:
    settings.UPLOAD_KEEP_HOURS = 72
    old = _upload(home, "20240101-100000-cccc0001", 100)
    result = CliRunner().invoke(main, ["worker", "--batch"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not old.exists()
    assert "Удалены старые загрузки из браузера: 1" in result.output


def test_worker_loop_cleans_periodically_and_survives_a_failure() -> None:
    calls: list[float] = []
    stop = threading.Event()

    def clean(report):
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise OSError("диск недоступен")
        if len(calls) >= 4:
            stop.set()
        return 0

    lines: list[str] = []
    thread = threading.Thread(target=uploads_cleanup_loop, args=(stop, 0.01, lines.append, clean))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(calls) == 4
    assert lines == ["Очистка загрузок не удалась: OSError: диск недоступен"]
