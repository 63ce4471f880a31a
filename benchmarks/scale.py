"""Issue #12 (scale): the CLI, the dashboard and TPE on a 20,000-trial SQLite study.

    python -m benchmarks.scale --jobs 2                    # everything (~40 min on 2 cores)
    python -m benchmarks.scale --baseline /tmp/tc-head     # also that checkout's tunecraft
    python -m benchmarks.scale --skip quality --repeat 5 --out /tmp/scale.md
    python -m benchmarks.scale --reuse-quality benchmarks/out/scale-<time>.json
    python -m benchmarks.scale --render benchmarks/out/scale-<time>.json   # report only

``--baseline DIR`` names a folder that holds another ``tunecraft`` package (e.g. the last
commit: ``git archive HEAD tunecraft | tar -x -C DIR``); every timing below then runs for both
packages, alternating, in fresh interpreters (``PYTHONPATH``), so that before and after are
measured under the same load. What is measured:

- **study**: one SQLite file with a single-objective study of ``--trials`` trials (5
  parameters: log-float, float, int, categorical, log-float; 10 reports per trial; a third
  pruned after 5 reports, 1% failed) and a 1,000-trial two-objective study, written through
  the storage API (``create_trial``, then ``finish`` with the trial's events). It is kept in
  ``benchmarks/out/`` and reused while it holds the right number of trials.
- **cli**: each command in a fresh interpreter (``python -m tunecraft ...``): wall and CPU
  seconds, medians of ``--repeat`` runs, and the peak RSS of the process (``os.wait4``).
  ``tunecraft --version`` is the floor: interpreter start-up and imports.
- **dashboard**: ``tunecraft dashboard`` in a fresh process; seconds until the first answer
  of ``/api/study``, then of the first ``/api/trials`` page and ``/api/figures`` (and the
  server's CPU time for each, from ``/proc``).
- **tpe** (``scale_tpe.py``): milliseconds per trial (ask + tell, and the sampler's share)
  after prefilling an in-memory study with N random ``mixed8`` trials, N = 250 ... 20,000;
  and the quality of the bounded TPE against the unbounded one on long runs.

Writes ``benchmarks/results/issue-12-scale.md`` (``--out``) and the raw numbers to
``benchmarks/out/scale-<time>.json``. Report ratios measured in the same run; absolute times
move with the machine's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import scale_report, scale_tpe

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STUDY, MO_STUDY, MO_TRIALS = "scale", "scale-mo", 1000
CURRENT = "this tree"
PARTS = ("cli", "dashboard", "tpe", "quality")


# ---------------------------------------------------------------------- the study
def _params(rng: np.random.Generator) -> dict[str, Any]:
    from tunecraft.space import Categorical, Dim, Float, Int

    space: dict[str, Dim] = {
        "lr": Float(1e-5, 1.0, log=True), "dropout": Float(0.0, 0.5), "layers": Int(1, 8),
        "optimizer": Categorical(("adam", "sgd", "rmsprop")),
        "weight_decay": Float(1e-6, 1e-2, log=True)}
    return {name: (dim, dim.from_unit(rng.random())) for name, dim in space.items()}


def _write_trial(storage: Any, study: str, i: int, rng: np.random.Generator, mo: bool) -> None:
    from tunecraft.record import TrialState
    from tunecraft.storage.events import Event, EventKind

    n = storage.create_trial(study)
    params = _params(rng)
    events = [Event(n, EventKind.PARAMS, {k: {"d": d.to_json(), "v": v}})
              for k, (d, v) in params.items()]
    p = {k: v for k, (_, v) in params.items()}
    value = ((math.log10(p["lr"]) + 3) ** 2 + p["dropout"] + 0.1 * p["layers"]
             + (p["optimizer"] == "sgd") + 0.01 * p["weight_decay"])
    pruned = not mo and i % 3 == 0
    for step in range(5 if pruned else 10):
        events.append(Event(n, EventKind.REPORT, {"step": step, "value": value + 1 / (step + 1)}))
    if i % 100 == 99:
        storage.finish(study, n, TrialState.FAIL, reason="out of memory", events=events)
    elif pruned:
        storage.finish(study, n, TrialState.PRUNED, events=events)
    else:
        values = [value, float(p["layers"]) * math.log10(1 / p["lr"])] if mo else [value]
        storage.finish(study, n, TrialState.COMPLETE, values, events=events)


def ensure_study(path: Path, n: int) -> float:
    """Build the SQLite file unless it already holds the study; returns the build seconds."""
    from tunecraft.direction import StudyDirection
    from tunecraft.storage.sql import SQLStorage

    url = f"sqlite:///{path}"
    if path.exists():
        storage = SQLStorage(url)
        try:
            if (storage.study_names() == [STUDY, MO_STUDY]
                    and sum(storage.state_counts(STUDY).values()) == n):
                return 0.0
        finally:
            storage.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    storage = SQLStorage(url)
    storage.create_study(STUDY, (StudyDirection.MINIMIZE,))
    storage.create_study(MO_STUDY, (StudyDirection.MINIMIZE, StudyDirection.MINIMIZE))
    rng = np.random.default_rng(0)
    for i in range(n):
        _write_trial(storage, STUDY, i, rng, mo=False)
    for i in range(MO_TRIALS):
        _write_trial(storage, MO_STUDY, i, rng, mo=True)
    storage.close()
    return time.perf_counter() - t0


# ---------------------------------------------------------------------- processes
def tree_env(tree: Path | None) -> dict[str, str]:
    """The environment of a fresh interpreter that imports tunecraft from ``tree`` (None: this
    checkout) and the benchmarks from this checkout."""
    env = {k: v for k, v in os.environ.items() if k != "TUNECRAFT_STORAGE"}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (tree, ROOT) if p is not None)
    return env


def tree_cwd(tree: Path | None) -> str:
    """Where a fresh interpreter for ``tree`` starts: ``python -m`` puts that folder first on
    ``sys.path``, so it must not be this checkout when another tree is wanted."""
    return str(tree or ROOT)


def run_process(cmd: Sequence[str], tree: Path | None) -> tuple[float, float, float]:
    """Run ``cmd`` to its end; returns (wall seconds, CPU seconds, peak RSS in MB). Raises
    when it fails. CPU time (user + system) moves much less than wall time with the load
    of a shared machine."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=tree_env(tree), cwd=tree_cwd(tree),
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}: "
                               f"{err.read().decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def cli_commands(path: Path) -> list[list[str]]:
    report = str(path.parent / "scale-report.html")
    return [["--version"], ["studies"], ["best", STUDY], ["best", MO_STUDY],
            ["trials", STUDY, "--limit", "10"],
            ["trials", STUDY, "--limit", "10", "--state", "complete"],
            ["report", STUDY, "-o", report]]


