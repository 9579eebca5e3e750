"""An import killed at any moment leaves the store consistent, and running it again completes it."""

from __future__ import annotations

import json
import os
import signal
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


def env(home):  # type: ignore[no-untyped-def]
    e = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    e["SHNOR_HOME"] = str(home)
    return e


def shnor(home, *args, timeout=120):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "shnor.cli", *args],
        env=env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def state(home):  # type: ignore[no-untyped-def]
    res = subprocess.run(
        [sys.executable, "-c", CHECK], env=env(home), capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("delay", [0.8, 1.6, 2.4, 3.2])
def test_killed_import_is_consistent_and_rerunnable(tmp_path, real, delay) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    home.mkdir()
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
