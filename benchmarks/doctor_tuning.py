"""Diagnosis-aware tuning (issue #15): does pruning sick trials save compute?

Run: ``python -m benchmarks.doctor_tuning [--seeds 5] [--trials 40] [--workers 2] [--out P]``.

Tasks: MLPs on digits (64 features, 10 classes) and on a 30-feature 5-class table, trained for
at most R = 9 epochs, over a wide, realistic space: learning rate log-uniform over 6.5
decades (1e-6..3), SGD(momentum 0.9)/Adam, activation relu/tanh/sigmoid, depth 1..8,
width 16..128, initialisation torch_default/kaiming_normal/xavier_normal, weight decay
1e-6..1e-1 (log). Methods, each on the same seeds:

- ``random-full``: RandomSampler, every trial trained for R epochs (the baseline; its best
  accuracy, median over seeds, is the task's target);
- ``none``: the default sampler (AutoSampler), no pruning;
- ``hyperband``: the default sampler + HyperbandPruner(1, R, 3);
- ``doctor-hyperband``: the default sampler + DiagnosisPruner(HyperbandPruner(1, R, 3)),
  trials trained with ``fit(doctor=True)`` (its overhead is in its time).

Every method spends the same budget, ``trials x R`` epochs. Reported, median over seeds:
epochs and seconds until a trial trained for the full R epochs first reaches the target;
the best full-budget accuracy in the budget; and the top-10 count (BTTackler's metric:
of the 10 best full-budget trials that all methods found on a seed together, how many this
method found).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.doctor_zoo_cases import dims, load

R, ETA = 9, 3
TASKS = ("digits", "wide_table")
METHODS = ("random-full", "none", "hyperband", "doctor-hyperband")


@dataclass
class Run:
    """One method on one task and seed: what each finished trial cost and reached."""

    task: str
    method: str
    seed: int
    epochs: list[int] = field(default_factory=list)  # cumulative epochs after each trial
    seconds: list[float] = field(default_factory=list)
    full: list[float | None] = field(default_factory=list)  # accuracy if trained R epochs
    pruned_by_doctor: int = 0

    def to_target(self, target: float) -> tuple[float, float]:
        """(epochs, seconds) when a full-budget trial first reached ``target`` (inf if never)."""
        for e, s, a in zip(self.epochs, self.seconds, self.full, strict=True):
            if a is not None and a >= target - 1e-12:
                return float(e), s
        return math.inf, math.inf

    def best(self) -> float:
        return max((a for a in self.full if a is not None), default=math.nan)


def suggest(trial: Any, data: str) -> tuple[Any, Any]:
    """The wide space: a TrainConfig and a model factory."""
    from tunecraft.torch import TrainConfig
    from tunecraft.torch.mlp import MLPSpec

    n_in, n_out = dims(data)
    opt = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    config = TrainConfig(
        lr=trial.suggest_float("lr", 1e-6, 3.0, log=True), optimizer=opt,
        momentum=0.9 if opt == "sgd" else None, batch_size=64,
        weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True),
        init=trial.suggest_categorical("init", ["torch_default", "kaiming_normal",
                                                "xavier_normal"]), seed=trial.number)
    spec = MLPSpec(n_in, n_out, depth=trial.suggest_int("depth", 1, 8),
                   width=trial.suggest_int("width", 16, 128, log=True),
                   activation=trial.suggest_categorical("activation",
                                                        ["relu", "tanh", "sigmoid"]))
    return config, spec


def run_method(task: str, method: str, seed: int, n_trials: int) -> Run:
    import torch

    import tunecraft
    from tunecraft.pruners import DiagnosisPruner, HyperbandPruner, NopPruner
    from tunecraft.samplers import RandomSampler
    from tunecraft.samplers.auto import AutoSampler
    from tunecraft.torch import fit

    torch.set_num_threads(1)
    train, val = load(task, seed, None)
    budget = n_trials * R
    run = Run(task, method, seed)
    pruner: Any = NopPruner()
    sampler: Any = AutoSampler(seed=seed)
    if method == "random-full":
        sampler = RandomSampler(seed=seed)
    elif method == "hyperband":
        pruner = HyperbandPruner(1, R, ETA)
    elif method == "doctor-hyperband":
        pruner = DiagnosisPruner(HyperbandPruner(1, R, ETA))
    doctor = method == "doctor-hyperband"
    from tunecraft.torch import TrainConfig
    from tunecraft.torch.mlp import MLPSpec

    n_in, n_out = dims(task)  # warm up (imports, allocator) before the clock starts
    fit(MLPSpec(n_in, n_out, depth=1, width=8), train, val, TrainConfig(), max_epochs=1,
        device="cpu", doctor=doctor)
    study = tunecraft.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    total, start = 0, time.perf_counter()

    def objective(trial: tunecraft.Trial) -> float:
        config, factory = suggest(trial, task)
        return fit(factory, train, val, config, trial, max_epochs=R, device="cpu",
                   doctor=doctor).best_metric

    def account(study: tunecraft.Study, frozen: tunecraft.FrozenTrial) -> None:
        nonlocal total
        total += frozen.last_step or 0
        run.epochs.append(total)
        run.seconds.append(time.perf_counter() - start)
        complete = frozen.state is tunecraft.TrialState.COMPLETE
        diverged = "diverged" in frozen.user_attrs
        ok = complete and frozen.last_step == R and not diverged
        run.full.append(frozen.value if ok and frozen.value is not None else None)
        if doctor and frozen.state is tunecraft.TrialState.PRUNED and isinstance(
                pruner, DiagnosisPruner) and pruner.reason(frozen) is not None:
            run.pruned_by_doctor += 1
        if total >= budget:
            study.stop()

    study.optimize(objective, callbacks=[account], catch=(),
                   n_trials=n_trials if method in ("random-full", "none") else None)
    return run


def _run(args: tuple[str, str, int, int]) -> Run:
    return run_method(*args)


def summarise(runs: list[Run]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for task in sorted({r.task for r in runs}):
        mine = [r for r in runs if r.task == task]
        target = statistics.median(r.best() for r in mine if r.method == "random-full")
        rows: dict[str, Any] = {}
        seeds = sorted({r.seed for r in mine})
        top10: dict[tuple[str, int], int] = {}
        for seed in seeds:
            pool = sorted(((a, r.method) for r in mine if r.seed == seed for a in r.full
                           if a is not None), key=lambda p: -p[0])[:10]
            for r in mine:
                if r.seed == seed:
                    top10[(r.method, seed)] = sum(m == r.method for _, m in pool)
        for method in METHODS:
            ms = [r for r in mine if r.method == method]
            if not ms:
                continue
            hits = [r.to_target(target) for r in ms]
            rows[method] = {
                "epochs_to_target": statistics.median(h[0] for h in hits),
                "seconds_to_target": statistics.median(h[1] for h in hits),
                "reached": sum(math.isfinite(h[0]) for h in hits),
                "best": statistics.median(r.best() for r in ms),
                "top10": statistics.median(top10[(method, r.seed)] for r in ms),
                "trials": statistics.median(len(r.full) for r in ms),
                "pruned_by_doctor": statistics.median(r.pruned_by_doctor for r in ms),
            }
        out[task] = {"target": target, "methods": rows}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=40, help="budget = trials x R epochs")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    jobs = [(task, method, seed, args.trials) for task in args.tasks.split(",")
            for seed in range(args.seeds) for method in METHODS]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(pool.map(_run, jobs))
    summary = summarise(runs)
    for task, s in summary.items():
        print(f"\n{task}: target accuracy {s['target']:.4f} (median best of random-full)")
        base = s["methods"].get("hyperband", {}).get("epochs_to_target", math.nan)
        for method, m in s["methods"].items():
            ratio = m["epochs_to_target"] / base if base and math.isfinite(base) else math.nan
            print(f"  {method:17s} epochs to target {m['epochs_to_target']:7.1f} "
                  f"({m['reached']}/{args.seeds} reached; x{ratio:.2f} of hyperband)  "
                  f"seconds {m['seconds_to_target']:7.1f}  best {m['best']:.4f}  "
                  f"top-10 {m['top10']:.1f}  trials {m['trials']:.0f}  "
                  f"doctor-pruned {m['pruned_by_doctor']:.0f}")
    print(f"wall {time.perf_counter() - started:.0f} s")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "summary": summary,
                       "runs": [asdict(r) for r in runs]}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