def time_cli(trees: dict[str, Path | None], path: Path, repeat: int
             ) -> dict[str, dict[str, list[tuple[float, float, float]]]]:
    """command -> tree -> [(wall s, CPU s, MB)], the trees alternating in each repetition."""
    out: dict[str, dict[str, list[tuple[float, float, float]]]] = {}
    for args in cli_commands(path):
        label = "tunecraft " + " ".join(a if "/" not in a else Path(a).name for a in args)
        reps = 1 if args[0] == "report" else repeat  # the slowest: one run is telling enough
        for _ in range(reps):
            for name, tree in trees.items():
                cmd = [sys.executable, "-m", "tunecraft"]
                cmd += args if args[0] == "--version" else ["--storage", str(path), *args]
                result = run_process(cmd, tree)
                out.setdefault(label, {}).setdefault(name, []).append(result)
        print(label, {k: [f"{s:.2f}s" for s, _, _ in v] for k, v in out[label].items()},
              flush=True)
    return out


def _get(url: str, timeout: float = 300.0) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as r:
        r.read()
    return time.perf_counter() - t0


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed_get(url: str, pid: int) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) of one request."""
    cpu0 = _cpu(pid)
    wall = _get(url)
    return wall, _cpu(pid) - cpu0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def time_dashboard(tree: Path | None, path: Path) -> dict[str, Any]:
    """(wall, server CPU) seconds of the first ``/api/study``, ``/api/trials`` and
    ``/api/figures`` answers of a freshly started ``tunecraft dashboard``, and its peak RSS
    (MB)."""
    port = _free_port()
    cmd = [sys.executable, "-m", "tunecraft", "--storage", str(path), "dashboard",
           "--port", str(port)]
    proc = subprocess.Popen(cmd, env=tree_env(tree), cwd=tree_cwd(tree), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # the index page touches no study
            try:
                _get(f"{base}/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{' '.join(cmd)} did not start") from None
                time.sleep(0.05)
        out: dict[str, Any] = {
            "study": _timed_get(f"{base}/api/study?name={STUDY}", proc.pid),
            "trials": _timed_get(f"{base}/api/trials?name={STUDY}&limit=50", proc.pid),
            "figures": _timed_get(f"{base}/api/figures?name={STUDY}", proc.pid)}
        status = Path(f"/proc/{proc.pid}/status").read_text()
        out["rss_mb"] = next(int(line.split()[1]) / 1024 for line in status.splitlines()
                             if line.startswith("VmHWM"))
        return out
    finally:
        proc.terminate()
        proc.wait(10)


# ---------------------------------------------------------------------- report
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                   help="a folder holding another tunecraft package to time alongside")
    p.add_argument("--db", type=Path, default=None, help="the SQLite file (built if needed)")
    p.add_argument("--sizes", type=int, nargs="+", default=list(scale_tpe.SIZES))
    p.add_argument("--tpe-repeat", type=int, default=3,
                   help="TPE timing processes per tree (each cell: the median over them)")
    p.add_argument("--skip", nargs="+", default=[], choices=PARTS, metavar="PART",
                   help=f"parts not to run ({', '.join(PARTS)})")
    p.add_argument("--reuse-quality", type=Path, default=None, metavar="JSON",
                   help="take the quality part from an earlier run's raw file")
    p.add_argument("--quality-seeds", type=int, default=10)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-12-scale.md")
    p.add_argument("--raw", type=Path, default=None, metavar="JSON",
                   help="the raw numbers (default: benchmarks/out/scale-<time>.json)")
    p.add_argument("--render", type=Path, default=None, metavar="JSON",
                   help="measure nothing: write the report of an earlier run's raw file")
    args = p.parse_args(argv)
    if args.render is not None:
        return scale_report.write_report(json.loads(args.render.read_text()), args.out)

    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    path = (args.db or out_dir / f"scale-{args.trials}.db").resolve()
    trees: dict[str, Path | None] = {CURRENT: None}
    if args.baseline is not None:
        trees = {"baseline": args.baseline.resolve(), CURRENT: None}
    load0 = os.getloadavg()
    built = ensure_study(path, args.trials)
    print(f"study ready in {path} ({built:.0f}s to build)", flush=True)
    raw: dict[str, Any] = {"trials": args.trials, "trees": {k: str(v) for k, v in trees.items()}}
    if "cli" not in args.skip:
        raw["cli"] = time_cli(trees, path, args.repeat)
    if "dashboard" not in args.skip:
        raw["dashboard"] = {name: [] for name in trees}
        for _ in range(args.repeat):
            for name, tree in trees.items():
                raw["dashboard"][name].append(time_dashboard(tree, path))
        print("dashboard", raw["dashboard"], flush=True)
    if "tpe" not in args.skip:
        runs: dict[str, list[Any]] = {name: [] for name in trees}
        for _ in range(args.tpe_repeat):  # whole worker processes, the trees alternating
            for name, tree in trees.items():
                runs[name].append(scale_tpe.time_in_process(tree_env(tree), tree_cwd(tree),
                                                            args.sizes))
        raw["tpe_runs"] = runs
        raw["tpe"] = {name: scale_tpe.median_of_runs(r) for name, r in runs.items()}
    if args.reuse_quality is not None:
        raw["quality"] = json.loads(args.reuse_quality.read_text())["quality"]
    elif "quality" not in args.skip:
        raw["quality"] = scale_tpe.quality(args.quality_seeds, jobs=args.jobs)
    load1 = os.getloadavg()
    stamp = dt.datetime.now()
    cmd = "python -m benchmarks.scale" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    raw["header"] = [
        f"Command: `{cmd}`  ",
        f"Date: {stamp.isoformat(' ', 'seconds')}; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}; "
        f"load average {load0[0]:.1f} before, {load1[0]:.1f} after.  ",
        "Trees: " + ", ".join(f"{k} = `{v or ROOT}`" for k, v in trees.items()) + "."]
    (args.raw or out_dir / f"scale-{stamp:%Y%m%d-%H%M%S}.json").write_text(
        json.dumps(raw, indent=1))
    return scale_report.write_report(raw, args.out)


if __name__ == "__main__":
    sys.exit(main())
