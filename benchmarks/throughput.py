"""Storage throughput: trials per second with 1, 2, 4 and 8 worker processes on one study.

Each measurement starts ``P`` worker processes on a fresh study; each imports, opens the
storage and loads the study, says it is ready, and waits; the clock starts when all are
ready (so interpreter start-up is not counted) and stops when the last one is done. Every
process runs ``N / P`` trials of a trivial two-parameter objective (``trivial``) or of one
that reports ten intermediate values (``reports``: per-epoch reporting), with a random
sampler and no pruner, so the figure is the storage's cost. Measured in the same run:
tunecraft on SQLite (WAL) and PostgreSQL; Optuna's ``RDBStorage`` on the same two databases
(its SQLite file switched to WAL too) and its ``JournalStorage`` on a local file.

A second measurement, parallel efficiency: ``study.optimize(one_second, n_trials=32)`` on a
local pool of 8 worker processes (SQLite), trials that each sleep one second: efficiency is
the ideal wall time (32 / 8 = 4 s) over the measured one, with the pool warm (its processes
started by an earlier ``optimize``) and cold (spawning them counted).

    python -m benchmarks.throughput                       # everything, 3 repetitions
    python -m benchmarks.throughput --quick               # 1 repetition, fewer trials
    python -m benchmarks.throughput --out benchmarks/results/issue-6.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

PG_URL = os.environ.get("TUNECRAFT_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PROCS = (1, 2, 4, 8)
WORKLOADS = ("trivial", "reports")
SYSTEMS = ("tunecraft-sqlite", "optuna-rdb-sqlite", "tunecraft-postgresql",
           "optuna-rdb-postgresql", "optuna-journal-file")


# ---------------------------------------------------------------------- worker process
def _tunecraft_objective(reports: bool) -> Callable[[Any], float]:
    """The trivial objective, for tunecraft's and Optuna's trials alike (hence ``Any``)."""
    def objective(trial: Any) -> float:
        x = float(trial.suggest_float("x", -2.0, 2.0))
        y = int(trial.suggest_int("y", 0, 9))
        if reports:
            for step in range(10):
                trial.report((x - 0.5) ** 2 + y / (step + 1), step)
        return (x - 0.5) ** 2 + y

    return objective


def child(system: str, target: str, study: str, n: int, workload: str) -> None:
    """Open the study, say ready, wait for the go line on stdin, run, print the times."""
    reports = workload == "reports"
    objective = _tunecraft_objective(reports)
    if system.startswith("tunecraft"):
        import tunecraft
        from tunecraft.pruners import NopPruner
        from tunecraft.samplers import RandomSampler

        st = tunecraft.load_study(study_name=study, storage=target,
                                  sampler=RandomSampler(), pruner=NopPruner())

        def run() -> None:
            st.optimize(objective, n_trials=n)
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = _optuna_storage(system, target)
        ost = optuna.load_study(study_name=study, storage=storage,
                                sampler=optuna.samplers.RandomSampler(),
                                pruner=optuna.pruners.NopPruner())

        def run() -> None:
            ost.optimize(objective, n_trials=n)
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.time()
    run()
    print(json.dumps({"start": start, "end": time.time()}), flush=True)


def _optuna_storage(system: str, target: str) -> Any:
    import optuna

    if system == "optuna-journal-file":
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(target))
    kwargs = {"connect_args": {"timeout": 60}} if target.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(target, engine_kwargs=kwargs)


# ---------------------------------------------------------------------- driver
@dataclass
class Setup:
    target: str
    study: str


def _prepare(system: str, folder: str) -> Setup:
    study = f"bench-{uuid.uuid4().hex[:10]}"
    if system == "tunecraft-sqlite":
        target = f"sqlite:///{folder}/tc-{study}.db"
    elif system == "optuna-rdb-sqlite":
        path = f"{folder}/op-{study}.db"
        import sqlite3

        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")  # as tunecraft does; persists in the file
        conn.close()
        target = f"sqlite:///{path}"
    elif system == "optuna-journal-file":
        target = f"{folder}/op-{study}.log"
    else:
        target = PG_URL
    if system.startswith("tunecraft"):
        import tunecraft

        tunecraft.create_study(storage=target, study_name=study).storage.close()
    else:
        import optuna

        optuna.create_study(study_name=study, storage=_optuna_storage(system, target))
    return Setup(target, study)


def measure(system: str, procs: int, n_trials: int, workload: str, folder: str) -> float:
    """Trials per second of ``procs`` processes running ``n_trials`` in all."""
    setup = _prepare(system, folder)
    per = n_trials // procs
    children = [subprocess.Popen(
        [sys.executable, "-m", "benchmarks.throughput", "--child", system, setup.target,
         setup.study, str(per), workload],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(procs)]
    for c in children:
        assert c.stdout is not None and c.stdout.readline().strip() == "ready"
    go = time.time()
    for c in children:
        assert c.stdin is not None
        c.stdin.write("go\n")
        c.stdin.flush()
    ends = []
    for c in children:
        out, _ = c.communicate(timeout=900)
        if c.returncode != 0:
            raise RuntimeError(f"{system} worker failed ({c.returncode})")
        ends.append(float(json.loads(out.strip().splitlines()[-1])["end"]))
    return per * procs / (max(ends) - go)


def parallel_efficiency(folder: str, n_trials: int = 32, workers: int = 8) -> dict[str, float]:
    """``n_trials`` one-second trials on ``workers`` processes: ideal wall time divided by the
    measured one, with the pool warm (steady state) and cold (spawning counted)."""
    import tunecraft
    from tunecraft.execution import ProcessPool
    from tunecraft.pruners import NopPruner
    from tunecraft.samplers import RandomSampler
    from tunecraft.testing.objectives import one_second, quadratic

    out: dict[str, float] = {"trials": float(n_trials), "workers": float(workers)}
    ideal = n_trials * 1.0 / workers
    for label in ("cold", "warm"):
        study = tunecraft.create_study(storage=f"sqlite:///{folder}/eff-{label}.db",
                                       sampler=RandomSampler(seed=0), pruner=NopPruner())
        pool = ProcessPool(workers)
        try:
            if label == "warm":  # spawn and import in every worker first
                study.optimize(quadratic, n_trials=4 * workers, executor=pool)
            t0 = time.perf_counter()
            study.optimize(one_second, n_trials=n_trials, executor=pool)
            wall = time.perf_counter() - t0
        finally:
            pool.shutdown()
            study.storage.close()
        out[f"wall_{label}"] = wall
        out[f"efficiency_{label}"] = ideal / wall
    return out


def run(reps: int, n_trials: int, systems: Sequence[str], procs: Sequence[int]
        ) -> dict[str, dict[str, dict[int, list[float]]]]:
    results: dict[str, dict[str, dict[int, list[float]]]] = {
        w: {s: {p: [] for p in procs} for s in systems} for w in WORKLOADS}
    with tempfile.TemporaryDirectory() as folder:
        for rep in range(reps):  # interleaved: machine load hits every system alike
            for workload in WORKLOADS:
                for p in procs:
                    for system in systems:
                        rate = measure(system, p, n_trials, workload, folder)
                        results[workload][system][p].append(rate)
                        print(f"rep {rep} {workload:8s} {system:24s} {p} procs: "
                              f"{rate:7.1f} trials/s", file=sys.stderr, flush=True)
    return results


def report(results: dict[str, dict[str, dict[int, list[float]]]], eff: dict[str, float],
           command: str, reps: int, n_trials: int, elapsed: float) -> str:
    med = {w: {s: {p: statistics.median(v) for p, v in by_p.items()}
               for s, by_p in by_s.items()} for w, by_s in results.items()}
    procs = sorted(next(iter(next(iter(results.values())).values())))
    load = os.getloadavg()
    lines = [
        "# Throughput: many worker processes on one study (issue #6)", "",
        f"Written by `{command}` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC in "
        f"{elapsed / 60:.1f} min; {reps} repetition(s), {n_trials} trials per measurement, "
        "median shown.", "",
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"python {platform.python_version()}; load average after: "
        f"{load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} (other jobs share this machine).",
        "- Clock: from the moment every process is ready (imports, connections and study "
        "loaded) to the last one's end; random sampler, no pruner.", "",
    ]
    for workload in WORKLOADS:
        title = ("trivial objective" if workload == "trivial"
                 else "10 reports per trial (per-epoch reporting)")
        lines += [f"## Trials per second, {title}", "",
                  "| system | " + " | ".join(f"{p} proc" for p in procs) + " |",
                  "|---|" + "---|" * len(procs)]
        for system, by_p in med[workload].items():
            lines.append(f"| {system} | " + " | ".join(f"{by_p[p]:.0f}" for p in procs)
                         + " |")
        lines.append("")
        for db in ("sqlite", "postgresql"):
            tc, op = f"tunecraft-{db}", f"optuna-rdb-{db}"
            if tc in med[workload] and op in med[workload]:
                ratios = ", ".join(f"{p}: x{med[workload][tc][p] / med[workload][op][p]:.1f}"
                                   for p in procs)
                lines.append(f"- tunecraft / Optuna RDB on {db}, by processes: {ratios}")
        lines.append("")
    lines += ["## Targets", ""]
    for db in ("sqlite", "postgresql"):
        tc, op = f"tunecraft-{db}", f"optuna-rdb-{db}"
        if tc in med["trivial"] and op in med["trivial"] and 8 in procs:
            ratio = med["trivial"][tc][8] / med["trivial"][op][8]
            lines.append(f"- {db}, 8 processes, trivial objective: tunecraft "
                         f"{med['trivial'][tc][8]:.0f} vs Optuna RDB "
                         f"{med['trivial'][op][8]:.0f} trials/s = x{ratio:.1f}; target "
                         f">= x5: **{'MET' if ratio >= 5 else 'NOT MET'}**")
    if eff:
        ideal = eff["trials"] / eff["workers"]
        lines.append(
            f"- Parallel efficiency, `optimize(one_second, n_trials={eff['trials']:.0f})` on "
            f"a pool of {eff['workers']:.0f} worker processes, SQLite (ideal wall time "
            f"{ideal:.0f} s): warm pool {eff['efficiency_warm']:.1%} (wall "
            f"{eff['wall_warm']:.2f} s); target >= 85%: "
            f"**{'MET' if eff['efficiency_warm'] >= 0.85 else 'NOT MET'}**. With the pool's "
            f"start-up counted (8 interpreters spawned on 2 cores): {eff['efficiency_cold']:.1%}"
            f" (wall {eff['wall_cold']:.2f} s).")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--child", nargs=5, metavar=("SYSTEM", "TARGET", "STUDY", "N", "W"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int)
    parser.add_argument("--trials", type=int)
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--procs", nargs="+", type=int, default=list(PROCS))
    parser.add_argument("--skip-efficiency", action="store_true")
    parser.add_argument("--out", help="write the Markdown report here (default: stdout)")
    args = parser.parse_args(argv)
    if args.child:
        system, target, study, n, workload = args.child
        child(system, target, study, int(n), workload)
        return 0
    reps = args.reps or (1 if args.quick else 3)
    n_trials = args.trials or (80 if args.quick else 400)
    started = time.time()
    results = run(reps, n_trials, args.systems, args.procs)
    eff: dict[str, float] = {}
    if not args.skip_efficiency:  # median of the repetitions, like the throughputs
        runs = []
        for _ in range(reps):
            with tempfile.TemporaryDirectory() as folder:
                runs.append(parallel_efficiency(folder))
        eff = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    command = "python -m benchmarks.throughput " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]))
    text = report(results, eff, command.strip(), reps, n_trials, time.time() - started)
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
