"""What ran a benchmark: CPU model, cores, OS, Python, package versions and the load average,
written into every report so that its numbers can be read against the machine."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as a report prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def package_versions(dists: Sequence[str]) -> str:
    """``name version`` for each distribution, ``name not installed`` where it is absent."""
    versions = []
    for dist in dists:
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} not installed")
    return ", ".join(versions)


def describe_machine(dists: Sequence[str]) -> str:
    """One line: CPU, logical cores, OS, Python and the versions of ``dists``."""
    return (f"{cpu_model()}, {os.cpu_count()} logical cores; {platform.platform()}; Python "
            f"{platform.python_version()}; {package_versions(dists)}")
