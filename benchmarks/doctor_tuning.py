"""Diagnosis-aware tuning (issue #15): does pruning sick trials save compute?

Run: ``python -m benchmarks.doctor_tuning [--seeds 5] [--trials 40] [--workers 2] [--out P]``.

Tasks (benchmarks/doctor_tuning_tasks.py): an MLP on digits, a GRU on sequences and a 2-D
CNN on bar images, each trained for at most R = 9 epochs, over a wide, realistic space:
learning rate log-uniform over 6.5 decades (1e-6..3), SGD(momentum 0.9)/Adam, activation
relu/tanh/sigmoid, depth, width, initialisation torch_default/kaiming_normal/xavier_normal,
weight decay 1e-6..1e-1 (log). Methods, each on the same seeds:

- ``random-full``: RandomSampler, every trial trained for R epochs (the baseline; its best
  accuracy, median over seeds, is the task's target);
- ``none``: the default sampler (AutoSampler), no pruning;
- ``hyperband``: the default sampler + HyperbandPruner(1, R, 3) (equal bracket split);
- ``doctor-hyperband``: the default sampler + DiagnosisPruner(HyperbandPruner(1, R, 3)),
  trials trained with ``fit(doctor=True)`` (its overhead is in its time).

Every method spends the same budget, ``trials x R`` epochs. Reported, median over seeds:
epochs and seconds until a trial trained for the full R epochs first reaches the target;
the best full-budget accuracy in the budget; and the top-10 count (BTTackler's metric:
of the 10 best full-budget trials that random-full, none, hyperband and one doctor arm found
on a seed together, how many this method found).

Since 2026-12-08 the doctor arms prune within the first epoch
(``DiagnosisPruner(substep_progress=0.05)``, off in the library by default); suffixes:
``-nosub`` turns that off (the library's default), ``-oldgp`` runs the GP as before that
day, ignoring PRUNED trials (now it observes them, ``tunecraft/samplers/gp/_data.py``).
Epochs are counted as optimizer steps over an epoch's steps, so a trial stopped within an
epoch costs a fraction.

Two more doctor arms: ``doctor-hyperband-noconfirm`` uses ``DiagnosisPruner(confirm=False)``
(it prunes on the diagnosis alone, as before the metric check), and
``doctor-hyperband+lr_too_low`` also prunes ``lr_too_low`` at ``error`` (confirmed by the
metric). ``doctor-hyperband-early`` (an experiment, not part of the default run) also lets
the hopeless-plateau rule judge ``underfitting`` at ``warning`` and from the second trial on
(one other trial's report at the step instead of three). Runs of other method names found in
``--log`` are summarised too (e.g. an earlier version of an arm, renamed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import tunecraft.pruners._hopeless as hopeless_rule
from benchmarks.doctor_tuning_tasks import TASK_DATA, load_task, suggest

R, ETA = 9, 3
BRACKETS: Final = "equal"
"""Hyperband's bracket split in both arms, pinned: the paper's equal split, which every run
logged here so far used (HyperbandPruner's default became "adaptive" on 2026-12-07)."""
_MIN_OTHERS: Final = hopeless_rule._MIN_OTHERS  # the library's value, restored per run
TASKS = tuple(TASK_DATA)
METHODS = ("random-full", "none", "hyperband", "doctor-hyperband", "doctor-hyperband-noconfirm",
           "doctor-hyperband+lr_too_low")


@dataclass
class Run:
    """One method on one task and seed: what each finished trial cost and reached."""

    task: str
    method: str
    seed: int
    epochs: list[float] = field(default_factory=list)  # cumulative epochs after each trial
    seconds: list[float] = field(default_factory=list)
    full: list[float | None] = field(default_factory=list)  # accuracy if trained R epochs
    pruned_by_doctor: int = 0
    detail: list[dict[str, Any]] = field(default_factory=list)  # per trial, for audits
    fractional: bool = False  # epochs are optimizer steps / steps per epoch (else whole epochs)
    whole: list[int] = field(default_factory=list)  # cumulative last reported epochs (as before)

    def to_target(self, target: float) -> tuple[float, float]:
        """(epochs, seconds) when a full-budget trial first reached ``target`` (inf if never)."""
        for e, s, a in zip(self.epochs, self.seconds, self.full, strict=True):
            if a is not None and a >= target - 1e-12:
                return float(e), s
        return math.inf, math.inf

    def best(self) -> float:
        return max((a for a in self.full if a is not None), default=math.nan)


def run_method(task: str, method: str, seed: int, n_trials: int) -> Run:
    import torch

    import tunecraft
    from tunecraft.pruners import DiagnosisPruner, HyperbandPruner, NopPruner
    from tunecraft.pruners._substep import MIN_PROGRESS
    from tunecraft.pruners.diagnosis import UNRECOVERABLE
    from tunecraft.samplers import RandomSampler
    from tunecraft.samplers.auto import AutoSampler
    from tunecraft.samplers.gp import _data as gp_data
    from tunecraft.torch import fit

    torch.set_num_threads(1)
    train, val = load_task(task, seed)
    budget = n_trials * R
    run = Run(task, method, seed, fractional=True)  # the arm's full name, suffixes included
    # "-oldgp": the GP before 2026-12-08, which ignored PRUNED trials (module state, so
    # every run in this process sets it); "-nosub": no first-epoch (sub-epoch) decisions
    gp_data.PRUNED_AS_OBSERVATIONS = "-oldgp" not in method
    substep = None if "-nosub" in method else MIN_PROGRESS
    method = method.replace("-oldgp", "").replace("-nosub", "")
    steps_per_epoch = math.ceil(len(train[1]) / 64)  # every task trains with batch_size=64
    steps: dict[int, int] = {}
    pruner: Any = NopPruner()
    sampler: Any = AutoSampler(seed=seed)
    if method == "random-full":
        sampler = RandomSampler(seed=seed)
    elif method == "hyperband":
        pruner = HyperbandPruner(1, R, ETA, bracket_choice=BRACKETS)
    elif method.startswith("doctor-hyperband"):
        codes = {**UNRECOVERABLE, "lr_too_low": "error"} if "lr_too_low" in method else None
        hopeless = None
        # the experiment judges from the second trial on; every other run in this process
        # gets the library's value back (the constant is module state)
        hopeless_rule._MIN_OTHERS = 1 if method == "doctor-hyperband-early" else _MIN_OTHERS
        if method == "doctor-hyperband-early":  # an experiment, not the default: see docstring
            hopeless = {"lr_too_low": "error", "underfitting": "warning"}
        pruner = DiagnosisPruner(HyperbandPruner(1, R, ETA, bracket_choice=BRACKETS),
                                 codes=codes, hopeless=hopeless,
                                 confirm=not method.endswith("noconfirm"),
                                 substep_progress=substep)
    doctor = method.startswith("doctor-hyperband")
    from torch import nn

    from tunecraft.torch import TrainConfig

    n_in, n_out = int(train[0][0].numel()), int(train[1].max()) + 1  # warm up before the clock
    fit(lambda c: nn.Sequential(nn.Flatten(), nn.Linear(n_in, 8), nn.ReLU(), nn.Linear(8, n_out)),
        train, val, TrainConfig(), max_epochs=1, device="cpu", doctor=doctor)
    study = tunecraft.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    total, start = 0.0, time.perf_counter()

    def objective(trial: tunecraft.Trial) -> float:
        config, factory = suggest(trial, task)
        counter = _step_counter()
        steps[trial.number] = 0
        try:
            return fit(factory, train, val, config, trial, max_epochs=R, device="cpu",
                       doctor=doctor, callbacks=[counter]).best_metric
        finally:
            steps[trial.number] = counter.steps

    def account(study: tunecraft.Study, frozen: tunecraft.FrozenTrial) -> None:
        nonlocal total
        # what the trial cost: its optimizer steps over an epoch's (a run that diverged or
        # was pruned within an epoch costs a fraction of it), not its last reported epoch
        total += steps.pop(frozen.number, 0) / steps_per_epoch
        run.whole.append((run.whole[-1] if run.whole else 0) + (frozen.last_step or 0))
        run.epochs.append(total)
        run.seconds.append(time.perf_counter() - start)
        complete = frozen.state is tunecraft.TrialState.COMPLETE
        diverged = "diverged" in frozen.user_attrs
        ok = complete and frozen.last_step == R and not diverged
        run.full.append(frozen.value if ok and frozen.value is not None else None)
        why = (pruner.reason(frozen, study.history()) if isinstance(pruner, DiagnosisPruner)
               else None)
        if frozen.state is tunecraft.TrialState.PRUNED and why is not None:
            run.pruned_by_doctor += 1
        curve = [round(v, 4) for _, v in sorted(frozen.intermediate_values.items())]
        run.detail.append({"state": frozen.state.name, "steps": frozen.last_step,
                           "curve": curve, "doctor": why, "diverged": diverged,
                           "codes": [f"{p.get('code')}:{p.get('severity')}" for p in
                                     (frozen.user_attrs.get("diagnosis") or {}).get(
                                         "problems", ())],
                           "params": {k: v if isinstance(v, str) else float(f"{v:.4g}")
                                      for k, v in frozen.params.items()}})
        if total >= budget:
            study.stop()

    study.optimize(objective, callbacks=[account], catch=(),
                   n_trials=n_trials if method in ("random-full", "none") else None)
    return run


def _step_counter() -> Any:
    """A fit callback that counts the optimizer steps a trial trained (``.steps``)."""
    from tunecraft.torch.callbacks import Callback

    class StepCounter(Callback):
        steps = 0

        def on_step_end(self, state: Any) -> None:
            self.steps += 1

    return StepCounter()


def _run(args: tuple[str, str, int, int]) -> Run:
    return run_method(*args)


def summarise(runs: list[Run]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for task in sorted({r.task for r in runs}):
        mine = [r for r in runs if r.task == task]
        if not any(r.method == "random-full" for r in mine):
            continue  # no target without the baseline
        target = statistics.median(r.best() for r in mine if r.method == "random-full")
        rows: dict[str, Any] = {}
        top10: dict[tuple[str, int], int] = {}
        for r in mine:  # pool: the 4 methods of METHODS[:4], a variant in place of the 4th
            arms = {*METHODS[:3], r.method if r.method not in METHODS[:3] else METHODS[3]}
            pool = sorted(((a, q.method) for q in mine if q.seed == r.seed
                           and q.method in arms for a in q.full if a is not None),
                          key=lambda p: -p[0])[:10]
            top10[(r.method, r.seed)] = sum(m == r.method for _, m in pool)
        extra = sorted({r.method for r in mine} - set(METHODS))
        for method in (*METHODS, *extra):
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
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out", default=None)
    ap.add_argument("--log", default=None, help="JSON lines of finished runs: appended to as "
                    "runs finish; runs already in it are not run again (resume, combine)")
    args = ap.parse_args(argv)
    tasks = args.tasks.split(",")
    done: list[Run] = []
    if args.log and os.path.exists(args.log):
        with open(args.log) as fh:
            done = [Run(**json.loads(line)) for line in fh if line.strip()]
    have = {(r.task, r.method, r.seed) for r in done}
    jobs = [(task, method, seed, args.trials) for task in tasks
            for seed in range(args.seeds) for method in args.methods.split(",")
            if (task, method, seed) not in have]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        for run in pool.map(_run, jobs):
            done.append(run)
            if args.log:
                with open(args.log, "a") as fh:
                    fh.write(json.dumps(asdict(run)) + "\n")
    runs = [r for r in done if r.task in tasks and r.seed < args.seeds]
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
