"""An import or identify run killed at any moment leaves the store consistent; a rerun completes it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

CHECK = r"""
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shnor.web.settings")
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from shnor.web.assessments.models import ImportBatch
from shnor.web.assessments.selectors import results_scan
live = list(ImportBatch.objects.filter(status="active").values_list("path", "source_name"))
print(json.dumps({
    "live": len(live),
    "missing": [p for p, _ in live if not (settings.HOME / "warehouse" / p).exists()],
    "per_file": sorted({s for _, s in live}),
    "rows": results_scan().collect().height if live else 0,
}))
"""


def env(home):
    e = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    e["SHNOR_HOME"] = str(home)
    return e


def shnor(home, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "shnor.cli", *args],
        env=env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def state(home):
    res = subprocess.run(
        [sys.executable, "-c", CHECK], env=env(home), capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("delay", [0.8, 1.6, 2.4, 3.2])
def test_killed_import_is_consistent_and_rerunnable(tmp_path, real, delay) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # the database made first: a kill inside Django's first migrate can leave a table without its
    # migration record (Django records a migration with deferred SQL after its commit); this test is
    # about the import
    assert state(home)["live"] == 0
    path = str(real / "vpr_2021_ma4_altai.xlsx")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shnor.cli",
            "import",
            "vpr",
            path,
            "--year",
            "2021",
            "--subject",
            "ma",
            "--grade",
            "4",
        ],
        env=env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    mid = state(home)
    assert mid["missing"] == []  # a live batch always has its file
    assert mid["live"] in (0, 1)
    assert mid["rows"] in (0, 26666 - 85)  # all of the file or none of it
    again = shnor(home, "import", "vpr", path, "--year", "2021", "--subject", "ma", "--grade", "4")
    assert again.returncode == 0, again.stdout + again.stderr
    end = state(home)
    assert end == {"live": 1, "missing": [], "per_file": ["vpr_2021_ma4_altai.xlsx"], "rows": 26666 - 85}


RUNS = r"""
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shnor.web.settings")
import django; django.setup()
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.identification.selectors import runs_done
print(json.dumps({
    "runs": sorted(MethodologyRun.objects.values_list("status", flat=True)),
    "visible": [r.pk for r in runs_done()],
    "done_outcomes": SchoolOutcome.objects.filter(run__status="done").count(),
}))
"""


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    from shnor.core.demo import DemoConfig, generate, write_files

    data = generate(
        DemoConfig(
            seed=7, size="municipality", years=(2024,), subjects=("ma", "ru"), grades=(4, 5), gia=False
        )
    )
    return {p.name: p for p in write_files(data, tmp_path_factory.mktemp("demo"))}


def _stored_outcomes(db) -> int:
    """Outcomes committed so far for runs not done (0 while the tables are not there yet)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05) as con:
            return con.execute(
                "SELECT count(*) FROM identification_schooloutcome o JOIN identification_methodologyrun r "
                "ON r.id = o.run_id WHERE r.status = 'running'"
            ).fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("after", [1, 40, 90])
def test_killed_identify_is_never_seen_and_runs_again(tmp_path, demo_files, after) -> None:
    """``shnor identify`` killed once it has stored ``after`` outcomes (by the writer thread, part by
    part): the run is never shown, and identify run again gives one complete run."""
    home = tmp_path / "home"
    home.mkdir()
    for kind, names in (
        ("scales", ["scales.csv"]),
        ("tasks", ["tasks.csv"]),
        ("schools", ["schools.csv"]),
        ("context", ["context.csv"]),
        ("vpr", sorted(n for n in demo_files if n.startswith("vpr_"))),
    ):
        res = shnor(home, "import", kind, *[str(demo_files[n]) for n in names])
        assert res.returncode == 0, res.stdout + res.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "shnor.cli", "identify", "--year", "2024"],
        env=env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = home / "shnor.sqlite3"
    deadline = time.monotonic() + 120
    while proc.poll() is None and _stored_outcomes(db) < after and time.monotonic() < deadline:
        time.sleep(0.005)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    mid = runs(home)
    done = mid["runs"].count("done")
    assert set(mid["runs"]) <= {"running", "done"}, mid  # killed, never marked failed
    assert len(mid["visible"]) == done  # a run not done is never shown …
    if not done:
        assert mid["done_outcomes"] == 0  # … and nothing it stored is counted as a result
    again = shnor(home, "identify", "--year", "2024", timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    end = runs(home)
    assert end["runs"].count("done") == done + 1
    assert len(end["visible"]) == done + 1
    assert end["done_outcomes"] > 0
    assert killed, "identify ended before it had stored the outcomes the test waits for"
    assert done == 0


def runs(home):
    res = subprocess.run(
        [sys.executable, "-c", RUNS], env=env(home), capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])
