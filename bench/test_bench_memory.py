"""Family "memory": the peak memory of a run above its data (issue 13), each scenario measured in
a fresh process (``python -m bench.memory SCENARIO N``; bench/memory.py says what is measured
and what is subtracted: the RSS after the data is resident and a warm-up run on its first 2^16
points has loaded the compiled code, the peak reset there).

The report shows each row's bytes above the data beside the data's size, per point and per run,
and the issue's limit as a target (bench/report.py, ``TARGETS``): ``train`` at batch size 1 for 3
epochs with ``record="epoch"`` within 64 MiB above the data (a sweep of 64 such runs: within 64
MiB a run); shuffled training of a float32 memory map within 4.5 bytes a point above the data (a
sweep of 64 runs, each with its own seed and so its own visiting order: 4.5 bytes a point and
run). Full profile: the issue's sizes (10^7 points at batch size 1, a 10^8-point memory map), the
batch-1 sweep on 10^6 points (1.9·10^8 steps: a record of its steps would be 96 MB a run) and the
shuffled sweep on 10^7 (2.4 GiB of visiting orders), a few minutes in all; quick profile: 10^6
(10^4 and 10^5 for the sweeps), a few seconds. The benchmark's time is the whole process's
(making the data included), not a figure of the row; the row's "call" is the measured call's.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.conftest import run, sizes
from bench.memory import SCENARIOS

ROOT = Path(__file__).resolve().parent.parent

POINTS = {
    "train/batch-1/record-epoch": sizes(quick=10**6, full=10**7),
    "train/shuffled/float32-memmap": sizes(quick=10**6, full=10**8),
    "sweep-64/batch-1/record-epoch": sizes(quick=10**4, full=10**6),
    "sweep-64/shuffled/float32-memmap": sizes(quick=10**5, full=10**7),
}
assert set(POINTS) == set(SCENARIOS)


def _process(scenario, points):
    done = subprocess.run([sys.executable, "-m", "bench.memory", scenario, str(points)], cwd=ROOT,
                          env=dict(os.environ), capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"memory benchmark {scenario} failed:\n{textwrap.indent(done.stderr, '  ')}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc/self/status (Linux)")
@pytest.mark.parametrize("scenario", list(POINTS))
def test_peak_memory(benchmark, scenario):
    points = POINTS[scenario]
    measured = {}

    def process():
        measured.update(_process(scenario, points))

    dtype = "float64" if SCENARIOS[scenario].data == "memory" else "float32"
    run(benchmark, process, family="memory", kernel=scenario, impl="fastoptim", size=points, dtype=dtype,
        rounds=1, warmup=False, unit="points")
    benchmark.extra_info.update(measured)
    assert measured["points"] == points and measured["runs"] == SCENARIOS[scenario].runs
