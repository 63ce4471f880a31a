"""The broad suite (#18): every sampler beside its peers on problems the team did not choose.

Families: ``bbob`` (24 BBOB functions x 2/5/10-D), ``sklearn`` (16 bayesmark-style problems),
``dl`` (3 small PyTorch networks, ``torch_tasks.py``) and ``curves`` (5 simulated
learning-curve families, multi-fidelity). Every optimiser runs
every selected problem with the same seeds in one run; the report gives, per family, the
mean normalised score (100 = best known, 0 = random search's median), the mean rank, and
Wilcoxon signed-rank p-values of each tunecraft sampler against its Optuna counterpart and of
the default (AutoSampler) against the best Optuna sampler of the family. See ``stats.py``.

    python -m benchmarks.broad.run                       # the design: 10 seeds, all problems
    python -m benchmarks.broad.run --quick               # a slice for 2 cores (~10 min)
    python -m benchmarks.broad.run --families bbob --problems 'bbob-f2[12]-d5' --seeds 10
    python -m benchmarks.broad.run --optimizers tunecraft-tpe optuna-tpe --families sklearn
    python -m benchmarks.broad.run ... --cache peers.json   # before/after: rerun tunecraft only
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.broad import curves, stats
from benchmarks.broad.curve_peers import PEERS
from benchmarks.broad.curve_report import mf_table
from benchmarks.broad.problems import all_problems

OPTIMIZERS = ("tunecraft-auto", "tunecraft-tpe", "tunecraft-gp", "tunecraft-cmaes",
              "tunecraft-random", "optuna-tpe", "optuna-gp", "optuna-cmaes", "optuna-random",
              "hyperopt-tpe")
QUICK_OPTIMIZERS = ("tunecraft-auto", "tunecraft-tpe", "tunecraft-gp", "tunecraft-cmaes",
                    "tunecraft-random", "optuna-tpe", "optuna-gp", "optuna-cmaes")
QUICK_PROBLEMS = ("bbob-f1-d5", "bbob-f3-d5", "bbob-f8-d5", "bbob-f15-d5", "bbob-f21-d5",
                  "bbob-f22-d5", "svc-breast-err", "knn-wine-err", "dt-breast-err",
                  "enet-diabetes-mae", "knnreg-diabetes-mse", "svr-diabetes-mse",
                  "torch-digits-cnn")
COUNTERPARTS = (("tunecraft-tpe", "optuna-tpe"), ("tunecraft-gp", "optuna-gp"),
                ("tunecraft-cmaes", "optuna-cmaes"))


def run_one(optimizer: str, problem_name: str, seed: int, n_trials: int) -> float:
    """The best loss ``optimizer`` reaches on the problem in ``n_trials`` trials."""
    import warnings

    from benchmarks import adapters, bo_adapters

    warnings.simplefilter("ignore")
    problem = all_problems()[problem_name]
    if optimizer in bo_adapters.TUNECRAFT or optimizer in bo_adapters.OPTUNA:
        values = bo_adapters.run(optimizer, problem, seed, n_trials).values[:, 0]
    else:
        values = adapters.run_adapter(optimizer, problem, seed, n_trials).values
    finite = values[np.isfinite(values)]
    return float(finite.min()) if finite.size else math.inf


def _map(jobs: list[tuple[Any, ...]], fn: Any, n_jobs: int) -> list[Any]:
    if n_jobs <= 1:
        return [fn(*j) for j in jobs]
    with ProcessPoolExecutor(n_jobs) as pool:
        futures = [pool.submit(fn, *j) for j in jobs]
        out = []
        for i, f in enumerate(futures):
            out.append(f.result())
            if (i + 1) % 20 == 0:
                print(f"  {i + 1}/{len(jobs)} runs", file=sys.stderr, flush=True)
        return out


def _cacheable(optimizer: str) -> bool:
    """Whether a result may be reused from ``--cache``: the peers' and random search's (a
    seeded run of a library we do not change gives the same loss), never a tunecraft
    sampler's (those are what a before/after comparison reruns)."""
    return not optimizer.startswith("tunecraft-") or optimizer == "tunecraft-random"


def _read_log(log: Path | None) -> dict[str, float]:
    """The results a ``--log`` file holds: one JSON ``[key, loss]`` per line."""
    if log is None or not log.exists():
        return {}
    rows = (json.loads(line) for line in log.read_text().splitlines() if line.strip())
    return {k: float(v) for k, v in rows}


def single_objective(names: Sequence[str], optimizers: Sequence[str], seeds: int,
                     n_trials: int, n_jobs: int, cache: Path | None = None,
                     log: Path | None = None) -> dict[str, dict[str, list[float]]]:
    """problem -> optimiser -> best loss per seed (peers' results reused from ``cache``).

    With ``log``, every result is appended to that file as it finishes and a rerun of the
    same command resumes from it (every optimiser's results, the code being unchanged); the
    jobs run seed by seed, so a run cut short leaves whole seeds."""
    known: dict[str, float] = json.loads(cache.read_text()) if cache and cache.exists() else {}
    logged = _read_log(log)
    jobs = [(o, p, s, n_trials) for s in range(seeds) for p in names for o in optimizers]
    key = {j: "|".join(map(str, j)) for j in jobs}
    todo = [j for j in jobs
            if key[j] not in logged and not (_cacheable(j[0]) and key[j] in known)]
    done: dict[tuple[Any, ...], float] = {}
    # logged: one job at a time in one process, one seed's jobs per pool otherwise
    step = (1 if n_jobs <= 1 else len(names) * len(optimizers)) if log else len(todo)
    for i in range(0, len(todo), max(1, step)):
        chunk = todo[i:i + max(1, step)]
        done.update(zip(chunk, _map(chunk, run_one, n_jobs), strict=True))
        if log:
            with log.open("a") as f:
                f.writelines(json.dumps([key[j], done[j]]) + "\n" for j in chunk)
    if cache:
        known.update({key[j]: v for j, v in done.items() if _cacheable(j[0])})
        cache.write_text(json.dumps(known))
    value = {**known, **logged, **{key[j]: v for j, v in done.items()}}
    return {p: {o: [value[key[(o, p, s, n_trials)]] for s in range(seeds)] for o in optimizers}
            for p in names}


