"""CMA-ES time per trial against the history's length, beside Optuna's CmaEsSampler (#18).

Both samplers run the same cheap problem (``rosenbrock10`` by default: microseconds per
evaluation) with in-memory storage. A trial's overhead is the time outside the objective
(tell, ask, sampling, suggest calls, bookkeeping). Reported: the mean overhead over the 100
trials that end at each checkpoint (100, 1,000, 3,000), median over repetitions, and the
ratio of the last checkpoint to the first (1.0 = flat), with the best loss reached as a check
that quality is unchanged. Repetitions are interleaved across samplers so that a change in
machine load hits both alike.

    python -m benchmarks.cmaes_time                 # 3,000 trials x 3 repetitions (~3 min)
    python -m benchmarks.cmaes_time --quick         # 1,000 trials x 1 repetition
    python -m benchmarks.cmaes_time --trials 3000 --reps 1 --problem ackley5
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
from collections.abc import Sequence
from datetime import date

import numpy as np

from benchmarks.bo_adapters import run
from benchmarks.problems import get_problem

ADAPTERS = ("tunecraft-cmaes", "optuna-cmaes")
WINDOW = 100


def checkpoints(n_trials: int) -> list[int]:
    """The checkpoints (100, 1,000, 3,000) a run of ``n_trials`` reaches, and its end."""
    points = [c for c in (100, 1000, 3000) if c <= n_trials]
    return points if points and points[-1] == n_trials else [*points, n_trials]


def measure(problem_name: str, n_trials: int, reps: int
            ) -> dict[str, tuple[np.ndarray, list[float]]]:
    """Adapter -> (ms per trial at each checkpoint, median over reps; best loss per rep)."""
    problem = get_problem(problem_name)
    points = checkpoints(n_trials)
    for adapter in ADAPTERS:  # warm-up: imports and first-call costs stay out of the numbers
        run(adapter, problem, 10_000, 12)
    per: dict[str, list[list[float]]] = {a: [] for a in ADAPTERS}
    best: dict[str, list[float]] = {a: [] for a in ADAPTERS}
    for rep in range(reps):
        for adapter in ADAPTERS:
            gc.collect()
            trace = run(adapter, problem, rep, n_trials)
            ms = trace.overhead * 1e3
            per[adapter].append([float(ms[max(0, p - WINDOW):p].mean()) for p in points])
            best[adapter].append(float(np.nanmin(trace.values[:, 0])))
            print(f"  {adapter} rep {rep}: " + ", ".join(
                f"{p}: {v:.2f} ms" for p, v in zip(points, per[adapter][-1], strict=True)),
                file=sys.stderr, flush=True)
    return {a: (np.median(np.array(per[a]), axis=0), best[a]) for a in ADAPTERS}


def render(problem: str, n_trials: int, reps: int,
           results: dict[str, tuple[np.ndarray, list[float]]]) -> str:
    """A markdown table of the measurement."""
    points = checkpoints(n_trials)
    head = " | ".join(f"ms/trial @ {p}" for p in points)
    lines = [f"CMA-ES time per trial on `{problem}`, {n_trials} trials, median of {reps} "
             f"repetition(s), mean over the {WINDOW} trials ending at each checkpoint; "
             f"{date.today()}, {platform.machine()}, 2 cores shared.", "",
             f"| sampler | {head} | last / first | best loss (median) |",
             "|---|" + "---|" * (len(points) + 2)]
    for adapter, (ms, best) in results.items():
        cells = " | ".join(f"{v:.2f}" for v in ms)
        lines.append(f"| {adapter} | {cells} | {ms[-1] / ms[0]:.2f} | "
                     f"{float(np.median(best)):.4g} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 trials, 1 repetition")
    parser.add_argument("--trials", type=int, default=None, help="trials per run (3000)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (3)")
    parser.add_argument("--problem", default="rosenbrock10", help="a benchmarks.problems name")
    args = parser.parse_args(argv)
    n_trials = args.trials or (1000 if args.quick else 3000)
    reps = args.reps or (1 if args.quick else 3)
    if n_trials < WINDOW:
        parser.error(f"--trials must be at least {WINDOW}")
    results = measure(args.problem, n_trials, reps)
    print(render(args.problem, n_trials, reps, results))


if __name__ == "__main__":
    main()
