"""The bench meter's CPU column: the process's own time and that of children ended in the stage."""

from __future__ import annotations

import subprocess
import sys
import time

from shnor.bench.meter import Meter


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_cpu_seconds_count_own_work_and_ended_children_not_sleep() -> None:
    meter = Meter()
    try:
        with meter.stage("sleep"):
            time.sleep(0.3)
        with meter.stage("spin"):
            _spin(0.3)
        with meter.stage("child"):
            subprocess.run([sys.executable, "-c", "import time\nt=time.process_time()+0.4\n"
                            "while time.process_time()<t: pass"], check=True)
    finally:
        meter.close()
    sleep, spin, child = meter.stages
    assert sleep.cpu_s < 0.2 < sleep.seconds
    assert spin.cpu_s >= 0.3
    assert child.cpu_s >= 0.4  # the child's time, though this process only waited
