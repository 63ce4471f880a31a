"""Sampler overhead: milliseconds per trial spent outside the objective, early and late in a run.

Each optimiser runs the cheap 8-D mixed problem (``mixed8``: floats, a log float, ints, a log
int, two categoricals; microseconds per evaluation) for ``n_trials`` with in-memory storage.
A trial's overhead is the time from the end of the previous evaluation to the start of its own
(tell, ask, sampling, suggest calls, bookkeeping). Reported: the mean over trials 1-100 and over
the last 100 trials, median over repetitions, and the ratio to Optuna's multivariate TPE.
Repetitions are interleaved across optimisers so that a change in machine load hits all alike.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.adapters import REFERENCE, run_adapter
from benchmarks.problems import get_problem

PROBLEM = "mixed8"


@dataclass(frozen=True)
class Overhead:
    """Per-trial overhead of one optimiser, in milliseconds, median over repetitions.

    Attributes:
        first: Mean over trials 1-``window``.
        last: Mean over the last ``window`` trials.
        first_reps: The per-repetition means behind ``first``.
        last_reps: The per-repetition means behind ``last``.
    """

    first: float
    last: float
    first_reps: tuple[float, ...]
    last_reps: tuple[float, ...]


def measure(adapters: Sequence[str], n_trials: int = 1000, reps: int = 3, window: int = 100,
            log: bool = True) -> dict[str, Overhead]:
    """Run every adapter ``reps`` times for ``n_trials`` trials and summarise its overhead."""
    if n_trials < window:
        raise ValueError(f"n_trials={n_trials} must be at least window={window}")
    problem = get_problem(PROBLEM)
    for adapter in adapters:  # warm-up: imports and first-call costs stay out of the numbers
        run_adapter(adapter, problem, 10_000, 12)
    first: dict[str, list[float]] = {a: [] for a in adapters}
    last: dict[str, list[float]] = {a: [] for a in adapters}
    for rep in range(reps):
        for adapter in adapters:
            gc.collect()
            started = time.perf_counter()
            per_trial = run_adapter(adapter, problem, rep, n_trials).overhead() * 1e3
            first[adapter].append(float(per_trial[:window].mean()))
            last[adapter].append(float(per_trial[-window:].mean()))
            if log:
                print(f"  overhead rep {rep + 1}/{reps} {adapter}: {first[adapter][-1]:.2f} ms "
                      f"(trials 1-{window}), {last[adapter][-1]:.2f} ms (last {window}); "
                      f"{time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    return {a: Overhead(float(np.median(first[a])), float(np.median(last[a])),
                        tuple(first[a]), tuple(last[a])) for a in adapters}


def markdown(results: dict[str, Overhead], n_trials: int, window: int = 100,
             reference: str = REFERENCE) -> str:
    """A table of ms/trial (median over repetitions) and the ratio to the reference."""
    ref = results.get(reference)
    head = ["optimiser", f"ms/trial, trials 1-{window}", "ratio",
            f"ms/trial, trials {n_trials - window + 1}-{n_trials}", "ratio",
            f"last {window}: per repetition"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for adapter, r in results.items():
        r1 = f"{r.first / ref.first:.2f}" if ref else "-"
        r2 = f"{r.last / ref.last:.2f}" if ref else "-"
        reps = ", ".join(f"{x:.2f}" for x in r.last_reps)
        lines.append(f"| {adapter} | {r.first:.2f} | {r1} | {r.last:.2f} | {r2} | {reps} |")
    return "\n".join(lines)
