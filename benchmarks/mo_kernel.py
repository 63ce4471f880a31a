"""Multi-objective TPE: joint (multivariate) vs independent kernels, by median hypervolume.

Why TPESampler's default is multivariate for one objective and independent for several, with
Optuna's multi-objective TPE on the same problems and seeds for reference:
``python -m benchmarks.mo_kernel [--problems dtlz2 zdt1] [--seeds 5] [--trials 100]``; the
report goes to ``benchmarks/results/mo-kernel.md`` (``--out`` to choose).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import tunecraft as tc
from benchmarks.bo_adapters import MO_PROBLEMS
from tunecraft.hypervolume import hypervolume
from tunecraft.samplers import TPESampler


def _tunecraft_front(problem: str, multivariate: bool, seed: int, trials: int) -> np.ndarray:
    prob = MO_PROBLEMS[problem]
    study = tc.create_study(directions=["minimize"] * len(prob.reference),
                            sampler=TPESampler(seed=seed, multivariate=multivariate))
    study.optimize(lambda t: prob.evaluate({k: t.suggest_float(k, d.low, d.high)
                                            for k, d in prob.space.items()
                                            if isinstance(d, tc.Float)}),
                   n_trials=trials)
    return np.array([t.values for t in study.best_trials])


def _optuna_front(problem: str, seed: int, trials: int) -> np.ndarray:
    import optuna

    prob = MO_PROBLEMS[problem]
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(directions=["minimize"] * len(prob.reference),
                                sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(lambda t: prob.evaluate({k: t.suggest_float(k, d.low, d.high)
                                            for k, d in prob.space.items()
                                            if isinstance(d, tc.Float)}),
                   n_trials=trials)
    return np.array([t.values for t in study.best_trials])


METHODS: dict[str, Callable[[str, int, int], np.ndarray]] = {
    "tunecraft TPE, joint kernel (multivariate=True)":
        lambda p, s, n: _tunecraft_front(p, True, s, n),
    "tunecraft TPE, independent kernels (default for several objectives)":
        lambda p, s, n: _tunecraft_front(p, False, s, n),
    "Optuna TPESampler(seed) default": _optuna_front,
}


def median_hypervolume(problem: str, method: str, seeds: int, trials: int) -> float:
    """Median over seeds of the hypervolume of the Pareto front after ``trials`` trials."""
    reference = np.array(MO_PROBLEMS[problem].reference)
    return float(np.median([hypervolume(METHODS[method](problem, seed, trials), reference)
                            for seed in range(seeds)]))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--problems", nargs="+", default=["dtlz2", "zdt1"],
                        choices=sorted(MO_PROBLEMS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "mo-kernel.md")
    args = parser.parse_args(argv)
    logging.getLogger("tunecraft").setLevel(logging.ERROR)
    started = time.time()
    rows = ["| problem | sampler | median hypervolume |", "|---|---|---|"]
    for problem in args.problems:
        for method in METHODS:
            hv = median_hypervolume(problem, method, args.seeds, args.trials)
            rows.append(f"| {problem} | {method} | {hv:.4f} |")
            print(rows[-1], flush=True)
    command = " ".join(sys.argv[1:] if argv is None else argv)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    text = "\n".join([
        "# Multi-objective TPE: joint vs independent kernels",
        "",
        f"Written by `python -m benchmarks.mo_kernel {command}`"
        f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in "
        f"{(time.time() - started) / 60:.1f} min; {platform.machine()}, {os.cpu_count()} cores, "
        f"load average after: {load}.",
        "",
        f"Median over {args.seeds} seeds of the hypervolume of the Pareto front after "
        f"{args.trials} trials (higher is better), reference points of "
        "`benchmarks/bo_adapters.py`.",
        "",
        *rows,
        "",
        "tunecraft's TPESampler uses the joint kernel for one objective and independent kernels",
        "for several (`multivariate=None`), the better of the two on these problems.",
        "",
    ])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
