"""The bench meter's CPU column: the process's own time and that of children ended in the stage."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from shnor_bench.meter import Meter

#: What reading a running process's CPU from /proc/<pid>/stat can lose: its user and system times are
#: whole clock ticks, each truncated (a child that spun 0.5 s read as 0.4926 s in CI).
TICKS = 2 / os.sysconf("SC_CLK_TCK")


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
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import time\nt=time.process_time()+0.4\nwhile time.process_time()<t: pass",
                ],
                check=True,
            )
    finally:
        meter.close()
    sleep, spin, child = meter.stages
    assert sleep.cpu_s < 0.2 < sleep.seconds
    assert spin.cpu_s >= 0.3
    assert child.cpu_s >= 0.4 - TICKS  # the child's time, though this process only waited


def test_a_child_living_across_stages_is_counted_in_the_stage_it_works_in() -> None:
    """The run's worker processes live through several stages: their CPU goes to the stage in which
    they use it, not to the one in which they end."""
    meter = Meter()
    try:
        with meter.stage("child works"):
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import time\nt=time.process_time()+0.5\n"
                    "while time.process_time()<t: pass\nprint('done', flush=True)\ntime.sleep(1.0)",
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            # the stage ends once the child has done its work, however busy the machine is
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "done"
        with meter.stage("child sleeps and ends"):
            child.wait()
            child.stdout.close()
    finally:
        meter.close()
    works, ends = meter.stages
    assert works.cpu_s >= 0.5 - TICKS
    assert ends.cpu_s < 0.3
