"""Audit DiagnosisPruner on a tuning task: which trials would it prune, and were they bad?

Run: ``python -m benchmarks.doctor_tuning_audit --task seq_gru [--trials 40] [--seed 0]``.

Random configurations of a task of benchmarks/doctor_tuning_tasks.py are each trained for
the full R epochs under the doctor; a pruner that never prunes asks
``DiagnosisPruner.reason`` (with the study, so the metric check applies) every epoch and
records the first epoch it would have pruned and why. Printed per trial: the final
accuracy, its rank, and the doctor's verdict; a *wrong* prune is a pruned trial whose
final accuracy reaches the median of the 10 best, a *miss* a trial at chance level (within
0.05 of the majority class share) that the doctor let run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

from benchmarks.doctor_tuning import R
from benchmarks.doctor_tuning_tasks import TASK_DATA, suggest
from benchmarks.doctor_zoo_cases import load


def audit(task: str, n_trials: int, seed: int) -> list[dict[str, Any]]:
    import torch

    import tunecraft
    from tunecraft.pruners import DiagnosisPruner
    from tunecraft.pruners.base import BasePruner, Decision
    from tunecraft.samplers import RandomSampler
    from tunecraft.torch import fit

    torch.set_num_threads(1)
    train, val = load(TASK_DATA[task], seed, None)
    judge = DiagnosisPruner(None)
    verdicts: dict[int, tuple[int, str]] = {}

    class Watch(BasePruner):
        def decide(self, trial: Any, history: Any) -> Decision:
            why = judge.reason(trial, history)
            if why is not None and trial.number not in verdicts:
                verdicts[trial.number] = (int(trial.last_step or 0), why)
            return Decision.CONTINUE

    rows: list[dict[str, Any]] = []
    study = tunecraft.create_study(direction="maximize", sampler=RandomSampler(seed=seed),
                                   pruner=Watch())

    def objective(trial: tunecraft.Trial) -> float:
        config, factory = suggest(trial, task)
        result = fit(factory, train, val, config, trial, max_epochs=R, device="cpu",
                     doctor=True)
        curve = [round(float(e.val_accuracy or 0.0), 3) for e in result.history]
        rows.append({"number": trial.number, "params": dict(trial.params),
                     "best": result.best_metric, "curve": curve,
                     "diverged": result.diverged,
                     "codes": sorted(result.diagnosis.codes) if result.diagnosis else []})
        return result.best_metric

    study.optimize(objective, n_trials=n_trials)
    chance = float(torch.bincount(val[1]).max()) / len(val[1])
    top = sorted((r["best"] for r in rows), reverse=True)[:10]
    good = statistics.median(top)
    for r in rows:
        step, why = verdicts.get(r["number"], (None, None))
        r["pruned_at"], r["reason"] = step, why
        r["wrong"] = why is not None and r["best"] >= good
        r["miss"] = why is None and r["best"] <= chance + 0.05
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="seq_gru", choices=list(TASK_DATA))
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    rows = audit(args.task, args.trials, args.seed)
    for r in sorted(rows, key=lambda r: -r["best"]):
        flag = "WRONG " if r["wrong"] else "MISS  " if r["miss"] else "      "
        p = r["params"]
        print(f"{flag}{r['best']:.3f} lr={p['lr']:.1e} {p['optimizer']:4s} "
              f"{p['activation']:7s} d={p['depth']} w={p['width']} {p['init'][:6]} "
              f"pruned@{r['pruned_at']} {(r['reason'] or '')[:110]}")
    pruned = [r for r in rows if r["reason"]]
    print(f"{len(pruned)}/{len(rows)} pruned, {sum(r['wrong'] for r in rows)} wrong, "
          f"{sum(r['miss'] for r in rows)} misses")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
