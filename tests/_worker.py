"""A study driver run as a separate process by the crash-resume and concurrency tests.

    python tests/_worker.py URL STUDY [--n-trials N | --total N] [--sampler random|grid]
                            [--seed S] [--sleep SECONDS]

It joins (or creates) the study and optimises a small objective that reports step 0 (so a
watcher can see it is inside the objective), sleeps, and returns. ``--n-trials`` runs that
many trials in this process; ``--total`` runs until the study has that many COMPLETE trials,
so running the same command again after a crash finishes the job. On success it prints one
JSON line: ``{"numbers": [...]}``, the trials this process ran.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import tunecraft
from tunecraft.pruners import NopPruner
from tunecraft.samplers import GridSampler, RandomSampler
from tunecraft.samplers.base import BaseSampler

GRID = {"x": [-2.0, -1.0, 0.0, 1.0, 2.0], "y": [0, 3, 6, 9]}


def objective_for(sleep: float) -> Callable[[tunecraft.Trial], float]:
    def objective(trial: tunecraft.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        y = trial.suggest_int("y", 0, 9)
        trial.report(0.0, step=0)  # flushes: the trial is now visibly inside the objective
        if sleep:
            time.sleep(sleep)
        return (x - 0.5) ** 2 + y

    return objective


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("storage")
    parser.add_argument("study")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--n-trials", type=int)
    group.add_argument("--total", type=int)
    parser.add_argument("--sampler", choices=["random", "grid"], default="random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sleep", type=float, default=0.0)
    args = parser.parse_args()

    sampler: BaseSampler = (GridSampler(GRID, seed=args.seed) if args.sampler == "grid"
                            else RandomSampler(seed=args.seed))
    study = tunecraft.create_study(storage=args.storage, study_name=args.study,
                                   sampler=sampler, pruner=NopPruner(), load_if_exists=True)
    n_trials = args.n_trials
    if args.total is not None:
        done = study.storage.state_counts(args.study)[tunecraft.TrialState.COMPLETE]
        n_trials = max(0, args.total - done)
    ran: list[int] = []
    study.optimize(objective_for(args.sleep), n_trials=n_trials, catch=(),
                   callbacks=[lambda _study, frozen: ran.append(frozen.number)])
    print(json.dumps({"numbers": ran}), flush=True)


if __name__ == "__main__":
    main()
