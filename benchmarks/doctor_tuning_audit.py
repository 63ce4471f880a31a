"""Audit DiagnosisPruner on a tuning task: which trials would it prune, and were they bad?

Run: ``python -m benchmarks.doctor_tuning_audit --task seq_gru [--trials 40] [--seed 0]``.

Random configurations of a task of benchmarks/doctor_tuning_tasks.py are each trained for
the full R epochs under the doctor; a pruner that never prunes asks
``DiagnosisPruner.reason`` (with the study, so the metric check applies) every epoch and
records the first epoch it would have pruned and why. Printed per trial: the final
accuracy, its rank, and the doctor's verdict; a *wrong* prune is a pruned trial whose
final accuracy reaches the median of the 10 best, a *miss* a trial at chance level (within
0.05 of the majority class share) that the doctor let run; also counted: pruned trials that
end in the top 10 when trained in full. Since 2026-12-08 fit also asks the pruner within
the first epoch (``tunecraft.torch.doctor._fit.SUBSTEPS``): those entries have step None
and the diagnosis's ``"substep"`` loss progress. Each trial's report and diagnosis per
epoch are kept in ``--out`` (``epochs``) to replay other pruning rules offline:
``python -m benchmarks.doctor_tuning_audit --replay A.json B.json`` replays the saved trials
epoch by epoch through today's ``DiagnosisPruner`` (with and without its hopeless-plateau
rule) and counts, per file, the pruned trials, those in the top 10 and the epochs saved.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from typing import Any

from benchmarks.doctor_tuning import R
from benchmarks.doctor_tuning_tasks import TASK_DATA, load_task, suggest


def audit(task: str, n_trials: int, seed: int) -> list[dict[str, Any]]:
    import torch

    import tunecraft
    from tunecraft.pruners import DiagnosisPruner
    from tunecraft.pruners.base import BasePruner, Decision
    from tunecraft.samplers import RandomSampler
    from tunecraft.torch import fit

    torch.set_num_threads(1)
    train, val = load_task(task, seed)
    judge = DiagnosisPruner(None)
    verdicts: dict[int, tuple[int, str]] = {}
    seen: dict[int, list[dict[str, Any]]] = {}  # per trial, each epoch's report and diagnosis

    class Watch(BasePruner):
        def decide(self, trial: Any, history: Any) -> Decision:
            seen.setdefault(trial.number, []).append({
                "step": trial.last_step, "value": trial.intermediate_values.get(trial.last_step),
                "diagnosis": json.loads(json.dumps(trial.user_attrs.get("diagnosis"),
                                                   default=dict))})
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
        r["epochs"] = seen.get(r["number"], [])
        r["wrong"] = why is not None and r["best"] >= good
        r["top10"] = why is not None and r["best"] >= top[-1]
        r["miss"] = why is None and r["best"] <= chance + 0.05
    return rows


def replay(rows: list[dict[str, Any]], pruner: Any) -> list[tuple[int, str] | None]:
    """Per saved trial (in number order), the first ``(epoch, reason)`` at which ``pruner``
    prunes it, given the earlier trials as COMPLETE with their full curves (None: never)."""
    from tunecraft.direction import StudyDirection
    from tunecraft.history import History
    from tunecraft.record import FrozenTrial, TrialState

    done: list[FrozenTrial] = []
    out: list[tuple[int, str] | None] = []
    for r in sorted(rows, key=lambda r: r["number"]):
        first = None
        for k, e in enumerate(r["epochs"]):
            reports = {x["step"]: x["value"] for x in r["epochs"][:k + 1]
                       if x["value"] is not None}
            attrs = {"diagnosis": e["diagnosis"]} if e["diagnosis"] else {}
            now = FrozenTrial(r["number"], TrialState.RUNNING, intermediate_values=reports,
                              user_attrs=attrs)
            why = pruner.reason(now, History([*done, now], [StudyDirection.MAXIMIZE]))
            if why is not None:
                first = (int(e["step"] or 0), why)  # None: within the first epoch
                break
        out.append(first)
        done.append(FrozenTrial(r["number"], TrialState.COMPLETE, value=r["best"],
                                intermediate_values={x["step"]: x["value"] for x in r["epochs"]
                                                     if x["value"] is not None}))
    return out


def replay_files(paths: list[str]) -> None:
    """Print, per audit file, what DiagnosisPruner with and without ``hopeless`` prunes."""
    from tunecraft.pruners import DiagnosisPruner

    for label, hopeless in (("default", None), ("hopeless=()", ())):
        for path, rows in _audits(paths):
            cut = sorted((r["best"] for r in rows), reverse=True)[:10][-1]
            firsts = replay(rows, DiagnosisPruner(None, hopeless=hopeless))
            hit = [(r, f) for r, f in zip(rows, firsts, strict=True) if f is not None]
            slow = [(r, f) for r, f in hit if "hopeless plateau" in f[1]]
            print(f"{label:11s} {path}: {len(hit)}/{len(rows)} pruned "
                  f"({sum(r['best'] >= cut for r, _ in hit)} of the top 10, "
                  f"{sum(R - f[0] for _, f in hit)} epochs saved); hopeless plateau "
                  f"{len(slow)} ({sum(r['best'] >= cut for r, _ in slow)} of the top 10, "
                  f"{sum(R - f[0] for _, f in slow)} epochs saved, best "
                  f"{max((r['best'] for r, _ in slow), default=math.nan):.3f}; top-10 cut "
                  f"{cut:.3f})")


def _audits(paths: list[str]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(name, rows) of each audit in ``paths``: an ``--out`` file, or a JSON object that
    maps names to such lists (several audits in one file)."""
    out = []
    for path in paths:
        with open(path) as fh:
            data = json.load(fh)
        items = data.items() if isinstance(data, dict) else [("", data)]
        for name, rows in items:
            out.append((f"{path}{':' + name if name else ''}",
                        sorted(rows, key=lambda r: r["number"])))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="seq_gru", choices=list(TASK_DATA))
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--replay", nargs="+", default=None, metavar="AUDIT_JSON",
                    help="replay saved audits (--out files) instead of training")
    args = ap.parse_args(argv)
    if args.replay:
        replay_files(args.replay)
        return 0
    rows = audit(args.task, args.trials, args.seed)
    for r in sorted(rows, key=lambda r: -r["best"]):
        flag = "WRONG " if r["wrong"] else "MISS  " if r["miss"] else "      "
        p = r["params"]
        print(f"{flag}{r['best']:.3f} lr={p['lr']:.1e} {p['optimizer']:4s} "
              f"{p['activation']:7s} d={p['depth']} w={p['width']} {p['init'][:6]} "
              f"pruned@{r['pruned_at']} {(r['reason'] or '')[:110]}")
    pruned = [r for r in rows if r["reason"]]
    print(f"{len(pruned)}/{len(rows)} pruned, {sum(r['wrong'] for r in rows)} wrong, "
          f"{sum(r['top10'] for r in rows)} of the top 10, {sum(r['miss'] for r in rows)} "
          f"misses, {sum(R - r['pruned_at'] for r in pruned)} epochs saved")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