def _table(results: stats.Results, family: str) -> list[str]:
    summ = stats.summary(results)
    lines = [f"### {family}: {len(results)} problems", "",
             "| optimiser | mean score | mean rank |", "|---|---|---|"]
    for o, v in sorted(summ.items(), key=lambda kv: -kv[1]["score"]):
        lines.append(f"| {o} | {v['score']:.1f} | {v['rank']:.2f} |")
    lines += ["", "| comparison | mean score difference | Wilcoxon p |", "|---|---|---|"]
    optuna = [o for o in summ if o.startswith("optuna") and o != "optuna-random"]
    pairs = [(a, b) for a, b in COUNTERPARTS if a in summ and b in summ]
    if "tunecraft-auto" in summ and optuna:
        best = max(optuna, key=lambda o: summ[o]["score"])
        pairs.insert(0, ("tunecraft-auto", best))
    for a, b in pairs:
        diff, p = stats.paired(results, a, b)
        lines.append(f"| {a} vs {b} | {diff:+.1f} | {p:.3g} |")
    per = stats.scores(results)
    lines += ["", "<details><summary>per problem: median score over seeds</summary>", "",
              "| problem | " + " | ".join(sorted(summ)) + " |",
              "|---|" + "---|" * len(summ)]
    for prob, by in per.items():
        lines.append(f"| {prob} | " + " | ".join(
            f"{np.median(by[o]):.0f}" if o in by else "" for o in sorted(summ)) + " |")
    return [*lines, "", "</details>", ""]


def multi_fidelity(families: Sequence[str], seeds: int, n_random: int, n_jobs: int,
                   methods: Sequence[str] = curves.METHODS) -> list[curves.MFRun]:
    """Every method on every family and seed."""
    jobs = [(f, m, s, n_random) for f in families for m in methods for s in range(seeds)]
    return list(_map(jobs, curves.run_mf, n_jobs))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a slice that fits 2 cores")
    ap.add_argument("--families", nargs="+", default=None,
                    choices=("bbob", "sklearn", "dl", "curves"))
    ap.add_argument("--problems", nargs="+", default=None, help="names or glob patterns")
    ap.add_argument("--optimizers", nargs="+", default=None, choices=OPTIMIZERS)
    ap.add_argument("--seeds", type=int, default=None, help="seeds per problem (10)")
    ap.add_argument("--trials", type=int, default=None, help="trials per run (50)")
    ap.add_argument("--curve-families", nargs="+", default=None,
                    choices=curves.FAMILIES + curves.HOLDOUT + curves.UNSEEN + curves.FRESH,
                    help="curve families (default: all but the held-out ones)")
    ap.add_argument("--curve-methods", nargs="+", default=None,
                    choices=curves.METHODS + PEERS,
                    help="multi-fidelity methods (default: all, peers where installed)")
    ap.add_argument("--n-random", type=int, default=20,
                    help="epoch budget of the curves, in full-budget trials (20)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="write the markdown report here")
    ap.add_argument("--raw", type=Path, default=None, help="write raw results (JSON) here")
    ap.add_argument("--log", type=Path, default=None,
                    help="append every result to this file as it finishes and resume from "
                         "it (seed by seed)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="JSON file of the peers' and random search's results, read and "
                         "extended (tunecraft's samplers always rerun)")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the selection and print (or write) the report."""
    args = parse_args(argv)
    families = args.families or ["bbob", "sklearn", "dl", "curves"]
    # one BLAS/OpenMP thread per worker: torch-based peers (Optuna's GPSampler) otherwise
    # oversubscribe the cores (a 50-trial 5-D run took 97 s instead of 14 s on 2 busy cores)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    seeds = args.seeds or (5 if args.quick else 10)
    n_trials = args.trials or (40 if args.quick else 50)
    optimizers = args.optimizers or (QUICK_OPTIMIZERS if args.quick else OPTIMIZERS)
    everything = all_problems()
    patterns = args.problems or (QUICK_PROBLEMS if args.quick else ["*"])
    chosen = [n for n in everything if any(fnmatch.fnmatch(n, p) for p in patterns)]
    started = time.perf_counter()
    lines = [f"Broad suite, {date.today()}, {seeds} seeds, {n_trials} trials, "
             f"command: `python -m benchmarks.broad.run {' '.join(argv or sys.argv[1:])}`", ""]
    raw: dict[str, Any] = {}
    for fam in ("bbob", "sklearn", "dl"):
        names = [n for n in chosen if everything[n].kind == fam]
        if fam in families and names:
            res = single_objective(names, optimizers, seeds, n_trials, args.jobs, args.cache,
                                   args.log)
            raw[fam] = res
            lines += _table(res, fam)
    if "curves" in families:
        fams = args.curve_families or list(curves.FAMILIES)
        runs = multi_fidelity(fams, seeds, args.n_random, args.jobs,
                              args.curve_methods or curves.available_methods())
        raw["curves"] = [vars(r) for r in runs]
        lines += mf_table(runs, args.n_random)
    lines.append(f"Wall time: {time.perf_counter() - started:.0f} s.")
    report = "\n".join(lines)
    if args.out:
        args.out.write_text(report + "\n")
    if args.raw:
        args.raw.write_text(json.dumps(raw))
    print(report)


if __name__ == "__main__":
    main()
