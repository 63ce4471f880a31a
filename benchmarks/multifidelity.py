"""Multi-fidelity benchmark (issue #4): epochs needed to reach the accuracy that 100 full-budget
random trials reach, on two deep-learning tasks (``benchmarks/mf_tasks.py``).

    python -m benchmarks.multifidelity                 # 5 seeds, 2 tasks, every method
    python -m benchmarks.multifidelity --quick         # 2 seeds, digits only, 30 random trials
    python -m benchmarks.multifidelity --jobs 16       # runs in parallel processes

First, ``random-full`` (tunecraft's RandomSampler, no pruning) trains 100 configurations for
the full budget of R = 27 epochs on each seed; the target accuracy of a task is the median over
seeds of their best validation accuracy. Then every other method runs on each seed until one
of its trials has trained for the full budget and reached the target, or until it has spent
the random search's 100 x 27 epochs. Epochs are counted as trained (a trial resumed from a
checkpoint at epoch 9 and stopped at 27 trained 18), with the wall-clock time of the run.
Reported: the median over seeds of the epochs (and seconds) to the target, with ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from benchmarks.mf_tasks import TASKS

HERE = Path(__file__).resolve().parent
R, ETA = 27, 3
METHODS = {
    "random-full": "tunecraft RandomSampler, every trial trained for 27 epochs (the baseline)",
    "tc-hyperband": "tunecraft TPESampler(multi_fidelity=True) + HyperbandPruner(1, 27, 3, "
                    "pause=True); promoted trials resume from their checkpoint",
    "tc-hyperband-adaptive": "tc-hyperband with bracket_choice='adaptive': brackets get epochs "
                             "by how well their first rung's ranking agrees with epoch 27's",
    "tc-hyperband-equal": "tc-hyperband with bracket_choice='equal' (Hyperband's equal epochs "
                          "per bracket)",
    "tc-hyperband-noresume": "the same, but fit(checkpoints=False): trials promoted late "
                             "(after a pause) retrain from the start; those promoted on "
                             "arrival at a rung still go on training",
    "tc-hyperband-jobs": "tc-hyperband with promote_in_place=False: every rung ends a job and "
                         "every promotion goes through the queue (Li et al.'s ASHA), resuming",
    "tc-hyperband-jobs-noresume": "the same without checkpoints: every promotion retrains "
                                  "from the start (Hyperband without checkpointing)",
    "tc-hyperband-rungs": "tc-hyperband with fit(horizon='rungs'): the cosine schedule "
                          "restarts at every rung",
    "tc-asha": "tunecraft TPESampler(multi_fidelity=True) + SuccessiveHalvingPruner(1, 3, "
               "max_resource=27, pause=True), resuming",
    "tc-asha-jobs": "tc-asha with promote_in_place=False (every rung ends a job), resuming",
    "tc-asha-jobs-noresume": "the same without checkpoints: every promotion retrains",
    "optuna-hyperband": "optuna TPESampler(seed) + HyperbandPruner(1, 27, 3)",
}


@dataclass
class Run:
    """One method on one task and seed: what each finished trial cost and reached."""

    task: str
    method: str
    seed: int
    epochs: list[int]  # cumulative epochs trained after each finished trial
    seconds: list[float]  # cumulative wall-clock seconds
    full: list[float | None]  # the accuracy of a trial trained for the full budget, else None

    def to_target(self, target: float) -> tuple[float, float]:
        """(epochs, seconds) when a full-budget trial first reached ``target`` (inf if never)."""
        for e, s, a in zip(self.epochs, self.seconds, self.full, strict=True):
            if a is not None and a >= target - 1e-12:
                return float(e), s
        return float("inf"), float("inf")

    def best(self) -> float:
        return max((a for a in self.full if a is not None), default=float("nan"))


class _Ledger:
    """Counts epochs and time as trials finish; stops the study at the target or budget."""

    def __init__(self, run: Run, target: float | None, budget: int) -> None:
        self.run, self.target, self.budget = run, target, budget
        self.total, self.start = 0, time.perf_counter()

    def add(self, trained: int, full_accuracy: float | None) -> bool:
        """Record a finished trial; True when the run should stop."""
        self.total += trained
        self.run.epochs.append(self.total)
        self.run.seconds.append(time.perf_counter() - self.start)
        self.run.full.append(full_accuracy)
        reached = (self.target is not None and full_accuracy is not None
                   and full_accuracy >= self.target - 1e-12)
        return reached or self.total >= self.budget


def run_tunecraft(task_name: str, method: str, seed: int, target: float | None,
                  n_random: int) -> Run:
    import tunecraft
    from tunecraft.pruners import (
        BasePruner,
        HyperbandPruner,
        NopPruner,
        SuccessiveHalvingPruner,
    )
    from tunecraft.samplers import RandomSampler, TPESampler
    from tunecraft.samplers.base import BaseSampler
    from tunecraft.torch import fit

    task = TASKS[task_name]
    train, val = task.data()
    run = Run(task_name, method, seed, [], [], [])
    ledger = _Ledger(run, target, n_random * R)
    sampler: BaseSampler = TPESampler(seed=seed, multi_fidelity=True)
    in_place = "-jobs" not in method
    pruner: BasePruner = HyperbandPruner(1, R, ETA, pause=True, promote_in_place=in_place)
    if method in ("tc-hyperband-equal", "tc-hyperband-adaptive"):  # else the default choice
        pruner = HyperbandPruner(1, R, ETA, pause=True,
                                 bracket_choice="equal" if method.endswith("l") else "adaptive")
    if method == "random-full":
        sampler, pruner = RandomSampler(seed=seed), NopPruner()
    elif method.startswith("tc-asha"):
        pruner = SuccessiveHalvingPruner(1, ETA, max_resource=R, pause=True,
                                         promote_in_place=in_place)
    resume = not method.endswith("-noresume")
    horizon: Literal["max_epochs", "rungs"] = (
        "rungs" if method == "tc-hyperband-rungs" else "max_epochs")
    study = tunecraft.create_study(direction="maximize", sampler=sampler, pruner=pruner)

    def objective(trial: tunecraft.Trial) -> float:
        config, factory = task.suggest(trial)
        info = trial.resumed_from
        start = info.step if resume and info and trial.load_checkpoint() is not None else 0
        trial.set_user_attr("start", start)
        return fit(factory, train, val, config, trial, max_epochs=R, device="cpu",
                   checkpoints=resume, horizon=horizon).best_metric

    def account(study: tunecraft.Study, frozen: tunecraft.FrozenTrial) -> None:
        trained = (frozen.last_step or 0) - int(frozen.user_attrs.get("start", 0))
        full = frozen.value if frozen.state is tunecraft.TrialState.COMPLETE else None
        if ledger.add(trained, full):
            study.stop()

    n_trials = n_random if method == "random-full" else None
    study.optimize(objective, n_trials=n_trials, callbacks=[account], catch=())
    return run


class _OptunaTrial:
    """What ``fit`` asks of a trial, on top of an Optuna trial (report, and prune or not)."""

    budget = None
    resumed_from = None

    def __init__(self, trial: Any) -> None:
        self.trial, self.number, self.last = trial, trial.number, 0

    def report(self, value: float, step: int) -> None:
        self.trial.report(value, step)
        self.last = step

    def decide(self) -> Any:
        from tunecraft.pruners import Decision

        return Decision.PRUNE if self.trial.should_prune() else Decision.CONTINUE

    def load_checkpoint(self) -> None:
        return None


def run_optuna(task_name: str, method: str, seed: int, target: float | None,
               n_random: int) -> Run:
    import optuna

    from tunecraft import TrialPruned
    from tunecraft.torch import fit

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    task = TASKS[task_name]
    train, val = task.data()
    run = Run(task_name, method, seed, [], [], [])
    ledger = _Ledger(run, target, n_random * R)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=R,
                                              reduction_factor=ETA))

    def objective(trial: Any) -> float:
        config, factory = task.suggest(trial)
        adapter = _OptunaTrial(trial)
        try:
            result = fit(factory, train, val, config, adapter,
                         max_epochs=R, device="cpu")
        except TrialPruned:
            if ledger.add(adapter.last, None):
                study.stop()
            raise optuna.TrialPruned() from None
        if ledger.add(adapter.last, result.best_metric if adapter.last == R else None):
            study.stop()
        return result.best_metric

    study.optimize(objective, catch=())
    return run


def run_one(task: str, method: str, seed: int, target: float | None, n_random: int) -> Run:
    import torch

    torch.set_num_threads(1)
    runner: Callable[..., Run] = run_optuna if method.startswith("optuna") else run_tunecraft
    return runner(task, method, seed, target, n_random)


def _parallel(jobs: list[tuple[Any, ...]], n_jobs: int) -> list[Run]:
    if n_jobs == 1:
        return [run_one(*job) for job in jobs]
    with ProcessPoolExecutor(n_jobs) as pool:
        futures = [pool.submit(run_one, *job) for job in jobs]
        return [f.result() for f in futures]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="2 seeds, digits-mlp only, 30 random trials")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=sorted(TASKS))
    p.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    p.add_argument("--random-trials", type=int, default=100)
    p.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 16))
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-4.md")
    p.add_argument("--raw", type=Path, default=HERE / "out" / "issue-4.json",
                   help="JSON of every run (git-ignored by default)")
    p.add_argument("--from-json", type=Path, default=None,
                   help="rewrite the report from the JSON of an earlier run, running nothing")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.tasks, args.random_trials = 2, ["digits-mlp"], 30
    return args


def main(argv: Sequence[str] | None = None) -> None:
    from benchmarks.mf_report import write_report

    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.from_json is not None:
        data = json.loads(args.from_json.read_text())
        write_report(args.out, [Run(**r) for r in data["runs"]], data["targets"], data["meta"])
        print(args.out.read_text())
        return
    started = time.perf_counter()
    seeds = range(args.seeds)
    base = _parallel([(t, "random-full", s, None, args.random_trials)
                      for t in args.tasks for s in seeds], args.jobs)
    targets = {t: float(np.median([r.best() for r in base if r.task == t]))
               for t in args.tasks}
    others = [m for m in args.methods if m != "random-full"]
    runs = base + _parallel([(t, m, s, targets[t], args.random_trials)
                             for t in args.tasks for m in others for s in seeds], args.jobs)
    meta = {"command": "python -m benchmarks.multifidelity " + " ".join(argv),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "minutes": (time.perf_counter() - started) / 60, "jobs": args.jobs,
            "machine": f"{platform.processor() or platform.machine()}, "
                       f"{os.cpu_count()} logical cores, {platform.platform()}",
            "random_trials": args.random_trials, "seeds": args.seeds}
    args.raw.parent.mkdir(parents=True, exist_ok=True)
    args.raw.write_text(json.dumps({"targets": targets, "meta": meta,
                                    "runs": [asdict(r) for r in runs]}))
    write_report(args.out, runs, targets, meta)
    print(args.out.read_text())


if __name__ == "__main__":
    main()
