"""Drivers killed while their pool workers start: no worker process outlives its driver.

Each race starts a driver with ``n_jobs=2`` (spawned worker processes) and SIGKILLs it at a
random moment of its first second, mostly while the workers are still starting. Every
process of the race carries a marker in its environment, so the test finds all of them,
whoever adopted them.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DRIVER = """
import sys, tunecraft
from tunecraft.testing import objectives
study = tunecraft.create_study(storage=sys.argv[1], study_name=sys.argv[2],
                               load_if_exists=True)
study.optimize(objectives.quadratic, n_trials=200, n_jobs=2)
"""


def marked(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (zombies excluded)."""
    found = []
    needle = f"TUNECRAFT_RACE={marker}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        found.append(int(entry))
    return found


def test_no_worker_outlives_a_driver_killed_while_it_starts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    rng = random.Random(5)
    leaked: dict[int, list[int]] = {}
    markers = []
    for race in range(20):
        marker = uuid.uuid4().hex
        markers.append(marker)
        env = {**os.environ, "TUNECRAFT_RACE": marker}
        driver = subprocess.Popen([sys.executable, "-c", DRIVER, url, f"race{race}"], env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.5))  # python start-up, then the pool starting
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    # a worker that holds a trial finishes it first (quadratic: instant), then exits
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        leaked = {i: pids for i, m in enumerate(markers) if (pids := marked(m))}
        if not leaked:
            break
        time.sleep(0.5)
    for pids in leaked.values():  # never leave them running after the test
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert not leaked, f"worker processes outlived their killed drivers: {leaked}"
